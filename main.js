// The package's entry point: exactly the documented exports. `index.js` is the loader napi-rs
// generates for the native binary, loaded through `binding.js` (which explains a missing binary); it also stamps a private `__napiBindingTarget` on what it
// exports, which is no part of this API.
"use strict";

const binding = require("./binding.js");

exports.PersistBase = binding.PersistBase;
exports.writeFileAtomic = binding.writeFileAtomic;
exports.usePersistStore = binding.usePersistStore;
exports.PersistSignalAdapter = binding.PersistSignalAdapter;
exports.PersistScheduleAdapter = binding.PersistScheduleAdapter;
exports.PersistRiskAdapter = binding.PersistRiskAdapter;
exports.PersistPartialAdapter = binding.PersistPartialAdapter;
exports.PersistSignalUtils = binding.PersistSignalUtils;
exports.PersistScheduleUtils = binding.PersistScheduleUtils;
exports.PersistRiskUtils = binding.PersistRiskUtils;
exports.PersistPartialUtils = binding.PersistPartialUtils;

const errors = require("./errors.js");

exports.PERSIST_ERROR_CODES = errors.PERSIST_ERROR_CODES;
exports.isPersistError = errors.isPersistError;
