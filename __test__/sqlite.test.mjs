// The SQLite store's own faults (the behaviour shared with every store runs in the suites over
// helpers/stores.mjs, the kill loop in kill-loop.test.mjs): a file that is not a database or is
// corrupt is refused with STORE_CORRUPT and left byte for byte; a full disk and a lock held by
// another process past the busy timeout are coded errors that leave what was stored intact;
// nothing ever resets the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PersistBase } from "../index.js";
import binding from "../binding.js";
import { tempDir } from "./helpers/tmp.mjs";

const store = (url, name = "signal") => new PersistBase(name, "./dump/data", { store: url });

test("a file that is not a SQLite database: STORE_CORRUPT, and the file is left as it was", async (t) => {
  const dir = tempDir(t, "sqlite not a db");
  const file = path.join(dir, "state.db");
  const bytes = Buffer.from(`${"this is a trading journal, not a database\n".repeat(20)}`);
  fs.writeFileSync(file, bytes);
  const url = `sqlite:${file}`;
  for (const call of [() => store(url).waitForInit(true), () => store(url).writeValue("BTCUSDT", { id: 1 }), () => store(url).readValue("BTCUSDT")]) {
    await assert.rejects(call(), (error) => {
      assert.equal(error.cause.code, "STORE_CORRUPT");
      assert.match(error.cause.message, /^the file is not a SQLite database, or it is corrupt; it was left as it is: /);
      return true;
    });
  }
  assert.deepEqual(fs.readFileSync(file), bytes);
  assert.deepEqual(fs.readdirSync(dir), ["state.db"], "no journal or WAL file was made beside it");
});

test("a corrupt database: reads fail with STORE_CORRUPT, integrity_check says so, nothing is reset", async (t) => {
  const dir = tempDir(t, "sqlite corrupt");
  const file = path.join(dir, "state.db");
  const url = `sqlite:${file}`;
  const writer = store(url);
  await writer.waitForInit(true);
  for (let n = 0; n < 200; n += 1) await writer.writeValue(`k${n}`, { n, pad: "x".repeat(200) });
  // Another process fully checkpoints and closes; then garbage lands in the table's pages.
  execFileSync("python3", ["-c", `import sqlite3; c = sqlite3.connect(${JSON.stringify(file)}); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()`]);
  const size = fs.statSync(file).size;
  assert.ok(size > 4 * 4096, `${size} bytes`);
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096);
  fs.closeSync(fd);
  const corrupted = fs.readFileSync(file);
  const reader = new PersistBase("signal", "./dump/data", { store: `sqlite:${path.join(dir, ".", "state.db")}` });
  await assert.rejects(
    (async () => {
      for (let n = 0; n < 200; n += 1) await reader.readValue(`k${n}`);
      for await (const key of reader.keys()) void key;
    })(),
    (error) => {
      assert.equal(error.cause.code, "STORE_CORRUPT", error.message);
      return true;
    },
  );
  assert.notEqual(await binding.__storeIntegrity(`sqlite:${path.join(dir, ".", "state.db")}`), "ok");
  assert.deepEqual(fs.readFileSync(file), corrupted, "the file is left as it was");
});

test("another process holding the write lock past the busy timeout: STORE_TIMEOUT, then writes go on", { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "sqlite busy");
  const file = path.join(dir, "state.db");
  const url = `sqlite:${file}`;
  const writer = store(url);
  await writer.waitForInit(true);
  await writer.writeValue("BTCUSDT", { kept: true });
  // A second process takes the write lock and holds it 8 s (the busy timeout is 5 s).
  const holder = spawn("python3", ["-c", `import sqlite3, sys, time\nc = sqlite3.connect(${JSON.stringify(file)}, isolation_level=None)\nc.execute("BEGIN IMMEDIATE")\nprint("locked", flush=True)\ntime.sleep(8)\nc.execute("ROLLBACK")`], { stdio: ["ignore", "pipe", "inherit"] });
  const released = new Promise((resolve) => holder.on("close", resolve));
  await new Promise((resolve) => holder.stdout.once("data", resolve));
  await assert.rejects(writer.writeValue("BTCUSDT", { kept: false }), (error) => {
    assert.equal(error.code, "WRITE_FAILED");
    assert.equal(error.cause.code, "STORE_TIMEOUT");
    assert.match(error.cause.message, /^the database stayed locked by another connection for 5 s/);
    return true;
  });
  assert.deepEqual(await writer.readValue("BTCUSDT"), { kept: true }, "readers are never blocked (WAL), and the value stayed");
  assert.equal(await released, 0);
  await writer.writeValue("BTCUSDT", { kept: "again" });
  assert.deepEqual(await writer.readValue("BTCUSDT"), { kept: "again" });
});

test("a full disk: the write fails with a coded error, what was stored stays, the database stays intact", async (t) => {
  if (!(process.platform === "linux" && process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0)) {
    t.skip("mounting a small tmpfs needs root on Linux");
    return;
  }
  let mounted;
  t.after(() => mounted && execFileSync("umount", [mounted]));
  const mountPoint = path.join(tempDir(t, "sqlite full"), "mnt");
  fs.mkdirSync(mountPoint);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint]);
  mounted = mountPoint;
  const url = `sqlite:${path.join(mountPoint, "state.db")}`;
  // In a child, so that its connections are closed (and the tmpfs can be unmounted) once it exits.
  const script = `
    const { PersistBase } = require(${JSON.stringify(path.join(import.meta.dirname, "../index.js"))});
    const binding = require(${JSON.stringify(path.join(import.meta.dirname, "../binding.js"))});
    (async () => {
      const writer = new PersistBase("signal", "./dump/data", { store: ${JSON.stringify(url)} });
      await writer.waitForInit(true);
      await writer.writeValue("kept", { kept: true });
      let failure;
      for (let n = 0; n < 100 && !failure; n += 1) {
        await writer.writeValue("big" + n, { blob: "x".repeat(20 * 1024) }).catch((error) => (failure = error));
      }
      const kept = await writer.readValue("kept");
      const integrity = await binding.__storeIntegrity(${JSON.stringify(url)});
      console.log(JSON.stringify({ failure: failure && { code: failure.code, cause: failure.cause.code, message: failure.cause.message }, kept, integrity }));
    })();
  `;
  const child = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  assert.equal(child.status, 0, child.stderr);
  const { failure, kept, integrity } = JSON.parse(child.stdout);
  assert.ok(failure, "the disk filled up");
  assert.equal(failure.code, "WRITE_FAILED");
  assert.equal(failure.cause, "STORE_FAILED");
  assert.match(failure.message, /^the disk is full: /);
  assert.deepEqual(kept, { kept: true });
  assert.equal(integrity, "ok");
});

test("a database file the process may not write: reads work, a write fails with 'read-only', nothing changes", (t) => {
  if (spawnSync("setpriv", ["--version"]).status !== 0 || process.getuid?.() !== 0) {
    t.skip("needs root and setpriv (util-linux): root ignores permissions, so the writer runs as nobody");
    return;
  }
  const dir = tempDir(t, "sqlite read only");
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, "state.db");
  const seed = `
    const { PersistBase } = require(${JSON.stringify(path.join(import.meta.dirname, "../index.js"))});
    (async () => { const s = new PersistBase("signal", "./dump", { store: ${JSON.stringify(`sqlite:${file}`)} }); await s.waitForInit(true); await s.writeValue("k", { v: 1 }); })();
  `;
  execFileSync(process.execPath, ["-e", seed]);
  const before = fs.readFileSync(file);
  // The package's runtime files where nobody can read them (the checkout may be in a 0700 folder).
  const copy = tempDir(t, "sqlite read only package");
  fs.chmodSync(copy, 0o755);
  for (const name of fs.readdirSync(path.join(import.meta.dirname, "..")).filter((n) => n === "index.js" || n.endsWith(".node"))) {
    fs.copyFileSync(path.join(import.meta.dirname, "..", name), path.join(copy, name));
    fs.chmodSync(path.join(copy, name), 0o644);
  }
  const script = `
    const { PersistBase } = require(${JSON.stringify(path.join(copy, "index.js"))});
    (async () => {
      const s = new PersistBase("signal", "./dump", { store: ${JSON.stringify(`sqlite:${file}`)} });
      const read = await s.readValue("k");
      const write = await s.writeValue("k", { v: 2 }).then(() => null, (e) => ({ code: e.code, cause: e.cause.code, message: e.cause.message }));
      console.log(JSON.stringify({ read, write }));
    })();
  `;
  const child = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], { encoding: "utf8", cwd: copy });
  assert.equal(child.status, 0, child.stderr);
  const { read, write } = JSON.parse(child.stdout);
  assert.deepEqual(read, { v: 1 });
  assert.equal(write.code, "WRITE_FAILED");
  assert.equal(write.cause, "STORE_FAILED");
  assert.match(write.message, /^the database is read-only: /);
  assert.deepEqual(fs.readFileSync(file), before);
});

test("an I/O error where SQLite syncs (EIO from fsync, injected): that write fails with a coded error; later writes work, the database stays intact", (t) => {
  if (process.platform !== "linux" || spawnSync("cc", ["--version"]).status !== 0) {
    t.skip("injects the error with an LD_PRELOAD shim built by cc (Linux)");
    return;
  }
  const dir = tempDir(t, "sqlite-eio");
  if (/[\s:]/.test(dir)) {
    t.skip(`LD_PRELOAD cannot name a library under ${dir} (a space or colon in the temp directory's path)`);
    return;
  }
  const shim = path.join(dir, "eio.c");
  fs.writeFileSync(shim, `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
static int failing(void) { const char *flag = getenv("EIO_WHILE"); return flag && access(flag, F_OK) == 0; }
int fsync(int fd) { if (failing()) { errno = EIO; return -1; } return ((int (*)(int))dlsym(RTLD_NEXT, "fsync"))(fd); }
int fdatasync(int fd) { if (failing()) { errno = EIO; return -1; } return ((int (*)(int))dlsym(RTLD_NEXT, "fdatasync"))(fd); }
`);
  execFileSync("cc", ["-shared", "-fPIC", "-o", path.join(dir, "eio.so"), shim, "-ldl"]);
  const flag = path.join(dir, "fail-now");
  const url = `sqlite:${path.join(dir, "state.db")}`;
  const script = `
    const fs = require("node:fs");
    const { PersistBase } = require(${JSON.stringify(path.join(import.meta.dirname, "../index.js"))});
    const binding = require(${JSON.stringify(path.join(import.meta.dirname, "../binding.js"))});
    (async () => {
      const s = new PersistBase("signal", "./dump", { store: ${JSON.stringify(url)} });
      await s.waitForInit(true);
      await s.writeValue("k", { v: 1 });
      fs.writeFileSync(${JSON.stringify(flag)}, "");
      const failed = await s.writeValue("k", { v: 2 }).then(() => null, (e) => ({ code: e.code, cause: e.cause.code, message: e.cause.message }));
      fs.rmSync(${JSON.stringify(flag)});
      const between = await s.readValue("k");
      await s.writeValue("k", { v: 3 });
      const after = await s.readValue("k");
      console.log(JSON.stringify({ failed, between, after, integrity: await binding.__storeIntegrity(${JSON.stringify(url)}) }));
    })();
  `;
  const child = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, LD_PRELOAD: path.join(dir, "eio.so"), EIO_WHILE: flag } });
  assert.equal(child.status, 0, child.stderr);
  const { failed, between, after, integrity } = JSON.parse(child.stdout);
  assert.ok(failed, "the write whose sync failed was not acknowledged");
  assert.equal(failed.code, "WRITE_FAILED");
  assert.equal(failed.cause, "STORE_FAILED");
  assert.match(failed.message, /I\/O error/i);
  // Its outcome is unknown (its frame may be in the log): either value, whole.
  assert.ok([1, 2].includes(between.v), JSON.stringify(between));
  assert.deepEqual(after, { v: 3 });
  assert.equal(integrity, "ok");
});
