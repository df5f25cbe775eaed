// The 16 registries of the 19.5.0 surface (and 20.1.0's Dictionary) as backtest-kit calls them, with JS Instance
// adapters: each call constructs the Instance with the context arguments in 19.5.0's order (once
// per memo key), awaits `waitForInit(isInitial)` (true on the key's first use only), then the
// method with its own arguments; registering clears the memo; `useDummy()` and `useJson()`
// switch Instances; the data methods work detached. Also: sync, async, throwing and
// never-settling adapters (with `timeoutMs`), a subclass of a native Instance, async context,
// and bad input rejected with a code before anything is written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import * as v19 from "@backtest-kit/persist/v19";
import { tempDir } from "./helpers/tmp.mjs";

const when = new Date(0);

/**
 * Per registry: a call as backtest-kit makes it (method and arguments), the Instance's
 * constructor arguments it implies, and the arguments the Instance's method receives.
 */
const CALLS = [
  ["Signal", "readSignalData", ["BTC", "strat", "ex"], ["BTC", "strat", "ex"], []],
  ["Signal", "writeSignalData", [{ id: 1 }, "BTC", "strat", "ex"], ["BTC", "strat", "ex"], [{ id: 1 }]],
  ["Schedule", "readScheduleData", ["BTC", "strat", "ex"], ["BTC", "strat", "ex"], []],
  ["Schedule", "writeScheduleData", [null, "BTC", "strat", "ex"], ["BTC", "strat", "ex"], [null]],
  ["Strategy", "readStrategyData", ["BTC", "strat", "ex"], ["BTC", "strat", "ex"], []],
  ["Strategy", "writeStrategyData", [{ s: 1 }, "BTC", "strat", "ex"], ["BTC", "strat", "ex"], [{ s: 1 }]],
  ["Partial", "readPartialData", ["BTC", "strat", "sig", "ex", when], ["BTC", "strat", "ex"], ["sig", when]],
  ["Partial", "writePartialData", [{ p: 1 }, "BTC", "strat", "sig", "ex", when], ["BTC", "strat", "ex"], [{ p: 1 }, "sig", when]],
  ["Breakeven", "readBreakevenData", ["BTC", "strat", "sig", "ex", when], ["BTC", "strat", "ex"], ["sig", when]],
  ["Breakeven", "writeBreakevenData", [{ b: 1 }, "BTC", "strat", "sig", "ex", when], ["BTC", "strat", "ex"], [{ b: 1 }, "sig", when]],
  ["Risk", "readPositionData", ["risk", "ex", when], ["risk", "ex"], [when]],
  ["Risk", "writePositionData", [[], "risk", "ex", when], ["risk", "ex"], [[], when]],
  ["Candle", "readCandlesData", ["BTC", "1m", "ex", 5, 1000, 2000], ["BTC", "1m", "ex"], [5, 1000, 2000]],
  ["Candle", "writeCandlesData", [[], "BTC", "1m", "ex"], ["BTC", "1m", "ex"], [[]]],
  ["Storage", "readStorageData", [true], [true], []],
  ["Storage", "writeStorageData", [[], true], [true], [[]]],
  ["Notification", "readNotificationData", [false], [false], []],
  ["Notification", "writeNotificationData", [[], false], [false], [[]]],
  ["Log", "readLogData", [], [], []],
  ["Log", "writeLogData", [[]], [], [[]]],
  ["Measure", "readMeasureData", ["bucket", "key"], ["bucket"], ["key"]],
  ["Measure", "writeMeasureData", [{ m: 1 }, "bucket", "key", when], ["bucket"], [{ m: 1 }, "key", when]],
  ["Measure", "removeMeasureData", ["bucket", "key"], ["bucket"], ["key"]],
  ["Interval", "readIntervalData", ["bucket", "key"], ["bucket"], ["key"]],
  ["Interval", "writeIntervalData", [{ i: 1 }, "bucket", "key", when], ["bucket"], [{ i: 1 }, "key", when]],
  ["Interval", "removeIntervalData", ["bucket", "key"], ["bucket"], ["key"]],
  ["Memory", "readMemoryData", ["sig", "bucket", "mem"], ["sig", "bucket"], ["mem"]],
  ["Memory", "hasMemoryData", ["sig", "bucket", "mem"], ["sig", "bucket"], ["mem"]],
  ["Memory", "writeMemoryData", [{ x: 1 }, "sig", "bucket", "mem", when], ["sig", "bucket"], [{ x: 1 }, "mem", when]],
  ["Memory", "removeMemoryData", ["sig", "bucket", "mem"], ["sig", "bucket"], ["mem"]],
  ["State", "readStateData", ["sig", "bucket"], ["sig", "bucket"], []],
  ["State", "writeStateData", [{ s: 1 }, "sig", "bucket", when], ["sig", "bucket"], [{ s: 1 }, when]],
  ["Dictionary", "readDictionaryData", ["sig", "prices"], ["sig", "prices"], []],
  ["Dictionary", "writeDictionaryData", [{ d: 1 }, "sig", "prices", when], ["sig", "prices"], [{ d: 1 }, when]],
  ["Session", "readSessionData", ["strat", "ex", "frame", "BTC", true], ["strat", "ex", "frame", "BTC", true], []],
  ["Session", "writeSessionData", [{ d: 1 }, "strat", "ex", "frame", when, "BTC", true], ["strat", "ex", "frame", "BTC", true], [{ d: 1 }, when]],
  ["Recent", "readRecentData", ["BTC", "strat", "ex", "frame", false], ["BTC", "strat", "ex", "frame", false], []],
  ["Recent", "writeRecentData", [{ r: 1 }, "BTC", "strat", "ex", "frame", false, when], ["BTC", "strat", "ex", "frame", false], [{ r: 1 }, when]],
];

/** A plain Instance class that records every call on `log` and answers `answer`. */
function recordingAdapter(log, answer = "answer") {
  return class Recording {
    constructor(...args) {
      log.push(["new", ...args]);
    }
    waitForInit(initial) {
      log.push(["waitForInit", initial]);
    }
    static {
      for (const [, method] of CALLS) {
        this.prototype[method] = function (...args) {
          log.push([method, ...args]);
          return answer;
        };
      }
    }
  };
}

for (const [name, method, args, ctorArgs, passed] of CALLS) {
  test(`${name}: ${method} constructs the Instance once per key with 19.5.0's context and passes its own arguments`, async () => {
    const registry = new v19[`Persist${name}Utils`]();
    const log = [];
    registry[`usePersist${name}Adapter`](recordingAdapter(log));
    const detached = registry[method];
    assert.equal(await detached(...args), "answer", "the adapter's answer, through a detached call");
    assert.equal(await detached(...args), "answer");
    assert.deepEqual(log, [["new", ...ctorArgs], ["waitForInit", true], [method, ...passed], ["waitForInit", false], [method, ...passed]]);

    // Registering clears the memo: the next call constructs again, with initial = true.
    log.length = 0;
    registry[`usePersist${name}Adapter`](recordingAdapter(log));
    await registry[method](...args);
    assert.deepEqual(log.slice(0, 2), [["new", ...ctorArgs], ["waitForInit", true]]);
  });
}

test("the singletons are instances of their Utils; data methods are own (detached), switches on the prototype", () => {
  for (const name of new Set(CALLS.map(([name]) => name))) {
    const adapter = v19[`Persist${name}Adapter`];
    assert.ok(adapter instanceof v19[`Persist${name}Utils`]);
    for (const [, method] of CALLS.filter(([n]) => n === name)) assert.ok(Object.hasOwn(adapter, method), `${name}.${method} is own`);
    assert.ok(!Object.hasOwn(adapter, `usePersist${name}Adapter`), `${name}.usePersist${name}Adapter is on the prototype`);
  }
  assert.equal(v19.PersistSessionUtils.GET_KEY_FN("s", "e", "", "BTC", false), "s:e::BTC:live");
  assert.equal(v19.PersistRecentAdapter.createKey("BTC", "s", "e", "", true), "BTC:s:e:backtest");
  assert.equal(v19.PersistStrategyInstance.STORAGE_KEY, "strategy");
  assert.equal(v19.PersistRiskInstance.STORAGE_KEY, "positions");
});

test("useDummy() gives each registry's empty value and writes nothing; useJson() goes back to files", async (t) => {
  const dir = tempDir(t, "v19-dummy");
  const previous = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  const empty = { Signal: null, Partial: {}, Risk: [], Candle: null, Storage: [], Log: [], Measure: null, Memory: null, Session: null, Dictionary: null };
  for (const [name, method, args] of CALLS) {
    const registry = new v19[`Persist${name}Utils`]();
    registry.useDummy();
    const result = await registry[method](...args);
    if (method.startsWith("read") && name in empty) assert.deepEqual(result, empty[name], `${name}.${method}`);
  }
  assert.equal(fs.existsSync(path.join(dir, "dump")), false, "nothing written");
  const signals = new v19.PersistSignalUtils();
  signals.useDummy();
  signals.useJson();
  await signals.writeSignalData({ id: "x" }, "BTC", "s", "e");
  assert.ok(fs.existsSync(path.join(dir, "dump/data/signal/BTC_s_e/BTC.json")));
});

test("Dictionary: waitForInit(signalId, dictionaryName, initial) and dispose(signalId, dictionaryName), State's protocol in 20.1.0", async () => {
  const log = [];
  const dictionary = new v19.PersistDictionaryUtils();
  dictionary.usePersistDictionaryAdapter(recordingAdapter(log));
  await dictionary.waitForInit("sig", "prices", false);
  await dictionary.waitForInit("sig", "prices", true);
  dictionary.dispose("sig", "prices");
  await dictionary.waitForInit("sig", "prices", true);
  assert.deepEqual(log, [["new", "sig", "prices"], ["waitForInit", false], ["waitForInit", false], ["new", "sig", "prices"], ["waitForInit", true]]);
  for (const method of ["waitForInit", "readDictionaryData", "writeDictionaryData", "dispose", "clear", "useJson", "useDummy"]) {
    assert.ok(Object.hasOwn(dictionary, method), `${method} is own, as 20.1.0's arrow property`);
  }
  assert.ok(!Object.hasOwn(dictionary, "usePersistDictionaryAdapter"), "usePersistDictionaryAdapter is on the prototype");
  assert.equal(typeof dictionary.getDictionaryStorage, "function", "the memo has 20.1.0's name");
  assert.equal(dictionary.PersistDictionaryInstanceCtor.name, "Recording");
  const { useJson, clear } = dictionary;
  useJson();
  clear();
  assert.equal(dictionary.PersistDictionaryInstanceCtor, v19.PersistDictionaryInstance);
});

test("Memory, State, Session: waitForInit(context, initial) and dispose(context) as in 19.5.0", async () => {
  const log = [];
  const memory = new v19.PersistMemoryUtils();
  memory.usePersistMemoryAdapter(recordingAdapter(log));
  await memory.waitForInit("sig", "bucket", false);
  await memory.waitForInit("sig", "bucket", true);
  memory.dispose("sig", "bucket");
  await memory.waitForInit("sig", "bucket", true);
  assert.deepEqual(log, [["new", "sig", "bucket"], ["waitForInit", false], ["waitForInit", false], ["new", "sig", "bucket"], ["waitForInit", true]]);

  const sessions = [];
  const session = new v19.PersistSessionUtils();
  session.usePersistSessionAdapter(recordingAdapter(sessions));
  await session.waitForInit("s", "e", "f", true, "BTC", false);
  assert.deepEqual(sessions, [["new", "s", "e", "f", "BTC", false], ["waitForInit", true]]);
  const { clear, dispose } = session;
  dispose("s", "e", "f", "BTC", false);
  clear();
});

test("adapters that are sync, async, throwing, rejecting or never settling (with timeoutMs)", async () => {
  const registry = new v19.PersistSignalUtils();
  const failure = new Error("db down");
  const methods = {
    sync: () => ({ id: "sync" }),
    async: async () => ({ id: "async" }),
    throws: () => {
      throw failure;
    },
    rejects: async () => {
      throw failure;
    },
    never: () => new Promise(() => {}),
  };
  for (const [label, readSignalData] of Object.entries(methods)) {
    class Adapter {
      waitForInit() {}
      writeSignalData() {}
    }
    Adapter.prototype.readSignalData = readSignalData;
    registry.usePersistSignalAdapter(Adapter, { timeoutMs: 20 });
    const read = registry.readSignalData("BTC", label, "ex");
    if (label === "sync" || label === "async") assert.deepEqual(await read, { id: label });
    else if (label === "never") await assert.rejects(read, { code: "ADAPTER_FAILED", message: "PersistSignalAdapter: Adapter.readSignalData did not settle within 20 ms" });
    else await assert.rejects(read, (error) => error === failure);
  }
  class Incomplete {
    waitForInit() {}
  }
  registry.usePersistSignalAdapter(Incomplete);
  await assert.rejects(registry.readSignalData("BTC", "s", "ex"), { code: "ADAPTER_METHOD_MISSING", message: "PersistSignalAdapter: adapter Incomplete has no method readSignalData" });
  assert.throws(() => registry.usePersistSignalAdapter(() => {}), { code: "ERR_INVALID_ARG_TYPE" });
  assert.throws(() => registry.usePersistSignalAdapter(Incomplete, { timeoutMs: -1 }), { code: "ERR_INVALID_ARG_VALUE" });
});

test("a subclass of a native Instance overrides some methods and keeps the rest native", async (t) => {
  const dir = tempDir(t, "v19-subclass");
  const previous = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  const reads = [];
  class Audited extends v19.PersistSignalInstance {
    async readSignalData() {
      const row = await super.readSignalData();
      reads.push(row?.id ?? null);
      return row;
    }
  }
  const registry = new v19.PersistSignalUtils();
  registry.usePersistSignalAdapter(Audited);
  await registry.writeSignalData({ id: "kept" }, "BTC", "s", "e");
  assert.deepEqual(await registry.readSignalData("BTC", "s", "e"), { id: "kept", minuteEstimatedTime: Infinity, multiplier: 1, isolated: true });
  assert.deepEqual(reads, ["kept"]);
  assert.equal(fs.readFileSync(path.join(dir, "dump/data/signal/BTC_s_e/BTC.json"), "utf8"), '{"id":"kept"}');
});

test("an adapter method runs in the async context of the registry call that caused it", async () => {
  const context = new AsyncLocalStorage();
  const seen = [];
  class Adapter {
    waitForInit() {
      seen.push(context.getStore());
    }
    async readCandlesData() {
      await null;
      seen.push(context.getStore());
      return null;
    }
  }
  const registry = new v19.PersistCandleUtils();
  registry.usePersistCandleAdapter(Adapter);
  await Promise.all(["a", "b"].map((tag) => context.run(tag, () => registry.readCandlesData("BTC", "1m", tag, 1, 0, 0))));
  assert.deepEqual(seen.sort(), ["a", "a", "b", "b"]);
});

test("bad input: unknown interval, rows that are not arrays, ids and names that escape: a code, nothing written", async (t) => {
  const dir = tempDir(t, "v19-bad");
  const previous = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  const candles = new v19.PersistCandleUtils();
  await assert.rejects(candles.readCandlesData("BTC", "7m", "ex", 5, 0, 0), { code: "INVALID_CANDLE_INTERVAL" });
  await assert.rejects(candles.writeCandlesData([{ timestamp: 0 }], "BTC", "7m", "ex"), { code: "INVALID_CANDLE_INTERVAL" });
  await assert.rejects(candles.writeCandlesData({ timestamp: 0 }, "BTC", "1m", "ex"), { code: "INVALID_ENTITY" });
  await assert.rejects(candles.writeCandlesData([{ timestamp: "soon" }], "BTC", "1m", "ex"), { code: "INVALID_ENTITY" });
  await assert.rejects(new v19.PersistStorageUtils().writeStorageData("not rows", true), { code: "INVALID_ENTITY" });
  await assert.rejects(new v19.PersistLogUtils().writeLogData(null), { code: "INVALID_ENTITY" });
  await assert.rejects(new v19.PersistSignalUtils().writeSignalData({ id: 1 }, "../../escape", "s", "e"), { code: "INVALID_ENTITY_NAME" });
  await assert.rejects(new v19.PersistPartialUtils().writePartialData({}, "BTC", "s", "../up", "e", when), { code: "INVALID_ENTITY_ID" });
  await assert.rejects(new v19.PersistCandleUtils().readCandlesData("BTC", "1m", "../..", 1, 0, 0), { code: "INVALID_ENTITY_NAME" });
  const files = fs.existsSync(path.join(dir, "dump")) ? fs.readdirSync(path.join(dir, "dump"), { recursive: true }) : [];
  assert.deepEqual(files.filter((name) => name.endsWith(".json")), [], "no document written");
  assert.equal(fs.existsSync(path.join(dir, "escape")), false);
  assert.throws(() => v19.usePersistNative({ getConfig: () => ({}) }), { code: "INVALID_CONFIG" });
  assert.throws(() => v19.usePersistNative({}), { code: "INVALID_CONFIG" });
  assert.throws(() => v19.usePersistNative({ getConfig: () => ({ CC_SIGNAL_LEVERAGE_MULTIPLIER: 1, CC_SIGNAL_ISOLATED_MARGIN: true }) }, { registries: ["Nope"] }), { code: "ERR_INVALID_ARG_VALUE" });
});

test("writes issued together on a fresh Instance land in call order, even when its init finishes first on its thread", async (t) => {
  const dir = tempDir(t, "v19-order");
  const previous = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  const registry = new v19.PersistStorageUtils();
  const rows = (seq) => Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, seq }));
  for (let round = 0; round < 100; round += 1) {
    registry.clear(); // a new Instance, whose init runs while the writes are issued
    await Promise.all([0, 1, 2, 3].map((k) => registry.writeStorageData(rows(round * 4 + k), false)));
    for (let i = 0; i < 10; i += 1) {
      const stored = JSON.parse(fs.readFileSync(path.join(dir, `dump/data/storage/live/r${i}.json`), "utf8")).seq;
      assert.equal(stored, round * 4 + 3, `round ${round}: r${i} holds the last write`);
    }
  }
});
