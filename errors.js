// The codes of the errors this package creates itself, and a guard that narrows a caught value
// to one of them. Exported by both entry points (`main.js`, `v19/index.js`).
"use strict";

/** Every `code` an error of this package's own can carry, as documented in the README. */
const PERSIST_ERROR_CODES = Object.freeze([
  "ENTITY_NOT_FOUND",
  "INVALID_ENTITY_ID",
  "INVALID_ENTITY_NAME",
  "INVALID_ENTITY",
  "INIT_FAILED",
  "READ_FAILED",
  "HAS_FAILED",
  "WRITE_FAILED",
  "REMOVE_FAILED",
  "REMOVE_ALL_FAILED",
  "KEYS_FAILED",
  "VALUES_FAILED",
  "COUNT_FAILED",
  "ADAPTER_METHOD_MISSING",
  "ADAPTER_FAILED",
  "ADAPTER_CONSTRUCTOR_FAILED",
  "INVALID_CONFIG",
  "INVALID_CANDLE_INTERVAL",
]);

const KNOWN = new Set(PERSIST_ERROR_CODES);

/**
 * Whether `error` is an Error of this package with a documented `code` (with `code` given:
 * that code). Errors from the file system keep Node's own codes (`ENOENT`, ...) under `cause`.
 */
function isPersistError(error, code) {
  if (!(error instanceof Error)) return false;
  const actual = Object.prototype.hasOwnProperty.call(error, "code") ? error.code : undefined;
  return code === undefined ? KNOWN.has(actual) : actual === code && KNOWN.has(code);
}

exports.PERSIST_ERROR_CODES = PERSIST_ERROR_CODES;
exports.isPersistError = isPersistError;
