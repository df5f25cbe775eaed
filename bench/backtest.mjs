// The whole backtest, end to end: backtest-kit 19.5.0's Backtest.run over a warm candle cache,
// one fresh process per run (bench/backtest-child.mjs), with backtest-kit's own persistence
// (`reference`), with usePersistNative(bk) (`native`), and with a JS Candle Instance over a Map
// (`memory`: no I/O, the floor). Modes alternate within each repetition; every run must give
// the same events. Run alone: node bench/backtest.mjs [--quick] [--days N] [--reps N]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, range, summary } from "./stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, "backtest-child.mjs");
const LIVE_CHILD = path.join(here, "live-child.mjs");
export const MODES = ["reference", "native", "memory"];
/** The backtest also runs with the candle cache in SQLite. */
const BACKTEST_MODES = ["reference", "native", "sqlite", "memory"];

function runChild(mode, days, dir, child = CHILD) {
  const out = path.join(dir, `result-${mode}.json`);
  execFileSync(process.execPath, [child, mode, String(days), out], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

/**
 * A live session of `minutes` simulated minutes (bench/live-child.mjs: fake timers stand in for
 * the wall clock), `reps` alternating rounds, each in a fresh directory: backtest-kit's own
 * persistence, usePersistNative (their events checked equal), and every registry on
 * backtest-kit's dummy Instances (no persistence at all; its events may differ: a dummy
 * registry forgets what the strategy relies on).
 */
export async function liveCase({ minutes = 240, reps = 3 } = {}) {
  const runs = Object.fromEntries(MODES.map((mode) => [mode, []]));
  for (let rep = 0; rep < reps; rep += 1) {
    for (const mode of MODES.map((_, i) => MODES[(i + rep) % MODES.length])) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-live-"));
      try {
        execFileSync("sync");
        runs[mode].push(runChild(mode, minutes, dir, LIVE_CHILD));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const first = runs.reference[0];
  for (const run of [...runs.reference, ...runs.native]) {
    if (run.fingerprint !== first.fingerprint || run.closed !== first.closed) throw new Error(`live runs differ: ${JSON.stringify(run)} against ${JSON.stringify(first)}`);
  }
  const perRound = (mode, over) => summary(runs[mode].map((run, i) => run.ms / runs[over][i].ms));
  return {
    minutes,
    reps,
    closedSignals: first.closed,
    sessionMs: Object.fromEntries(MODES.map((mode) => [mode, summary(runs[mode].map((run) => run.ms))])),
    referenceOverNative: perRound("reference", "native"),
    nativeOverNoPersistence: perRound("native", "memory"),
  };
}

export function printLive(result) {
  console.log(`Live session of ${result.minutes} simulated minutes, 1m strategy (${result.closedSignals} signals opened and closed, identical with both persistences)  [ms, median (min–max) of ${result.reps}]`);
  const label = { reference: "reference", native: "native", memory: "no persistence" };
  for (const mode of MODES) console.log(`  ${label[mode].padEnd(18)} ${range(result.sessionMs[mode], 0)}`);
  console.log(`  reference / native ${range(result.referenceOverNative, 2)}`);
  console.log(`  native / none      ${range(result.nativeOverNoPersistence, 2)}  (every change of a live signal is written durably: fsyncs)`);
}

/**
 * `reps` rounds of the three modes over `days` days of 1m ticks; resolves with per-mode
 * summaries of the Backtest.run time, the ratios to the floor, and the events checked equal.
 */
export async function backtestCase({ days = 3, reps = 3 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-backtest-"));
  try {
    // Fills ./dump/data/candle once (the files are the same whichever side writes them), and
    // ./dump/candles.db for the SQLite runs.
    runChild("native", days, dir);
    runChild("sqlite", days, dir);
    const runs = Object.fromEntries(BACKTEST_MODES.map((mode) => [mode, []]));
    for (let rep = 0; rep < reps; rep += 1) {
      // A different mode first in each round, so none always runs on the coldest page cache.
      const order = BACKTEST_MODES.map((_, i) => BACKTEST_MODES[(i + rep) % BACKTEST_MODES.length]);
      for (const mode of order) {
        execFileSync("sync");
        runs[mode].push(runChild(mode, days, dir));
      }
    }
    const first = runs.reference[0];
    for (const mode of BACKTEST_MODES) {
      for (const run of runs[mode]) {
        if (run.closed !== first.closed || run.fingerprint !== first.fingerprint || Math.abs(run.pnl - first.pnl) > 1e-9) {
          throw new Error(`${mode} gave other results: ${JSON.stringify(run)} against ${JSON.stringify(first)}`);
        }
      }
    }
    const times = Object.fromEntries(BACKTEST_MODES.map((mode) => [mode, summary(runs[mode].map((run) => run.backtestMs))]));
    const perRound = (mode, over) => summary(runs[mode].map((run, i) => run.backtestMs / runs[over][i].backtestMs));
    return {
      days,
      reps,
      closedSignals: first.closed,
      pnlPercent: first.pnl,
      backtestMs: times,
      cacheCandlesMs: Object.fromEntries(BACKTEST_MODES.map((mode) => [mode, summary(runs[mode].map((run) => run.cacheCandlesMs))])),
      nativeOverFloor: perRound("native", "memory"),
      sqliteOverFloor: perRound("sqlite", "memory"),
      referenceOverNative: perRound("reference", "native"),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printBacktest(result) {
  console.log(`Backtest.run over ${result.days} days of 1m ticks, warm candle cache (${result.closedSignals} closed signals, identical in every run)  [ms, median (min–max) of ${result.reps}]`);
  for (const mode of BACKTEST_MODES) console.log(`  ${mode.padEnd(18)} ${range(result.backtestMs[mode], 0)}   (cacheCandles check first: ${range(result.cacheCandlesMs[mode], 0)})`);
  console.log(`  native / floor     ${range(result.nativeOverFloor, 2)}  target ≤ 1.2x: ${result.nativeOverFloor.median <= 1.2 ? "met" : "NOT met"}`);
  console.log(`  sqlite / floor     ${range(result.sqliteOverFloor, 2)}  (the candle cache in one SQLite file)`);
  console.log(`  reference / native ${range(result.referenceOverNative, 2)}  target ≥ 8x: ${result.referenceOverNative.median >= 8 ? "met" : "NOT met"}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
  const quick = process.argv.includes("--quick");
  const result = await backtestCase({ days: arg("--days", quick ? 3 : 30), reps: arg("--reps", quick ? 3 : 3) });
  const live = await liveCase({ minutes: arg("--minutes", quick ? 240 : 1440), reps: arg("--reps", 3) });
  if (process.argv.includes("--json")) console.log(JSON.stringify({ backtest: result, live }, null, 2));
  else {
    printBacktest(result);
    printLive(live);
  }
  void fmt;
}
