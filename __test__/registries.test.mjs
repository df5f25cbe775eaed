// The four adapter registries (SPEC A's table) and JS-defined adapters (SPEC C).
//
// The registries write under ./dump relative to the working directory, so a test that reaches
// the file store first moves into a temp directory of its own (node:test runs the tests of a
// file one after the other, so a chdir is safe; it is undone when the test ends). The
// singletons keep their stores for the life of the process, so every test uses keys of its
// own, and a test that registers an adapter puts this package's PersistBase back at the end.
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

// ---------------------------------------------------------------------------------------------
// Helpers

let unique = 0;
/** A memo key never used before in this process. */
const fresh = (label) => `${label}-${process.pid}-${++unique}`;

/** Moves the process into a temp directory for the length of the test; returns it. */
function inTempCwd(t) {
  const previous = process.cwd();
  const dir = tempDir(t, "registry");
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  return dir;
}

const readFile = (dir, relative) => fs.readFileSync(path.join(dir, relative), "utf8");

/** Each registry of SPEC A's table, driven the same way. */
const REGISTRIES = [
  {
    label: "signal",
    singleton: "PersistSignalAdapter",
    use: (Ctor) => PersistSignalAdapter.usePersistSignalAdapter(Ctor),
    read: (key) => PersistSignalAdapter.readSignalData(key, "BTCUSDT"),
    write: (value, key) => PersistSignalAdapter.writeSignalData(value, key, "BTCUSDT"),
    baseDir: "./dump/data/signal/",
    id: "BTCUSDT",
    file: (key) => `dump/data/signal/${key}/BTCUSDT.json`,
    empty: null,
    value: { id: "sig-1", priceOpen: 1.5, note: "ünïcode ✓" },
    other: { id: "sig-2", priceOpen: 2 },
  },
  {
    label: "schedule",
    singleton: "PersistScheduleAdapter",
    use: (Ctor) => PersistScheduleAdapter.usePersistScheduleAdapter(Ctor),
    read: (key) => PersistScheduleAdapter.readScheduleData(key, "ETHUSDT"),
    write: (value, key) => PersistScheduleAdapter.writeScheduleData(value, key, "ETHUSDT"),
    baseDir: "./dump/data/schedule/",
    id: "ETHUSDT",
    file: (key) => `dump/data/schedule/${key}/ETHUSDT.json`,
    empty: null,
    value: { id: "sch-1", scheduledAt: 5, nested: { a: [1, 2, { b: null }] } },
    other: { id: "sch-2", scheduledAt: 6 },
  },
  {
    label: "risk",
    singleton: "PersistRiskAdapter",
    use: (Ctor) => PersistRiskAdapter.usePersistRiskAdapter(Ctor),
    read: (key) => PersistRiskAdapter.readPositionData(key),
    write: (value, key) => PersistRiskAdapter.writePositionData(value, key),
    baseDir: "./dump/data/risk/",
    id: "positions",
    file: (key) => `dump/data/risk/${key}/positions.json`,
    empty: [],
    value: [["BTCUSDT", { signalId: "sig-1", strategyName: "s", openTimestamp: 1700000000000 }]],
    other: [],
  },
  {
    label: "partial",
    singleton: "PersistPartialAdapter",
    use: (Ctor) => PersistPartialAdapter.usePersistPartialAdapter(Ctor),
    read: (key) => PersistPartialAdapter.readPartialData(key),
    write: (value, key) => PersistPartialAdapter.writePartialData(value, key),
    baseDir: "./dump/data/partial/",
    id: "levels",
    file: (key) => `dump/data/partial/${key}/levels.json`,
    empty: {},
    value: { "sig-1": { profitLevels: [10, 20], lossLevels: [] } },
    other: { "sig-2": { profitLevels: [], lossLevels: [30] } },
  },
];
const SIGNAL = REGISTRIES[0];

/** Puts this package's PersistBase back on every registry when the test ends. */
function restoreDefaults(t) {
  t.after(() => {
    for (const registry of REGISTRIES) registry.use(PersistBase);
  });
}

/** Registers `Ctor` on the signal registry for the length of the test. */
function useSignalAdapter(t, Ctor) {
  restoreDefaults(t);
  PersistSignalAdapter.usePersistSignalAdapter(Ctor);
}

/** An in-memory adapter with async methods that logs every call made on it, tagged `tag`. */
function recordingAdapter(tag = "") {
  const log = [];
  const data = new Map();
  class Recording {
    constructor(...args) {
      this.entityName = args[0];
      log.push([`${tag}new`, ...args]);
    }
    async waitForInit(initial) {
      log.push([`${tag}waitForInit`, this.entityName, initial]);
    }
    async hasValue(id) {
      log.push([`${tag}hasValue`, this.entityName, id]);
      return data.has(`${this.entityName}/${id}`);
    }
    async readValue(id) {
      log.push([`${tag}readValue`, this.entityName, id]);
      return data.get(`${this.entityName}/${id}`);
    }
    async writeValue(id, value) {
      log.push([`${tag}writeValue`, this.entityName, id, value]);
      data.set(`${this.entityName}/${id}`, value);
    }
  }
  return { Recording, log, data };
}

/** A promise that resolves with `value` after `turns` turns of the event loop. */
function afterTurns(turns, value) {
  return new Promise((resolve) => {
    const step = (left) => (left <= 0 ? resolve(value) : setImmediate(step, left - 1));
    step(turns);
  });
}

/** The default, a write, the value back: what every adapter must survive. */
async function roundTrip(registry, key) {
  assert.deepEqual(await registry.read(key), registry.empty);
  await registry.write(registry.value, key);
  assert.deepEqual(await registry.read(key), registry.value);
  await registry.write(registry.other, key);
  assert.deepEqual(await registry.read(key), registry.other);
}

// ---------------------------------------------------------------------------------------------
// The table, on the default file store

for (const registry of REGISTRIES) {
  test(`${registry.label}: the default when nothing is stored, then the value written, in ${registry.file("<key>")}`, async (t) => {
    const dir = inTempCwd(t);
    const key = fresh(registry.label);
    assert.deepEqual(await registry.read(key), registry.empty);
    await registry.write(registry.value, key);
    assert.equal(readFile(dir, registry.file(key)), JSON.stringify(registry.value));
    assert.deepEqual(await registry.read(key), registry.value);
    await registry.write(registry.other, key);
    assert.equal(readFile(dir, registry.file(key)), JSON.stringify(registry.other));
    assert.deepEqual(await registry.read(key), registry.other);
    assert.deepEqual(fs.readdirSync(path.join(dir, path.dirname(registry.file(key)))), [path.basename(registry.file(key))]);
  });
}

test("a cleared signal is stored as null and reads back null", async (t) => {
  const dir = inTempCwd(t);
  const key = fresh("cleared");
  await PersistSignalAdapter.writeSignalData({ id: 1 }, key, "BTCUSDT");
  await PersistSignalAdapter.writeSignalData(null, key, "BTCUSDT");
  assert.equal(readFile(dir, `dump/data/signal/${key}/BTCUSDT.json`), "null");
  assert.equal(await PersistSignalAdapter.readSignalData(key, "BTCUSDT"), null);
});

test("signals of several symbols share the strategy's directory", async (t) => {
  const dir = inTempCwd(t);
  const key = fresh("symbols");
  await PersistSignalAdapter.writeSignalData({ s: "A" }, key, "AAAUSDT");
  await PersistSignalAdapter.writeSignalData({ s: "B" }, key, "BBBUSDT");
  assert.deepEqual(fs.readdirSync(path.join(dir, "dump/data/signal", key)).sort(), ["AAAUSDT.json", "BBBUSDT.json"]);
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "AAAUSDT"), { s: "A" });
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "BBBUSDT"), { s: "B" });
});

test("read and write work detached from their object, on every registry", async (t) => {
  const dir = inTempCwd(t);
  const { readSignalData, writeSignalData } = PersistSignalAdapter;
  const { readScheduleData, writeScheduleData } = PersistScheduleAdapter;
  const { readPositionData, writePositionData } = PersistRiskAdapter;
  const { readPartialData, writePartialData } = PersistPartialAdapter;
  const key = fresh("detached");
  await writeSignalData({ id: "d" }, key, "SOLUSDT");
  await writeScheduleData({ id: "e" }, key, "SOLUSDT");
  await writePositionData([["SOLUSDT", {}]], key);
  await writePartialData({ f: {} }, key);
  assert.deepEqual(await readSignalData(key, "SOLUSDT"), { id: "d" });
  assert.deepEqual(await readScheduleData(key, "SOLUSDT"), { id: "e" });
  assert.deepEqual(await readPositionData(key), [["SOLUSDT", {}]]);
  assert.deepEqual(await readPartialData(key), { f: {} });
  assert.equal(readFile(dir, `dump/data/signal/${key}/SOLUSDT.json`), '{"id":"d"}');
  assert.equal(readFile(dir, `dump/data/partial/${key}/levels.json`), '{"f":{}}');
});

// ---------------------------------------------------------------------------------------------
// The memo and the call protocol

for (const registry of REGISTRIES) {
  test(`${registry.label}: one store per key made with (key, "${registry.baseDir}"); a new adapter only affects new keys`, async (t) => {
    restoreDefaults(t);
    const a = recordingAdapter("A:");
    const b = recordingAdapter("B:");
    const [k1, k2] = [fresh("memo"), fresh("memo")];
    const id = registry.id;

    registry.use(a.Recording);
    assert.deepEqual(await registry.read(k1), registry.empty);
    await registry.write(registry.value, k1);
    assert.deepEqual(await registry.read(k1), registry.value);

    registry.use(b.Recording);
    await registry.write(registry.other, k1);
    assert.deepEqual(await registry.read(k1), registry.other);
    assert.deepEqual(await registry.read(k2), registry.empty);
    await registry.write(registry.value, k2);

    assert.deepEqual(a.log, [
      ["A:new", k1, registry.baseDir],
      ["A:waitForInit", k1, true],
      ["A:hasValue", k1, id],
      ["A:waitForInit", k1, false],
      ["A:writeValue", k1, id, registry.value],
      ["A:waitForInit", k1, false],
      ["A:hasValue", k1, id],
      ["A:readValue", k1, id],
      ["A:waitForInit", k1, false],
      ["A:writeValue", k1, id, registry.other],
      ["A:waitForInit", k1, false],
      ["A:hasValue", k1, id],
      ["A:readValue", k1, id],
    ]);
    assert.deepEqual(b.log, [
      ["B:new", k2, registry.baseDir],
      ["B:waitForInit", k2, true],
      ["B:hasValue", k2, id],
      ["B:waitForInit", k2, false],
      ["B:writeValue", k2, id, registry.value],
    ]);
  });
}

test("a write as the first use of a key passes initial = true, and readValue is skipped while hasValue is falsy", async (t) => {
  const { Recording, log } = recordingAdapter();
  useSignalAdapter(t, Recording);
  const key = fresh("first-write");
  await PersistSignalAdapter.writeSignalData({ v: 1 }, key, "A");
  assert.equal(await PersistSignalAdapter.readSignalData(key, "B"), null);
  assert.deepEqual(log, [
    ["new", key, "./dump/data/signal/"],
    ["waitForInit", key, true],
    ["writeValue", key, "A", { v: 1 }],
    ["waitForInit", key, false],
    ["hasValue", key, "B"],
  ]);
});

test("hasValue is taken by truthiness", async (t) => {
  const answers = new Map([
    ["one", 1],
    ["yes", "yes"],
    ["object", {}],
    ["zero", 0],
    ["empty", ""],
    ["undefined", undefined],
    ["null", null],
  ]);
  class Truthy {
    waitForInit() {}
    hasValue(id) {
      return answers.get(id);
    }
    readValue(id) {
      return { found: id };
    }
    writeValue() {}
  }
  useSignalAdapter(t, Truthy);
  const key = fresh("truthy");
  for (const [id, answer] of answers) {
    const expected = answer ? { found: id } : null;
    assert.deepEqual(await PersistSignalAdapter.readSignalData(key, id), expected, `hasValue gave ${String(answer)}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Adapters of every shape

test("a plain class with async methods serves every registry", async (t) => {
  restoreDefaults(t);
  const { Recording, data } = recordingAdapter();
  for (const registry of REGISTRIES) {
    registry.use(Recording);
    await roundTrip(registry, fresh(`async-${registry.label}`));
  }
  assert.equal(data.size, REGISTRIES.length);
});

test("methods that return plain values, not promises", async (t) => {
  const calls = [];
  class Sync {
    constructor(entityName) {
      this.entityName = entityName;
      this.data = new Map();
    }
    waitForInit(initial) {
      calls.push(["waitForInit", initial]);
      return "ignored";
    }
    hasValue(id) {
      return this.data.has(id);
    }
    readValue(id) {
      return this.data.get(id);
    }
    writeValue(id, value) {
      this.data.set(id, value);
      return 42;
    }
  }
  useSignalAdapter(t, Sync);
  await roundTrip(SIGNAL, fresh("sync"));
  assert.deepEqual(calls.map(([, initial]) => initial), [true, false, false, false, false]);
});

test("methods whose promises resolve turns later (setImmediate, setTimeout)", async (t) => {
  class Late {
    constructor() {
      this.data = new Map();
    }
    waitForInit() {
      return new Promise((resolve) => setTimeout(resolve, 2));
    }
    hasValue(id) {
      return afterTurns(3, this.data.has(id));
    }
    readValue(id) {
      return afterTurns(5, this.data.get(id));
    }
    writeValue(id, value) {
      return new Promise((resolve) =>
        setTimeout(() => {
          this.data.set(id, value);
          resolve();
        }, 2),
      );
    }
  }
  useSignalAdapter(t, Late);
  await roundTrip(SIGNAL, fresh("late"));
});

test("a thenable that is not a Promise is awaited", async (t) => {
  const thenable = (value) => ({ then: (resolve) => setImmediate(resolve, value) });
  class Thenables {
    constructor() {
      this.data = new Map();
    }
    waitForInit() {
      return thenable();
    }
    hasValue(id) {
      return thenable(this.data.has(id));
    }
    readValue(id) {
      return thenable(this.data.get(id));
    }
    writeValue(id, value) {
      this.data.set(id, value);
      return thenable();
    }
  }
  useSignalAdapter(t, Thenables);
  await roundTrip(SIGNAL, fresh("thenable"));
});

test("methods that use `this`: fields set in the constructor, other methods, getters", async (t) => {
  const instances = [];
  class Stateful {
    #secret;
    constructor(entityName, baseDir) {
      this.prefix = `${baseDir}${entityName}/`;
      this.rows = new Map();
      this.#secret = "private";
      instances.push(this);
    }
    get size() {
      return this.rows.size;
    }
    pathOf(id) {
      return this.prefix + id;
    }
    async waitForInit() {
      assert.equal(this.#secret, "private");
    }
    async hasValue(id) {
      return this.rows.has(this.pathOf(id));
    }
    async readValue(id) {
      return { ...this.rows.get(this.pathOf(id)), size: this.size };
    }
    async writeValue(id, value) {
      this.rows.set(this.pathOf(id), value);
    }
  }
  useSignalAdapter(t, Stateful);
  const key = fresh("this");
  await PersistSignalAdapter.writeSignalData({ v: 1 }, key, "BTCUSDT");
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "BTCUSDT"), { v: 1, size: 1 });
  assert.equal(instances.length, 1);
  assert.deepEqual([...instances[0].rows.keys()], [`./dump/data/signal/${key}/BTCUSDT`]);
});

test("a JS subclass of PersistBase overriding only readValue: the override is reached, the rest is native", async (t) => {
  const dir = inTempCwd(t);
  const seen = [];
  class Audited extends PersistBase {
    async readValue(id) {
      seen.push([this.entityName, id]);
      return { audited: await super.readValue(id) };
    }
  }
  useSignalAdapter(t, Audited);
  const key = fresh("sub");
  // Native waitForInit makes the directory; native hasValue answers "absent" without readValue.
  assert.equal(await PersistSignalAdapter.readSignalData(key, "BTCUSDT"), null);
  assert.ok(fs.statSync(path.join(dir, "dump/data/signal", key)).isDirectory());
  assert.deepEqual(seen, []);
  // Native writeValue puts the reference's bytes on disk.
  await PersistSignalAdapter.writeSignalData({ v: 1 }, key, "BTCUSDT");
  assert.equal(readFile(dir, `dump/data/signal/${key}/BTCUSDT.json`), '{"v":1}');
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "BTCUSDT"), { audited: { v: 1 } });
  assert.deepEqual(seen, [[key, "BTCUSDT"]]);
});

// ---------------------------------------------------------------------------------------------
// Values cross with JSON semantics

test("values reach a JS adapter as JSON.parse(JSON.stringify(value))", async (t) => {
  const { Recording, log } = recordingAdapter();
  useSignalAdapter(t, Recording);
  const key = fresh("json");
  const when = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6));
  await PersistSignalAdapter.writeSignalData(
    { when, gone: undefined, nested: { also: undefined, kept: 1 }, list: [undefined, 2], nan: NaN },
    key,
    "X",
  );
  const [, , , received] = log.find(([call]) => call === "writeValue");
  assert.equal(received.when, "2025-01-02T03:04:05.006Z");
  assert.equal(typeof received.when, "string");
  assert.ok(!("gone" in received));
  assert.ok(!("also" in received.nested));
  assert.deepEqual(received, { when: "2025-01-02T03:04:05.006Z", nested: { kept: 1 }, list: [null, 2], nan: null });
});

test("values an adapter returns reach the caller with JSON semantics too", async (t) => {
  class Odd {
    waitForInit() {}
    hasValue() {
      return true;
    }
    readValue() {
      return { when: new Date(0), gone: undefined, toJSONed: { toJSON: () => "custom" } };
    }
    writeValue() {}
  }
  useSignalAdapter(t, Odd);
  const value = await PersistSignalAdapter.readSignalData(fresh("odd"), "X");
  assert.deepEqual(value, { when: "1970-01-01T00:00:00.000Z", toJSONed: "custom" });
  assert.ok(!("gone" in value));
});

// ---------------------------------------------------------------------------------------------
// Errors from adapters

/** An adapter whose `method` fails via `fail()`; the others succeed with a stored value. */
function failingAdapter(method, fail) {
  class Failing {
    async waitForInit() {}
    async hasValue() {
      return true;
    }
    async readValue() {
      return { ok: true };
    }
    async writeValue() {}
  }
  Failing.prototype[method] = fail;
  return Failing;
}

const CALL_PATHS = [
  { method: "waitForInit", call: (key) => PersistSignalAdapter.readSignalData(key, "X") },
  { method: "hasValue", call: (key) => PersistSignalAdapter.readSignalData(key, "X") },
  { method: "readValue", call: (key) => PersistSignalAdapter.readSignalData(key, "X") },
  { method: "waitForInit", call: (key) => PersistSignalAdapter.writeSignalData({ v: 1 }, key, "X"), write: true },
  { method: "writeValue", call: (key) => PersistSignalAdapter.writeSignalData({ v: 1 }, key, "X"), write: true },
];

for (const { method, call, write } of CALL_PATHS) {
  const what = write ? "write" : "read";
  test(`${method} throwing synchronously on a ${what}: the caller's promise rejects with that very error`, async (t) => {
    const thrown = new TypeError(`${method} exploded`);
    thrown.extra = "kept";
    useSignalAdapter(
      t,
      failingAdapter(method, () => {
        throw thrown;
      }),
    );
    const pending = call(fresh("sync-throw"));
    assert.ok(pending instanceof Promise, "the error comes as a rejection, not a synchronous throw");
    await assert.rejects(pending, (error) => {
      assert.strictEqual(error, thrown);
      assert.equal(error.message, `${method} exploded`);
      assert.equal(error.extra, "kept");
      return true;
    });
  });

  test(`${method} rejecting with an Error on a ${what}: the caller's promise rejects with it`, async (t) => {
    const rejected = new RangeError(`${method} rejected`);
    useSignalAdapter(
      t,
      failingAdapter(method, () => afterTurns(2).then(() => Promise.reject(rejected))),
    );
    await assert.rejects(call(fresh("reject")), (error) => {
      assert.strictEqual(error, rejected);
      assert.equal(error.name, "RangeError");
      assert.equal(error.message, `${method} rejected`);
      return true;
    });
  });
}

test("an async method throwing (a rejection) keeps the error's identity", async (t) => {
  const thrown = new Error("async throw");
  useSignalAdapter(
    t,
    failingAdapter("hasValue", async () => {
      throw thrown;
    }),
  );
  await assert.rejects(PersistSignalAdapter.readSignalData(fresh("async-throw"), "X"), (error) => error === thrown);
});

const NON_ERRORS = [
  { how: "rejects with a string", method: "writeValue", fail: () => Promise.reject("a plain string"), message: "a plain string" },
  { how: "rejects with a number", method: "readValue", fail: () => Promise.reject(404), message: "404" },
  {
    how: "throws a string synchronously",
    method: "writeValue",
    fail: () => {
      throw "thrown string";
    },
    message: "thrown string",
  },
  {
    how: "throws a number synchronously",
    method: "hasValue",
    fail: () => {
      throw 503;
    },
    message: "503",
  },
];

for (const { how, method, fail, message } of NON_ERRORS) {
  test(`${method} ${how}: the caller gets an Error whose message is that value`, async (t) => {
    useSignalAdapter(t, failingAdapter(method, fail));
    const key = fresh("non-error");
    const pending =
      method === "writeValue" ? PersistSignalAdapter.writeSignalData({}, key, "X") : PersistSignalAdapter.readSignalData(key, "X");
    await assert.rejects(pending, (error) => {
      assert.ok(error instanceof Error, `${typeof error} is not an Error`);
      assert.equal(error.message, message);
      assert.equal(error.code, "ADAPTER_FAILED");
      return true;
    });
  });
}

test("a failed call does not break the store: the next call on the key works", async (t) => {
  let failNext = true;
  const data = new Map();
  class Flaky {
    async waitForInit() {}
    async hasValue(id) {
      return data.has(id);
    }
    async readValue(id) {
      return data.get(id);
    }
    async writeValue(id, value) {
      if (failNext) {
        failNext = false;
        throw new Error("transient");
      }
      data.set(id, value);
    }
  }
  useSignalAdapter(t, Flaky);
  const key = fresh("flaky");
  await assert.rejects(PersistSignalAdapter.writeSignalData({ v: 1 }, key, "X"), { message: "transient" });
  await PersistSignalAdapter.writeSignalData({ v: 2 }, key, "X");
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "X"), { v: 2 });
});

// ---------------------------------------------------------------------------------------------
// Errors in registering and constructing adapters

for (const registry of REGISTRIES) {
  test(`${registry.label}: registering something that is not a constructor throws at once`, () => {
    for (const bad of [() => {}, 42, null, undefined, "PersistBase", {}, async function named() {}, { prototype: {} }]) {
      assert.throws(
        () => registry.use(bad),
        (error) => {
          assert.ok(error instanceof TypeError);
          assert.equal(error.code, "ERR_INVALID_ARG_TYPE");
          assert.ok(
            error.message.startsWith(
              `${registry.singleton}.use${registry.singleton}: the adapter must be a class or constructor function. Received `,
            ),
            error.message,
          );
          return true;
        },
        `${typeof bad} ${String(bad)}`,
      );
    }
  });
}

test("a rejected registration leaves the registered adapter in place", async (t) => {
  const { Recording, log } = recordingAdapter();
  useSignalAdapter(t, Recording);
  assert.throws(() => PersistSignalAdapter.usePersistSignalAdapter(() => {}));
  assert.throws(() => PersistSignalAdapter.usePersistSignalAdapter(42));
  const key = fresh("still");
  await PersistSignalAdapter.writeSignalData({ v: 1 }, key, "X");
  assert.deepEqual(log[0], ["new", key, "./dump/data/signal/"]);
});

test("a constructor that throws: the call rejects naming the adapter, and nothing is memoized", async (t) => {
  const original = new Error("no connection");
  let attempts = 0;
  class Exploding {
    constructor() {
      attempts += 1;
      throw original;
    }
  }
  useSignalAdapter(t, Exploding);
  const key = fresh("exploding");
  const expected = (error) => {
    assert.equal(error.message, "PersistSignalAdapter: adapter Exploding could not be constructed: no connection");
    assert.equal(error.code, "ADAPTER_CONSTRUCTOR_FAILED");
    assert.strictEqual(error.cause, original);
    return true;
  };
  await assert.rejects(PersistSignalAdapter.readSignalData(key, "X"), expected);
  await assert.rejects(PersistSignalAdapter.writeSignalData({}, key, "X"), expected);
  assert.equal(attempts, 2, "the failed construction was not memoized, so it is tried again");

  const { Recording, log } = recordingAdapter();
  PersistSignalAdapter.usePersistSignalAdapter(Recording);
  await PersistSignalAdapter.writeSignalData({ ok: true }, key, "X");
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "X"), { ok: true });
  assert.deepEqual(log.slice(0, 2), [
    ["new", key, "./dump/data/signal/"],
    ["waitForInit", key, true],
  ]);
});

test("a constructor that throws a non-Error is reported with that value's text", async (t) => {
  class Stringly {
    constructor() {
      throw "refused";
    }
  }
  useSignalAdapter(t, Stringly);
  await assert.rejects(PersistSignalAdapter.readSignalData(fresh("stringly"), "X"), {
    message: "PersistSignalAdapter: adapter Stringly could not be constructed: refused",
    code: "ADAPTER_CONSTRUCTOR_FAILED",
  });
});

test("an adapter missing writeValue: the call rejects naming the adapter and the method", async (t) => {
  class Incomplete {
    waitForInit() {}
    readValue() {}
    hasValue() {}
  }
  useSignalAdapter(t, Incomplete);
  const key = fresh("incomplete");
  await assert.rejects(PersistSignalAdapter.writeSignalData({}, key, "X"), {
    message: "PersistSignalAdapter: adapter Incomplete has no method writeValue",
    code: "ADAPTER_METHOD_MISSING",
  });
  const { Recording } = recordingAdapter();
  PersistSignalAdapter.usePersistSignalAdapter(Recording);
  await PersistSignalAdapter.writeSignalData({ ok: 1 }, key, "X");
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "X"), { ok: 1 });
});

for (const registry of REGISTRIES.slice(1)) {
  test(`${registry.label}: a constructor error names ${registry.singleton}`, async (t) => {
    restoreDefaults(t);
    class Broken {
      constructor() {
        throw new Error("down");
      }
    }
    registry.use(Broken);
    await assert.rejects(registry.read(fresh("broken")), {
      message: `${registry.singleton}: adapter Broken could not be constructed: down`,
      code: "ADAPTER_CONSTRUCTOR_FAILED",
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Async context

test("adapter methods run in the async context of the registry call that caused them", async (t) => {
  const als = new AsyncLocalStorage();
  const seen = [];
  const data = new Map();
  const record = (...call) => seen.push([als.getStore(), ...call]);
  class Contextual {
    async waitForInit() {
      await afterTurns(1);
      record("waitForInit");
    }
    async hasValue(id) {
      await afterTurns(2);
      record("hasValue", id);
      return true;
    }
    async readValue(id) {
      await afterTurns(1);
      record("readValue", id);
      return { id, store: als.getStore() };
    }
    async writeValue(id, value) {
      await afterTurns(1);
      record("writeValue", id);
      data.set(id, value);
    }
  }
  useSignalAdapter(t, Contextual);
  const key = fresh("context");

  const [first, second] = await Promise.all([
    als.run("first", () => PersistSignalAdapter.readSignalData(key, "A")),
    als.run("second", () => PersistSignalAdapter.readSignalData(key, "B")),
  ]);
  assert.deepEqual(first, { id: "A", store: "first" });
  assert.deepEqual(second, { id: "B", store: "second" });
  await Promise.all([
    als.run("third", () => PersistSignalAdapter.writeSignalData({}, key, "C")),
    als.run("fourth", () => PersistSignalAdapter.writeSignalData({}, key, "D")),
  ]);
  assert.equal(als.getStore(), undefined);

  const sorted = (rows) => rows.map((row) => JSON.stringify(row)).sort();
  assert.deepEqual(
    sorted(seen),
    sorted([
      ["first", "waitForInit"],
      ["first", "hasValue", "A"],
      ["first", "readValue", "A"],
      ["second", "waitForInit"],
      ["second", "hasValue", "B"],
      ["second", "readValue", "B"],
      ["third", "waitForInit"],
      ["third", "writeValue", "C"],
      ["fourth", "waitForInit"],
      ["fourth", "writeValue", "D"],
    ]),
  );
});

test("the async context reaches an adapter's constructor-time first call and synchronous methods", async (t) => {
  const als = new AsyncLocalStorage();
  const seen = [];
  class SyncContext {
    constructor() {
      seen.push(["constructor", als.getStore()]);
    }
    waitForInit() {
      seen.push(["waitForInit", als.getStore()]);
    }
    hasValue() {
      seen.push(["hasValue", als.getStore()]);
      return true;
    }
    readValue() {
      seen.push(["readValue", als.getStore()]);
      return 1;
    }
    writeValue() {}
  }
  useSignalAdapter(t, SyncContext);
  assert.equal(await als.run({ request: 7 }, () => PersistSignalAdapter.readSignalData(fresh("sync-ctx"), "X")), 1);
  assert.deepEqual(seen, [
    ["constructor", { request: 7 }],
    ["waitForInit", { request: 7 }],
    ["hasValue", { request: 7 }],
    ["readValue", { request: 7 }],
  ]);
});

// ---------------------------------------------------------------------------------------------
// Order

test("many concurrent writes through a JS adapter to one key reach writeValue in call order", async (t) => {
  const { Recording, log } = recordingAdapter();
  useSignalAdapter(t, Recording);
  const key = fresh("order");
  const count = 200;
  await Promise.all(Array.from({ length: count }, (_, n) => PersistSignalAdapter.writeSignalData({ n }, key, "X")));
  const written = log.filter(([call]) => call === "writeValue").map(([, , , value]) => value.n);
  assert.deepEqual(written, Array.from({ length: count }, (_, n) => n));
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "X"), { n: count - 1 });
});

test("concurrent writes keep call order even when an earlier call's waitForInit settles later", async (t) => {
  const order = [];
  const data = new Map();
  let inits = 0;
  class UnevenInit {
    waitForInit() {
      // The first call's init takes the longest, the last call's the shortest.
      return afterTurns(20 - inits++);
    }
    hasValue(id) {
      return data.has(id);
    }
    readValue(id) {
      return data.get(id);
    }
    writeValue(id, value) {
      order.push(value.n);
      data.set(id, value);
    }
  }
  useSignalAdapter(t, UnevenInit);
  const key = fresh("uneven");
  await Promise.all(Array.from({ length: 10 }, (_, n) => PersistSignalAdapter.writeSignalData({ n }, key, "X")));
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(await PersistSignalAdapter.readSignalData(key, "X"), { n: 9 }, "the last call's value stays");
});

// ---------------------------------------------------------------------------------------------
// The classes

test("a registry made with its class is independent of the singleton", async (t) => {
  const dir = inTempCwd(t);
  restoreDefaults(t);
  const mine = new PersistSignalUtils();
  const { Recording, log } = recordingAdapter();
  mine.usePersistSignalAdapter(Recording);
  const key = fresh("own");
  await mine.writeSignalData({ mine: true }, key, "X");
  assert.deepEqual(await mine.readSignalData(key, "X"), { mine: true });
  assert.deepEqual(log[0], ["new", key, "./dump/data/signal/"]);
  assert.equal(await PersistSignalAdapter.readSignalData(key, "X"), null);
  assert.ok(fs.existsSync(path.join(dir, "dump/data/signal", key)), "the singleton still uses the file store");
});
