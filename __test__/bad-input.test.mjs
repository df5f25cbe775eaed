// SPEC D: bad input gets a clear error and leaves the stored data as it was; nothing crashes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PersistBase } from "../index.js";
import { captureConsoleError, tempDir } from "./helpers/tmp.mjs";

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A store holding one known entity, and a check that the base directory is exactly as it was. */
async function guarded(t) {
  const baseDir = tempDir(t);
  const persist = new PersistBase("signal", baseDir);
  await persist.waitForInit(true);
  await persist.writeValue("BTCUSDT", { id: "kept" });
  const snapshot = () =>
    fs
      .readdirSync(baseDir, { recursive: true })
      .sort()
      .map((name) => {
        const file = path.join(baseDir, name);
        return [name, fs.statSync(file).isFile() ? fs.readFileSync(file, "utf8") : "<dir>"];
      });
  const before = snapshot();
  return { persist, baseDir, unchanged: () => assert.deepEqual(snapshot(), before) };
}

test("entities JSON cannot represent are refused and nothing changes", async (t) => {
  const { persist, unchanged } = await guarded(t);
  const circular = { id: "c" };
  circular.self = circular;
  const cases = [
    [circular, /^Failed to write entity signal:BTCUSDT: Converting circular structure to JSON/],
    [{ big: 10n }, /^Failed to write entity signal:BTCUSDT: Do not know how to serialize a BigInt$/],
    [undefined, /^Failed to write entity signal:BTCUSDT: the value cannot be stored as JSON/],
    [() => 1, /^Failed to write entity signal:BTCUSDT: the value cannot be stored as JSON/],
    [Symbol("s"), /^Failed to write entity signal:BTCUSDT: the value cannot be stored as JSON/],
  ];
  for (const [entity, message] of cases) {
    await assert.rejects(persist.writeValue("BTCUSDT", entity), { code: "INVALID_ENTITY", message });
  }
  unchanged();
  assert.deepEqual(await persist.readValue("BTCUSDT"), { id: "kept" });
});

test("ids that are not strings or numbers are rejected by every method, as rejections", async (t) => {
  const { persist, unchanged } = await guarded(t);
  const ids = [{}, ["a"], true, null, undefined, Symbol("id"), 10n];
  for (const id of ids) {
    for (const call of [() => persist.readValue(id), () => persist.hasValue(id), () => persist.writeValue(id, {}), () => persist.removeValue(id)]) {
      const pending = call();
      assert.ok(pending instanceof Promise, "bad ids reject, they do not throw synchronously");
      await assert.rejects(pending, { code: "INVALID_ENTITY_ID", message: /^Invalid entity id for signal: it must be a string or a number, got / });
    }
  }
  unchanged();
});

test("unsafe ids are rejected and nothing is written anywhere", async (t) => {
  const { persist, unchanged } = await guarded(t);
  const unsafe = ["", ".", "..", "../x", "a/b", "a\\b", "a\u0000b", ".tmp-abc-x"];
  for (const id of unsafe) {
    await assert.rejects(persist.writeValue(id, { evil: true }), {
      code: "INVALID_ENTITY_ID",
      message: /^Invalid entity id for signal: ".*" must (not|be)/s,
    });
    await assert.rejects(persist.readValue(id), { code: "INVALID_ENTITY_ID" });
  }
  unchanged();
});

test("unsafe entity names are rejected on first use and no directory is created", async (t) => {
  const baseDir = tempDir(t);
  for (const name of ["..", "a/b", ""]) {
    const persist = new PersistBase(name, baseDir);
    await assert.rejects(persist.waitForInit(true), { code: "INVALID_ENTITY_NAME" });
    await assert.rejects(persist.writeValue("x", 1), { code: "INVALID_ENTITY_NAME" });
  }
  assert.deepEqual(fs.readdirSync(baseDir), []);
  assert.deepEqual(fs.readdirSync(path.dirname(baseDir)).includes("x.json"), false);
});

test("a file that is not JSON: an error on read, quarantine at init", async (t) => {
  const baseDir = tempDir(t);
  const dir = path.join(baseDir, "signal");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "torn.json"), '{"id":');
  await assert.rejects(new PersistBase("signal", baseDir).readValue("torn"), { code: "READ_FAILED" });
  const [, logged] = await captureConsoleError(() => new PersistBase("signal", baseDir).waitForInit(true));
  assert.equal(logged.length, 1);
  assert.equal(fs.readFileSync(path.join(dir, ".quarantine", "torn.json"), "utf8"), '{"id":');
});

test("a directory without write permission: a clear error and the old value intact", { skip: !hasSetpriv() && "setpriv is not installed (.ci/run installs util-linux)" }, (t) => {
  const baseDir = tempDir(t);
  const dir = path.join(baseDir, "signal");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "BTCUSDT.json"), '{"id":"old"}');
  fs.chmodSync(baseDir, 0o755);
  fs.chmodSync(dir, 0o555);
  fs.chmodSync(path.join(dir, "BTCUSDT.json"), 0o644);
  // Root ignores permissions: the write runs as the unprivileged user `nobody`.
  const script = `
    const { PersistBase } = require(${JSON.stringify(packageDir)});
    new PersistBase("signal", ${JSON.stringify(baseDir)}).writeValue("BTCUSDT", { id: "new" })
      .then(() => console.log(JSON.stringify({ ok: true })), (e) => console.log(JSON.stringify({ message: e.message, code: e.code, cause: e.cause && e.cause.code })));
  `;
  const output = execFileSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], {
    encoding: "utf8",
  });
  const result = JSON.parse(output);
  assert.equal(result.code, "WRITE_FAILED");
  assert.equal(result.cause, "EACCES");
  assert.match(result.message, /^Failed to write entity signal:BTCUSDT: EACCES: permission denied, open '/);
  assert.equal(fs.readFileSync(path.join(dir, "BTCUSDT.json"), "utf8"), '{"id":"old"}');
  assert.deepEqual(fs.readdirSync(dir), ["BTCUSDT.json"]);
});

test("after every bad input the process still works", async (t) => {
  const persist = new PersistBase("after", tempDir(t));
  await persist.writeValue("ok", { fine: true }).catch(() => {});
  await persist.waitForInit(true);
  await persist.writeValue("ok", { fine: true });
  assert.deepEqual(await persist.readValue("ok"), { fine: true });
});

function hasSetpriv() {
  return spawnSync("setpriv", ["--version"]).status === 0;
}

test("a full disk: ENOSPC is reported, the old value stays, no temp file is left", { skip: !canMountTmpfs() && "mounting a tmpfs is refused here (needs root)" }, async (t) => {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), "full-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]);
  t.after(() => {
    execFileSync("umount", [mountPoint]);
    fs.rmdirSync(mountPoint);
  });
  const persist = new PersistBase("signal", mountPoint);
  await persist.waitForInit(true);
  await persist.writeValue("BTCUSDT", { id: "old" });
  const big = { blob: "x".repeat(200 * 1024) };
  await assert.rejects(persist.writeValue("BTCUSDT", big), (error) => {
    assert.equal(error.code, "WRITE_FAILED");
    assert.equal(error.cause.code, "ENOSPC");
    assert.match(error.message, /^Failed to write entity signal:BTCUSDT: ENOSPC: no space left on device, write '/);
    return true;
  });
  assert.deepEqual(await persist.readValue("BTCUSDT"), { id: "old" });
  assert.deepEqual(fs.readdirSync(path.join(mountPoint, "signal")), ["BTCUSDT.json"]);
});

function canMountTmpfs() {
  return process.platform === "linux" && typeof process.getuid === "function" && process.getuid() === 0 && spawnSync("mount", ["--version"]).status === 0;
}
