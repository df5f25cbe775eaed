// The four adapter registries (SPEC A's table) and JS-defined adapters (SPEC C).
// Registries write under ./dump relative to the working directory, so each test works in its
// own temp directory; the singletons keep their stores for the life of the process, so each
// test uses names of its own and puts the default adapter back when it is done.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import {
  PersistBase,
  PersistPartialAdapter,
  PersistRiskAdapter,
  PersistScheduleAdapter,
  PersistSignalAdapter,
  PersistSignalUtils,
} from "../index.js";
import { tempDir } from "./helpers/tmp.mjs";

let unique = 0;
const name = (label) => `${label}-${process.pid}-${++unique}`;

function inTempCwd(t) {
  const previous = process.cwd();
  const dir = tempDir(t, "registry");
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  return dir;
}

function restoreDefaults(t) {
  t.after(() => {
    PersistSignalAdapter.usePersistSignalAdapter(PersistBase);
    PersistScheduleAdapter.usePersistScheduleAdapter(PersistBase);
    PersistRiskAdapter.usePersistRiskAdapter(PersistBase);
    PersistPartialAdapter.usePersistPartialAdapter(PersistBase);
  });
}

/** An in-memory adapter that records every call made on it. */
function recordingAdapter(log = []) {
  const data = new Map();
  class Recording {
    constructor(entityName, baseDir) {
      this.entityName = entityName;
      log.push(["new", entityName, baseDir]);
    }
    async waitForInit(initial) {
      log.push(["waitForInit", this.entityName, initial]);
    }
    async hasValue(id) {
      log.push(["hasValue", this.entityName, id]);
      return data.has(`${this.entityName}/${id}`);
    }
    async readValue(id) {
      log.push(["readValue", this.entityName, id]);
      return data.get(`${this.entityName}/${id}`);
    }
    async writeValue(id, value) {
      log.push(["writeValue", this.entityName, id, value]);
      data.set(`${this.entityName}/${id}`, value);
    }
  }
  return { Recording, log, data };
}

const registries = [
  {
    label: "signal",
    read: (key) => PersistSignalAdapter.readSignalData(key, "BTCUSDT"),
    write: (value, key) => PersistSignalAdapter.writeSignalData(value, key, "BTCUSDT"),
    file: (key) => `dump/data/signal/${key}/BTCUSDT.json`,
    empty: null,
    value: { id: "sig-1", priceOpen: 1.5 },
  },
  {
    label: "schedule",
    read: (key) => PersistScheduleAdapter.readScheduleData(key, "ETHUSDT"),
    write: (value, key) => PersistScheduleAdapter.writeScheduleData(value, key, "ETHUSDT"),
    file: (key) => `dump/data/schedule/${key}/ETHUSDT.json`,
    empty: null,
    value: { id: "sch-1", scheduledAt: 5 },
  },
  {
    label: "risk",
    read: (key) => PersistRiskAdapter.readPositionData(key),
    write: (value, key) => PersistRiskAdapter.writePositionData(value, key),
    file: (key) => `dump/data/risk/${key}/positions.json`,
    empty: [],
    value: [["BTCUSDT", { signalId: "sig-1" }]],
  },
  {
    label: "partial",
    read: (key) => PersistPartialAdapter.readPartialData(key),
    write: (value, key) => PersistPartialAdapter.writePartialData(value, key),
    file: (key) => `dump/data/partial/${key}/levels.json`,
    empty: {},
    value: { "sig-1": { profitLevels: [10], lossLevels: [] } },
  },
];

for (const registry of registries) {
  test(`${registry.label}: default when empty, then the written value, in the reference's file`, async (t) => {
    const dir = inTempCwd(t);
    const key = name(registry.label);
    assert.deepEqual(await registry.read(key), registry.empty);
    await registry.write(registry.value, key);
    assert.deepEqual(await registry.read(key), registry.value);
    assert.equal(fs.readFileSync(path.join(dir, registry.file(key)), "utf8"), JSON.stringify(registry.value));
  });
}

test("a cleared signal is stored as null and reads back null", async (t) => {
  const dir = inTempCwd(t);
  const key = name("cleared");
  await PersistSignalAdapter.writeSignalData({ id: 1 }, key, "BTCUSDT");
  await PersistSignalAdapter.writeSignalData(null, key, "BTCUSDT");
  assert.equal(fs.readFileSync(path.join(dir, `dump/data/signal/${key}/BTCUSDT.json`), "utf8"), "null");
  assert.equal(await PersistSignalAdapter.readSignalData(key, "BTCUSDT"), null);
});

test("read and write work detached from their object", async (t) => {
  inTempCwd(t);
  const { readSignalData, writeSignalData } = PersistSignalAdapter;
  const key = name("detached");
  await writeSignalData({ id: "d" }, key, "SOLUSDT");
  assert.deepEqual(await readSignalData(key, "SOLUSDT"), { id: "d" });
});

test("stores are made once per key with (name, baseDir); a new adapter only affects new keys", async (t) => {
  inTempCwd(t);
  restoreDefaults(t);
  const first = recordingAdapter();
  const second = recordingAdapter();
  const [k1, k2] = [name("memo"), name("memo")];
  PersistSignalAdapter.usePersistSignalAdapter(first.Recording);
  assert.equal(await PersistSignalAdapter.readSignalData(k1, "BTCUSDT"), null);
  await PersistSignalAdapter.writeSignalData({ v: 1 }, k1, "BTCUSDT");
  assert.deepEqual(await PersistSignalAdapter.readSignalData(k1, "BTCUSDT"), { v: 1 });
  PersistSignalAdapter.usePersistSignalAdapter(second.Recording);
  await PersistSignalAdapter.writeSignalData({ v: 2 }, k1, "BTCUSDT");
  await PersistSignalAdapter.writeSignalData({ v: 3 }, k2, "BTCUSDT");
  assert.deepEqual(first.log, [
    ["new", k1, "./dump/data/signal/"],
    ["waitForInit", k1, true],
    ["hasValue", k1, "BTCUSDT"],
    ["waitForInit", k1, false],
    ["writeValue", k1, "BTCUSDT", { v: 1 }],
    ["waitForInit", k1, false],
    ["hasValue", k1, "BTCUSDT"],
    ["readValue", k1, "BTCUSDT"],
    ["waitForInit", k1, false],
    ["writeValue", k1, "BTCUSDT", { v: 2 }],
  ]);
  assert.deepEqual(second.log, [
    ["new", k2, "./dump/data/signal/"],
    ["waitForInit", k2, true],
    ["writeValue", k2, "BTCUSDT", { v: 3 }],
  ]);
});

test("the other registries construct with their own base directories and ids", async (t) => {
  inTempCwd(t);
  restoreDefaults(t);
  const { Recording, log } = recordingAdapter();
  PersistScheduleAdapter.usePersistScheduleAdapter(Recording);
  PersistRiskAdapter.usePersistRiskAdapter(Recording);
  PersistPartialAdapter.usePersistPartialAdapter(Recording);
  const [strategy, risk, symbol] = [name("s"), name("r"), name("p")];
  await PersistScheduleAdapter.writeScheduleData({ a: 1 }, strategy, "ETHUSDT");
  await PersistRiskAdapter.writePositionData([1], risk);
  await PersistPartialAdapter.writePartialData({ b: 2 }, symbol);
  assert.deepEqual(
    log.filter(([call]) => call === "new" || call === "writeValue"),
    [
      ["new", strategy, "./dump/data/schedule/"],
      ["writeValue", strategy, "ETHUSDT", { a: 1 }],
      ["new", risk, "./dump/data/risk/"],
      ["writeValue", risk, "positions", [1]],
      ["new", symbol, "./dump/data/partial/"],
      ["writeValue", symbol, "levels", { b: 2 }],
    ],
  );
});

test("adapters of every shape: plain values, late promises, `this`", async (t) => {
  restoreDefaults(t);
  class Plain {
    constructor(entityName) {
      this.prefix = `${entityName}:`;
      this.data = new Map();
    }
    waitForInit() {}
    hasValue(id) {
      return this.data.has(this.prefix + id) ? 1 : 0;
    }
    readValue(id) {
      return new Promise((resolve) => setImmediate(() => resolve(this.data.get(this.prefix + id))));
    }
    writeValue(id, value) {
      return new Promise((resolve) =>
        setTimeout(() => {
          this.data.set(this.prefix + id, value);
          resolve();
        }, 1),
      );
    }
  }
  PersistSignalAdapter.usePersistSignalAdapter(Plain);
  const key = name("shapes");
  assert.equal(await PersistSignalAdapter.readSignalData(key, "X"), null);
  await PersistSignalAdapter.writeSignalData({ when: new Date(0), gone: undefined }, key, "X");
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "X"), { when: "1970-01-01T00:00:00.000Z" });
});

test("errors thrown or rejected by an adapter reach the caller as they were", async (t) => {
  restoreDefaults(t);
  const thrown = new TypeError("hasValue exploded");
  class Failing {
    waitForInit() {}
    hasValue() {
      throw thrown;
    }
    readValue() {}
    async writeValue(id) {
      if (id === "A") throw new RangeError("write rejected");
      return Promise.reject("a plain string");
    }
  }
  PersistSignalAdapter.usePersistSignalAdapter(Failing);
  const key = name("failing");
  await assert.rejects(PersistSignalAdapter.readSignalData(key, "X"), (error) => error === thrown);
  await assert.rejects(PersistSignalAdapter.writeSignalData({}, key, "A"), { name: "RangeError", message: "write rejected" });
  await assert.rejects(PersistSignalAdapter.writeSignalData({}, key, "B"), { message: "a plain string", code: "ADAPTER_FAILED" });
});

test("a subclass of PersistBase: overrides are called, the rest is native", async (t) => {
  const dir = inTempCwd(t);
  restoreDefaults(t);
  const seen = [];
  class Audited extends PersistBase {
    async readValue(id) {
      seen.push(id);
      return { audited: await super.readValue(id) };
    }
  }
  PersistSignalAdapter.usePersistSignalAdapter(Audited);
  const key = name("sub");
  await PersistSignalAdapter.writeSignalData({ v: 1 }, key, "BTCUSDT");
  assert.equal(fs.readFileSync(path.join(dir, `dump/data/signal/${key}/BTCUSDT.json`), "utf8"), '{"v":1}');
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "BTCUSDT"), { audited: { v: 1 } });
  assert.deepEqual(seen, ["BTCUSDT"]);
});

test("registering something that is not a constructor throws at once", () => {
  for (const bad of [() => {}, 42, null, {}, async function () {}]) {
    assert.throws(() => PersistSignalAdapter.usePersistSignalAdapter(bad), {
      message: "PersistSignalAdapter.usePersistSignalAdapter: the adapter must be a class or constructor function",
    });
  }
});

test("a constructor that throws, or a missing method, is named in the error; nothing is memoized", async (t) => {
  restoreDefaults(t);
  const original = new Error("no connection");
  class Exploding {
    constructor() {
      throw original;
    }
  }
  class Incomplete {
    waitForInit() {}
    readValue() {}
    hasValue() {}
  }
  const key = name("broken");
  PersistSignalAdapter.usePersistSignalAdapter(Exploding);
  await assert.rejects(PersistSignalAdapter.readSignalData(key, "X"), (error) => {
    assert.equal(error.message, "PersistSignalAdapter: adapter Exploding could not be constructed: no connection");
    assert.equal(error.code, "ADAPTER_CONSTRUCTOR_FAILED");
    assert.equal(error.cause, original);
    return true;
  });
  PersistSignalAdapter.usePersistSignalAdapter(Incomplete);
  await assert.rejects(PersistSignalAdapter.writeSignalData({}, key, "X"), {
    message: "PersistSignalAdapter: adapter Incomplete has no method writeValue",
    code: "ADAPTER_METHOD_MISSING",
  });
  const { Recording, log } = recordingAdapter();
  PersistSignalAdapter.usePersistSignalAdapter(Recording);
  await PersistSignalAdapter.writeSignalData({ ok: true }, key, "X");
  assert.deepEqual(log[0], ["new", key, "./dump/data/signal/"]);
});

test("adapter methods run in the async context of the registry call", async (t) => {
  restoreDefaults(t);
  const als = new AsyncLocalStorage();
  const seen = [];
  class Contextual {
    async waitForInit() {
      seen.push(["waitForInit", als.getStore()]);
    }
    async hasValue() {
      seen.push(["hasValue", als.getStore()]);
      return true;
    }
    async readValue() {
      await new Promise(setImmediate);
      seen.push(["readValue", als.getStore()]);
      return als.getStore();
    }
    async writeValue() {
      seen.push(["writeValue", als.getStore()]);
    }
  }
  PersistSignalAdapter.usePersistSignalAdapter(Contextual);
  const key = name("context");
  const [a, b] = await Promise.all([
    als.run("first", () => PersistSignalAdapter.readSignalData(key, "X")),
    als.run("second", () => PersistSignalAdapter.readSignalData(key, "Y")),
  ]);
  assert.deepEqual([a, b], ["first", "second"]);
  await als.run("third", () => PersistSignalAdapter.writeSignalData({}, key, "X"));
  for (const [method, store] of seen) assert.ok(store !== undefined, `${method} saw no context`);
  assert.deepEqual(seen.at(-1), ["writeValue", "third"]);
});

test("concurrent writes through a JS adapter reach it in call order", async (t) => {
  restoreDefaults(t);
  const { Recording, log } = recordingAdapter();
  PersistSignalAdapter.usePersistSignalAdapter(Recording);
  const key = name("order");
  await Promise.all(Array.from({ length: 50 }, (_, n) => PersistSignalAdapter.writeSignalData({ n }, key, "X")));
  const written = log.filter(([call]) => call === "writeValue").map(([, , , value]) => value.n);
  assert.deepEqual(written, Array.from({ length: 50 }, (_, n) => n));
});

test("a registry made with its class is independent of the singleton", async (t) => {
  restoreDefaults(t);
  const mine = new PersistSignalUtils();
  const { Recording, log } = recordingAdapter();
  mine.usePersistSignalAdapter(Recording);
  const key = name("own");
  await mine.writeSignalData({ mine: true }, key, "X");
  assert.deepEqual(await mine.readSignalData(key, "X"), { mine: true });
  assert.equal(log[0][0], "new");
  const dir = inTempCwd(t);
  assert.equal(await PersistSignalAdapter.readSignalData(key, "X"), null);
  assert.ok(fs.existsSync(path.join(dir, "dump/data/signal", key)), "the singleton still uses the file store");
});
