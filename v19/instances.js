// The 16 default Instances of backtest-kit 19.5.0 (and 20.1.0's Dictionary) and their no-op twins, as data: one row per
// registry (context arguments, where its PersistBase lives, its methods as steps). Each class
// is built from its row; the files, results and read post-processing are backtest-kit's own,
// the file work is one native call per method (see steps.js).
"use strict";

const { bridge, codedError, config, emitError, log } = require("./bridge.js");
const steps = require("./steps.js");

const { ABSENT, PersistBase } = steps;

// ---- read post-processing, as backtest-kit's Instances do it ----------------------------------

/** A signal row as it reads back: `Infinity` for a null hold time, the config's defaults. */
function restoreSignal(row) {
  if (row && row.minuteEstimatedTime == null) row.minuteEstimatedTime = Infinity;
  if (row && row.multiplier == null) row.multiplier = config().CC_SIGNAL_LEVERAGE_MULTIPLIER;
  if (row && row.isolated == null) row.isolated = config().CC_SIGNAL_ISOLATED_MARGIN;
  return row;
}

const STRATEGY_SIGNALS = ["closedSignal", "cancelledSignal", "activatedSignal", "takeProfitSignal", "stopLossSignal", "retryOpenSignal"];

function restoreStrategy(data) {
  if (!data) return null;
  for (const slot of STRATEGY_SIGNALS) if (data[slot]) restoreSignal(data[slot]);
  return data;
}

function restorePositions(data) {
  if (!data) return [];
  for (const [, position] of data) {
    if (position && position.minuteEstimatedTime == null) position.minuteEstimatedTime = Infinity;
  }
  return data;
}

function restoreNotification(n) {
  if (n && "minuteEstimatedTime" in n && n.minuteEstimatedTime == null) n.minuteEstimatedTime = Infinity;
  if (n && "cost" in n && n.multiplier == null) n.multiplier = config().CC_SIGNAL_LEVERAGE_MULTIPLIER;
  if (n && "cost" in n && n.isolated == null) n.isolated = config().CC_SIGNAL_ISOLATED_MARGIN;
  return n;
}

const live = (backtest) => (backtest ? "backtest" : "live");

// ---- method kinds --------------------------------------------------------------------------

/** A read of one document: `id(instance, ...args)`, restored, or `fallback` when absent. */
const readOne = (id, restore, fallback) =>
  async function (...args) {
    const value = await steps.readOne(this._storage, id(this, ...args));
    return value === ABSENT ? fallback() : restore(value);
  };

/** A write of `data` (the first argument) as one document. */
const writeOne = (id) =>
  async function (data, ...args) {
    await steps.writeOne(this._storage, id(this, ...args), data);
  };

/** Every document, each restored, in key order. */
const readEvery = (restore) =>
  async function () {
    return (await steps.readAll(this._storage)).map(restore);
  };

/**
 * Every row of an array written under its `id`, as one batch (`method` names it in errors). A
 * row that is not an object with a string or number `id` refuses the whole batch (backtest-kit
 * throws on a null row, and writes `undefined.json` for a missing id): nothing is written.
 */
const writeEvery = (method, onlyMissing) =>
  async function (rows) {
    if (!Array.isArray(rows)) {
      throw codedError(`${method}: the rows must be an array, got ${kind(rows)}`, "INVALID_ENTITY", TypeError);
    }
    const ids = new Array(rows.length);
    for (let index = 0; index < rows.length; index += 1) {
      const row = rows[index];
      const id = row !== null && typeof row === "object" ? row.id : undefined;
      if (typeof id !== "string" && typeof id !== "number") {
        const got = row !== null && typeof row === "object" ? `an id of type ${kind(id)}` : kind(row);
        throw codedError(`${method}: row ${index} needs a string or number id, got ${got}`, "INVALID_ENTITY", TypeError);
      }
      ids[index] = String(id);
    }
    await steps.writeMany(this._storage, ids, rows, onlyMissing);
  };

/** Measure, Interval, Memory: a soft-deleted document reads as `null`. */
const readLive = (id) =>
  async function (...args) {
    const value = await steps.readOne(this._storage, id(this, ...args));
    return value === ABSENT || value.removed ? null : value;
  };

const softRemove = (id) =>
  async function (...args) {
    const key = id(this, ...args);
    const value = await steps.readOne(this._storage, key);
    if (value !== ABSENT && value) await steps.writeOne(this._storage, key, Object.assign({}, value, { removed: true }));
  };

/** The live keys (or `{ memoryId, data }` with `withData`), skipping soft-deleted ones. */
const listLive = (withData) =>
  async function* () {
    for await (const key of steps.keys(this._storage)) {
      const data = await this._storage.readValue(String(key));
      if (data === null || data.removed) continue;
      yield withData ? { memoryId: String(key), data } : String(key);
    }
  };

const noop = async () => {};

function kind(value) {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

// ---- candles -------------------------------------------------------------------------------

const INTERVAL_MINUTES = { "1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240, "6h": 360, "8h": 480, "1d": 1440 };

function stepOf(instance, method) {
  const minutes = Object.hasOwn(INTERVAL_MINUTES, instance.interval) ? INTERVAL_MINUTES[instance.interval] : undefined;
  if (minutes === undefined) {
    const known = Object.keys(INTERVAL_MINUTES).join(", ");
    throw codedError(`PersistCandleInstance.${method}: unknown candle interval ${JSON.stringify(instance.interval)} (one of ${known})`, "INVALID_CANDLE_INTERVAL", TypeError);
  }
  return minutes * 60_000;
}

/**
 * The candles `sinceTimestamp + i * stepMs` for every `i < limit`, or `null` unless every one is
 * cached: backtest-kit's loop, so a fractional limit counts as the next whole number, zero,
 * a negative limit or NaN give `[]`, and `Infinity` gives `null` at the first miss. On this
 * package's store the range is one native call that stops at the first miss; other limits and
 * timestamps (strings, fractions) take the reference's own loop, one candle at a time.
 */
async function readCandlesData(limit, sinceTimestamp, _untilTimestamp) {
  const stepMs = stepOf(this, "readCandlesData");
  const count = typeof limit === "number" && limit > 0 ? Math.ceil(limit) : 0;
  if (steps.isNative(this._storage) && typeof limit === "number" && namedExactly(sinceTimestamp, stepMs, count)) {
    if (count === 0) return [];
    // Candles this process read or wrote before: from memory, without a file or a thread hop.
    const cached = count !== Infinity ? steps.cachedCandles(this._storage, sinceTimestamp, stepMs, count) : null;
    if (cached !== null) return JSON.parse(cached);
    let read;
    try {
      read = await steps.readCandles(this._storage, sinceTimestamp, stepMs, count);
    } catch (error) {
      // A candle that cannot be read at all (a directory in its place, no permission):
      // backtest-kit's own loop, which warns, emits the error and returns null for it.
      if (error?.code !== "READ_FAILED") throw error;
      return readCandlesOneByOne(this, limit, sinceTimestamp, stepMs);
    }
    if (read === null) return null;
    if (Array.isArray(read)) {
      // [index, text] of the first candle that does not parse: the error readValue would give.
      const [index, text] = read;
      const timestamp = sinceTimestamp + index * stepMs;
      let error;
      try {
        JSON.parse(text);
      } catch (cause) {
        error = new Error(`Failed to read entity ${this._storage.entityName}:${timestamp}: ${cause.message}`);
      }
      return invalidCandle(this, timestamp, error);
    }
    return JSON.parse(read);
  }
  return readCandlesOneByOne(this, limit, sinceTimestamp, stepMs);
}

/**
 * Whether the native range names every candle as backtest-kit does, `String(since + i * stepMs)`:
 * while every timestamp is a safe integer, JS's arithmetic and digits are exact. Past 2^53 they
 * are not (`String(2 ** 60)` is "1152921504606847000"), so those take backtest-kit's own loop.
 * A range until the first miss (`Infinity`) counts as a billion candles.
 */
function namedExactly(since, stepMs, count) {
  const last = since + (count === Infinity ? 1e9 : count) * stepMs;
  return Number.isSafeInteger(since) && Number.isSafeInteger(last);
}

/** backtest-kit's own loop, for a storage that is not this package's or arguments it does not take natively. */
async function readCandlesOneByOne(instance, limit, sinceTimestamp, stepMs) {
  const candles = [];
  for (let i = 0; i < limit; i++) {
    const timestamp = sinceTimestamp + i * stepMs;
    if (!(await instance._storage.hasValue(String(timestamp)))) return null;
    try {
      candles.push(await instance._storage.readValue(String(timestamp)));
    } catch (error) {
      return invalidCandle(instance, timestamp, error);
    }
  }
  return candles;
}

/** What backtest-kit does with a cached candle that does not parse: warn, emit, refetch. */
function invalidCandle(instance, timestamp, error) {
  const message = `PersistCandleInstance.readCandlesData found invalid candle symbol=${instance.symbol} interval=${instance.interval} timestamp=${timestamp}`;
  const payload = { error: { message: error?.message, stack: error?.stack }, message: error?.message ?? String(error) };
  log("warn", message, payload);
  console.warn(message, payload);
  emitError(error);
  return null;
}

/** Closed candles only, never overwriting a cached one, as one durable batch. */
async function writeCandlesData(candles) {
  const stepMs = stepOf(this, "writeCandlesData");
  if (!Array.isArray(candles)) {
    throw codedError(`PersistCandleInstance.writeCandlesData: the candles must be an array, got ${kind(candles)}`, "INVALID_ENTITY", TypeError);
  }
  const bad = candles.find((candle) => !Number.isFinite(candle?.timestamp));
  if (bad !== undefined) {
    throw codedError(`PersistCandleInstance.writeCandlesData: every candle needs a finite timestamp, got ${JSON.stringify(bad)}`, "INVALID_ENTITY", TypeError);
  }
  const now = Date.now();
  const closed = candles.filter((candle) => {
    const closeTime = candle.timestamp + stepMs;
    if (closeTime <= now) return true;
    log("debug", "PersistCandleInstance.writeCandlesData: skipping incomplete candle", {
      symbol: this.symbol,
      interval: this.interval,
      exchangeName: this.exchangeName,
      timestamp: candle.timestamp,
      closeTime,
      now,
    });
    return false;
  });
  await steps.writeMany(this._storage, closed.map((candle) => String(candle.timestamp)), closed, true);
}

// ---- the table -----------------------------------------------------------------------------

const K3 = ["symbol", "strategyName", "exchangeName"];
const E3 = (i) => `${i.symbol}_${i.strategyName}_${i.exchangeName}`;
const bySymbol = (i) => i.symbol;
const bySignalId = (_i, signalId) => signalId;
const byKey = (_i, key) => key;
const same = (value) => value;

/**
 * One row per registry: `params` (the constructor's arguments, kept as fields), `entity` and
 * `baseDir` of its PersistBase, `fields` computed once, `statics`, and its methods (`methods`,
 * with `dummy` for useDummy()'s no-op Instance).
 */
const INSTANCES = [
  {
    name: "Signal",
    params: K3,
    entity: E3,
    baseDir: () => "./dump/data/signal/",
    methods: { readSignalData: readOne(bySymbol, restoreSignal, () => null), writeSignalData: writeOne(bySymbol) },
    dummy: { readSignalData: async () => null, writeSignalData: noop },
  },
  {
    name: "Schedule",
    params: K3,
    entity: E3,
    baseDir: () => "./dump/data/schedule/",
    methods: { readScheduleData: readOne(bySymbol, restoreSignal, () => null), writeScheduleData: writeOne(bySymbol) },
    dummy: { readScheduleData: async () => null, writeScheduleData: noop },
  },
  {
    name: "Strategy",
    params: K3,
    entity: E3,
    baseDir: () => "./dump/data/strategy/",
    statics: { STORAGE_KEY: "strategy" },
    methods: { readStrategyData: readOne(() => "strategy", restoreStrategy, () => null), writeStrategyData: writeOne(() => "strategy") },
    dummy: { readStrategyData: async () => null, writeStrategyData: noop },
  },
  {
    name: "Partial",
    params: K3,
    entity: E3,
    baseDir: () => "./dump/data/partial/",
    methods: { readPartialData: readOne(bySignalId, same, () => ({})), writePartialData: writeOne(bySignalId) },
    dummy: { readPartialData: async () => ({}), writePartialData: noop },
  },
  {
    name: "Breakeven",
    params: K3,
    entity: E3,
    baseDir: () => "./dump/data/breakeven/",
    methods: { readBreakevenData: readOne(bySignalId, same, () => ({})), writeBreakevenData: writeOne(bySignalId) },
    dummy: { readBreakevenData: async () => ({}), writeBreakevenData: noop },
  },
  {
    name: "Risk",
    params: ["riskName", "exchangeName"],
    entity: (i) => `${i.riskName}_${i.exchangeName}`,
    baseDir: () => "./dump/data/risk/",
    statics: { STORAGE_KEY: "positions" },
    methods: { readPositionData: readOne(() => "positions", restorePositions, () => []), writePositionData: writeOne(() => "positions") },
    dummy: { readPositionData: async () => [], writePositionData: noop },
  },
  {
    name: "Candle",
    params: ["symbol", "interval", "exchangeName"],
    entity: (i) => `${i.exchangeName}/${i.symbol}/${i.interval}`,
    baseDir: () => "./dump/data/candle/",
    methods: { readCandlesData, writeCandlesData },
    dummy: { readCandlesData: async () => null, writeCandlesData: noop },
  },
  {
    name: "Storage",
    params: ["backtest"],
    entity: (i) => live(i.backtest),
    baseDir: () => "./dump/data/storage/",
    methods: { readStorageData: readEvery(restoreSignal), writeStorageData: writeEvery("PersistStorageInstance.writeStorageData", false) },
    dummy: { readStorageData: async () => [], writeStorageData: noop },
  },
  {
    name: "Notification",
    params: ["backtest"],
    entity: (i) => live(i.backtest),
    baseDir: () => "./dump/data/notification/",
    methods: { readNotificationData: readEvery(restoreNotification), writeNotificationData: writeEvery("PersistNotificationInstance.writeNotificationData", false) },
    dummy: { readNotificationData: async () => [], writeNotificationData: noop },
  },
  {
    name: "Log",
    params: [],
    entity: () => "log",
    baseDir: () => "./dump/data/log/",
    methods: { readLogData: readEvery(same), writeLogData: writeEvery("PersistLogInstance.writeLogData", true) },
    dummy: { readLogData: async () => [], writeLogData: noop },
  },
  {
    name: "Measure",
    params: ["bucket"],
    entity: (i) => i.bucket,
    baseDir: () => "./dump/data/measure/",
    methods: {
      readMeasureData: readLive(byKey),
      writeMeasureData: writeOne(byKey),
      removeMeasureData: softRemove(byKey),
      listMeasureData: listLive(false),
    },
    dummy: { readMeasureData: async () => null, writeMeasureData: noop, removeMeasureData: noop, listMeasureData: async function* () {} },
  },
  {
    name: "Interval",
    params: ["bucket"],
    entity: (i) => i.bucket,
    baseDir: () => "./dump/data/interval/",
    methods: {
      readIntervalData: readLive(byKey),
      writeIntervalData: writeOne(byKey),
      removeIntervalData: softRemove(byKey),
      listIntervalData: listLive(false),
    },
    dummy: { readIntervalData: async () => null, writeIntervalData: noop, removeIntervalData: noop, listIntervalData: async function* () {} },
  },
  {
    name: "Memory",
    params: ["signalId", "bucketName"],
    entity: (i) => i.bucketName,
    baseDir: (i) => `./dump/memory/${i.signalId}/`,
    methods: {
      readMemoryData: readLive(byKey),
      hasMemoryData: async function (memoryId) {
        return steps.hasOne(this._storage, memoryId);
      },
      writeMemoryData: writeOne(byKey),
      removeMemoryData: softRemove(byKey),
      listMemoryData: listLive(true),
      dispose() {},
    },
    dummy: {
      readMemoryData: async () => null,
      hasMemoryData: async () => false,
      writeMemoryData: noop,
      removeMemoryData: noop,
      listMemoryData: async function* () {},
      dispose() {},
    },
  },
  {
    name: "State",
    params: ["signalId", "bucketName"],
    entity: (i) => i.bucketName,
    baseDir: (i) => `./dump/state/${i.signalId}/`,
    methods: { readStateData: readOne((i) => i.bucketName, same, () => null), writeStateData: writeOne((i) => i.bucketName), dispose() {} },
    dummy: { readStateData: async () => null, writeStateData: noop, dispose() {} },
  },
  {
    // backtest-kit 20.1.0's seventeenth registry (docs/BTK20-DICTIONARY.md): State's layout, one
    // folder up.
    name: "Dictionary",
    params: ["signalId", "dictionaryName"],
    entity: (i) => i.signalId,
    baseDir: () => "./dump/dictionary/",
    methods: {
      readDictionaryData: readOne((i) => i.dictionaryName, same, () => null),
      writeDictionaryData: writeOne((i) => i.dictionaryName),
      dispose() {},
    },
    dummy: { readDictionaryData: async () => null, writeDictionaryData: noop, dispose() {} },
  },
  {
    name: "Session",
    params: ["strategyName", "exchangeName", "frameName", "symbol", "backtest"],
    entity: (i) => i.frameName,
    baseDir: (i) => `./dump/session/${i.strategyName}/${i.exchangeName}/`,
    fields: { _entityId: (i) => `${i.symbol}_${live(i.backtest)}` },
    methods: { readSessionData: readOne((i) => i._entityId, same, () => null), writeSessionData: writeOne((i) => i._entityId), dispose() {} },
    dummy: { readSessionData: async () => null, writeSessionData: noop, dispose() {} },
  },
  {
    name: "Recent",
    params: ["symbol", "strategyName", "exchangeName", "frameName", "backtest"],
    entity: (i) => [i.symbol, i.strategyName, i.exchangeName, ...(i.frameName ? [i.frameName] : []), live(i.backtest)].join("_"),
    baseDir: () => "./dump/data/recent/",
    methods: { readRecentData: readOne(bySymbol, restoreSignal, () => null), writeRecentData: writeOne(bySymbol) },
    dummy: { readRecentData: async () => null, writeRecentData: noop },
  },
];

/** Names a function as a class does, so stack traces and `constructor.name` read well. */
function named(name, value) {
  return Object.defineProperty(value, "name", { value: name, configurable: true });
}

function defineMethods(prototype, methods) {
  for (const [name, method] of Object.entries(methods)) {
    Object.defineProperty(prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}

/** `PersistXInstance`: the constructor keeps its context and opens its PersistBase. */
function instanceClass(row) {
  const Instance = named(
    `Persist${row.name}Instance`,
    class {
      constructor(...args) {
        row.params.forEach((param, index) => (this[param] = args[index]));
        // The registry's own store when usePersistNative's `stores` names one, else usePersistStore's.
        const store = bridge.stores[row.name];
        this._storage = store === undefined ? new PersistBase(row.entity(this), row.baseDir(this)) : new PersistBase(row.entity(this), row.baseDir(this), { store });
        for (const [field, compute] of Object.entries(row.fields ?? {})) this[field] = compute(this);
      }
    },
  );
  defineMethods(Instance.prototype, {
    async waitForInit(initial) {
      await this._storage.waitForInit(initial);
    },
    ...row.methods,
  });
  Object.assign(Instance, row.statics);
  return Instance;
}

/** `PersistXDummyInstance`: every read gives the registry's empty value, every write nothing. */
function dummyClass(row) {
  const Dummy = named(`Persist${row.name}DummyInstance`, class {});
  defineMethods(Dummy.prototype, { async waitForInit() {}, ...row.dummy });
  return Dummy;
}

const Instances = Object.fromEntries(INSTANCES.map((row) => [row.name, instanceClass(row)]));
const Dummies = Object.fromEntries(INSTANCES.map((row) => [row.name, dummyClass(row)]));

module.exports = { Dummies, INSTANCES, INTERVAL_MINUTES, Instances };
