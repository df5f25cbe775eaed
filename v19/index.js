// `@backtest-kit/persist/v19`: backtest-kit's persistence API as 19.5.0 and 20.1.0 have it (the
// Instance API, since 8.4): `PersistBase`, the 17 `PersistXAdapter` singletons (20.1.0 added
// Dictionary), the default `PersistXInstance` classes (the file work native), the `PersistXUtils`
// classes, and `usePersistNative(bk)`, which puts the native Instances under a backtest-kit project.
"use strict";

const { bridge, checkConfig, codedError, connect } = require("./bridge.js");
const { Instances } = require("./instances.js");
const { Adapters, REGISTRIES, Utils, forwardSingletons } = require("./utils.js");
const { PersistBase } = require("./steps.js");
const errors = require("../errors.js");

const NAMES = REGISTRIES.map((row) => row.name);

/** Whether the module has the registry `name` (Dictionary only from backtest-kit 20.1.0). */
const hasRegistry = (bk, name) => typeof bk?.[`Persist${name}Adapter`]?.[`usePersist${name}Adapter`] === "function";

/**
 * Registers this package's native Instances on the registries of a backtest-kit module
 * (`import * as bk from "backtest-kit"`): all it has (19.5.0's sixteen; 20.1.0's seventeen, with
 * Dictionary), or those in `options.registries` (`["Signal", "Candle", ...]`). The Instances read
 * the module's config on every read, log through its logger service and report corrupt cached
 * candles on its error emitter.
 */
function usePersistNative(bk, options) {
  checkConfig(bk);
  // A registry newer than the module (Dictionary on 19.5.0) is left out unless named.
  const available = REGISTRIES.filter((row) => row.since === undefined || hasRegistry(bk, row.name)).map((row) => row.name);
  const chosen = checkedRegistries(options, available);
  const stores = checkedStores(options?.stores, chosen, options?.registries !== undefined);
  const missing = chosen.filter((name) => !hasRegistry(bk, name));
  if (missing.length > 0) {
    const since = REGISTRIES.find((row) => row.name === missing[0]).since ?? "8.4";
    throw codedError(`usePersistNative: the module has no Persist${missing[0]}Adapter.usePersist${missing[0]}Adapter (backtest-kit ${since} or later is needed)`, "ERR_INVALID_ARG_VALUE", TypeError);
  }
  connect(bk);
  bridge.stores = stores;
  for (const name of chosen) bk[`Persist${name}Adapter`][`usePersist${name}Adapter`](Instances[name]);
  // From now on backtest-kit's registries are the truth: this package's singletons forward to them.
  forwardSingletons(bk);
}

const OPTIONS = ["registries", "stores"];

/**
 * `options.stores`: a store URL (or `null` for files) per registry, e.g.
 * `{ Candle: "sqlite:./dump/candles.db" }`; each is checked now (a bad URL throws here).
 */
function checkedStores(stores, chosen, named) {
  if (stores === undefined) return {};
  if (stores === null || typeof stores !== "object" || Array.isArray(stores)) {
    throw codedError('usePersistNative: options.stores must be an object like { Candle: "sqlite:./dump/candles.db" }', "ERR_INVALID_ARG_TYPE", TypeError);
  }
  const checked = {};
  for (const [name, url] of Object.entries(stores)) {
    if (!NAMES.includes(name)) {
      throw codedError(`usePersistNative: options.stores names an unknown registry ${JSON.stringify(name)} (one of ${NAMES.join(", ")})`, "ERR_INVALID_ARG_VALUE", TypeError);
    }
    if (!chosen.includes(name)) {
      const why = named ? "options.registries leaves out" : "this backtest-kit module does not have (20.1.0 or later is needed)";
      throw codedError(`usePersistNative: options.stores names ${name}, which ${why}`, "ERR_INVALID_ARG_VALUE", TypeError);
    }
    if (url !== null && typeof url !== "string") {
      throw codedError(`usePersistNative: options.stores.${name} must be a store URL or null (files)`, "ERR_INVALID_ARG_TYPE", TypeError);
    }
    // A store made now checks the URL: a bad one throws here, not at the first read, named as
    // the option it came from.
    try {
      new PersistBase(name, ".", { store: url });
    } catch (error) {
      const reason = String(error?.message ?? error).replace(/^PersistBase: options\.store: /, "");
      throw codedError(`usePersistNative: options.stores.${name}: ${reason}`, error?.code, error?.constructor ?? Error);
    }
    checked[name] = url;
  }
  return checked;
}

/** The registries `options` names (by default all the module has); anything else it holds is refused. */
function checkedRegistries(options, available) {
  if (options === undefined || options === null) return available;
  if (typeof options !== "object" || Array.isArray(options)) {
    const got = Array.isArray(options) ? "an array" : typeof options;
    throw codedError(`usePersistNative: options must be an object like { registries: ["Candle", "Signal"] }, got ${got}`, "ERR_INVALID_ARG_TYPE", TypeError);
  }
  const unknown = Object.keys(options).filter((key) => !OPTIONS.includes(key));
  if (unknown.length > 0) {
    throw codedError(`usePersistNative: unknown option ${unknown.map((key) => JSON.stringify(key)).join(", ")} (the options are: ${OPTIONS.join(", ")})`, "ERR_INVALID_ARG_VALUE", TypeError);
  }
  const chosen = options.registries ?? available;
  if (!Array.isArray(chosen)) {
    throw codedError("usePersistNative: options.registries must be an array of registry names", "ERR_INVALID_ARG_TYPE", TypeError);
  }
  if (chosen.length === 0) {
    throw codedError(`usePersistNative: options.registries is empty; name at least one of ${NAMES.join(", ")}, or leave it out for all`, "ERR_INVALID_ARG_VALUE", TypeError);
  }
  const wrong = chosen.filter((name) => !NAMES.includes(name));
  if (wrong.length > 0) {
    throw codedError(`usePersistNative: unknown registries ${wrong.join(", ")} (one of ${NAMES.join(", ")})`, "ERR_INVALID_ARG_VALUE", TypeError);
  }
  return chosen;
}

const binding = require("../binding.js");

/**
 * Sets how many bytes the process-wide candle cache may hold (default 64 MiB, or
 * `BACKTEST_PERSIST_CANDLE_CACHE_MB`); 0 turns it off. Candles this process read or wrote are
 * then served from memory, oldest evicted first.
 */
function setCandleCacheLimit(bytes) {
  if (typeof bytes !== "number") {
    throw codedError(`setCandleCacheLimit: bytes must be a number, got ${bytes === null ? "null" : typeof bytes}`, "ERR_INVALID_ARG_TYPE", TypeError);
  }
  if (!(Number.isSafeInteger(bytes) && bytes >= 0)) {
    throw codedError(`setCandleCacheLimit: bytes must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${bytes}`, "ERR_OUT_OF_RANGE", RangeError);
  }
  binding.__candleCacheLimit(bytes);
}

/** The cache's limit and what it holds now, in bytes. */
function candleCacheUsage() {
  return { limit: binding.__candleCacheLimit(), bytes: binding.__candleCacheBytes() };
}

/** Forgets every cached candle (after another process changed cached candle files). */
function clearCandleCache() {
  binding.__clearCandleCache();
}

exports.PersistBase = PersistBase;
exports.setCandleCacheLimit = setCandleCacheLimit;
exports.candleCacheUsage = candleCacheUsage;
exports.clearCandleCache = clearCandleCache;
exports.usePersistStore = binding.usePersistStore;
exports.PERSIST_ERROR_CODES = errors.PERSIST_ERROR_CODES;
exports.isPersistError = errors.isPersistError;
exports.usePersistNative = usePersistNative;
exports.PersistSignalAdapter = Adapters.Signal;
exports.PersistScheduleAdapter = Adapters.Schedule;
exports.PersistStrategyAdapter = Adapters.Strategy;
exports.PersistPartialAdapter = Adapters.Partial;
exports.PersistBreakevenAdapter = Adapters.Breakeven;
exports.PersistRiskAdapter = Adapters.Risk;
exports.PersistCandleAdapter = Adapters.Candle;
exports.PersistStorageAdapter = Adapters.Storage;
exports.PersistNotificationAdapter = Adapters.Notification;
exports.PersistLogAdapter = Adapters.Log;
exports.PersistMeasureAdapter = Adapters.Measure;
exports.PersistIntervalAdapter = Adapters.Interval;
exports.PersistMemoryAdapter = Adapters.Memory;
exports.PersistStateAdapter = Adapters.State;
exports.PersistDictionaryAdapter = Adapters.Dictionary;
exports.PersistSessionAdapter = Adapters.Session;
exports.PersistRecentAdapter = Adapters.Recent;
exports.PersistSignalInstance = Instances.Signal;
exports.PersistScheduleInstance = Instances.Schedule;
exports.PersistStrategyInstance = Instances.Strategy;
exports.PersistPartialInstance = Instances.Partial;
exports.PersistBreakevenInstance = Instances.Breakeven;
exports.PersistRiskInstance = Instances.Risk;
exports.PersistCandleInstance = Instances.Candle;
exports.PersistStorageInstance = Instances.Storage;
exports.PersistNotificationInstance = Instances.Notification;
exports.PersistLogInstance = Instances.Log;
exports.PersistMeasureInstance = Instances.Measure;
exports.PersistIntervalInstance = Instances.Interval;
exports.PersistMemoryInstance = Instances.Memory;
exports.PersistStateInstance = Instances.State;
exports.PersistDictionaryInstance = Instances.Dictionary;
exports.PersistSessionInstance = Instances.Session;
exports.PersistRecentInstance = Instances.Recent;
exports.PersistSignalUtils = Utils.Signal;
exports.PersistScheduleUtils = Utils.Schedule;
exports.PersistStrategyUtils = Utils.Strategy;
exports.PersistPartialUtils = Utils.Partial;
exports.PersistBreakevenUtils = Utils.Breakeven;
exports.PersistRiskUtils = Utils.Risk;
exports.PersistCandleUtils = Utils.Candle;
exports.PersistStorageUtils = Utils.Storage;
exports.PersistNotificationUtils = Utils.Notification;
exports.PersistLogUtils = Utils.Log;
exports.PersistMeasureUtils = Utils.Measure;
exports.PersistIntervalUtils = Utils.Interval;
exports.PersistMemoryUtils = Utils.Memory;
exports.PersistStateUtils = Utils.State;
exports.PersistDictionaryUtils = Utils.Dictionary;
exports.PersistSessionUtils = Utils.Session;
exports.PersistRecentUtils = Utils.Recent;
