// Benchmark cases of the 19.5.0 surface: this package's native Instances beside backtest-kit
// 19.5.0's own (`reference`), each in a fresh working directory (the Instances write under
// ./dump). A case returns one figure per peer, as bench/cases.mjs does.
import fs from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import * as bk from "backtest-kit";
import * as ours from "../v19/index.js";
import { execFileSync } from "node:child_process";
import { freshDir, syscallLimitBinary } from "./cases.mjs";

const MINUTE = 60_000;
const PEERS = { ours, reference: bk };

/** Runs `body` with a fresh directory as the working directory. */
export async function inFreshDir(label, body) {
  const dir = freshDir(label);
  const previous = process.cwd();
  process.chdir(dir);
  try {
    return await body(dir);
  } finally {
    process.chdir(previous);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function timed(body) {
  const start = performance.now();
  await body();
  return performance.now() - start;
}

/**
 * ms of the floor of a durable batch of `files` new files of `bytes` each on this disk, with
 * nothing but system calls (temp files, one syncfs, renames, one directory fsync).
 */
function batchFloor(files, bytes) {
  const dir = freshDir("batch-floor");
  try {
    execFileSync("sync");
    return Number(execFileSync(syscallLimitBinary(), ["batch", dir, String(files), String(bytes)], { encoding: "utf8" }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` closed one-minute candles ending a day ago. */
function candles(count) {
  const first = Math.floor((Date.now() - 24 * 3600_000) / MINUTE) * MINUTE - count * MINUTE;
  return Array.from({ length: count }, (_, i) => ({ timestamp: first + i * MINUTE, open: 97_000 + i, high: 97_100 + i, low: 96_900 + i, close: 97_050 + i, volume: 12.5 }));
}

async function candleInstance(peer, rows) {
  const instance = new PEERS[peer].PersistCandleInstance("BTCUSDT", "1m", "binance");
  await instance.waitForInit(true);
  if (rows) await instance.writeCandlesData(rows);
  return instance;
}

/** ms per readCandlesData of `limit` cached candles, the cache initialized. */
async function candleReads({ limit, reads }) {
  const figures = {};
  let floor;
  for (const peer of Object.keys(PEERS)) {
    figures[peer] = await inFreshDir(`candles-${peer}`, async (dir) => {
      const rows = candles(Math.max(limit, 1000));
      const instance = await candleInstance(peer, rows);
      const since = rows.at(-limit).timestamp;
      const ms = await timed(async () => {
        for (let n = 0; n < reads; n += 1) {
          const got = await instance.readCandlesData(limit, since, since + limit * MINUTE);
          if (got?.length !== limit) throw new Error(`${peer} read ${got?.length} candles`);
        }
      });
      // The same files read with nothing but system calls, on one thread: what reading them costs.
      if (peer === "reference") {
        const folder = `${dir}/dump/data/candle/binance/BTCUSDT/1m`;
        floor = Number(execFileSync(syscallLimitBinary(), ["read", folder, String(since), String(limit), String(Math.min(reads, 200))], { encoding: "utf8" }));
      }
      return ms / reads;
    });
  }
  // Repeated reads of candles this process has seen come from the candle cache: no file at all.
  return { ...figures, lowerIsBetter: true, extra: { bareSyscallFloorMs: floor, floorRatioToReference: figures.reference / floor } };
}

/** p50 and p99 (µs) of `reads` registry reads through a JS Instance adapter that answers at once. */
async function adapterLatency(peer, reads) {
  class Immediate {
    waitForInit() {}
    readSignalData() {
      return { id: "x" };
    }
    writeSignalData() {}
  }
  const registry = peer === "ours" ? new ours.PersistSignalUtils() : bk.PersistSignalAdapter;
  registry.usePersistSignalAdapter(Immediate);
  const times = new Float64Array(reads);
  for (let n = 0; n < reads; n += 1) {
    const start = performance.now();
    await registry.readSignalData("BTCUSDT", "strategy", "exchange");
    times[n] = (performance.now() - start) * 1000;
  }
  registry.useJson();
  times.sort();
  return { p50: times[Math.floor(reads * 0.5)], p99: times[Math.floor(reads * 0.99)] };
}

export const v19Cases = {
  /** p50 µs of a registry read through an immediately answering JS Instance adapter. */
  async adapterRead({ reads }) {
    const figures = { ours: await adapterLatency("ours", reads), reference: await adapterLatency("reference", reads) };
    return { ours: figures.ours.p50, reference: figures.reference.p50, lowerIsBetter: true, extra: { p99us: { ours: figures.ours.p99, reference: figures.reference.p99 } } };
  },

  candleRead1000: ({ reads }) => candleReads({ limit: 1000, reads }),
  candleRead5: ({ reads }) => candleReads({ limit: 5, reads }),

  /** ms to write `count` closed candles durably into an empty cache. */
  async candleWrite({ count }) {
    const figures = {};
    for (const peer of Object.keys(PEERS)) {
      figures[peer] = await inFreshDir(`candle-write-${peer}`, async () => {
        const instance = await candleInstance(peer);
        const rows = candles(count);
        return timed(() => instance.writeCandlesData(rows));
      });
    }
    const floor = batchFloor(count, JSON.stringify(candles(1)[0]).length);
    return { ...figures, lowerIsBetter: true, extra: { bareSyscallFloorMs: floor, floorRatioToReference: figures.reference / floor } };
  },

  /** ms of the first read of a cache of `files` candles (init included), and our worst stall. */
  async candleFirstRead({ files }) {
    const figures = {};
    let worstDelayMs = 0;
    for (const peer of Object.keys(PEERS)) {
      figures[peer] = await inFreshDir(`candle-init-${peer}`, async (dir) => {
        const rows = candles(files);
        const folder = `${dir}/dump/data/candle/binance/BTCUSDT/1m`;
        fs.mkdirSync(folder, { recursive: true });
        for (const row of rows) fs.writeFileSync(`${folder}/${row.timestamp}.json`, JSON.stringify(row));
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        histogram.enable();
        const ms = await timed(async () => {
          const instance = new PEERS[peer].PersistCandleInstance("BTCUSDT", "1m", "binance");
          await instance.waitForInit(true);
          const got = await instance.readCandlesData(5, rows.at(-5).timestamp, 0);
          if (got?.length !== 5) throw new Error(`${peer} read ${got?.length} candles`);
        });
        histogram.disable();
        if (peer === "ours") worstDelayMs = histogram.max / 1e6;
        return ms;
      });
    }
    return { ...figures, lowerIsBetter: true, extra: { files, oursWorstEventLoopStallMs: worstDelayMs } };
  },

  /** ms per writeStorageData of `rows` signals (each call rewrites them all, as backtest-kit's callers do). */
  async storageWrite({ rows, writes }) {
    const figures = {};
    for (const peer of Object.keys(PEERS)) {
      figures[peer] = await inFreshDir(`storage-${peer}`, async () => {
        const instance = new PEERS[peer].PersistStorageInstance(false);
        await instance.waitForInit(true);
        const signals = Array.from({ length: rows }, (_, i) => ({ id: `sig-${i}`, priceOpen: 97_000 + i, note: "x".repeat(400) }));
        const ms = await timed(async () => {
          for (let n = 0; n < writes; n += 1) await instance.writeStorageData(signals.map((s) => ({ ...s, updatedAt: n })));
        });
        return ms / writes;
      });
    }
    const floor = batchFloor(rows, 440);
    return { ...figures, lowerIsBetter: true, extra: { bareSyscallFloorMs: floor, floorRatioToReference: figures.reference / floor } };
  },

  /**
   * ms per writeLogData of `entries` entries: `fresh`, all new (the first write); `append`, one
   * new entry after the rest (what every log line does in backtest-kit).
   */
  async logWrite({ entries, appends }) {
    const figures = {};
    const extra = {};
    for (const peer of Object.keys(PEERS)) {
      figures[peer] = await inFreshDir(`log-${peer}`, async () => {
        const instance = new PEERS[peer].PersistLogInstance();
        await instance.waitForInit(true);
        const log = Array.from({ length: entries }, (_, i) => ({ id: `entry-${i}`, type: "info", topic: "bench", args: [i] }));
        const fresh = await timed(() => instance.writeLogData(log));
        const append = await timed(async () => {
          for (let n = 0; n < appends; n += 1) {
            log.shift();
            log.push({ id: `entry-${entries + n}`, type: "info", topic: "bench", args: [n] });
            await instance.writeLogData(log);
          }
        });
        extra[`${peer}AppendMs`] = append / appends;
        return fresh;
      });
    }
    const floor = batchFloor(entries, 60);
    return {
      ...figures,
      lowerIsBetter: true,
      extra: { ...extra, appendRatio: extra.referenceAppendMs / extra.oursAppendMs, bareSyscallFloorMs: floor, floorRatioToReference: figures.reference / floor },
    };
  },
};
