// On this runtime: the process-wide candle cache of the /v19 Candle Instances. Candles written and
// read are served from memory (still after their files are gone), every change this process makes is seen
// by the next read, clearCandleCache() forgets them, the byte limit holds and 0 turns it off.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { check, persist, run, v19 } from "./harness.mjs";

const MINUTE = 60_000;
const candle = (i, tag = "") => ({ timestamp: i * MINUTE, open: i, high: i + 1, low: i - 1, close: i, volume: 1, ...(tag ? { tag } : {}) });
const { candleCacheUsage, clearCandleCache, setCandleCacheLimit } = v19;

async function candles() {
  const instance = new v19.PersistCandleInstance("BTCUSDT", "1m", "binance");
  instance._storage = new persist.PersistBase("binance/BTCUSDT/1m", path.resolve("candle"));
  await instance.waitForInit(true);
  return instance;
}

check("written candles are served from memory, then forgotten by clearCandleCache()", async () => {
  clearCandleCache();
  const instance = await candles();
  await instance.writeCandlesData(Array.from({ length: 100 }, (_, i) => candle(i)));
  const first = await instance.readCandlesData(100, 0, 0);
  assert.deepEqual(first, Array.from({ length: 100 }, (_, i) => candle(i)));
  assert.ok(candleCacheUsage().bytes > 0, "the cache holds them");
  first[0].close = "mutated";
  // Another process (here: a plain fs call, which this package does not see) rewrites the files
  // in place. (Removing the directory would not do: a read checks the directory is still the
  // one it cached, so a removed one is never served from memory.)
  const dir = path.resolve("candle/binance/BTCUSDT/1m");
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(dir, `${i * MINUTE}.json`), JSON.stringify(candle(i, "outside")));
  assert.deepEqual((await instance.readCandlesData(3, 0, 0)).map((c) => [c.close, c.tag]), [[0, undefined], [1, undefined], [2, undefined]], "served from memory, a fresh copy");
  clearCandleCache();
  assert.equal(candleCacheUsage().bytes, 0);
  assert.deepEqual((await instance.readCandlesData(3, 0, 0)).map((c) => c.tag), ["outside", "outside", "outside"], "after clearCandleCache() the files are read");
});

check("every write and removal this process makes is seen by the next read", async () => {
  const instance = await candles();
  await instance.writeCandlesData([candle(0), candle(1), candle(2)]);
  await instance.readCandlesData(3, 0, 0);
  await instance.writeCandlesData([candle(1, "again")]);
  assert.equal((await instance.readCandlesData(3, 0, 0))[1].tag, undefined, "a cached candle is never overwritten (backtest-kit's rule)");
  await instance._storage.removeValue(String(MINUTE));
  assert.equal(await instance.readCandlesData(3, 0, 0), null, "a removal is seen");
  await persist.writeFileAtomic(path.resolve(`candle/binance/BTCUSDT/1m/${MINUTE}.json`), JSON.stringify(candle(1, "atomic")));
  assert.equal((await instance.readCandlesData(3, 0, 0))[1].tag, "atomic", "a writeFileAtomic over a candle file is seen");
  await instance._storage.removeAll();
  assert.equal(await instance.readCandlesData(1, 0, 0), null, "removeAll is seen");
});

check("the byte limit holds, and a limit of 0 turns the cache off without changing reads", async () => {
  const before = candleCacheUsage().limit;
  try {
    clearCandleCache();
    const instance = await candles();
    await instance.writeCandlesData(Array.from({ length: 2000 }, (_, i) => candle(i)));
    setCandleCacheLimit(64 * 1024);
    const read = await instance.readCandlesData(2000, 0, 0);
    assert.equal(read.length, 2000);
    assert.ok(candleCacheUsage().bytes <= 64 * 1024, `${candleCacheUsage().bytes} bytes over a 64 KiB limit`);
    setCandleCacheLimit(0);
    assert.equal(candleCacheUsage().bytes, 0);
    assert.deepEqual(await instance.readCandlesData(2000, 0, 0), read);
    assert.equal(candleCacheUsage().bytes, 0, "nothing cached while off");
    assert.throws(() => setCandleCacheLimit(-1), { code: "ERR_OUT_OF_RANGE" });
  } finally {
    setCandleCacheLimit(before);
  }
});

await run();
