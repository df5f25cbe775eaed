// A portfolio over a range: backtest-kit 19.5.0's Backtest.run of N symbols at once (Promise.all),
// after cacheCandles of every symbol's range, one fresh process per run (bench/portfolio-child.mjs).
// Peers, interleaved (a different one first in each round):
//   memory   a JS Candle Instance over a Map: no I/O, the floor (it fills its Map in every run)
//   files    usePersistNative(bk): cold (an empty ./dump, the fill), then warm (a new process on the
//            filled files), then warm with the candle cache limited to 1 MiB (a range it cannot hold)
//   sqlite   the same with { stores: { Candle: "sqlite:./dump/candles.db" } }
// and the file layout's own floor: the same number of new candle files written durably with bare
// system calls (bench/syscall-limit batch: temp files, one syncfs, renames, one directory fsync).
// Every run must give the same events. RSS: the kernel's peak (maxrss) and at the end, per run.
//   node bench/portfolio.mjs [--quick] [--symbols N] [--days N] [--reps N] [--no-small-cache] [--json]
// (`npm run bench -- --only portfolio`; --quick is 3 symbols x 5 days, the full size 10 x 365).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { syscallLimitBinary } from "./cases.mjs";
import { range, summary } from "./stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, "portfolio-child.mjs");
const STORES = ["memory", "files", "sqlite"];
/** A candle cache too small for any range of the run (the 1 MiB case). */
const SMALL_CACHE_MB = 1;

function runChild(mode, { symbols, days, dir, label, cacheMb = null }) {
  const out = path.join(dir, `result-${label}.json`);
  const env = { ...process.env };
  if (cacheMb !== null) env.BACKTEST_PERSIST_CANDLE_CACHE_MB = String(cacheMb);
  else delete env.BACKTEST_PERSIST_CANDLE_CACHE_MB;
  execFileSync("sync");
  execFileSync(process.execPath, [CHILD, mode, String(symbols), String(days), out], { cwd: dir, env, stdio: ["ignore", "ignore", "inherit"] });
  return JSON.parse(fs.readFileSync(out, "utf8"));
}

const duField = (args, dir) => Number(execFileSync("du", [...args, dir], { encoding: "utf8" }).split("\t")[0]);

/** What the store holds on disk after the fill: bytes of data, bytes of disk, inodes. */
function diskUse(mode, dir) {
  const dump = path.join(dir, "dump");
  if (mode === "files") {
    const candles = path.join(dump, "data", "candle");
    return { dataBytes: duField(["-sb"], candles), diskBytes: duField(["-sk"], candles) * 1024, inodes: duField(["-s", "--inodes"], candles) };
  }
  const files = fs.readdirSync(dump).filter((name) => name.startsWith("candles.db"));
  const bytes = files.reduce((sum, name) => sum + fs.statSync(path.join(dump, name)).size, 0);
  return { dataBytes: bytes, diskBytes: duField(["-sk"], dump) * 1024, inodes: duField(["-s", "--inodes"], dump) };
}

/** ms of the bare-syscall floor of `files` new files of `bytes` each, written durably. */
function fileFloor(files, bytes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-portfolio-floor-"));
  try {
    execFileSync("sync");
    return Number(execFileSync(syscallLimitBinary(), ["batch", dir, String(files), String(bytes)], { encoding: "utf8" }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function portfolioCase({ symbols = 3, days = 5, reps = 3, smallCache = true } = {}) {
  const candles = symbols * (days + 2) * 1440;
  const runs = { memory: [], filesCold: [], filesWarm: [], filesSmall: [], sqliteCold: [], sqliteWarm: [], sqliteSmall: [], fileFloorMs: [] };
  const disk = { files: null, sqlite: null };
  const binary = syscallLimitBinary();
  void binary;
  for (let rep = 0; rep < reps; rep += 1) {
    for (const store of STORES.map((_, i) => STORES[(i + rep) % STORES.length])) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-portfolio-${store}-`));
      try {
        const opts = { symbols, days, dir };
        if (store === "memory") {
          runs.memory.push(runChild("memory", { ...opts, label: "memory" }));
          continue;
        }
        runs[`${store}Cold`].push(runChild(store, { ...opts, label: "cold" }));
        disk[store] ??= diskUse(store, dir);
        runs[`${store}Warm`].push(runChild(store, { ...opts, label: "warm" }));
        if (smallCache) runs[`${store}Small`].push(runChild(store, { ...opts, label: "small", cacheMb: SMALL_CACHE_MB }));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    // A candle file of this run is about 150 bytes of JSON.
    runs.fileFloorMs.push(fileFloor(candles, 150));
  }
  const first = runs.memory[0];
  for (const [name, list] of Object.entries(runs)) {
    if (name === "fileFloorMs") continue;
    for (const run of list) {
      if (run.closed !== first.closed || run.fingerprint !== first.fingerprint || Math.abs(run.pnl - first.pnl) > 1e-6) {
        throw new Error(`${name} gave other results: ${JSON.stringify(run)} against ${JSON.stringify(first)}`);
      }
    }
  }
  const pick = (name, field) => summary(runs[name].map((run) => run[field]));
  const over = (name, field, floorName = "memory", floorField = field) => summary(runs[name].map((run, i) => run[field] / runs[floorName][i][floorField]));
  const total = (run) => run.fillMs + run.backtestMs;
  const overTotal = (name) => summary(runs[name].map((run, i) => total(run) / total(runs.memory[i])));
  const peers = ["memory", "filesCold", "filesWarm", "filesSmall", "sqliteCold", "sqliteWarm", "sqliteSmall"].filter((p) => runs[p].length > 0);
  return {
    symbols,
    days,
    reps,
    candles,
    closedSignals: first.closed,
    fillMs: Object.fromEntries(peers.map((p) => [p, pick(p, "fillMs")])),
    backtestMs: Object.fromEntries(peers.map((p) => [p, pick(p, "backtestMs")])),
    peakRssMiB: Object.fromEntries(peers.map((p) => [p, summary(runs[p].map((run) => run.peakRssBytes / 2 ** 20))])),
    endRssMiB: Object.fromEntries(peers.map((p) => [p, summary(runs[p].map((run) => run.endRssBytes / 2 ** 20))])),
    fileFloorMs: summary(runs.fileFloorMs),
    ratios: {
      filesColdFill: over("filesCold", "fillMs"),
      sqliteColdFill: over("sqliteCold", "fillMs"),
      filesColdTotal: overTotal("filesCold"),
      sqliteColdTotal: overTotal("sqliteCold"),
      filesWarm: over("filesWarm", "backtestMs"),
      sqliteWarm: over("sqliteWarm", "backtestMs"),
      filesSmallCache: smallCache ? over("filesSmall", "backtestMs") : null,
      sqliteSmallCache: smallCache ? over("sqliteSmall", "backtestMs") : null,
      fileFloorOverMemoryFill: summary(runs.fileFloorMs.map((ms, i) => ms / runs.memory[i].fillMs)),
      filesFillOverFileFloor: summary(runs.filesCold.map((run, i) => run.fillMs / runs.fileFloorMs[i])),
    },
    disk,
  };
}

export function printPortfolio(r) {
  const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(`\nPortfolio: ${r.symbols} symbols x ${r.days} days at once (Promise.all over Backtest.run), ${r.candles.toLocaleString("en")} 1m candles cached; ${r.closedSignals} closed signals, identical in every run  [ms, median (min–max) of ${r.reps}]`);
  const label = { memory: "memory (floor)", filesCold: "files cold", filesWarm: "files warm", filesSmall: `files warm ${SMALL_CACHE_MB} MiB cache`, sqliteCold: "sqlite cold", sqliteWarm: "sqlite warm", sqliteSmall: `sqlite warm ${SMALL_CACHE_MB} MiB cache` };
  for (const p of Object.keys(label).filter((p) => r.fillMs[p])) {
    console.log(`  ${label[p].padEnd(26)} cacheCandles ${range(r.fillMs[p], 0).padEnd(26)} Backtest.run ${range(r.backtestMs[p], 0).padEnd(26)} RSS peak ${range(r.peakRssMiB[p], 0)} MiB, end ${range(r.endRssMiB[p], 0)} MiB`);
  }
  console.log(`  file layout's floor: ${r.candles.toLocaleString("en")} new files written durably with bare syscalls ${range(r.fileFloorMs, 0)} ms`);
  const x = r.ratios;
  console.log(`  cold fill / floor's     files ${range(x.filesColdFill, 2)}  sqlite ${range(x.sqliteColdFill, 2)}  target ≤ 1.5x: files ${x.filesColdFill.median <= 1.5 ? "met" : "NOT met"}, sqlite ${x.sqliteColdFill.median <= 1.5 ? "met" : "NOT met"}`);
  console.log(`  cold fill+run / floor's files ${range(x.filesColdTotal, 2)}  sqlite ${range(x.sqliteColdTotal, 2)}`);
  console.log(`  warm run / floor's      files ${range(x.filesWarm, 2)}  sqlite ${range(x.sqliteWarm, 2)}  target ≤ 1.2x: files ${x.filesWarm.median <= 1.2 ? "met" : "NOT met"}, sqlite ${x.sqliteWarm.median <= 1.2 ? "met" : "NOT met"}`);
  if (x.filesSmallCache) console.log(`  warm run, ${SMALL_CACHE_MB} MiB cache  files ${range(x.filesSmallCache, 2)}  sqlite ${range(x.sqliteSmallCache, 2)}`);
  console.log(`  file floor / memory fill ${range(x.fileFloorOverMemoryFill, 2)}; files fill / file floor ${range(x.filesFillOverFileFloor, 2)}`);
  const f = r.disk.files;
  const s = r.disk.sqlite;
  console.log(`  on disk: files ${f.inodes.toLocaleString("en")} inodes, ${mib(f.dataBytes)} of JSON in ${mib(f.diskBytes)} of disk; sqlite ${mib(s.dataBytes)} in ${s.inodes} inodes`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
  const quick = process.argv.includes("--quick");
  const result = await portfolioCase({ symbols: arg("--symbols", quick ? 3 : 10), days: arg("--days", quick ? 5 : 365), reps: arg("--reps", 3), smallCache: !process.argv.includes("--no-small-cache") });
  if (process.argv.includes("--json")) console.log(JSON.stringify(result, null, 2));
  else printPortfolio(result);
}
