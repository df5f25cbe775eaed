// The 16 registries of backtest-kit 19.5.0 and 20.1.0's Dictionary (`PersistXUtils`, and their
// singletons `PersistXAdapter`), as data: one row each (memo key, which calls take which context
// arguments, which methods are own arrow functions that work detached and which sit on the
// prototype), read by one generic class builder. The protocol is backtest-kit's: `isInitial` is
// whether the memo lacked the key; the Instance is constructed with the context arguments,
// `waitForInit(isInitial)` is awaited, then the method; registering an adapter clears the memo.
"use strict";

const { codedError, log } = require("./bridge.js");
const { Dummies, Instances } = require("./instances.js");

// ---- functools-kit's memoize, as backtest-kit uses it ---------------------------------------

/** The key is kept before the constructor runs: a constructor that throws leaves it (so the
 * retry sees `isInitial === false`) and is run again by the next call. */
function memoize(keyOf, create) {
  const values = new Map();
  const get = (...args) => {
    const key = keyOf(args);
    let value = values.get(key)?.current;
    if (value === undefined) {
      const ref = { current: undefined };
      values.set(key, ref);
      value = ref.current = create(...args);
    }
    return value;
  };
  get.has = (key) => values.has(key);
  get.clear = (key) => (key ? values.delete(key) : values.clear());
  return get;
}

// ---- calling an Instance -------------------------------------------------------------------

const timers = process.getBuiltinModule?.("timers") ?? globalThis;

/**
 * `instance[method](...args)`, awaited as backtest-kit awaits it; with `timeoutMs`, a call still
 * pending after that long fails. A missing method is a clear error, not a TypeError.
 */
function callInstance(utils, instance, method, args) {
  const registry = utils[REGISTRY].adapter;
  const adapterName = instance?.constructor?.name || "(anonymous)";
  if (typeof instance?.[method] !== "function") {
    return Promise.reject(codedError(`${registry}: adapter ${adapterName} has no method ${method}`, "ADAPTER_METHOD_MISSING"));
  }
  const result = instance[method](...args);
  const timeoutMs = utils[TIMEOUT];
  if (timeoutMs === undefined) return result;
  let timer;
  const expired = new Promise((_, reject) => {
    timer = timers.setTimeout(() => {
      reject(codedError(`${registry}: ${adapterName}.${method} did not settle within ${timeoutMs} ms`, "ADAPTER_FAILED"));
    }, timeoutMs);
  });
  return Promise.race([result, expired]).finally(() => timers.clearTimeout(timer));
}

/** The longest delay `setTimeout` honours. */
const MAX_TIMEOUT_MS = 2_147_483_647;

function checkedOptions(method, options) {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") {
    throw codedError(`${method}: options must be an object`, "ERR_INVALID_ARG_TYPE", TypeError);
  }
  const { timeoutMs } = options;
  if (timeoutMs === undefined) return undefined;
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw codedError(`${method}: options.timeoutMs must be a positive number of milliseconds, at most ${MAX_TIMEOUT_MS}`, "ERR_INVALID_ARG_VALUE", TypeError);
  }
  return timeoutMs;
}

function checkedCtor(method, Ctor) {
  if (typeof Ctor !== "function" || typeof Ctor.prototype !== "object" || Ctor.prototype === null) {
    throw codedError(`${method}: the adapter must be a class or constructor function`, "ERR_INVALID_ARG_TYPE", TypeError);
  }
  return Ctor;
}

// ---- the table -----------------------------------------------------------------------------

const K3 = (symbol, strategyName, exchangeName) => `${symbol}:${strategyName}:${exchangeName}`;
const mode = (backtest) => (backtest ? "backtest" : "live");

/**
 * `calls`: [method, indices of the context arguments, indices of the Instance's arguments].
 * `lists`: async generators on the prototype, [method, context indices]. `init`: the own
 * `waitForInit(...context, initial)` of Memory, State and Session, [context indices, index of
 * `initial`]. `dispose`: context indices of `dispose(...)`. `arrows`: which of clear, useJson,
 * useDummy are own arrow functions (the rest are prototype methods, as in 19.5.0). `since`: the
 * backtest-kit release that brought the registry, when later than 19.5.0.
 */
const REGISTRIES = [
  {
    name: "Signal",
    key: K3,
    calls: [["readSignalData", [0, 1, 2], []], ["writeSignalData", [1, 2, 3], [0]]],
  },
  {
    name: "Schedule",
    memo: "getScheduleStorage",
    key: K3,
    calls: [["readScheduleData", [0, 1, 2], []], ["writeScheduleData", [1, 2, 3], [0]]],
  },
  {
    name: "Strategy",
    memo: "getStrategyStorage",
    key: K3,
    calls: [["readStrategyData", [0, 1, 2], []], ["writeStrategyData", [1, 2, 3], [0]]],
  },
  {
    name: "Partial",
    memo: "getPartialStorage",
    key: K3,
    calls: [["readPartialData", [0, 1, 3], [2, 4]], ["writePartialData", [1, 2, 4], [0, 3, 5]]],
  },
  {
    name: "Breakeven",
    memo: "getBreakevenStorage",
    key: K3,
    calls: [["readBreakevenData", [0, 1, 3], [2, 4]], ["writeBreakevenData", [1, 2, 4], [0, 3, 5]]],
  },
  {
    name: "Risk",
    memo: "getRiskStorage",
    key: (riskName, exchangeName) => `${riskName}:${exchangeName}`,
    calls: [["readPositionData", [0, 1], [2]], ["writePositionData", [1, 2], [0, 3]]],
  },
  {
    name: "Candle",
    memo: "getCandlesStorage",
    key: (symbol, interval, exchangeName) => `${symbol}:${interval}:${exchangeName}`,
    calls: [["readCandlesData", [0, 1, 2], [3, 4, 5]], ["writeCandlesData", [1, 2, 3], [0]]],
  },
  {
    name: "Storage",
    key: mode,
    calls: [["readStorageData", [0], []], ["writeStorageData", [1], [0]]],
  },
  {
    name: "Notification",
    memo: "getNotificationStorage",
    key: mode,
    calls: [["readNotificationData", [0], []], ["writeNotificationData", [1], [0]]],
  },
  { name: "Log", log: true, calls: [["readLogData", [], []], ["writeLogData", [], [0]]] },
  {
    name: "Measure",
    memo: "getMeasureStorage",
    key: (bucket) => bucket,
    calls: [["readMeasureData", [0], [1]], ["writeMeasureData", [1], [0, 2, 3]], ["removeMeasureData", [0], [1]]],
    lists: [["listMeasureData", [0]]],
  },
  {
    name: "Interval",
    memo: "getIntervalStorage",
    key: (bucket) => bucket,
    calls: [["readIntervalData", [0], [1]], ["writeIntervalData", [1], [0, 2, 3]], ["removeIntervalData", [0], [1]]],
    lists: [["listIntervalData", [0]]],
  },
  {
    name: "Memory",
    memo: "getMemoryStorage",
    key: (signalId, bucketName) => `${signalId}:${bucketName}`,
    init: [[0, 1], 2],
    calls: [
      ["readMemoryData", [0, 1], [2]],
      ["hasMemoryData", [0, 1], [2]],
      ["writeMemoryData", [1, 2], [0, 3, 4]],
      ["removeMemoryData", [0, 1], [2]],
    ],
    lists: [["listMemoryData", [0, 1]]],
    dispose: [0, 1],
    arrows: ["clear"],
  },
  {
    name: "State",
    memo: "getStateStorage",
    key: (signalId, bucketName) => `${signalId}:${bucketName}`,
    init: [[0, 1], 2],
    calls: [["readStateData", [0, 1], []], ["writeStateData", [1, 2], [0, 3]]],
    dispose: [0, 1],
    arrows: ["clear", "useJson", "useDummy"],
  },
  {
    // 20.1.0 (docs/BTK20-DICTIONARY.md): State's protocol, named for dictionaries.
    name: "Dictionary",
    memo: "getDictionaryStorage",
    since: "20.1.0",
    key: (signalId, dictionaryName) => `${signalId}:${dictionaryName}`,
    init: [[0, 1], 2],
    calls: [["readDictionaryData", [0, 1], []], ["writeDictionaryData", [1, 2], [0, 3]]],
    dispose: [0, 1],
    arrows: ["clear", "useJson", "useDummy"],
  },
  {
    name: "Session",
    memo: "getSessionStorage",
    key: (...context) => SessionKey(...context),
    init: [[0, 1, 2, 4, 5], 3],
    calls: [["readSessionData", [0, 1, 2, 3, 4], []], ["writeSessionData", [1, 2, 3, 5, 6], [0, 4]]],
    dispose: [0, 1, 2, 3, 4],
    arrows: ["clear", "useJson", "useDummy"],
    statics: {
      GET_KEY_FN: (strategyName, exchangeName, frameName, symbol, backtest) =>
        `${strategyName}:${exchangeName}:${frameName}:${symbol}:${mode(backtest)}`,
    },
  },
  {
    name: "Recent",
    key: function (...context) {
      return this.createKey(...context);
    },
    calls: [["readRecentData", [0, 1, 2, 3, 4], []], ["writeRecentData", [1, 2, 3, 4, 5], [0, 6]]],
    prototype: {
      createKey(symbol, strategyName, exchangeName, frameName, backtest) {
        return [symbol, strategyName, exchangeName, ...(frameName ? [frameName] : []), mode(backtest)].join(":");
      },
    },
  },
];

const SessionKey = (...context) => REGISTRIES.find((row) => row.name === "Session").statics.GET_KEY_FN(...context);

const REGISTRY = Symbol("registry");
const TIMEOUT = Symbol("timeoutMs");
/** On a singleton after usePersistNative(bk): backtest-kit's registry, which every call goes to. */
const FORWARD = Symbol("forward");

const pick = (args, indices) => indices.map((index) => args[index]);

/** Per registry, per memo key: a promise of the moment the last call on it reached its Instance. */
const ISSUED = Symbol("issued");

/**
 * Runs `run(issued)` in the call's turn on `key`: it starts once every earlier call on the key
 * has reached its Instance (called its method), and calls `issued()` once it has reached its
 * own. So calls on one key reach their Instances in call order, across `clear()`, `useJson()`,
 * `useDummy()` and a new adapter (each a new Instance whose init may end in any order), and the
 * Instances' own order (the native stores take each call's place when it is made) makes the
 * last call's value the one that stays. Calls on other keys never wait.
 */
async function inTurn(utils, key, run) {
  const turns = (utils[ISSUED] ??= new Map());
  const previous = turns.get(key);
  let issued;
  const mine = new Promise((resolve) => (issued = resolve));
  turns.set(key, mine);
  try {
    if (previous) await previous;
    return await run(issued);
  } finally {
    issued();
    if (turns.get(key) === mine) turns.delete(key);
  }
}

/** `PersistXUtils` built from its row. */
function utilsClass(row) {
  const { name } = row;
  const ctorField = `Persist${name}InstanceCtor`;
  const memoName = row.memo ?? "getStorage";
  const topic = (method) => `Persist${name}Utils.${method}`;
  const use = `usePersist${name}Adapter`;
  const arrows = new Set(row.arrows ?? []);

  /** Resolves the Instance for `context` and awaits its init; `initial` overrides the memo's word. */
  async function ready(utils, context, initial) {
    if (row.log) {
      const isInitial = !utils._logInstance;
      const instance = utils.getLogInstance();
      await callInstance(utils, instance, "waitForInit", [isInitial]);
      return instance;
    }
    const isInitial = (initial ?? true) && !utils[memoName].has(row.key.apply(utils, context));
    const instance = utils[memoName](...context);
    await callInstance(utils, instance, "waitForInit", [isInitial]);
    return instance;
  }

  const Utils = {
    [`Persist${name}Utils`]: class {
      constructor() {
        this[ctorField] = Instances[name];
        if (row.log) {
          this._logInstance = null;
        } else {
          this[memoName] = memoize(
            (context) => row.key.apply(this, context),
            (...context) => Reflect.construct(this[ctorField], context),
          );
        }
        for (const [method, context, passed] of row.calls) {
          this[method] = async (...args) => {
            if (this[FORWARD]) return this[FORWARD][method](...args);
            log("info", topic(method));
            const chosen = pick(args, context);
            return inTurn(this, row.log ? "" : row.key.apply(this, chosen), async (issued) => {
              const instance = await ready(this, chosen);
              const result = callInstance(this, instance, method, pick(args, passed));
              issued();
              return result;
            });
          };
        }
        if (row.init) {
          const [context, initialAt] = row.init;
          this.waitForInit = async (...args) => {
            if (this[FORWARD]) return this[FORWARD].waitForInit(...args);
            log("info", topic("waitForInit"));
            await ready(this, pick(args, context), args[initialAt]);
          };
        }
        if (row.dispose) {
          this.dispose = (...args) => {
            if (this[FORWARD]) return this[FORWARD].dispose(...args);
            log("info", topic("dispose"));
            this[memoName].clear(row.key.apply(this, pick(args, row.dispose)));
          };
        }
        for (const method of arrows) this[method] = (...args) => this.constructor.prototype[method].apply(this, args);
      }
    },
  }[`Persist${name}Utils`];

  const prototype = {
    /** Registers the Instance class for this registry (clearing the memo). `options.timeoutMs`
     * fails any call to the adapter still pending after that long. */
    [use](Ctor, options) {
      log("info", topic(use));
      const timeoutMs = checkedOptions(`${row.adapter}.${use}`, options);
      checkedCtor(`${row.adapter}.${use}`, Ctor);
      if (this[FORWARD]) {
        if (timeoutMs !== undefined) {
          throw codedError(`${row.adapter}.${use}: options.timeoutMs applies to this package's own registries; after usePersistNative(bk) adapters go to backtest-kit's ${row.adapter}, which calls them directly`, "ERR_INVALID_ARG_VALUE", TypeError);
        }
        return this[FORWARD][use](Ctor);
      }
      this[ctorField] = Ctor;
      this[TIMEOUT] = timeoutMs;
      this.clear();
    },
    clear() {
      if (this[FORWARD]) return this[FORWARD].clear();
      log(row.init ? "info" : "log", topic("clear"));
      if (row.log) this._logInstance = null;
      else this[memoName].clear();
    },
    useJson() {
      log("log", topic("useJson"));
      this[use](Instances[name]);
    },
    useDummy() {
      log("log", topic("useDummy"));
      this[use](Dummies[name]);
    },
    ...row.prototype,
  };
  if (row.log) {
    prototype.getLogInstance = function () {
      if (this[FORWARD]) return this[FORWARD].getLogInstance();
      this._logInstance ??= Reflect.construct(this[ctorField], []);
      return this._logInstance;
    };
  }
  for (const [method, context] of row.lists ?? []) {
    prototype[method] = async function* (...args) {
      if (this[FORWARD]) {
        yield* this[FORWARD][method](...args);
        return;
      }
      log("info", topic(method));
      const instance = await ready(this, pick(args, context));
      yield* instance[method]();
    };
  }
  for (const [method, value] of Object.entries(prototype)) {
    Object.defineProperty(Utils.prototype, method, { value, writable: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(Utils.prototype, REGISTRY, { value: row });
  Object.assign(Utils, row.statics);
  return Utils;
}

for (const row of REGISTRIES) row.adapter = `Persist${row.name}Adapter`;

const Utils = Object.fromEntries(REGISTRIES.map((row) => [row.name, utilsClass(row)]));
const Adapters = Object.fromEntries(REGISTRIES.map((row) => [row.name, new Utils[row.name]()]));

/**
 * After usePersistNative(bk) there is one truth: backtest-kit's registries, which backtest-kit
 * reads. The singletons of this package forward every call to them from then on (registering
 * an adapter, useJson, useDummy, clear, reads and writes); useJson registers this package's
 * native Instance there. Registries made with `new PersistXUtils()` stay independent.
 */
function forwardSingletons(bk) {
  for (const row of REGISTRIES) {
    const target = bk[row.adapter];
    if (target && typeof target[`usePersist${row.name}Adapter`] === "function") {
      Object.defineProperty(Adapters[row.name], FORWARD, { value: target, configurable: true, writable: true });
    }
  }
}

module.exports = { Adapters, REGISTRIES, Utils, forwardSingletons };
