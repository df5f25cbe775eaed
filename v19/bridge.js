// What the 19.5.0 Instances share with backtest-kit when `usePersistNative(bk)` puts them under a
// project: its config (read on every read, so a later `setConfig` applies), its logger (so a
// user's `setLogger` sees the same lines) and its error emitter (so `listenError` hears of a
// corrupt cached candle). Standalone, the defaults of backtest-kit's config and no logger.
"use strict";

const DEFAULT_CONFIG = Object.freeze({ CC_SIGNAL_LEVERAGE_MULTIPLIER: 1, CC_SIGNAL_ISOLATED_MARGIN: true });
const CONFIG_KEYS = Object.keys(DEFAULT_CONFIG);

const bridge = {
  getConfig: () => DEFAULT_CONFIG,
  logger: null,
  errorEmitter: null,
  /** usePersistNative's `stores`: a store URL (or null for files) per registry name. */
  stores: {},
};

/** An Error with a stable `code`, as every error of this package has. */
function codedError(message, code, ErrorClass = Error) {
  const error = new ErrorClass(message);
  error.code = code;
  return error;
}

/** The config of this moment. */
function config() {
  return bridge.getConfig();
}

/** `logger[level](topic, payload)` when a logger is bridged; a logger that throws changes nothing. */
function log(level, topic, payload) {
  const logger = bridge.logger;
  if (!logger || typeof logger[level] !== "function") return;
  try {
    if (payload === undefined) logger[level](topic);
    else logger[level](topic, payload);
  } catch {
    // Logging is best effort, as backtest-kit's own logger service is.
  }
}

/** What backtest-kit does with an error it reports but survives: `errorEmitter.next(error)`. */
function emitError(error) {
  const emitter = bridge.errorEmitter;
  if (!emitter || typeof emitter.next !== "function") return;
  try {
    emitter.next(error);
  } catch {
    // A subscriber's failure is the subscriber's.
  }
}

/** Throws unless `bk` has a `getConfig()` whose config has the keys the Instances read. */
function checkConfig(bk) {
  if (typeof bk?.getConfig !== "function") {
    throw codedError("usePersistNative: the module has no getConfig(); pass the backtest-kit module itself (import * as bk from \"backtest-kit\")", "INVALID_CONFIG", TypeError);
  }
  const current = bk.getConfig();
  const missing = CONFIG_KEYS.filter((key) => current == null || !(key in current));
  if (missing.length > 0) {
    throw codedError(`usePersistNative: backtest-kit's config has no ${missing.join(", ")}`, "INVALID_CONFIG", TypeError);
  }
}

/** Bridges to a backtest-kit module: its `getConfig`, `lib.loggerService`, `emitters.errorEmitter`. */
function connect(bk) {
  checkConfig(bk);
  bridge.getConfig = () => bk.getConfig();
  bridge.logger = bk.lib?.loggerService ?? null;
  bridge.errorEmitter = bk.emitters?.errorEmitter ?? null;
}

module.exports = { bridge, checkConfig, codedError, config, connect, emitError, log };
