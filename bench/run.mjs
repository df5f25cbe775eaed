// `npm run bench`: this package beside its peers, in the same process run, cases interleaved
// repetition by repetition. Never part of CI's pass/fail.
//   --quick   a short run (fewer operations, 3 repetitions) under a minute or so
//   --json    the same results as JSON
//   --only a,b  just these cases (by key; "stores" for the Redis cases of bench/stores.mjs,
//               "topologies" for bench/topologies.mjs, "portfolio" for bench/portfolio.mjs,
//               "migrate" for bench/migrate.mjs)
//   --portfolio-size 10x30  the portfolio case at 10 symbols x 30 days (default 10x365, 3x5 with --quick)
// Writes bench/results.svg, a bar chart of the ratios to the reference.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cases } from "./cases.mjs";
import { v19Cases } from "./v19-cases.mjs";
import { measureRegistryLatency } from "./registry-latency.mjs";
import { backtestCase, liveCase, printBacktest, printLive } from "./backtest.mjs";
import { printSqlite, sqliteCases } from "./sqlite.mjs";
import { portfolioCase, printPortfolio } from "./portfolio.mjs";
import { migrateCase, printMigrate } from "./migrate.mjs";
import { fmt, range, summary } from "./stats.mjs";
import { ratioChart } from "./chart.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const reps = quick ? 3 : 5;
const size = quick
  ? { writes: 400, concurrent: 1000, reads: 4000, files: 10_000, calls: 500, candleReads: 20, candleFiles: 20_000 }
  : { writes: 2000, concurrent: 1000, reads: 20_000, files: 10_000, calls: 2000, candleReads: 50, candleFiles: 100_000 };

const plan = [
  { key: "sequentialWrites", title: "sequential durable writes, over 10 keys", unit: "writes/s", target: 2.5, args: { writes: size.writes } },
  { key: "concurrentWrites", title: `${size.concurrent} writes issued at once over 100 keys`, unit: "writes/s", target: 10, args: { writes: size.concurrent } },
  { key: "hotReads", title: "readValue of 10 hot keys", unit: "reads/s", target: 5, args: { reads: size.reads } },
  { key: "hasValue", title: "hasValue", unit: "calls/s", target: 5, args: { reads: size.reads } },
  { key: "initScan", title: "waitForInit on 10,000 files, 1% corrupt, 20 temp leftovers", unit: "ms", target: 20, args: { files: size.files } },
  { key: "listKeys", title: "keys() over 10,000 entities", unit: "ms", target: 10, args: { files: size.files } },
  { key: "listValues", title: "values() over 10,000 entities", unit: "ms", target: 10, args: { files: size.files } },
  { key: "candleRead1000", title: "19.5.0 candle cache: readCandlesData of 1,000 cached candles", unit: "ms per read", target: 25, args: { reads: size.candleReads } },
  { key: "candleRead5", title: "19.5.0 candle cache: a 5-candle read (every strategy tick)", unit: "ms per read", target: 20, args: { reads: size.candleReads * 20 } },
  { key: "candleWrite", title: "19.5.0 candle cache: 1,000 closed candles written durably", unit: "ms", target: 10, args: { count: 1000 } },
  { key: "candleFirstRead", title: `19.5.0 candle cache: first read of ${size.candleFiles.toLocaleString("en")} cached candles (init included)`, unit: "ms", target: 30, args: { files: size.candleFiles } },
  { key: "storageWrite", title: "19.5.0 storage: writeStorageData of 50 signals", unit: "ms per write", target: 10, args: { rows: 50, writes: 10 } },
  { key: "logWrite", title: "19.5.0 log: writeLogData of 1,000 new entries", unit: "ms", target: 20, args: { entries: 1000, appends: 20 } },
  { key: "adapterRead", title: "19.5.0 registry read through a JS Instance adapter answering at once (p50 µs; p50 < 100 µs, p99 < 1 ms required)", unit: "µs", target: 0.5, args: { reads: size.reads } },
  { key: "registryDefaultStore", title: "registry write+read on the default store (vs plain-JS registry over the reference)", unit: "calls/s", target: 5, args: { calls: size.calls } },
];

function machine() {
  const cpus = os.cpus();
  let fileSystem = "unknown";
  try {
    fileSystem = execFileSync("stat", ["-f", "-c", "%T", os.tmpdir()], { encoding: "utf8" }).trim();
  } catch {
    // not Linux: leave it unknown
  }
  return { cpu: cpus[0]?.model ?? "unknown", cores: cpus.length, fileSystem: `${fileSystem} (${os.tmpdir()})`, node: process.version, platform: `${process.platform} ${os.release()}` };
}

const onlyAt = process.argv.indexOf("--only");
const only = (key) => onlyAt === -1 || process.argv[onlyAt + 1].split(",").includes(key);
if (onlyAt !== -1) {
  const keep = new Set(process.argv[onlyAt + 1].split(","));
  plan.splice(0, plan.length, ...plan.filter(({ key }) => keep.has(key)));
}

const samples = Object.fromEntries(plan.map(({ key }) => [key, []]));
for (let rep = 0; rep < reps; rep += 1) {
  for (const { key, args } of plan) {
    // Each case on a quiet disk: what earlier cases left unsynced is flushed first, for every peer.
    execFileSync("sync");
    samples[key].push(await (cases[key] ?? v19Cases[key])(args));
  }
}

const results = plan.map(({ key, title, unit, target }) => {
  const runs = samples[key];
  const peers = Object.keys(runs[0]).filter((peer) => peer !== "extra" && peer !== "lowerIsBetter");
  const lowerIsBetter = Boolean(runs[0].lowerIsBetter);
  const figures = Object.fromEntries(peers.map((peer) => [peer, summary(runs.map((run) => run[peer]))]));
  const ratios = summary(runs.map((run) => (lowerIsBetter ? run.reference / run.ours : run.ours / run.reference)));
  return { case: key, title, unit, lowerIsBetter, figures, ratioToReference: ratios, target, met: ratios.median >= target, extra: runs.map((run) => run.extra).filter(Boolean) };
});
const latency = await measureRegistryLatency(quick ? { runs: 3, reads: 5_000 } : { runs: 5, reads: 20_000 });
const soakOutput = execFileSync(process.execPath, ["--expose-gc", path.join(here, "soak.mjs")], { encoding: "utf8" });
// The whole backtest, end to end (one process per run; 30 days in the full run, 3 rounds there:
// backtest-kit's own persistence takes about 200 s a run).
const onlyBacktest = onlyAt === -1 || process.argv[onlyAt + 1].split(",").includes("backtest");
const backtest = onlyBacktest ? await backtestCase(quick ? { days: 3, reps: 3 } : { days: 30, reps: 3 }) : null;
const live = onlyBacktest ? await liveCase(quick ? { minutes: 240, reps: 3 } : { minutes: 1440, reps: 3 }) : null;
const onlySqlite = onlyAt === -1 || process.argv[onlyAt + 1].split(",").includes("sqlite");
const sqlite = onlySqlite ? await sqliteCases() : null;
// The portfolio over a range (10 symbols x 365 days in the full run: hours on a busy machine), and
// migrate of a million candle files into SQLite, on a terminal, interrupted and resumed.
const sizeAt = process.argv.indexOf("--portfolio-size");
const [portfolioSymbols, portfolioDays] = sizeAt !== -1 ? process.argv[sizeAt + 1].split("x").map(Number) : quick ? [3, 5] : [10, 365];
const portfolio = only("portfolio") ? await portfolioCase({ symbols: portfolioSymbols, days: portfolioDays, reps: 3 }) : null;
const migrated = only("migrate") ? await migrateCase({ candles: quick ? 50_000 : 1_000_000, interruptAfter: quick ? 2 : 20 }) : null;
const report = { date: new Date().toISOString(), machine: machine(), repetitions: reps, quick, results, backtest, live, sqlite, portfolio, migrate: migrated, registryLatency: latency, soak: soakOutput.trim().split("\n").at(-1) };

fs.writeFileSync(path.join(here, "results.svg"), ratioChart(results, report));

if (asJson) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const m = report.machine;
  console.log(`${report.date}  ${m.cpu}, ${m.cores} cores, ${m.fileSystem}, node ${m.node}, ${m.platform}`);
  console.log(`each figure: median (min–max) of ${reps} repetitions\n`);
  for (const result of results) {
    console.log(`${result.title}  [${result.unit}${result.lowerIsBetter ? ", lower is better" : ""}]`);
    for (const [peer, figure] of Object.entries(result.figures)) console.log(`  ${peer.padEnd(18)} ${range(figure)}`);
    console.log(`  ratio to reference ${range(result.ratioToReference, 2)}  target ≥ ${result.target}x: ${result.met ? "met" : "NOT met"}`);
    for (const extra of result.extra.slice(0, 1)) console.log(`  ${JSON.stringify(extra, (k, v) => (typeof v === "number" ? Number(fmt(v, 2)) : v))}`);
  }
  console.log(`\n${latency.case}: p50 ${range(latency.ours.p50)} µs, p99 ${range(latency.ours.p99)} µs; plain-JS registry p50 ${range(latency.plainJs.p50)} µs (ratio ${fmt(latency.ratioToPlainJs, 1)}x); targets met: ${latency.targetsMet}`);
  console.log(`soak, 100,000 JS-adapter calls: ${report.soak}`);
  if (backtest) {
    console.log("");
    printBacktest(backtest);
    printLive(live);
  }
  if (sqlite) printSqlite(sqlite);
  if (portfolio) printPortfolio(portfolio);
  if (migrated) printMigrate(migrated);
  console.log(`\nchart: bench/results.svg`);
}

// The server stores, against their JS peers on one redis-server of this run's own.
if (onlyAt === -1 || process.argv[onlyAt + 1].split(",").includes("stores")) {
  execFileSync(process.execPath, [path.join(here, "stores.mjs"), ...(quick ? ["--quick"] : [])], { stdio: "inherit" });
}
// The server stores through the deployments users run (Pgpool-II, PgBouncer, Sentinel), against direct.
if (onlyAt === -1 || process.argv[onlyAt + 1].split(",").includes("topologies")) {
  execFileSync(process.execPath, [path.join(here, "topologies.mjs"), ...(quick ? ["--quick"] : [])], { stdio: "inherit" });
}
