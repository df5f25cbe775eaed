// `npm run bench`: benchmarks, run on demand, never by CI's pass/fail. Each figure is the
// median and min–max of several runs measured in this process, beside its peer.
//   --quick   fewer repetitions
//   --json    print the results as JSON
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { measureRegistryLatency } from "./registry-latency.mjs";
import { range } from "./stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");

const machine = `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, node ${process.version}`;
const latency = await measureRegistryLatency(quick ? { runs: 3, reads: 5_000 } : { runs: 5, reads: 20_000 });
const soakOutput = execFileSync(process.execPath, ["--expose-gc", path.join(here, "soak.mjs")], { encoding: "utf8" });
const growth = soakOutput.trim().split("\n").at(-1);

if (asJson) {
  console.log(JSON.stringify({ machine, date: new Date().toISOString(), latency, soak: growth }, null, 2));
} else {
  console.log(`machine: ${machine}\n`);
  console.log(`${latency.case} (${latency.unit}; median and min–max of the runs' p50 and p99)`);
  console.log(`  this package  p50 ${range(latency.ours.p50)}   p99 ${range(latency.ours.p99)}`);
  console.log(`  plain-JS registry (SPEC A logic, same adapter)  p50 ${range(latency.plainJs.p50)}   p99 ${range(latency.plainJs.p99)}`);
  console.log(`  ratio to plain JS (p50): ${latency.ratioToPlainJs.toFixed(1)}x; targets (p50 < 100 µs, p99 < 1 ms) met: ${latency.targetsMet}\n`);
  console.log("soak: 100,000 registry calls through a JS adapter");
  console.log(soakOutput.replace(/^/gm, "  "));
}
