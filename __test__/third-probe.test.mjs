// The third hostile probe (issue 29), one test per break it found, each failing before its fix:
// a directory's identity (an inode reused by another directory, spellings never initialised,
// two spellings of one SQLite file), SQLite batches and its one file, the candle cache's bounds
// and fidelity, clear() while writes are pending, and the CLI's pipes and missing files.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { PersistBase, writeFileAtomic } from "../index.js";
import * as bk from "backtest-kit";
import { PersistCandleInstance, candleCacheUsage, clearCandleCache, setCandleCacheLimit, usePersistNative } from "../v19/index.js";
import pg from "pg";
import { STORES } from "./helpers/stores.mjs";
import { until } from "./helpers/wait.mjs";
import { inDirectory, runWithDeadline, tempDir } from "./helpers/tmp.mjs";
import { cli } from "./helpers/cli.mjs";

const MINUTE = 60_000;
const candle = (i, tag = "") => ({ timestamp: i * MINUTE, open: i, high: i + 1, low: i - 1, close: i, volume: 1, ...(tag ? { tag } : {}) });
const noSymlinks = process.platform === "win32" && "symlinks need privileges";

// ---------------------------------------------------------------------------------------------
// 1. A directory's identity

test("a symbol's directory created with the inode of a removed one never serves the removed one's candles", { skip: process.platform !== "linux" && "inode reuse is ext4's", timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "probe reuse");
  clearCandleCache();
  await inDirectory(dir, async () => {
    const exchange = path.join(dir, "dump/data/candle/binance");
    let reused = 0;
    for (let round = 0; round < 20; round += 1) {
      const [from, to] = [`B${round}USDT`, `E${round}USDT`];
      const btc = new PersistCandleInstance(from, "1m", "binance");
      await btc.waitForInit(true);
      await btc.writeCandlesData(Array.from({ length: 10 }, (_, i) => candle(i, from)));
      assert.equal((await btc.readCandlesData(10, 0, 0)).length, 10, "cached");
      fs.mkdirSync(path.join(exchange, to));
      const inode = fs.statSync(path.join(exchange, from, "1m")).ino;
      // Outside the package, while the process runs.
      fs.rmSync(path.join(exchange, from), { recursive: true });
      const eth = new PersistCandleInstance(to, "1m", "binance");
      await eth.waitForInit(true);
      if (fs.statSync(path.join(exchange, to, "1m")).ino === inode) reused += 1;
      assert.equal(await eth.readCandlesData(10, 0, 0), null, `round ${round}: ${to} has no candles of its own`);
      const uninitialised = new PersistCandleInstance(to, "1m", "binance");
      assert.equal(await uninitialised.readCandlesData(10, 0, 0), null, `round ${round}: nor through an Instance never initialised`);
    }
    t.diagnostic(`the removed directory's inode was reused in ${reused} of 20 rounds`);
  });
});

test("a store's write never joins a pending write of a removed directory whose inode another store got", { skip: process.platform !== "linux" && "inode reuse is ext4's", timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "probe reuse write");
  for (let round = 0; round < 30; round += 1) {
    const [nameA, nameB] = [`a${round}`, `b${round}`];
    const a = new PersistBase(nameA, dir);
    await a.waitForInit(true);
    fs.rmSync(path.join(dir, nameA), { recursive: true });
    fs.mkdirSync(path.join(dir, nameB));
    fs.mkdirSync(path.join(dir, nameA));
    const b = new PersistBase(nameB, dir);
    await b.waitForInit(true);
    const pad = "x".repeat(64 * 1024);
    await Promise.all([a.writeValue("BTCUSDT", { by: "a", pad }), a.writeValue("BTCUSDT", { by: "a", pad }), b.writeValue("BTCUSDT", { by: "b" })]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, nameA, "BTCUSDT.json"), "utf8")).by, "a", `round ${round}: a's file holds a's document`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, nameB, "BTCUSDT.json"), "utf8")).by, "b", `round ${round}: b's file is written`);
  }
});

test("changes through a symlinked spelling that never ran waitForInit are seen by the candle cache", { skip: noSymlinks, timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "probe spelling cache");
  clearCandleCache();
  await inDirectory(dir, async () => {
    const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    await ours.waitForInit(true);
    const folder = path.join(dir, "dump/data/candle/binance/BTCUSDT/1m");
    fs.symlinkSync(folder, path.join(dir, "link"), "dir");
    const fill = async () => {
      await ours.writeCandlesData(Array.from({ length: 10 }, (_, i) => candle(i)));
      assert.equal((await ours.readCandlesData(10, 0, 0)).length, 10);
    };
    await fill();
    const link = new PersistBase("link", dir);
    await link.writeValue(String(3 * MINUTE), candle(3, "link"));
    assert.equal((await ours.readCandlesData(10, 0, 0))[3].tag, "link", "writeValue through the link");
    await link.removeValue(String(4 * MINUTE));
    assert.equal(await ours.readCandlesData(10, 0, 0), null, "removeValue through the link");
    await fill();
    await writeFileAtomic(path.join("/proc/self/cwd", "link", `${5 * MINUTE}.json`), JSON.stringify(candle(5, "proc")));
    assert.equal((await ours.readCandlesData(10, 0, 0))[5].tag, "proc", "writeFileAtomic through /proc/self/cwd and the link");
    await new PersistBase("link", path.join("/proc/self/cwd")).removeAll();
    assert.equal(await ours.readCandlesData(10, 0, 0), null, "removeAll through another spelling");
  });
});

test("an Instance never initialised sees changes made through an initialised symlinked spelling", { skip: noSymlinks, timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "probe spelling uninit");
  clearCandleCache();
  await inDirectory(dir, async () => {
    const folder = path.join(dir, "dump/data/candle/binance/BTCUSDT/1m");
    fs.mkdirSync(folder, { recursive: true });
    const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    await ours.writeCandlesData(Array.from({ length: 10 }, (_, i) => candle(i)));
    assert.equal((await ours.readCandlesData(10, 0, 0)).length, 10);
    fs.symlinkSync(folder, path.join(dir, "link"), "dir");
    const link = new PersistBase("link", dir);
    await link.waitForInit(true);
    await link.writeValue(String(2 * MINUTE), candle(2, "link"));
    assert.equal((await ours.readCandlesData(10, 0, 0))[2].tag, "link");
  });
});

test("writes through the real spelling and an uninitialised symlink keep the newer, 200 pairs of 200", { skip: noSymlinks, timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "probe spelling order");
  const real = new PersistBase("real", dir);
  await real.waitForInit(true);
  fs.symlinkSync(path.join(dir, "real"), path.join(dir, "link"), "dir");
  const link = new PersistBase("link", dir);
  const proc = new PersistBase("link", path.join("/proc/self/root", dir));
  const pad = "x".repeat(256 * 1024);
  for (let round = 0; round < 200; round += 1) {
    const newer = round % 2 === 0 ? link : proc;
    await Promise.all([real.writeValue("k", { round, by: "real", pad }), newer.writeValue("k", { round, by: "link" })]);
    const held = JSON.parse(fs.readFileSync(path.join(dir, "real", "k.json"), "utf8"));
    assert.deepEqual({ round: held.round, by: held.by }, { round, by: "link" }, `round ${round}: the newer write stays`);
  }
});

/** Bind-mounts `from` on `to` (root on Linux only): the function that unmounts it, or null where that is not allowed. */
function bindMount(from, to) {
  if (process.platform !== "linux") return null;
  fs.mkdirSync(to, { recursive: true });
  if (spawnSync("mount", ["--bind", from, to], { stdio: "ignore" }).status !== 0) return null;
  return () => assert.equal(spawnSync("umount", [to], { stdio: "ignore" }).status, 0, `umount ${to}`);
}

test("a bind mount of a store's directory is one directory: ordered and cached as one", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "probe bind");
  await inDirectory(dir, async () => {
    const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    await ours.waitForInit(true);
    const folder = path.join(dir, "dump/data/candle/binance/BTCUSDT/1m");
    const unmount = bindMount(folder, path.join(dir, "bound"));
    if (!unmount) return t.skip("mount --bind needs root");
    // Unmounted before the temp directory is removed (which would stop at the mount point).
    try {
      await ours.writeCandlesData(Array.from({ length: 10 }, (_, i) => candle(i)));
      assert.equal((await ours.readCandlesData(10, 0, 0)).length, 10);
      const bound = new PersistBase("bound", dir);
      await bound.writeValue(String(3 * MINUTE), candle(3, "bound"));
      assert.equal((await ours.readCandlesData(10, 0, 0))[3].tag, "bound", "a write through the bind mount is seen");
      const real = new PersistBase("binance/BTCUSDT/1m", "./dump/data/candle");
      const pad = "x".repeat(256 * 1024);
      for (let round = 0; round < 100; round += 1) {
        await Promise.all([real.writeValue("k", { round, by: "real", pad }), bound.writeValue("k", { round, by: "bound" })]);
        const held = JSON.parse(fs.readFileSync(path.join(folder, "k.json"), "utf8"));
        assert.deepEqual({ round: held.round, by: held.by }, { round, by: "bound" }, `round ${round}: the newer write stays`);
      }
    } finally {
      unmount();
    }
  });
});

test("two spellings of one SQLite file are one store: ordered as one, cached as one", { skip: noSymlinks, timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "probe sqlite spelling");
  fs.mkdirSync(path.join(dir, "real"));
  fs.symlinkSync(path.join(dir, "real"), path.join(dir, "current"), "dir");
  const viaLink = `sqlite:${path.join(dir, "current", "state.db")}`;
  await inDirectory(path.join(dir, "current"), async () => {
    const here = new PersistBase("signal", "./dump/data", { store: "sqlite:./state.db" });
    const there = new PersistBase("signal", "./dump/data", { store: viaLink });
    await here.waitForInit(true);
    await there.waitForInit(true);
    const pad = "x".repeat(256 * 1024);
    for (let round = 0; round < 200; round += 1) {
      await Promise.all([here.writeValue("k", { round, by: "here", pad }), there.writeValue("k", { round, by: "there" })]);
      const held = await here.readValue("k");
      assert.deepEqual({ round: held.round, by: held.by }, { round, by: "there" }, `round ${round}: the newer write stays`);
    }
    const entity = "binance/BTCUSDT/1m";
    const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    ours._storage = new PersistBase(entity, "./dump/data/candle", { store: "sqlite:./state.db" });
    await ours.waitForInit(true);
    await ours.writeCandlesData(Array.from({ length: 10 }, (_, i) => candle(i)));
    assert.equal((await ours.readCandlesData(10, 0, 0)).length, 10, "cached");
    await new PersistBase(entity, "./dump/data/candle", { store: viaLink }).removeValue(String(4 * MINUTE));
    assert.equal(await ours.readCandlesData(10, 0, 0), null, "a candle removed through the other spelling is not served");
  });
});

// ---------------------------------------------------------------------------------------------
// 2. SQLite: a batch whole or nothing, the one file, namespaces, the CLI on a missing file

/**
 * Starts a child writing generations of `rows` storage rows to `url`, one batch each, and
 * SIGKILLs it `delayMs` after it began generation `killAt`: at moments spread over a batch.
 */
function killedBatchWriter(url, rows, killAt, delayMs) {
  const script = `
    const { PersistBase } = require(${JSON.stringify(path.join(import.meta.dirname, "..", "index.js"))});
    const { PersistStorageInstance } = require(${JSON.stringify(path.join(import.meta.dirname, "..", "v19", "index.js"))});
    (async () => {
      const storage = Object.assign(new PersistStorageInstance(true), { _storage: new PersistBase("storage", "./dump", { store: ${JSON.stringify(url)} }) });
      await storage.waitForInit(true);
      for (let generation = 1; ; generation += 1) {
        process.stdout.write("writing " + generation + "\\n");
        await storage.writeStorageData(Array.from({ length: ${rows} }, (_, i) => ({ id: "r" + i, generation, pad: "x".repeat(200) })));
      }
    })();`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line === `writing ${killAt}`) setTimeout(() => child.kill("SIGKILL"), delayMs);
  });
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr })));
}

/**
 * A killed client's last statement may still be running on a PostgreSQL server (a pooler keeps
 * the server connection and lets it finish): waits until no upsert of the table is active, so
 * the reads (windows of 512 ids, no snapshot across them) do not meet it committing.
 */
async function serverDone(url) {
  if (!url.startsWith("postgres")) return;
  const client = new pg.Client({ connectionString: url.replace(/[?&]timeout_ms=\d+/, "") });
  await client.connect();
  try {
    const active = "/*NO LOAD BALANCE*/ SELECT count(*)::int AS n FROM pg_stat_activity WHERE state <> 'idle' AND query LIKE '%INSERT INTO backtest_persist%' AND pid <> pg_backend_pid()";
    await until(async () => (await client.query(active)).rows[0].n === 0, "the killed client's last statement to end");
  } finally {
    await client.end();
  }
}

// Every store where a batch is one transaction: SQLite, and the servers with the deployments in front of them.
for (const row of STORES.filter((row) => row.server)) {
  test(`${row.name}: a storage batch of 6,000 rows, SIGKILLed while writing, reads back as one generation`, { skip: row.skip, timeout: 300_000 }, async (t) => {
    const url = await row.url(t);
    const generations = new Set();
    for (let round = 0; round < 24; round += 1) {
      const { signal, stderr } = await killedBatchWriter(url, 6000, 2 + (round % 3), round * 4);
      assert.equal(signal, "SIGKILL", stderr);
      await serverDone(url);
      const store = new PersistBase("storage", "./dump", { store: url });
      const seen = new Map();
      for await (const row of store.values()) seen.set(row.generation, (seen.get(row.generation) ?? 0) + 1);
      assert.equal(seen.size, 1, `round ${round}: rows of generations ${JSON.stringify([...seen])}`);
      assert.equal([...seen.values()][0], 6000);
      generations.add([...seen.keys()][0]);
    }
    t.diagnostic(`generations seen after the kills: ${[...generations].sort().join(", ")}`);
  });
}

test("after 200 writes and a clean exit (or process.exit) the SQLite file alone holds every document", { timeout: 120_000 }, async (t) => {
  for (const ending of ["", "process.exit(0);"]) {
    const dir = tempDir(t, "probe sqlite wal");
    const file = path.join(dir, "state.db");
    const script = `
      const { PersistBase } = require(${JSON.stringify(path.join(import.meta.dirname, "..", "main.js"))});
      (async () => {
        const store = new PersistBase("signal", "./dump", { store: ${JSON.stringify(`sqlite:${file}`)} });
        await store.waitForInit(true);
        for (let i = 0; i < 200; i += 1) await store.writeValue("k" + i, { i, pad: "x".repeat(1000) });
        ${ending}
      })();`;
    const result = await runWithDeadline(process.execPath, ["-e", script], { limitMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const wal = fs.statSync(`${file}-wal`, { throwIfNoEntry: false });
    assert.ok(!wal || wal.size === 0, `${ending || "natural exit"}: the log still holds ${wal?.size} bytes`);
    // The one file, copied alone, is a whole backup.
    const copy = path.join(dir, "copy");
    fs.mkdirSync(copy);
    fs.copyFileSync(file, path.join(copy, "state.db"));
    const restored = new PersistBase("signal", "./dump", { store: `sqlite:${path.join(copy, "state.db")}` });
    assert.equal(await restored.getCount(), 200, ending || "natural exit");
  }
});

test("while a bot runs, the SQLite write-ahead log is cut back after a 30 MB batch instead of keeping its size", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "probe sqlite wal bound");
  const file = path.join(dir, "state.db");
  await inDirectory(dir, async () => {
    const { PersistStorageInstance } = await import("../v19/index.js");
    const storage = Object.assign(new PersistStorageInstance(true), { _storage: new PersistBase("storage", "./dump", { store: `sqlite:${file}` }) });
    await storage.waitForInit(true);
    await storage.writeStorageData(Array.from({ length: 6000 }, (_, i) => ({ id: `r${i}`, pad: "x".repeat(5000) })));
    const after = fs.statSync(`${file}-wal`).size;
    for (let i = 0; i < 5; i += 1) await storage.writeStorageData([{ id: `small${i}` }]);
    const wal = fs.statSync(`${file}-wal`).size;
    assert.ok(wal <= 9 * 2 ** 20, `the log holds ${(wal / 2 ** 20).toFixed(1)} MiB (${(after / 2 ** 20).toFixed(1)} MiB after the batch)`);
  });
});

test("on SQLite, dump\\data and dump/data are two namespaces, as they are two directories on Linux", { skip: process.platform === "win32" && "a backslash separates there", timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "probe sqlite backslash");
  const url = `sqlite:${path.join(dir, "state.db")}`;
  const slash = new PersistBase("signal", "dump/data", { store: url });
  const backslash = new PersistBase("signal", "dump\\data", { store: url });
  await slash.writeValue("k", { by: "slash" });
  await backslash.writeValue("k", { by: "backslash" });
  assert.deepEqual(await slash.readValue("k"), { by: "slash" });
  assert.deepEqual(await backslash.readValue("k"), { by: "backslash" });
});

test("export, migrate --from and inspect on a missing sqlite: file exit 2 and create nothing", async (t) => {
  const dir = tempDir(t, "probe cli missing");
  const absent = path.join(dir, "absent.db");
  for (const args of [["export", `sqlite:${absent}`], ["migrate", "--from", `sqlite:${absent}`, "--to", path.join(dir, "out")], ["inspect", `sqlite:${absent}`], ["verify", `sqlite:${absent}`], ["export", "sqlite:./absent.db"]]) {
    const { code, stderr } = await cli(args, { cwd: dir });
    assert.equal(code, 2, `${args.join(" ")}: exit ${code}\n${stderr}`);
    assert.match(stderr, /no database file at /, args.join(" "));
    assert.deepEqual(fs.readdirSync(dir), [], `${args.join(" ")} created nothing`);
  }
});

// ---------------------------------------------------------------------------------------------
// 4. Registries: clear() while writes are pending

test("30 writeSignalData on one key with clear(), useJson() and re-registration between: the last call's value stays, 20 rounds of 20", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "probe clear");
  await inDirectory(dir, async () => {
    const { PersistSignalAdapter, PersistSignalInstance } = await import("../v19/index.js");
    t.after(() => PersistSignalAdapter.useJson());
    for (let round = 0; round < 20; round += 1) {
      const calls = [];
      for (let i = 0; i < 30; i += 1) {
        calls.push(PersistSignalAdapter.writeSignalData({ id: `s${i}`, round, pad: "x".repeat(i % 3 === 0 ? 100_000 : 0) }, "BTCUSDT", "trend", "binance"));
        if (i % 7 === 3) PersistSignalAdapter.clear();
        if (i % 11 === 5) PersistSignalAdapter.useJson();
        if (i % 13 === 6) PersistSignalAdapter.usePersistSignalAdapter(PersistSignalInstance);
      }
      await Promise.all(calls);
      const held = await PersistSignalAdapter.readSignalData("BTCUSDT", "trend", "binance");
      assert.deepEqual({ id: held.id, round: held.round }, { id: "s29", round }, `round ${round}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 5. CLI: export to a closed pipe

test("export ./dump | head: the reader closing the pipe ends the export quietly with exit 0", { skip: process.platform === "win32" && "pipes differ", timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "probe epipe");
  const store = new PersistBase("signal", path.join(dir, "dump", "data"));
  await store.waitForInit(true);
  await Promise.all(Array.from({ length: 3000 }, (_, i) => store.writeValue(`k${i}`, { i, pad: "x".repeat(500) })));
  const child = spawn(process.execPath, [path.join(import.meta.dirname, "..", "bin", "backtest-persist.js"), "export", path.join(dir, "dump")], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const first = await new Promise((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
  assert.match(first, /^\{"path":"data\/signal\//);
  child.stdout.destroy();
  const code = await new Promise((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "", "no stack trace, nothing said");
});

// ---------------------------------------------------------------------------------------------
// 3. The candle cache's bounds and fidelity

test("range reads over 1,500 directories keep the cache's directories counted and bounded, and its descriptors too", { skip: process.platform !== "linux" && "counts /proc/self/fd", timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "probe cache dirs");
  clearCandleCache();
  const descriptors = () => fs.readdirSync("/proc/self/fd").length;
  const before = descriptors();
  await inDirectory(dir, async () => {
    for (let i = 0; i < 1500; i += 1) {
      const instance = new PersistCandleInstance(`S${i}USDT`, "1m", "binance");
      await instance.waitForInit(true);
      assert.equal(await instance.readCandlesData(5, 0, 0), null, "a miss");
    }
  });
  const { bytes } = candleCacheUsage();
  assert.ok(bytes > 0, "the directories a miss left are counted in the cache's bytes");
  assert.ok(bytes < 1024 * 1024, `${bytes} bytes for directories without a candle`);
  assert.ok(descriptors() - before <= 1100, `${descriptors() - before} descriptors more than before`);
  clearCandleCache();
  assert.equal(candleCacheUsage().bytes, 0, "clearCandleCache forgets the directories too");
  assert.ok(descriptors() - before < 50, "and closes what held them");
});

test("a candle that cannot be read (a directory in its place) warns, emits and gives null, as backtest-kit 19.5.0", { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "probe unreadable");
  await inDirectory(dir, async () => {
    const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    const reference = new bk.PersistCandleInstance("BTCUSDT", "1m", "binance");
    reference._storage = new bk.PersistBase("binance/BTCUSDT/1m", path.join(dir, "dump/data/candle"));
    await ours.waitForInit(true);
    await ours.writeCandlesData(Array.from({ length: 10 }, (_, i) => candle(i)));
    const file = path.join(dir, "dump/data/candle/binance/BTCUSDT/1m", `${3 * MINUTE}.json`);
    clearCandleCache();
    fs.rmSync(file);
    fs.mkdirSync(file);
    const warned = [];
    const warn = console.warn;
    console.warn = (message) => warned.push(message);
    try {
      assert.equal(await reference.readCandlesData(10, 0, 0), null, "backtest-kit's own");
      assert.equal(await ours.readCandlesData(10, 0, 0), null);
    } finally {
      console.warn = warn;
    }
    const expected = `PersistCandleInstance.readCandlesData found invalid candle symbol=BTCUSDT interval=1m timestamp=${3 * MINUTE}`;
    assert.deepEqual(warned, [expected, expected]);
  });
});

test("timestamps past 2^53 are named as JavaScript's String() names them, as backtest-kit reads them", { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "probe 2^53");
  await inDirectory(dir, async () => {
    const since = 2 ** 60;
    const base = new PersistBase("binance/BTCUSDT/1m", "./dump/data/candle");
    await base.waitForInit(true);
    // Past Date.now(): written as backtest-kit's readCandlesData names them, not through writeCandlesData.
    for (let i = 0; i < 3; i += 1) await base.writeValue(String(since + i * MINUTE), candle(i));
    const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    const reference = new bk.PersistCandleInstance("BTCUSDT", "1m", "binance");
    reference._storage = new bk.PersistBase("binance/BTCUSDT/1m", path.join(dir, "dump/data/candle"));
    assert.deepEqual(await ours.readCandlesData(3, since, 0), await reference.readCandlesData(3, since, 0));
    assert.equal((await ours.readCandlesData(3, since, 0))?.length, 3);
  });
});

// ---------------------------------------------------------------------------------------------
// Also noted

test("usePersistNative's stores errors name stores.<Registry>, and setCandleCacheLimit refuses a fraction", async () => {
  const bkModule = await import("backtest-kit");
  assert.throws(() => usePersistNative(bkModule, { stores: { Candle: "sqlite:" } }), { code: "ERR_INVALID_ARG_VALUE", message: /^usePersistNative: options\.stores\.Candle: sqlite:: no database file/ });
  for (const bad of [0.5, 1.5, -1, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity]) {
    assert.throws(() => setCandleCacheLimit(bad), { code: "ERR_OUT_OF_RANGE", message: /whole number/ }, String(bad));
  }
});
