// The third hostile probe (issue 29), one test per break it found, each failing before its fix:
// a directory's identity (an inode reused by another directory, spellings never initialised,
// two spellings of one SQLite file), SQLite batches and its one file, the candle cache's bounds
// and fidelity, clear() while writes are pending, and the CLI's pipes and missing files.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PersistBase, writeFileAtomic } from "../index.js";
import { PersistCandleInstance, clearCandleCache } from "../v19/index.js";
import { tempDir } from "./helpers/tmp.mjs";

const MINUTE = 60_000;
const candle = (i, tag = "") => ({ timestamp: i * MINUTE, open: i, high: i + 1, low: i - 1, close: i, volume: 1, ...(tag ? { tag } : {}) });
const noSymlinks = process.platform === "win32" && "symlinks need privileges";

/** Runs `fn` with the working directory at `dir` (the 19.5.0 Instances write under ./dump). */
async function inDirectory(dir, fn) {
  const previous = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(previous);
  }
}

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
