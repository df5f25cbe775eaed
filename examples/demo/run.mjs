// `npm run demo`: the crash-and-recover demo. Runs the simulated bot (bot.mjs) on the default
// file store in a fresh directory, kills it with SIGKILL at a random moment, restarts it, and
// compares what it restored with what it had last acknowledged before the kill. A key may
// also hold a value whose write was in flight at the kill (issued, not yet acknowledged):
// that write may or may not have landed. Anything else is a lost or corrupted write, and the
// demo exits non-zero.
//
// Options: --rounds N (default 3) kill/restart cycles; --keep to leave the data directory.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const bot = path.join(path.dirname(fileURLToPath(import.meta.url)), "bot.mjs");
const argument = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
};
const rounds = Number(argument("--rounds", 3));
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "persist-demo-"));

/** Runs the bot until it has acknowledged `killAfterAcks` writes, then SIGKILLs it. */
function runBot({ killAfterAcks, restoreOnly = false }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bot, ...(restoreOnly ? ["--restore-only"] : [])], {
      cwd: workDir,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = [];
    let acks = 0;
    createInterface({ input: child.stdout }).on("line", (line) => {
      const event = JSON.parse(line);
      lines.push(event);
      if (event.event === "acked" && ++acks >= killAfterAcks) {
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ lines, code, signal }));
  });
}

/** Per key: the last acknowledged value, and the values issued after it (in flight). */
function expectations(lines, restored) {
  const byKey = new Map(Object.entries(restored).map(([name, value]) => [name, { acked: value, inFlight: [] }]));
  for (const line of lines) {
    const entry = byKey.get(line.name);
    if (line.event === "issued") entry.inFlight.push(line.value);
    if (line.event === "acked") {
      entry.acked = line.value;
      entry.inFlight.splice(0, entry.inFlight.findIndex((v) => same(v, line.value)) + 1);
    }
  }
  return byKey;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
/** A short description of a state value: which write it came from. */
const show = (value) => {
  if (value === null) return "null (none open)";
  if (Array.isArray(value)) return `${value.length} position(s), rev ${value[0]?.rev ?? "-"}`;
  const entries = Object.values(value).filter((v) => v && typeof v === "object");
  if (typeof value.rev === "number") return `${value.id} rev ${value.rev}`;
  if (entries.length === 0) return "{} (none)";
  return `levels rev ${entries[0].rev}`;
};

let failures = 0;
console.log(`data directory: ${workDir}\n`);
for (let round = 1; round <= rounds; round += 1) {
  const killAfterAcks = 50 + Math.floor(Math.random() * 400);
  const run = await runBot({ killAfterAcks });
  const restoredAtStart = run.lines.find((l) => l.event === "restored").state;
  const acked = run.lines.filter((l) => l.event === "acked").length;
  console.log(`round ${round}: killed with ${run.signal} after ${acked} acknowledged writes`);
  const expected = expectations(run.lines, restoredAtStart);
  const restart = await runBot({ killAfterAcks: Infinity, restoreOnly: true });
  const recovered = restart.lines.find((l) => l.event === "restored").state;
  const rows = [];
  for (const [name, { acked: last, inFlight }] of expected) {
    const got = recovered[name];
    const verdict = same(got, last) ? "ok" : inFlight.some((v) => same(v, got)) ? "ok (in-flight write landed)" : "LOST";
    if (verdict === "LOST") failures += 1;
    rows.push({ key: name, "last acknowledged": show(last), recovered: show(got), verdict });
  }
  console.table(rows);
}

if (!process.argv.includes("--keep")) {
  fs.rmSync(workDir, { recursive: true, force: true });
}
if (failures > 0) {
  console.error(`\n${failures} key(s) did not recover their last acknowledged value`);
  process.exit(1);
}
console.log(`\nall keys recovered their last acknowledged value in ${rounds} kill/restart rounds`);
