// SPEC A: every row of the PersistBase table, with the reference's exact messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PersistBase } from "../index.js";
import { captureConsoleError, collect, tempDir } from "./helpers/tmp.mjs";

async function store(t, name = "signal") {
  const baseDir = tempDir(t);
  const persist = new PersistBase(name, baseDir);
  await persist.waitForInit(true);
  return { persist, baseDir, dir: path.join(baseDir, name) };
}

test("fields and file paths follow path.join", (t) => {
  const baseDir = tempDir(t);
  const persist = new PersistBase("my-strategy", `${baseDir}/./nested/../`);
  assert.equal(persist.entityName, "my-strategy");
  assert.equal(persist.baseDir, `${baseDir}/./nested/../`);
  assert.equal(persist._directory, path.join(baseDir, "my-strategy"));
  assert.equal(persist._getFilePath(7), path.join(baseDir, "my-strategy", "7.json"));
  assert.equal(persist._getFilePath("7"), persist._getFilePath(7));
  assert.equal(new PersistBase("x", "./dump/data/signal/")._directory, path.join("./dump/data/signal/", "x"));
});

test("the default base directory is <cwd>/logs/data", () => {
  const persist = new PersistBase("signal");
  assert.equal(persist.baseDir, path.join(process.cwd(), "logs/data"));
  assert.equal(persist._directory, path.join(process.cwd(), "logs/data", "signal"));
});

test("waitForInit creates the directory and runs once however often it is called", async (t) => {
  const baseDir = tempDir(t);
  const persist = new PersistBase("deep", path.join(baseDir, "a", "b"));
  await Promise.all([persist.waitForInit(true), persist.waitForInit(false), persist.waitForInit(false)]);
  assert.ok(fs.statSync(persist._directory).isDirectory());
  // A corrupt file created after the first run is not scanned by later calls.
  fs.writeFileSync(path.join(persist._directory, "late.json"), "{not json");
  const [, logged] = await captureConsoleError(() => persist.waitForInit(false));
  assert.deepEqual(logged, []);
  assert.ok(fs.existsSync(path.join(persist._directory, "late.json")));
});

test("readValue returns JSON.parse of the file; a missing entity is 'not found'", async (t) => {
  const { persist, dir } = await store(t);
  fs.writeFileSync(path.join(dir, "BTCUSDT.json"), '{"id":"a","levels":[1,2.5],"nested":{"ok":true}}');
  assert.deepEqual(await persist.readValue("BTCUSDT"), { id: "a", levels: [1, 2.5], nested: { ok: true } });
  await assert.rejects(persist.readValue("ETHUSDT"), { message: "Entity signal:ETHUSDT not found", code: "ENTITY_NOT_FOUND" });
});

test("readValue of a file that is not JSON rejects with V8's own parse message", async (t) => {
  const { persist, dir } = await store(t);
  const text = '{"id":"a","pri';
  fs.writeFileSync(path.join(dir, "bad.json"), text);
  const expected = (() => {
    try {
      JSON.parse(text);
    } catch (error) {
      return error.message;
    }
    return "";
  })();
  assert.notEqual(expected, "");
  await assert.rejects(persist.readValue("bad"), { message: `Failed to read entity signal:bad: ${expected}`, code: "READ_FAILED" });
});

test("an I/O failure keeps the OS error as cause", async (t) => {
  const { persist, dir } = await store(t);
  fs.mkdirSync(path.join(dir, "folder.json"));
  const error = await persist.readValue("folder").then(
    () => assert.fail("reading a directory must fail"),
    (e) => e,
  );
  assert.equal(error.code, "READ_FAILED");
  assert.match(error.message, /^Failed to read entity signal:folder: EISDIR: /);
  assert.equal(error.cause.code, "EISDIR");
});

test("hasValue tells whether the file exists", async (t) => {
  const { persist } = await store(t);
  assert.equal(await persist.hasValue("BTCUSDT"), false);
  await persist.writeValue("BTCUSDT", { id: 1 });
  assert.equal(await persist.hasValue("BTCUSDT"), true);
  assert.equal(await persist.hasValue(7), false);
});

test("writeValue writes exactly JSON.stringify(entity)", async (t) => {
  const { persist, dir } = await store(t);
  const entity = {
    id: "sig-1",
    at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    gone: undefined,
    text: "ключ – 価格 – 🚀",
    nested: { list: [1, null, { deep: -0.5e-7 }] },
  };
  await persist.writeValue("BTCUSDT", entity);
  assert.equal(fs.readFileSync(path.join(dir, "BTCUSDT.json"), "utf8"), JSON.stringify(entity));
  await persist.writeValue("BTCUSDT", null);
  assert.equal(fs.readFileSync(path.join(dir, "BTCUSDT.json"), "utf8"), "null");
  assert.equal(await persist.readValue("BTCUSDT"), null);
  await persist.writeValue(7, [1, 2]);
  assert.deepEqual(await persist.readValue("7"), [1, 2]);
});

test("removeValue deletes; a missing entity is 'not found for deletion'", async (t) => {
  const { persist, dir } = await store(t);
  await persist.writeValue("BTCUSDT", { id: 1 });
  await persist.removeValue("BTCUSDT");
  assert.equal(fs.existsSync(path.join(dir, "BTCUSDT.json")), false);
  await assert.rejects(persist.removeValue("BTCUSDT"), {
    message: "Entity signal:BTCUSDT not found for deletion",
    code: "ENTITY_NOT_FOUND",
  });
});

test("removeAll deletes every entity file and nothing else", async (t) => {
  const { persist, dir } = await store(t);
  for (const id of ["a", "b", "c"]) await persist.writeValue(id, { id });
  fs.writeFileSync(path.join(dir, "notes.txt"), "keep");
  fs.writeFileSync(path.join(dir, ".tmp-0123456789ab-a.json"), "{}");
  fs.mkdirSync(path.join(dir, ".quarantine"));
  fs.writeFileSync(path.join(dir, ".quarantine", "x.json"), "{bad");
  await persist.removeAll();
  assert.deepEqual(fs.readdirSync(dir).sort(), [".quarantine", ".tmp-0123456789ab-a.json", "notes.txt"]);
  assert.equal(await persist.getCount(), 0);
});

test("getCount counts entities", async (t) => {
  const { persist } = await store(t);
  assert.equal(await persist.getCount(), 0);
  for (const id of ["x", "y", 3]) await persist.writeValue(id, {});
  assert.equal(await persist.getCount(), 3);
});

test("keys are strings sorted numeric-aware and case-insensitively; values follow them", async (t) => {
  const { persist } = await store(t);
  const ids = ["10", "b", "2", "A", "1", "item10", "item9", "C"];
  for (const id of ids) await persist.writeValue(id, { id });
  const expected = [...ids].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }));
  assert.deepEqual(await collect(persist.keys()), expected);
  assert.deepEqual(await collect(persist.values()), expected.map((id) => ({ id })));
  assert.deepEqual(await collect(persist), expected.map((id) => ({ id })));
});

test("filter and take", async (t) => {
  const { persist } = await store(t);
  for (let n = 1; n <= 6; n += 1) await persist.writeValue(n, { n });
  const even = (value) => value.n % 2 === 0;
  assert.deepEqual(await collect(persist.filter(even)), [{ n: 2 }, { n: 4 }, { n: 6 }]);
  assert.deepEqual(await collect(persist.take(2)), [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(await collect(persist.take(2, even)), [{ n: 2 }, { n: 4 }]);
  assert.deepEqual(await collect(persist.take(10)), [1, 2, 3, 4, 5, 6].map((n) => ({ n })));
  assert.deepEqual(await collect(persist.take(0)), []);
});

test("keys and values of a store whose directory is missing reject with the reference's messages", async (t) => {
  const persist = new PersistBase("never", tempDir(t));
  await assert.rejects(collect(persist.keys()), { message: /^Failed to read keys for never: ENOENT: /, code: "KEYS_FAILED" });
  await assert.rejects(collect(persist.values()), { message: /^Failed to read values for never: ENOENT: /, code: "VALUES_FAILED" });
});

test("a JS subclass: its constructor, overrides and super calls, and iteration through its overrides", async (t) => {
  const baseDir = tempDir(t);
  class Tagged extends PersistBase {
    constructor(entityName, dir) {
      super(entityName, dir);
      this.tag = "T";
    }
    async readValue(id) {
      return { tag: this.tag, value: await super.readValue(id) };
    }
    async *keys() {
      for await (const key of super.keys()) {
        if (key !== "hidden") yield key;
      }
    }
  }
  const persist = new Tagged("sub", baseDir);
  assert.ok(persist instanceof PersistBase);
  assert.equal(persist.tag, "T");
  assert.equal(persist._directory, path.join(baseDir, "sub"));
  await persist.waitForInit(true);
  await persist.writeValue("a", 1);
  await persist.writeValue("hidden", 2);
  assert.deepEqual(await persist.readValue("a"), { tag: "T", value: 1 });
  assert.deepEqual(await collect(persist.values()), [{ tag: "T", value: 1 }]);
  assert.deepEqual(await collect(persist.filter(() => true)), [{ tag: "T", value: 1 }]);
  assert.deepEqual(await collect(persist.take(1)), [{ tag: "T", value: 1 }]);
});
