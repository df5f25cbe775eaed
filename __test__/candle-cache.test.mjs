// The process-wide candle cache of the 19.5.0 Candle Instances: repeated reads answered from
// memory, and never a stale answer for anything this process did: every write, removal,
// removeAll, quarantine move and writeFileAtomic, through any Instance, PersistBase, spelling of
// the directory or worker thread, is seen by the next read. Ground truth is backtest-kit's own
// Instance reading the same files (it has no cache). Also: the byte limit, clearCandleCache, and
// what another process's changes do (documented: not seen until cleared).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import * as bk from "backtest-kit";
import { PersistBase, writeFileAtomic } from "../index.js";
import { PersistCandleInstance, candleCacheUsage, clearCandleCache, setCandleCacheLimit } from "../v19/index.js";
import { runWithDeadline, tempDir } from "./helpers/tmp.mjs";

const MINUTE = 60_000;
const ENTITY = "binance/BTCUSDT/1m";
const candle = (i, tag = "") => ({ timestamp: i * MINUTE, open: i, high: i + 1, low: i - 1, close: i, volume: 1, ...(tag ? { tag } : {}) });

/** A native Instance and backtest-kit's own over `<dir>/dump/data/candle/binance/BTCUSDT/1m`. */
async function instances(dir) {
  const base = path.join(dir, "dump/data/candle");
  const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
  ours._storage = new PersistBase(ENTITY, base);
  const reference = new bk.PersistCandleInstance("BTCUSDT", "1m", "binance");
  reference._storage = new bk.PersistBase(ENTITY, base);
  await ours.waitForInit(true);
  await reference.waitForInit(false);
  return { ours, reference, base, folder: path.join(base, ENTITY) };
}

const readBoth = async ({ ours, reference }, limit, since) => [await ours.readCandlesData(limit, since * MINUTE, 0), await reference.readCandlesData(limit, since * MINUTE, 0)];

test("a repeated read of cached candles reads no file, and gives fresh objects each time", { skip: process.platform !== "linux" && "counts /proc/self/io" }, async (t) => {
  const dir = tempDir(t, "cache repeat");
  const script = `
    const fs = require("node:fs");
    const path = require("node:path");
    const { PersistBase } = require(${JSON.stringify(fileURLToPath(new URL("../index.js", import.meta.url)))});
    const { PersistCandleInstance } = require(${JSON.stringify(fileURLToPath(new URL("../v19/index.js", import.meta.url)))});
    const reads = () => Number(/syscr: (\\d+)/.exec(fs.readFileSync("/proc/self/io", "utf8"))[1]);
    (async () => {
      const candles = new PersistCandleInstance("BTCUSDT", "1m", "binance");
      candles._storage = new PersistBase(${JSON.stringify(ENTITY)}, ${JSON.stringify(path.join(dir, "candles"))});
      await candles.waitForInit(true);
      await candles.writeCandlesData(Array.from({ length: 1000 }, (_, i) => ({ timestamp: i * 60000, close: i })));
      fs.rmSync(path.join(${JSON.stringify(path.join(dir, "candles"))}, "x"), { force: true });
      const first = await candles.readCandlesData(1000, 0, 0);
      first[0].close = "mutated";
      first.pop();
      const before = reads();
      const again = await candles.readCandlesData(1000, 0, 0);
      const five = await candles.readCandlesData(5, 500 * 60000, 0);
      process.stdout.write(JSON.stringify({ reads: reads() - before, length: again.length, first: again[0].close, five: five.map((c) => c.close) }) + "\\n");
    })();
  `;
  const result = await runWithDeadline(process.execPath, ["-e", script], { limitMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  const { reads, length, first, five } = JSON.parse(result.stdout.trim().split("\n").at(-1));
  assert.equal(length, 1000);
  assert.equal(first, 0, "the caller's changes to what it was given are not in the cache");
  assert.deepEqual(five, [500, 501, 502, 503, 504]);
  // The candles were written by this process: reading them again touches no file.
  assert.ok(reads < 20, `${reads} read calls for cached candles`);
});

test("every change this process makes to a cached candle is seen by the next read", { skip: process.platform === "win32" && "symlinks", timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "cache changes");
  const both = await instances(dir);
  const { ours, base, folder } = both;
  await ours.writeCandlesData(Array.from({ length: 20 }, (_, i) => candle(i)));
  const check = async (what, limit = 20, since = 0) => {
    const [got, expected] = await readBoth(both, limit, since);
    assert.deepEqual(got, expected, what);
    return got;
  };
  await check("filled");
  fs.symlinkSync(folder, path.join(dir, "link"), "dir");
  const other = new PersistBase(ENTITY, base);
  const throughLink = new PersistBase("link", dir);
  await throughLink.waitForInit(false);

  await other.writeValue(String(3 * MINUTE), candle(3, "rewritten"));
  assert.equal((await check("writeValue through another PersistBase"))[3].tag, "rewritten");
  await other.removeValue(String(4 * MINUTE));
  assert.equal(await check("removeValue through another PersistBase"), null);
  await ours.writeCandlesData([candle(4, "back")]);
  assert.equal((await check("written again"))[4].tag, "back");
  await writeFileAtomic(path.join(folder, `${5 * MINUTE}.json`), JSON.stringify(candle(5, "atomic")));
  assert.equal((await check("writeFileAtomic"))[5].tag, "atomic");
  await writeFileAtomic(path.join(dir, "link", `${6 * MINUTE}.json`), JSON.stringify(candle(6, "atomic-link")));
  assert.equal((await check("writeFileAtomic through a symlinked spelling"))[6].tag, "atomic-link");
  await throughLink.removeValue(String(7 * MINUTE));
  assert.equal(await check("removeValue through a symlinked spelling"), null);
  await ours.writeCandlesData([candle(7)]);
  await check("refilled");

  // A worker thread of this process removes one.
  const worker = new Worker(
    `const { PersistBase } = require(${JSON.stringify(fileURLToPath(new URL("../index.js", import.meta.url)))});
     const { parentPort, workerData } = require("node:worker_threads");
     new PersistBase(workerData.entity, workerData.base).removeValue(workerData.id).then(() => parentPort.postMessage("done"));`,
    { eval: true, workerData: { entity: ENTITY, base, id: String(8 * MINUTE) } },
  );
  await new Promise((resolve, reject) => worker.once("message", resolve).once("error", reject));
  assert.equal(await check("removeValue in a worker thread"), null);
  await ours.writeCandlesData([candle(8)]);
  await check("refilled");

  // Garbage another process wrote is quarantined by a new store's init here: the cache drops it.
  fs.writeFileSync(path.join(folder, `${9 * MINUTE}.json`), "{garbage");
  await new PersistBase(ENTITY, base).waitForInit(true);
  assert.ok(fs.existsSync(path.join(folder, ".quarantine", `${9 * MINUTE}.json`)));
  assert.equal(await ours.readCandlesData(20, 0, 0), null, "the quarantined candle is gone");

  await ours.writeCandlesData([candle(9)]);
  await check("refilled");
  await other.removeAll();
  assert.equal(await check("removeAll through another PersistBase"), null);
  assert.deepEqual(await check("an empty range", 0), []);
});

// Random sequences of calls on a cached range, each read checked against backtest-kit's own
// read of the same files. Calls of a step are issued at once and awaited together.
const slot = fc.integer({ min: 0, max: 11 });
const call = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constant("read"), fc.integer({ min: 1, max: 12 }), slot) },
  { weight: 3, arbitrary: fc.tuple(fc.constant("candles"), fc.array(slot, { minLength: 1, maxLength: 6 }), fc.nat(99)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant("write"), slot, fc.nat(99)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant("remove"), slot) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("atomic"), slot, fc.nat(99)) },
  { weight: 1, arbitrary: fc.constant(["removeAll"]) },
);

test("random sequences of writes, removals and reads: every read equals backtest-kit's own read of the files", { timeout: 300_000 }, async (t) => {
  const root = tempDir(t, "cache model");
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(call, { minLength: 1, maxLength: 4 }), { minLength: 5, maxLength: 25 }), async (steps) => {
      runs += 1;
      const both = await instances(fs.mkdtempSync(path.join(root, "run-")));
      const { ours, base, folder } = both;
      const other = new PersistBase(ENTITY, base);
      for (const step of steps) {
        const issued = step.map(([kind, a, b]) => {
          if (kind === "read") return ours.readCandlesData(a, b * MINUTE, 0);
          if (kind === "candles") return ours.writeCandlesData(a.map((i) => candle(i, `c${b}`)));
          if (kind === "write") return other.writeValue(String(a * MINUTE), candle(a, `w${b}`));
          if (kind === "remove") return other.removeValue(String(a * MINUTE)).catch((error) => assert.equal(error.code, "ENTITY_NOT_FOUND"));
          if (kind === "atomic") return writeFileAtomic(path.join(folder, `${a * MINUTE}.json`), JSON.stringify(candle(a, `a${b}`)));
          return other.removeAll();
        });
        await Promise.all(issued);
        for (const limit of [1, 5, 12]) {
          for (const since of [0, 3]) {
            const [got, expected] = await readBoth(both, limit, since);
            assert.deepEqual(got, expected, `read(${limit}, ${since}) after ${JSON.stringify(step)}`);
          }
        }
      }
    }),
    { numRuns: 60 },
  );
  t.diagnostic(`${runs} sequences`);
});

test("on a SQLite store too: random sequences of batch writes, writes, removals and reads, each read equal to the documents one by one", { timeout: 300_000 }, async (t) => {
  const root = tempDir(t, "cache sqlite");
  const url = `sqlite:${path.join(root, "candles.db")}`;
  let runs = 0;
  /** The candles as the store holds them, read one by one (no range read, no cache). */
  const truth = async (store, limit, since) => {
    const candles = [];
    for (let i = 0; i < limit; i += 1) {
      const id = String((since + i) * MINUTE);
      if (!(await store.hasValue(id))) return null;
      candles.push(await store.readValue(id));
    }
    return candles;
  };
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(call, { minLength: 1, maxLength: 4 }), { minLength: 5, maxLength: 25 }), async (steps) => {
      runs += 1;
      const store = new PersistBase(ENTITY, `/cache-model/run-${process.pid}-${runs}`, { store: url });
      const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
      ours._storage = store;
      await ours.waitForInit(true);
      for (const step of steps) {
        const issued = step.map(([kind, a, b]) => {
          if (kind === "read") return ours.readCandlesData(a, b * MINUTE, 0);
          if (kind === "candles") return ours.writeCandlesData(a.map((i) => candle(i, `c${b}`)));
          if (kind === "write" || kind === "atomic") return store.writeValue(String(a * MINUTE), candle(a, `w${b}`));
          if (kind === "remove") return store.removeValue(String(a * MINUTE)).catch((error) => assert.equal(error.code, "ENTITY_NOT_FOUND"));
          return store.removeAll();
        });
        await Promise.all(issued);
        for (const limit of [1, 5, 12]) {
          for (const since of [0, 3]) {
            assert.deepEqual(await ours.readCandlesData(limit, since * MINUTE, 0), await truth(store, limit, since), `read(${limit}, ${since}) after ${JSON.stringify(step)}`);
          }
        }
      }
    }),
    { numRuns: 40 },
  );
  t.diagnostic(`${runs} sequences`);
});

test("the cache holds no more than its limit, and a limit of 0 turns it off without changing what reads give", async (t) => {
  const dir = tempDir(t, "cache limit");
  const both = await instances(dir);
  const before = candleCacheUsage().limit;
  t.after(() => setCandleCacheLimit(before));
  clearCandleCache();
  await both.ours.writeCandlesData(Array.from({ length: 2000 }, (_, i) => candle(i)));
  setCandleCacheLimit(64 * 1024);
  assert.ok(candleCacheUsage().bytes <= 64 * 1024, `${candleCacheUsage().bytes} bytes held over a 64 KiB limit`);
  const [got, expected] = await readBoth(both, 2000, 0);
  assert.deepEqual(got, expected);
  assert.ok(candleCacheUsage().bytes <= 64 * 1024);
  assert.ok(candleCacheUsage().bytes > 32 * 1024, "the newest candles stay");
  setCandleCacheLimit(0);
  assert.equal(candleCacheUsage().bytes, 0);
  assert.deepEqual(...(await readBoth(both, 2000, 0)));
  assert.equal(candleCacheUsage().bytes, 0, "nothing is cached while off");
  assert.throws(() => setCandleCacheLimit(-1), { code: "ERR_OUT_OF_RANGE" });
  assert.throws(() => setCandleCacheLimit("64"), { code: "ERR_INVALID_ARG_TYPE" });
});

test("a candle another process rewrites is served from the cache until clearCandleCache() (documented)", async (t) => {
  const dir = tempDir(t, "cache other process");
  const { ours, folder } = await instances(dir);
  await ours.writeCandlesData([candle(0), candle(1)]);
  assert.equal((await ours.readCandlesData(2, 0, 0))[1].tag, undefined);
  const file = path.join(folder, `${MINUTE}.json`);
  const script = `require("node:fs").writeFileSync(${JSON.stringify(file)}, ${JSON.stringify(JSON.stringify(candle(1, "elsewhere")))})`;
  assert.equal((await runWithDeadline(process.execPath, ["-e", script])).code, 0);
  assert.equal((await ours.readCandlesData(2, 0, 0))[1].tag, undefined, "this process's cache does not see it");
  clearCandleCache();
  assert.equal((await ours.readCandlesData(2, 0, 0))[1].tag, "elsewhere");
});

test("two Instances of one candle cache: what one writes or removes, the other reads at once", async (t) => {
  const dir = tempDir(t, "cache two instances");
  const one = await instances(dir);
  const two = await instances(dir);
  await one.ours.writeCandlesData(Array.from({ length: 10 }, (_, i) => candle(i)));
  assert.equal((await two.ours.readCandlesData(10, 0, 0)).length, 10, "the second reads what the first wrote");
  assert.equal(await one.ours.readCandlesData(12, 0, 0), null);
  await two.ours.writeCandlesData([candle(10, "two"), candle(11, "two")]);
  assert.deepEqual((await one.ours.readCandlesData(12, 0, 0)).slice(10).map((c) => c.tag), ["two", "two"], "the first reads what the second wrote");
  await two.ours._storage.removeValue(String(5 * MINUTE));
  assert.equal(await one.ours.readCandlesData(12, 0, 0), null, "a removal through the second is seen by the first");
  assert.deepEqual(await one.ours.readCandlesData(5, 0, 0), await one.reference.readCandlesData(5, 0, 0));
});
