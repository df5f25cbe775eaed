// The per-call cost of keying a directory by its identity (issue 29: one stat of the directory
// per call, its inode held open while in use) on the hot paths: a cached candle range read (no
// file read, no thread hop), a writeValue, a removeValue of an absent key. Compares two builds of
// the addon in alternating child processes on this machine, several runs each:
//
//   node bench/identity-cost.mjs <baseline.node> <candidate.node> [runs]
//
// Prints, per case and build, the median per-call time of each run, then median (min–max) over
// the runs and the candidate/baseline ratio of the medians.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { range, summary } from "./stats.mjs";

const self = fileURLToPath(import.meta.url);

async function child() {
  const { PersistBase } = await import("../index.js");
  const { PersistCandleInstance } = await import("../v19/index.js");
  const { latencies, percentile } = await import("./stats.mjs");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "identity-cost-"));
  process.chdir(dir);
  const candles = new PersistCandleInstance("BTCUSDT", "1m", "binance");
  await candles.waitForInit(true);
  await candles.writeCandlesData(Array.from({ length: 100 }, (_, i) => ({ timestamp: i * 60_000, close: i })));
  await candles.readCandlesData(100, 0, 0);
  const store = new PersistBase("signal", dir);
  await store.waitForInit(true);
  const median = async (fn, count) => {
    await latencies(fn, Math.ceil(count / 10));
    return percentile(await latencies(fn, count), 50);
  };
  const out = {
    cachedRead: await median(() => candles.readCandlesData(10, 600_000, 0), 20_000),
    writeValue: await median((i) => store.writeValue("k", { i }), 2_000),
    removeAbsent: await median(() => store.removeValue("absent").catch(() => {}), 5_000),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out));
}

function main() {
  const [baseline, candidate, runsText = "5"] = process.argv.slice(2);
  const builds = { baseline, candidate };
  const results = { baseline: [], candidate: [] };
  for (let run = 0; run < Number(runsText); run += 1) {
    for (const name of Object.keys(builds)) {
      const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: path.resolve(builds[name]) };
      const output = execFileSync(process.execPath, [self, "--child"], { env, encoding: "utf8" });
      results[name].push(JSON.parse(output.trim().split("\n").at(-1)));
    }
  }
  for (const key of Object.keys(results.baseline[0])) {
    const of = (name) => summary(results[name].map((run) => run[key]));
    const [base, cand] = [of("baseline"), of("candidate")];
    console.log(`${key}: baseline ${range(base, 2)} µs, candidate ${range(cand, 2)} µs, ratio ${(cand.median / base.median).toFixed(2)}`);
  }
}

if (process.argv.includes("--child")) await child();
else main();
