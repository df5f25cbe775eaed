// SPEC A: every row of the PersistBase table and its fields, with the reference's exact messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PersistBase } from "../index.js";
import { captureConsoleError, collect, tempDir } from "./helpers/tmp.mjs";

/** An initialized store in a fresh temp dir. */
async function store(t, name = "signal") {
  const baseDir = tempDir(t);
  const persist = new PersistBase(name, baseDir);
  await persist.waitForInit(true);
  return { persist, baseDir, dir: path.join(baseDir, name) };
}

/** The message V8's own JSON.parse gives for `text`. */
function parseError(text) {
  let message;
  assert.throws(
    () => JSON.parse(text),
    (error) => {
      message = error.message;
      return error instanceof SyntaxError;
    },
  );
  return message;
}

const byReferenceOrder = (a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
const listDir = (dir) => fs.readdirSync(dir).sort();

// ---- fields ----

test("constructor fields: entityName, baseDir, _directory = path.join(baseDir, entityName)", (t) => {
  const baseDir = tempDir(t);
  const persist = new PersistBase("my-strategy", baseDir);
  assert.equal(persist.entityName, "my-strategy");
  assert.equal(persist.baseDir, baseDir);
  assert.equal(persist._directory, path.join(baseDir, "my-strategy"));
  // baseDir is kept as given; _directory is normalised as path.join normalises.
  const messy = `${baseDir}/./nested/../`;
  const other = new PersistBase("x", messy);
  assert.equal(other.baseDir, messy);
  assert.equal(other._directory, path.join(messy, "x"));
  assert.equal(new PersistBase("x", "./dump/data/signal/")._directory, path.join("./dump/data/signal/", "x"));
});

test("the default baseDir is path.join(process.cwd(), 'logs/data')", () => {
  const persist = new PersistBase("signal");
  assert.equal(persist.baseDir, path.join(process.cwd(), "logs/data"));
  assert.equal(persist._directory, path.join(process.cwd(), "logs/data", "signal"));
});

test("_getFilePath: 7 and '7' name the same file, path.join(baseDir, entityName, '7.json')", (t) => {
  const baseDir = tempDir(t);
  const persist = new PersistBase("signal", baseDir);
  const expected = path.join(baseDir, "signal", "7.json");
  assert.equal(persist._getFilePath(7), expected);
  assert.equal(persist._getFilePath("7"), expected);
  assert.equal(persist._getFilePath("BTCUSDT"), path.join(baseDir, "signal", "BTCUSDT.json"));
});

// ---- waitForInit ----

test("waitForInit creates the directory recursively", async (t) => {
  const baseDir = path.join(tempDir(t), "a", "b");
  const persist = new PersistBase("deep", baseDir);
  assert.equal(fs.existsSync(persist._directory), false);
  await persist.waitForInit(true);
  assert.ok(fs.statSync(path.join(baseDir, "deep")).isDirectory());
});

test("waitForInit runs once: concurrent calls share one scan, later calls do not rescan", async (t) => {
  const baseDir = tempDir(t);
  const dir = path.join(baseDir, "signal");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "early.json"), "{broken");
  const persist = new PersistBase("signal", baseDir);

  // Every concurrent call resolves only once the one scan has quarantined the corrupt file.
  const scanned = () => !fs.existsSync(path.join(dir, "early.json"));
  const [settled, first] = await captureConsoleError(() =>
    Promise.all([true, false, false].map((initial) => persist.waitForInit(initial).then((result) => [result, scanned()]))),
  );
  assert.deepEqual(settled, [[undefined, true], [undefined, true], [undefined, true]]);
  assert.equal(first.length, 1, "one scan reports the corrupt file once");

  // A corrupt file that appears after the scan is not seen by later calls.
  fs.writeFileSync(path.join(dir, "late.json"), "{broken");
  const [, later] = await captureConsoleError(() => persist.waitForInit(false));
  assert.deepEqual(later, []);
  assert.equal(fs.readFileSync(path.join(dir, "late.json"), "utf8"), "{broken");
  // A new instance does scan.
  const [, fresh] = await captureConsoleError(() => new PersistBase("signal", baseDir).waitForInit(true));
  assert.equal(fresh.length, 1);
  assert.equal(fs.existsSync(path.join(dir, "late.json")), false);
});

// ---- readValue ----

test("readValue returns JSON.parse of the file", async (t) => {
  const { persist, dir } = await store(t);
  const text = '{ "id": "a", "levels": [1, 2.5e3, -0], "nested": {"ok": true, "n": null},\n "u": "\\u043a\\ud83d\\ude80" }';
  fs.writeFileSync(path.join(dir, "BTCUSDT.json"), text);
  assert.deepEqual(await persist.readValue("BTCUSDT"), JSON.parse(text));
  fs.writeFileSync(path.join(dir, "7.json"), "42");
  assert.equal(await persist.readValue(7), 42);
  assert.equal(await persist.readValue("7"), 42);
});

test("readValue of a missing entity rejects with 'Entity <name>:<id> not found'", async (t) => {
  const { persist } = await store(t);
  await assert.rejects(persist.readValue("ETHUSDT"), { message: "Entity signal:ETHUSDT not found", code: "ENTITY_NOT_FOUND" });
  await assert.rejects(persist.readValue(7), { message: "Entity signal:7 not found", code: "ENTITY_NOT_FOUND" });
});

test("readValue of a non-JSON file rejects with V8's JSON.parse message", async (t) => {
  const { persist, dir } = await store(t);
  for (const [id, text] of [["empty", ""], ["torn", '{"id":"a","pri'], ["trailing", '{"a":1} x'], ["word", "undefined"]]) {
    fs.writeFileSync(path.join(dir, `${id}.json`), text);
    await assert.rejects(persist.readValue(id), {
      message: `Failed to read entity signal:${id}: ${parseError(text)}`,
      code: "READ_FAILED",
    });
  }
});

// ---- hasValue ----

test("hasValue is true for a stored entity, false otherwise", async (t) => {
  const { persist, baseDir } = await store(t);
  assert.equal(await persist.hasValue("BTCUSDT"), false);
  await persist.writeValue("BTCUSDT", { id: 1 });
  assert.equal(await persist.hasValue("BTCUSDT"), true);
  await persist.writeValue("7", null);
  assert.equal(await persist.hasValue(7), true);
  assert.equal(await persist.hasValue(8), false);
  assert.equal(await new PersistBase("never-created", baseDir).hasValue("x"), false);
});

// ---- writeValue ----

test("writeValue writes exactly the bytes of JSON.stringify(entity)", async (t) => {
  const { persist, dir } = await store(t);
  const entities = {
    nested: { id: "sig-1", nested: { list: [1, null, { deep: -0.5e-7 }], empty: {} }, arr: [[], [[]]] },
    unicode: { text: "ключ – 価格 – 🚀", lone: "\ud800", quote: 'a"b\\c\n' },
    date: { at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) },
    dropped: { kept: 1, gone: undefined, fn() {}, list: [undefined, () => 1] },
    numbers: { nan: NaN, inf: -Infinity, negZero: -0, big: 1e21 },
    custom: { toJSON: () => ({ replaced: true }) },
    nullEntity: null,
    array: [1, "two", { three: 3 }],
    string: "just a string",
    number: 7.25,
  };
  for (const [id, entity] of Object.entries(entities)) {
    await persist.writeValue(id, entity);
    assert.deepEqual(fs.readFileSync(path.join(dir, `${id}.json`)), Buffer.from(JSON.stringify(entity), "utf8"), id);
  }
  assert.equal(fs.readFileSync(path.join(dir, "date.json"), "utf8"), '{"at":"2026-01-02T03:04:05.006Z"}');
  assert.equal(fs.readFileSync(path.join(dir, "dropped.json"), "utf8"), '{"kept":1,"list":[null,null]}');
  assert.equal(fs.readFileSync(path.join(dir, "nullEntity.json"), "utf8"), "null");
  assert.equal(await persist.readValue("nullEntity"), null);
  assert.deepEqual(listDir(dir), Object.keys(entities).map((id) => `${id}.json`).sort(), "no temp files are left");
});

test("writeValue overwrites, and 7 and '7' are the same entity", async (t) => {
  const { persist, dir } = await store(t);
  await persist.writeValue(7, { v: 1 });
  await persist.writeValue("7", { v: 2 });
  assert.equal(fs.readFileSync(path.join(dir, "7.json"), "utf8"), '{"v":2}');
  assert.deepEqual(listDir(dir), ["7.json"]);
});

// ---- removeValue / removeAll ----

test("removeValue deletes the entity and only it", async (t) => {
  const { persist, dir } = await store(t);
  await persist.writeValue(7, { id: 7 });
  await persist.writeValue("other", { id: "other" });
  await persist.removeValue("7");
  assert.deepEqual(listDir(dir), ["other.json"]);
  assert.equal(await persist.hasValue(7), false);
  await persist.removeValue("other");
  assert.deepEqual(listDir(dir), []);
});

test("removeValue of a missing entity rejects with 'Entity <name>:<id> not found for deletion'", async (t) => {
  const { persist } = await store(t);
  await assert.rejects(persist.removeValue("BTCUSDT"), {
    message: "Entity signal:BTCUSDT not found for deletion",
    code: "ENTITY_NOT_FOUND",
  });
  await persist.writeValue(3, 3);
  await persist.removeValue(3);
  await assert.rejects(persist.removeValue(3), { message: "Entity signal:3 not found for deletion" });
});

test("removeAll deletes every entity file and leaves other files alone", async (t) => {
  const { persist, dir } = await store(t);
  for (const id of ["a", "b", 10]) await persist.writeValue(id, { id });
  const others = {
    "notes.txt": "keep",
    ".tmp-0123456789ab-a.json": "{}",
    [path.join(".quarantine", "x.json")]: "{bad",
  };
  fs.mkdirSync(path.join(dir, ".quarantine"));
  for (const [name, content] of Object.entries(others)) fs.writeFileSync(path.join(dir, name), content);

  await persist.removeAll();
  assert.deepEqual(listDir(dir), [".quarantine", ".tmp-0123456789ab-a.json", "notes.txt"]);
  for (const [name, content] of Object.entries(others)) assert.equal(fs.readFileSync(path.join(dir, name), "utf8"), content);
  assert.equal(await persist.getCount(), 0);
  await persist.removeAll(); // an empty store is fine
});

// ---- getCount ----

test("getCount counts entity files only", async (t) => {
  const { persist, dir } = await store(t);
  assert.equal(await persist.getCount(), 0);
  for (const id of ["x", "y", 3]) await persist.writeValue(id, {});
  fs.writeFileSync(path.join(dir, "notes.txt"), "not an entity");
  fs.writeFileSync(path.join(dir, ".tmp-0123456789ab-x.json"), "{}");
  assert.equal(await persist.getCount(), 3);
  await persist.removeValue("x");
  assert.equal(await persist.getCount(), 2);
});

// ---- keys / values / filter / take / asyncIterator ----

async function storeWith(t, ids) {
  const handle = await store(t);
  for (const id of ids) await handle.persist.writeValue(id, { id: String(id) });
  return handle;
}

const MIXED_IDS = ["B", 10, "item10", "a", 2, "c", "item9", 1];
const SORTED_IDS = ["1", "2", "10", "a", "B", "c", "item9", "item10"];

test("keys() yields string ids sorted numeric-aware and case-insensitively", async (t) => {
  const { persist, dir } = await storeWith(t, MIXED_IDS);
  fs.writeFileSync(path.join(dir, "notes.txt"), "not an entity");
  fs.writeFileSync(path.join(dir, ".tmp-0123456789ab-a.json"), "{}");
  const keys = await collect(persist.keys());
  assert.deepEqual(keys, SORTED_IDS);
  assert.deepEqual([...keys].sort(byReferenceOrder), keys, "the reference's localeCompare order");
  assert.ok(keys.every((key) => typeof key === "string"));
});

test("values() and for await yield the entities in keys() order", async (t) => {
  const { persist } = await storeWith(t, MIXED_IDS);
  const expected = SORTED_IDS.map((id) => ({ id }));
  assert.deepEqual(await collect(persist.values()), expected);
  const iterated = [];
  for await (const value of persist) iterated.push(value);
  assert.deepEqual(iterated, expected);
});

test("filter(predicate) yields the values for which it is truthy", async (t) => {
  const { persist } = await storeWith(t, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(await collect(persist.filter((v) => Number(v.id) % 2 === 0)), [{ id: "2" }, { id: "4" }, { id: "6" }]);
  assert.deepEqual(await collect(persist.filter((v) => (v.id === "3" ? "truthy" : 0))), [{ id: "3" }]);
  assert.deepEqual(await collect(persist.filter(() => false)), []);
});

test("take(total) and take(total, predicate) yield at most total values", async (t) => {
  const { persist } = await storeWith(t, [1, 2, 3, 4, 5, 6]);
  const ids = (values) => values.map((v) => v.id);
  const even = (v) => Number(v.id) % 2 === 0;
  assert.deepEqual(ids(await collect(persist.take(2))), ["1", "2"]);
  assert.deepEqual(ids(await collect(persist.take(2, even))), ["2", "4"]);
  assert.deepEqual(ids(await collect(persist.take(10))), ["1", "2", "3", "4", "5", "6"]);
  assert.deepEqual(ids(await collect(persist.take(10, even))), ["2", "4", "6"]);
  assert.deepEqual(await collect(persist.take(0)), []);
  assert.deepEqual(await collect(persist.take(0, even)), []);
});

// ---- errors ----

test("an I/O failure keeps the OS error as cause (reading a directory named x.json)", async (t) => {
  const { persist, dir } = await store(t);
  fs.mkdirSync(path.join(dir, "folder.json"));
  await assert.rejects(persist.readValue("folder"), (error) => {
    assert.ok(error instanceof Error);
    assert.equal(error.code, "READ_FAILED");
    assert.match(error.message, /^Failed to read entity signal:folder: EISDIR: /);
    assert.ok(error.cause instanceof Error);
    assert.equal(error.cause.code, "EISDIR");
    assert.equal(error.message, `Failed to read entity signal:folder: ${error.cause.message}`);
    return true;
  });
});

test("every method names the entity and keeps the OS error when the store's directory is a file", async (t) => {
  const baseDir = tempDir(t);
  fs.writeFileSync(path.join(baseDir, "signal"), "a file where the directory should be");
  const persist = new PersistBase("signal", baseDir);
  const cases = [
    [() => persist.waitForInit(true), "Failed to initialize signal: ", "INIT_FAILED", "EEXIST"],
    [() => persist.readValue("x"), "Failed to read entity signal:x: ", "READ_FAILED", "ENOTDIR"],
    [() => persist.hasValue("x"), "Failed to check existence of entity signal:x: ", "HAS_FAILED", "ENOTDIR"],
    [() => persist.writeValue("x", 1), "Failed to write entity signal:x: ", "WRITE_FAILED", "ENOTDIR"],
    [() => persist.removeValue("x"), "Failed to remove entity signal:x: ", "REMOVE_FAILED", "ENOTDIR"],
    [() => persist.removeAll(), "Failed to remove values for signal: ", "REMOVE_ALL_FAILED", "ENOTDIR"],
    [() => collect(persist.keys()), "Failed to read keys for signal: ", "KEYS_FAILED", "ENOTDIR"],
    [() => collect(persist.values()), "Failed to read values for signal: ", "VALUES_FAILED", "ENOTDIR"],
  ];
  for (const [call, prefix, code, causeCode] of cases) {
    await assert.rejects(call(), (error) => {
      assert.equal(error.code, code);
      assert.equal(error.cause.code, causeCode, prefix);
      assert.equal(error.message, `${prefix}${error.cause.message}`);
      assert.ok(error.cause.message.startsWith(`${causeCode}: `), error.cause.message);
      return true;
    });
  }
  assert.equal(fs.readFileSync(path.join(baseDir, "signal"), "utf8"), "a file where the directory should be");
});

// ---- extending from JS ----

/** A subclass as backtest-kit users write them: own fields, overrides calling super. */
class Tagged extends PersistBase {
  constructor(entityName, baseDir) {
    super(entityName, baseDir);
    this.tag = "T";
    this.calls = [];
  }
  async readValue(id) {
    this.calls.push(`read:${id}`);
    return { tag: this.tag, value: await super.readValue(id) };
  }
  async writeValue(id, entity) {
    this.calls.push(`write:${id}`);
    return super.writeValue(id, { wrapped: entity });
  }
  async *keys() {
    for await (const key of super.keys()) {
      if (key !== "hidden") yield key;
    }
  }
}

test("a JS subclass: instanceof, fields, and its own constructor fields", (t) => {
  const baseDir = tempDir(t);
  const persist = new Tagged("sub", baseDir);
  assert.ok(persist instanceof Tagged);
  assert.ok(persist instanceof PersistBase);
  assert.equal(persist.tag, "T");
  assert.equal(persist.entityName, "sub");
  assert.equal(persist.baseDir, baseDir);
  assert.equal(persist._directory, path.join(baseDir, "sub"));
  assert.equal(persist._getFilePath(1), path.join(baseDir, "sub", "1.json"));
});

test("a JS subclass: callers reach the overrides, and super.method() reaches the native ones", async (t) => {
  const baseDir = tempDir(t);
  const persist = new Tagged("sub", baseDir);
  /** A caller that only knows the PersistBase interface. */
  const roundTrip = async (store, id, value) => {
    await store.waitForInit(true);
    await store.writeValue(id, value);
    return store.readValue(id);
  };
  assert.deepEqual(await roundTrip(persist, "a", 1), { tag: "T", value: { wrapped: 1 } });
  assert.deepEqual(persist.calls, ["write:a", "read:a"]);
  assert.equal(fs.readFileSync(path.join(baseDir, "sub", "a.json"), "utf8"), '{"wrapped":1}');
  assert.equal(await persist.hasValue("a"), true, "an inherited method works on the subclass");
  assert.equal(await persist.getCount(), 1);
});

test("a JS subclass: values(), filter(), take() and for await go through its readValue and keys", async (t) => {
  const persist = new Tagged("sub", tempDir(t));
  await persist.waitForInit(true);
  await persist.writeValue("a", 1);
  await persist.writeValue("b", 2);
  await persist.writeValue("hidden", 3);
  const a = { tag: "T", value: { wrapped: 1 } };
  const b = { tag: "T", value: { wrapped: 2 } };
  assert.deepEqual(await collect(persist.keys()), ["a", "b"]);
  assert.deepEqual(await collect(persist.values()), [a, b]);
  assert.deepEqual(await collect(persist), [a, b]);
  assert.deepEqual(await collect(persist.filter((v) => v.value.wrapped === 2)), [b]);
  assert.deepEqual(await collect(persist.take(1)), [a]);
  assert.ok(persist.calls.includes("read:a") && !persist.calls.includes("read:hidden"));
});

test("keys() over 3,000 ids lets the event loop run between slices of 1,024", async (t) => {
  const dir = tempDir(t, "keys slices");
  fs.mkdirSync(path.join(dir, "many"));
  for (let n = 0; n < 3000; n += 1) fs.writeFileSync(path.join(dir, "many", `k${n}.json`), "1");
  const store = new PersistBase("many", dir);
  await store.waitForInit(true);
  let count = 0;
  let seenAt;
  for await (const key of store.keys()) {
    if (count === 0) setImmediate(() => (seenAt = count));
    count += key ? 1 : 0;
  }
  assert.equal(count, 3000);
  // A callback queued at the first id runs once the first slice is handed over, not after all.
  assert.equal(seenAt, 1024);
});
