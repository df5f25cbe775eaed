// SPEC D: bad input gets a clear error, leaves the stored data as it was, and crashes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PersistBase } from "../index.js";
import { captureConsoleError, collect, tempDir } from "./helpers/tmp.mjs";

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const KEPT = '{"id":"kept"}';

/** Every file and folder under `root`, with file contents, for before/after comparisons. */
function snapshot(root) {
  return fs
    .readdirSync(root, { recursive: true })
    .sort()
    .map((name) => {
      const file = path.join(root, name);
      return [name, fs.statSync(file).isFile() ? fs.readFileSync(file).toString("base64") : "<dir>"];
    });
}

/**
 * A store at `<root>/base/signal` holding BTCUSDT = {"id":"kept"}. `unchanged()` checks that
 * nothing under `root` changed, so a write escaping the store's directory is caught too.
 */
async function guardedStore(t) {
  const root = tempDir(t);
  const persist = new PersistBase("signal", path.join(root, "base"));
  await persist.waitForInit(true);
  await persist.writeValue("BTCUSDT", JSON.parse(KEPT));
  const dir = path.join(root, "base", "signal");
  assert.equal(fs.readFileSync(path.join(dir, "BTCUSDT.json"), "utf8"), KEPT);
  const before = snapshot(root);
  return { persist, dir, unchanged: () => assert.deepEqual(snapshot(root), before) };
}

/** `call()` returns a Promise (it does not throw synchronously) that rejects as `expected`. */
async function rejectsAsPromise(call, expected, label) {
  let pending;
  assert.doesNotThrow(() => {
    pending = call();
  }, label);
  assert.ok(pending instanceof Promise, label);
  await assert.rejects(pending, expected, label);
}

/** The message V8's own `fn()` throws with. */
function thrownMessage(fn) {
  let message;
  assert.throws(fn, (error) => {
    message = error.message;
    return true;
  });
  return message;
}

/** The calls of every per-entity method with `id`. */
const perEntityCalls = (persist, id) => ({
  readValue: () => persist.readValue(id),
  hasValue: () => persist.hasValue(id),
  writeValue: () => persist.writeValue(id, { evil: true }),
  removeValue: () => persist.removeValue(id),
});

function hasSetpriv() {
  return spawnSync("setpriv", ["--version"]).status === 0;
}

/**
 * A copy of the package's runtime files (loader, binary, package.json) in a directory every
 * user can read: the checkout itself may lie where nobody cannot enter (a 0700 temp folder,
 * a home directory), and an unprivileged child must still load the package.
 */
function packageForOtherUsers(t) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "persist-package-"));
  t.after(() => fs.rmSync(copy, { recursive: true, force: true }));
  const runtime = fs.readdirSync(packageDir).filter((name) => name === "index.js" || name === "package.json" || name.endsWith(".node"));
  for (const name of runtime) {
    fs.copyFileSync(path.join(packageDir, name), path.join(copy, name));
    fs.chmodSync(path.join(copy, name), 0o644);
  }
  fs.chmodSync(copy, 0o755);
  return copy;
}

/** Runs `script` in a child `node` as the unprivileged user nobody, in `cwd`; returns its JSON output. */
function runAsNobody(script, cwd) {
  const child = spawnSync(
    "setpriv",
    ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script],
    { encoding: "utf8", cwd },
  );
  assert.equal(child.status, 0, `the child exits normally: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

function canMountTmpfs() {
  return process.platform === "linux" && process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0;
}

// ---- entities ----

test("entities JSON cannot represent are refused with the cause, and nothing changes", async (t) => {
  const { persist, unchanged } = await guardedStore(t);
  const circular = { id: "c" };
  circular.self = circular;
  const notJson = (type) => `the value cannot be stored as JSON (JSON.stringify gave no text for a value of type ${type})`;
  const cases = [
    ["circular", circular, thrownMessage(() => JSON.stringify(circular))],
    ["BigInt", 10n, "Do not know how to serialize a BigInt"],
    ["nested BigInt", { big: [1n] }, "Do not know how to serialize a BigInt"],
    ["undefined", undefined, notJson("undefined")],
    ["function", () => 1, notJson("function")],
    ["symbol", Symbol("s"), notJson("symbol")],
    ["throwing toJSON", { toJSON: () => { throw new Error("boom"); } }, "boom"],
  ];
  assert.match(cases[0][2], /^Converting circular structure to JSON/);
  for (const [label, entity, cause] of cases) {
    for (const id of ["BTCUSDT", "NEW"]) {
      await rejectsAsPromise(
        () => persist.writeValue(id, entity),
        { code: "INVALID_ENTITY", message: `Failed to write entity signal:${id}: ${cause}` },
        `${label} as ${id}`,
      );
    }
  }
  unchanged();
  assert.deepEqual(await persist.readValue("BTCUSDT"), JSON.parse(KEPT));
});

// ---- ids ----

test("ids that are neither strings nor numbers are rejected by every method", async (t) => {
  const { persist, unchanged } = await guardedStore(t);
  const ids = [
    [{}, "object"],
    [["BTCUSDT"], "object"],
    [true, "boolean"],
    [null, "null"],
    [undefined, "undefined"],
    [Symbol("id"), "symbol"],
    [10n, "bigint"],
    [() => "BTCUSDT", "function"],
  ];
  for (const [id, type] of ids) {
    for (const [method, call] of Object.entries(perEntityCalls(persist, id))) {
      await rejectsAsPromise(
        call,
        { code: "INVALID_ENTITY_ID", message: `Invalid entity id for signal: it must be a string or a number, got ${type}` },
        `${method}(${type})`,
      );
    }
  }
  unchanged();
});

test("unsafe ids are rejected by every method and nothing is written anywhere", async (t) => {
  const { persist, unchanged } = await guardedStore(t);
  const unsafe = [
    ["", '"" must not be empty'],
    [".", `"." must not be '.' or '..'`],
    ["..", `".." must not be '.' or '..'`],
    ["../x", `"../x" must not contain '/'`],
    ["a/b", `"a/b" must not contain '/'`],
    ["a\\b", `"a\\\\b" must not contain '\\'`],
    ["a\u0000b", `"a\\0b" must not contain NUL`],
    [".tmp-abc-x", `".tmp-abc-x" must not start with the temp-file prefix '.tmp-'`],
  ];
  for (const [id, reason] of unsafe) {
    for (const [method, call] of Object.entries(perEntityCalls(persist, id))) {
      await rejectsAsPromise(
        call,
        { code: "INVALID_ENTITY_ID", message: `Invalid entity id for signal: ${reason}` },
        `${method}(${JSON.stringify(id)})`,
      );
    }
  }
  unchanged();
});

// ---- entity names ----

test("unsafe entity names (and unsafe segments of nested names) are rejected on first use and no directory is created", async (t) => {
  const root = tempDir(t);
  const names = [
    ["..", "must not be '.' or '..'"],
    ["a/../b", `has a segment ".." that must not be '.' or '..'`],
    ["a//b", "must not have an empty segment (a leading, trailing or doubled '/')"],
    ["/abs", "must not have an empty segment (a leading, trailing or doubled '/')"],
    ["a/", "must not have an empty segment (a leading, trailing or doubled '/')"],
    ["a\\b", "must not contain '\\'"],
  ];
  for (const [name, reason] of names) {
    const persist = new PersistBase(name, path.join(root, "base"));
    assert.equal(persist.entityName, name, "the constructor accepts the name");
    const calls = {
      ...perEntityCalls(persist, "x"),
      waitForInit: () => persist.waitForInit(true),
      removeAll: () => persist.removeAll(),
      getCount: () => persist.getCount(),
      keys: () => collect(persist.keys()),
      values: () => collect(persist.values()),
    };
    for (const [method, call] of Object.entries(calls)) {
      await rejectsAsPromise(
        call,
        { code: "INVALID_ENTITY_NAME", message: `Invalid entity name ${JSON.stringify(name)}: it ${reason}` },
        `${method} of ${JSON.stringify(name)}`,
      );
    }
  }
  assert.deepEqual(fs.readdirSync(root), [], "neither baseDir nor anything around it was created");
});

// ---- permissions and space ----

test("a directory without write permission: WRITE_FAILED with cause EACCES, old value intact", (t) => {
  if (!hasSetpriv()) {
    t.skip("setpriv is not installed (util-linux); root ignores permissions, so the write must run unprivileged");
    return;
  }
  const root = tempDir(t);
  const dir = path.join(root, "signal");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "BTCUSDT.json"), KEPT);
  fs.chmodSync(root, 0o755);
  fs.chmodSync(dir, 0o555);
  const publicPackage = packageForOtherUsers(t);
  const script = `
    const { PersistBase } = require(${JSON.stringify(publicPackage)});
    const persist = new PersistBase("signal", ${JSON.stringify(root)});
    const report = (e) => ({ message: e.message, code: e.code, cause: e.cause && e.cause.code });
    (async () => {
      const write = await persist.writeValue("BTCUSDT", { id: "new" }).then(() => ({ ok: true }), report);
      const read = await persist.readValue("BTCUSDT");
      console.log(JSON.stringify({ write, read }));
    })();
  `;
  const { write, read } = runAsNobody(script, publicPackage);
  assert.equal(write.code, "WRITE_FAILED");
  assert.equal(write.cause, "EACCES");
  assert.ok(
    write.message.startsWith(`Failed to write entity signal:BTCUSDT: EACCES: permission denied, open '${dir}/.tmp-`),
    write.message,
  );
  assert.deepEqual(read, JSON.parse(KEPT), "the child still reads after the failure");
  assert.equal(fs.readFileSync(path.join(dir, "BTCUSDT.json"), "utf8"), KEPT);
  assert.deepEqual(fs.readdirSync(dir), ["BTCUSDT.json"]);
});

test("a full disk: ENOSPC is reported, the old value stays, no temp file is left", async (t) => {
  if (!canMountTmpfs()) {
    t.skip("mounting a small tmpfs needs root on Linux");
    return;
  }
  let mounted;
  t.after(() => mounted && execFileSync("umount", [mounted])); // registered first: runs before tempDir's removal
  const mountPoint = path.join(tempDir(t), "mnt");
  fs.mkdirSync(mountPoint);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]);
  mounted = mountPoint;

  const persist = new PersistBase("signal", mountPoint);
  await persist.waitForInit(true);
  await persist.writeValue("BTCUSDT", JSON.parse(KEPT));
  await assert.rejects(persist.writeValue("BTCUSDT", { blob: "x".repeat(200 * 1024) }), (error) => {
    assert.equal(error.code, "WRITE_FAILED");
    assert.equal(error.cause.code, "ENOSPC");
    assert.match(error.message, /^Failed to write entity signal:BTCUSDT: ENOSPC: no space left on device, write '/);
    return true;
  });
  assert.equal(fs.readFileSync(path.join(mountPoint, "signal", "BTCUSDT.json"), "utf8"), KEPT);
  assert.deepEqual(fs.readdirSync(path.join(mountPoint, "signal")), ["BTCUSDT.json"]);
});

// ---- documents that are not JSON ----

test("a file that is not JSON: READ_FAILED on read, quarantined byte for byte at init", async (t) => {
  const baseDir = tempDir(t);
  const dir = path.join(baseDir, "signal");
  fs.mkdirSync(dir);
  const corrupt = {
    binary: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22]),
    torn: Buffer.from('{"id":', "utf8"),
  };
  for (const [id, bytes] of Object.entries(corrupt)) fs.writeFileSync(path.join(dir, `${id}.json`), bytes);
  fs.writeFileSync(path.join(dir, "good.json"), KEPT);

  // Read: an error, and the file stays where it is.
  const reader = new PersistBase("signal", baseDir);
  for (const [id, bytes] of Object.entries(corrupt)) {
    const cause = thrownMessage(() => JSON.parse(bytes.toString("utf8")));
    await assert.rejects(reader.readValue(id), { code: "READ_FAILED", message: `Failed to read entity signal:${id}: ${cause}` });
    assert.deepEqual(fs.readFileSync(path.join(dir, `${id}.json`)), bytes);
  }

  // Init: moved into .quarantine/ unchanged, each reported with the reference's line.
  const persist = new PersistBase("signal", baseDir);
  const [, logged] = await captureConsoleError(() => persist.waitForInit(true));
  assert.deepEqual(
    logged,
    Object.keys(corrupt).map(
      (id) => `backtest-kit PersistBase found invalid document for filePath=${path.join(dir, `${id}.json`)} entityName=signal`,
    ),
  );
  for (const [id, bytes] of Object.entries(corrupt)) {
    assert.deepEqual(fs.readFileSync(path.join(dir, ".quarantine", `${id}.json`)), bytes);
    await assert.rejects(persist.readValue(id), { code: "ENTITY_NOT_FOUND", message: `Entity signal:${id} not found` });
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), [".quarantine", "good.json"]);
  assert.deepEqual(await collect(persist.keys()), ["good"]);
  assert.deepEqual(await persist.readValue("good"), JSON.parse(KEPT));
});

// ---- still alive ----

test("after every bad input above, the same process still writes and reads", async (t) => {
  const { persist, dir } = await guardedStore(t);
  await persist.writeValue("BTCUSDT", { id: "next" });
  assert.deepEqual(await persist.readValue("BTCUSDT"), { id: "next" });
  assert.equal(fs.readFileSync(path.join(dir, "BTCUSDT.json"), "utf8"), '{"id":"next"}');
});

test("a toJSON that throws a plain value is reported with that value's text", async (t) => {
  const persist = new PersistBase("signal", tempDir(t));
  await persist.waitForInit(true);
  await assert.rejects(persist.writeValue("BTCUSDT", { toJSON() { throw "plain refusal"; } }), {
    code: "INVALID_ENTITY",
    message: "Failed to write entity signal:BTCUSDT: plain refusal",
  });
});
