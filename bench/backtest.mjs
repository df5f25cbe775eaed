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
export const MODES = ["reference", "native", "memory"];

function runChild(mode, days, dir) {
  const out = path.join(dir, `result-${mode}.json`);
  execFileSync(process.execPath, [CHILD, mode, String(days), out], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

/**
 * `reps` rounds of the three modes over `days` days of 1m ticks; resolves with per-mode
 * summaries of the Backtest.run time, the ratios to the floor, and the events checked equal.
 */
export async function backtestCase({ days = 3, reps = 3 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-backtest-"));
  try {
    // Fills ./dump/data/candle once (the files are the same whichever side writes them).
    runChild("native", days, dir);
    const runs = Object.fromEntries(MODES.map((mode) => [mode, []]));
    for (let rep = 0; rep < reps; rep += 1) {
      // A different mode first in each round, so none always runs on the coldest page cache.
      const order = MODES.map((_, i) => MODES[(i + rep) % MODES.length]);
      for (const mode of order) {
        execFileSync("sync");
        runs[mode].push(runChild(mode, days, dir));
      }
    }
    const first = runs.reference[0];
    for (const mode of MODES) {
      for (const run of runs[mode]) {
        if (run.closed !== first.closed || run.fingerprint !== first.fingerprint || Math.abs(run.pnl - first.pnl) > 1e-9) {
          throw new Error(`${mode} gave other results: ${JSON.stringify(run)} against ${JSON.stringify(first)}`);
        }
      }
    }
    const times = Object.fromEntries(MODES.map((mode) => [mode, summary(runs[mode].map((run) => run.backtestMs))]));
    const perRound = (mode, over) => summary(runs[mode].map((run, i) => run.backtestMs / runs[over][i].backtestMs));
    return {
      days,
      reps,
      closedSignals: first.closed,
      pnlPercent: first.pnl,
      backtestMs: times,
      cacheCandlesMs: Object.fromEntries(MODES.map((mode) => [mode, summary(runs[mode].map((run) => run.cacheCandlesMs))])),
      nativeOverFloor: perRound("native", "memory"),
      referenceOverNative: perRound("reference", "native"),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printBacktest(result) {
  console.log(`Backtest.run over ${result.days} days of 1m ticks, warm candle cache (${result.closedSignals} closed signals, identical in every run)  [ms, median (min–max) of ${result.reps}]`);
  for (const mode of MODES) console.log(`  ${mode.padEnd(18)} ${range(result.backtestMs[mode], 0)}   (cacheCandles check first: ${range(result.cacheCandlesMs[mode], 0)})`);
  console.log(`  native / floor     ${range(result.nativeOverFloor, 2)}  target ≤ 1.2x: ${result.nativeOverFloor.median <= 1.2 ? "met" : "NOT met"}`);
  console.log(`  reference / native ${range(result.referenceOverNative, 2)}  target ≥ 8x: ${result.referenceOverNative.median >= 8 ? "met" : "NOT met"}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
  const quick = process.argv.includes("--quick");
  const result = await backtestCase({ days: arg("--days", quick ? 3 : 30), reps: arg("--reps", quick ? 3 : 5) });
  if (process.argv.includes("--json")) console.log(JSON.stringify(result, null, 2));
  else printBacktest(result);
  void fmt;
}
