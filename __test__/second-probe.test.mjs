// The second hostile probe (issue 21), one test per break it found, each failing before its
// fix: batches from two worker threads deadlocking, calls stalled by fake timers, a candle
// cache miss paid for the whole range, a fractional limit, a null row written, a take(1) that
// parsed documents it never yielded. (Server order, PostgreSQL recovery, the CLI and password
// redaction have their own files: model-based, core/tests/stores.rs, cli, redaction.)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as bk from "backtest-kit";
import { PersistBase, writeFileAtomic } from "../index.js";
import { PersistCandleInstance, PersistLogInstance, PersistNotificationInstance, PersistStorageInstance } from "../v19/index.js";
import { haveRedis, startRedis } from "./helpers/redis.mjs";
import { filesUnder, inDirectory, runWithDeadline, tempDir } from "./helpers/tmp.mjs";

const fixture = (name) => path.join(import.meta.dirname, "fixtures", name);

/** The last JSON line of a child that must have exited 0 by itself. */
function lastLine(result, what) {
  assert.equal(result.killed, false, `${what}: still running at its deadline (a hang)\n${result.stdout}\n${result.stderr}`);
  assert.equal(result.code, 0, `${what}: exit code ${result.code} (${result.signal})\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1));
}

// ---------------------------------------------------------------------------------------------
// 1. Batches from two worker threads over overlapping keys

test("four worker threads writing overlapping candle batches, two in reversed order, all finish", { timeout: 200_000 }, async (t) => {
  const dir = tempDir(t, "probe workers");
  const rounds = 20;
  // A deadlock never ends: the deadline is only there to turn it into a failure (this takes
  // about 2 s on an idle 2-core machine; before the fix it hung in 5 runs of 5, within 20 rounds).
  const result = await runWithDeadline(process.execPath, [fixture("probe-candle-workers.mjs"), dir, String(rounds), "4"], { limitMs: 180_000 });
  const { done } = lastLine(result, "four candle writers");
  // Every round of each: rounds * 500 + 500 candles, each written once and read back whole.
  assert.deepEqual(done, Array(4).fill(rounds * 500 + 500));
  assert.equal(fs.readdirSync(path.join(dir, "binance/BTCUSDT/1m")).length, rounds * 500 + 500);
});

// ---------------------------------------------------------------------------------------------
// 4. Fake timers installed before (or after) the package loads

for (const when of ["before", "after"]) {
  test(`every kind of call settles under fake timers installed ${when} the package loads (files${haveRedis ? " and Redis" : ""})`, { timeout: 120_000 }, async (t) => {
    const dir = tempDir(t, "probe fake timers");
    const url = haveRedis ? (await startRedis(t)).url : "";
    const result = await runWithDeadline(process.execPath, [fixture("probe-fake-timers.mjs"), when, dir, url], { limitMs: 60_000 });
    const { settled } = lastLine(result, `fake timers ${when} load`);
    assert.equal(settled, haveRedis ? 27 : 14);
  });
}

// ---------------------------------------------------------------------------------------------
// 7, 8. Candle ranges: what a miss costs, and every limit the reference's loop takes

/** Candle files `first..last` (inclusive) of `binance/BTCUSDT/1m` under `<dir>/dump/data/candle`. */
function cacheCandles(dir, first, last, since = 0) {
  const folder = path.join(dir, "dump/data/candle/binance/BTCUSDT/1m");
  fs.mkdirSync(folder, { recursive: true });
  for (let i = first; i <= last; i += 1) {
    const timestamp = since + i * 60_000;
    fs.writeFileSync(path.join(folder, `${timestamp}.json`), JSON.stringify({ timestamp, open: i, high: i, low: i, close: i, volume: 1 }));
  }
  return folder;
}

test("a candle cache miss reads about what the reference does, whatever the limit (read syscalls counted)", { skip: process.platform !== "linux" && "counts /proc/self/io" }, async (t) => {
  const dir = tempDir(t, "probe miss");
  // 20,000 cached candles, but not the first one: the reference answers null after one hasValue.
  cacheCandles(dir, 1, 20_000);
  const script = `
    const fs = require("node:fs");
    const { PersistCandleInstance } = require(${JSON.stringify(path.join(import.meta.dirname, "../v19/index.js"))});
    const reads = () => Number(/syscr: (\\d+)/.exec(fs.readFileSync("/proc/self/io", "utf8"))[1]);
    (async () => {
      const candles = new PersistCandleInstance("BTCUSDT", "1m", "binance");
      await candles.waitForInit(false);
      const out = {};
      for (const limit of [20_001, 1_000_000, Infinity]) {
        const before = reads();
        out[limit] = { result: await candles.readCandlesData(limit, 0, 0), reads: reads() - before };
      }
      process.stdout.write(JSON.stringify(out) + "\\n");
    })();
  `;
  // A small heap: building a limit-sized array of ids before knowing (the old way) dies here.
  const result = await runWithDeadline(process.execPath, ["--max-old-space-size=64", "-e", script], { cwd: dir, limitMs: 60_000 });
  const out = lastLine(result, "candle miss");
  for (const [limit, { result: read, reads }] of Object.entries(out)) {
    assert.equal(read, null, `limit ${limit}`);
    // Reading the 20,000 cached candles would be 20,000 read calls; a miss at the start costs none.
    assert.ok(reads < 200, `limit ${limit}: ${reads} read calls for a miss at the first candle`);
  }
});

test("a miss in the middle of a long range reads up to its window, not the rest of the range", { skip: process.platform !== "linux" && "counts /proc/self/io" }, async (t) => {
  const dir = tempDir(t, "probe miss middle");
  cacheCandles(dir, 0, 99);
  cacheCandles(dir, 101, 20_000);
  const script = `
    const fs = require("node:fs");
    const { PersistCandleInstance } = require(${JSON.stringify(path.join(import.meta.dirname, "../v19/index.js"))});
    const reads = () => Number(/syscr: (\\d+)/.exec(fs.readFileSync("/proc/self/io", "utf8"))[1]);
    (async () => {
      const candles = new PersistCandleInstance("BTCUSDT", "1m", "binance");
      await candles.waitForInit(false);
      const before = reads();
      const result = await candles.readCandlesData(20_001, 0, 0);
      process.stdout.write(JSON.stringify({ result, reads: reads() - before }) + "\\n");
    })();
  `;
  const result = await runWithDeadline(process.execPath, ["-e", script], { cwd: dir, limitMs: 60_000 });
  const { result: read, reads } = lastLine(result, "candle miss in the middle");
  assert.equal(read, null);
  assert.ok(reads < 3_000, `${reads} read calls for a miss at candle 100 of 20,001`);
});

test("readCandlesData gives what backtest-kit's own Instance gives for every limit its loop takes", async (t) => {
  const dir = tempDir(t, "probe limits");
  const folder = cacheCandles(dir, 0, 9, 1_600_000_000_000);
  const since = 1_600_000_000_000;
  const limits = [2.5, 0.1, 3, 10, 11, 0, -1, -2.5, NaN, Infinity, -Infinity, "3", "2.5", "abc", null, undefined, true, 3n];
  await inDirectory(dir, async () => {
    const reference = new bk.PersistCandleInstance("BTCUSDT", "1m", "binance");
    const ours = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    await reference.waitForInit(false);
    await ours.waitForInit(false);
    for (const limit of limits) {
      const expected = await reference.readCandlesData(limit, since, 0);
      assert.deepEqual(await ours.readCandlesData(limit, since, 0), expected, `limit ${String(limit)}`);
    }
    // A fractional start: the reference's keys are fractional too, and nothing is cached there.
    assert.equal(await ours.readCandlesData(2, since + 0.5, 0), await reference.readCandlesData(2, since + 0.5, 0));
  });
  assert.equal(fs.readdirSync(folder).length, 10);
});

test("readCandlesData on a subclass of PersistBase (overrides honoured) follows the same loop", async (t) => {
  const dir = tempDir(t, "probe limits subclass");
  cacheCandles(dir, 0, 4);
  const calls = [];
  class Counting extends PersistBase {
    hasValue(id) {
      calls.push(id);
      return super.hasValue(id);
    }
  }
  await inDirectory(dir, async () => {
    const candles = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    candles._storage = new Counting(candles._storage.entityName, candles._storage.baseDir);
    assert.equal((await candles.readCandlesData(2.5, 0, 0)).length, 3);
    assert.equal(await candles.readCandlesData(Infinity, 0, 0), null);
    assert.deepEqual(await candles.readCandlesData(-1, 0, 0), []);
  });
  // 3 for the 2.5, then 5 found and the 6th missing for Infinity: nothing read past a miss.
  assert.deepEqual(calls, ["0", "60000", "120000", "0", "60000", "120000", "180000", "240000", "300000"]);
});

// ---------------------------------------------------------------------------------------------
// 9. Rows without a usable id

const ROW_WRITERS = [
  ["PersistStorageInstance.writeStorageData", () => new PersistStorageInstance(true), (i, rows) => i.writeStorageData(rows)],
  ["PersistNotificationInstance.writeNotificationData", () => new PersistNotificationInstance(false), (i, rows) => i.writeNotificationData(rows)],
  ["PersistLogInstance.writeLogData", () => new PersistLogInstance(), (i, rows) => i.writeLogData(rows)],
];

for (const [method, make, write] of ROW_WRITERS) {
  test(`${method} refuses a row without a string or number id with INVALID_ENTITY, writing nothing`, async (t) => {
    const dir = tempDir(t, "probe null row");
    await inDirectory(dir, async () => {
      const instance = make();
      await instance.waitForInit(true);
      const bad = [
        [[null], "row 0 needs a string or number id, got null"],
        [[{ id: "ok" }, undefined], "row 1 needs a string or number id, got undefined"],
        [[{ id: "ok" }, { note: "no id" }], "row 1 needs a string or number id, got an id of type undefined"],
        [[{ id: null }], "row 0 needs a string or number id, got an id of type null"],
        [[{ id: { nested: 1 } }], "row 0 needs a string or number id, got an id of type object"],
        [[{ id: true }], "row 0 needs a string or number id, got an id of type boolean"],
        [["text"], "row 0 needs a string or number id, got string"],
      ];
      for (const [rows, reason] of bad) {
        await assert.rejects(write(instance, rows), { code: "INVALID_ENTITY", message: `${method}: ${reason}` });
      }
      await write(instance, [{ id: 7, n: 1 }, { id: "b", n: 2 }]);
    });
    const written = Object.keys(filesUnder(path.join(dir, "dump"))).map((file) => path.basename(file)).sort();
    assert.deepEqual(written, ["7.json", "b.json"]);
  });
}

// ---------------------------------------------------------------------------------------------
// 10a. take(1) parses only what it yields, and reads a window bounded by bytes

test("take(1) parses only the document it yields: a corrupt second document does not reject it", async (t) => {
  const dir = tempDir(t, "probe take parse");
  const store = new PersistBase("big", dir);
  await store.waitForInit(true);
  await store.writeValue("d000", { n: 0 });
  await store.writeValue("d001", { n: 1 });
  // Corrupted after init (init would have quarantined it): only a read sees it.
  fs.writeFileSync(path.join(dir, "big/d001.json"), "{not json");
  const taken = [];
  for await (const value of store.take(1)) taken.push(value);
  assert.deepEqual(taken, [{ n: 0 }]);
  await assert.rejects(
    async () => {
      for await (const value of store.values()) taken.push(value);
    },
    { code: "VALUES_FAILED", message: /^Failed to read values for big: Failed to read entity big:d001: / },
  );
  assert.deepEqual(taken, [{ n: 0 }, { n: 0 }], "values() yields the first document before failing at the second, as the reference's loop does");
});

test("take(1) over 60 documents of 2 MB reads at most two of them (bytes read counted)", { skip: process.platform !== "linux" && "counts /proc/self/io" }, async (t) => {
  const dir = tempDir(t, "probe take bytes");
  const folder = path.join(dir, "big");
  fs.mkdirSync(folder);
  const doc = JSON.stringify("a".repeat(2 * 1024 * 1024));
  for (let n = 0; n < 60; n += 1) fs.writeFileSync(path.join(folder, `d${String(n).padStart(3, "0")}.json`), doc);
  const script = `
    const fs = require("node:fs");
    const { PersistBase } = require(${JSON.stringify(path.join(import.meta.dirname, "../index.js"))});
    const bytes = () => Number(/rchar: (\\d+)/.exec(fs.readFileSync("/proc/self/io", "utf8"))[1]);
    (async () => {
      const store = new PersistBase("big", ${JSON.stringify(dir)});
      await store.waitForInit(false);
      const before = bytes();
      let taken = 0;
      for await (const value of store.take(1)) taken += value.length;
      process.stdout.write(JSON.stringify({ taken, bytes: bytes() - before }) + "\\n");
    })();
  `;
  const result = await runWithDeadline(process.execPath, ["-e", script], { limitMs: 60_000 });
  const { taken, bytes } = lastLine(result, "take(1)");
  assert.equal(taken, 2 * 1024 * 1024);
  // 8 MB windows read four documents; the first window now stops after the first.
  assert.ok(bytes < 2 * doc.length + 65_536, `${(bytes / 2 ** 20).toFixed(1)} MB read for take(1)`);
});

// ---------------------------------------------------------------------------------------------
// 10b. One directory through two spellings (a symlink) is ordered as one

test("writes through a symlinked spelling of a store's directory are ordered with the real one", { skip: process.platform === "win32" && "symlinks need privileges", timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "probe symlink");
  fs.mkdirSync(path.join(dir, "real"));
  fs.symlinkSync(path.join(dir, "real"), path.join(dir, "link"), "dir");
  const real = new PersistBase("real", dir);
  const link = new PersistBase("link", dir);
  await real.waitForInit(true);
  await link.waitForInit(true);
  const file = path.join(dir, "real", "k.json");
  // The first write of a round is the bigger one, so that without one order it often lands last.
  const pad = "x".repeat(2 ** 20);
  for (let round = 0; round < 150; round += 1) {
    const first = round % 2 === 0 ? link.writeValue("k", { round, by: "link", pad }) : writeFileAtomic(path.join(dir, "link", "k.json"), JSON.stringify({ round, by: "atomic", pad }));
    const last = real.writeValue("k", { round, by: "real" });
    await Promise.all([first, last]);
    const { round: held, by } = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.deepEqual({ round: held, by }, { round, by: "real" }, `round ${round}: the last issued write stays`);
  }
  // removeAll through one spelling takes its place among the other's writes.
  for (let round = 0; round < 50; round += 1) {
    const before = link.writeValue("k", { round, pad });
    const removed = real.removeAll();
    const after = link.writeValue("j", { round });
    await Promise.all([before, removed, after]);
    assert.deepEqual(fs.readdirSync(path.join(dir, "real")).filter((name) => !name.startsWith(".")), ["j.json"], `round ${round}`);
  }
});

test("a batch holding a value JSON cannot represent names it, as the reference's writeValue does, and writes nothing", async (t) => {
  const dir = tempDir(t, "probe batch json");
  await inDirectory(dir, async () => {
    const storage = new PersistStorageInstance(true);
    await storage.waitForInit(true);
    const circular = { id: "c" };
    circular.self = circular;
    await assert.rejects(storage.writeStorageData([{ id: "a" }, circular]), { code: "INVALID_ENTITY", message: /^Failed to write entity backtest:c: Converting circular structure to JSON/ });
    await assert.rejects(storage.writeStorageData([{ id: "a" }, { id: "u", toJSON: () => undefined }]), { code: "INVALID_ENTITY", message: /^Failed to write entity backtest:u: the value cannot be stored as JSON/ });
    await storage.writeStorageData([{ id: "d", when: new Date(0) }, { id: "e", nested: { toJSON: () => "shown" } }]);
  });
  const files = filesUnder(path.join(dir, "dump/data/storage/backtest"));
  assert.deepEqual(files, { "d.json": JSON.stringify({ id: "d", when: new Date(0) }), "e.json": '{"id":"e","nested":"shown"}' });
});
