// `backtest-persist migrate` of a dump of backtest-kit 19.5.0 candle files into `sqlite:`, the way
// a user meets it: on a terminal (a pseudo-terminal from util-linux `script`, so the progress bars
// draw), interrupted with Ctrl-C (a real ^C typed into the terminal: the kernel's SIGINT to the
// foreground process) once writing has begun, then run again to resume, then once more (nothing
// left to write). Prints the rate of each phase and checks the counts add up.
//   node bench/migrate.mjs [--candles N] [--interrupt-after S] [--keep DIR]
// (default 1,000,000 candles over 10 symbols; run by `npm run bench -- --only migrate`).
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, "..", "bin", "backtest-persist.js");
const MINUTE = 60_000;
const START = Date.parse("2025-01-01T00:00:00Z");

/** Writes `count` 1m candles over `symbols` symbols as 19.5.0's files (plain writes: a fixture). */
export { betterSqliteFloor };
export function writeDump(root, count, symbols = 10) {
  const perSymbol = Math.ceil(count / symbols);
  let written = 0;
  for (let s = 0; s < symbols && written < count; s += 1) {
    const dir = path.join(root, "data", "candle", "mock", `SYM${s}USDT`, "1m");
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perSymbol && written < count; i += 1, written += 1) {
      const timestamp = START + i * MINUTE;
      const p = 100 + 8 * Math.sin(timestamp / (97 * MINUTE));
      fs.writeFileSync(path.join(dir, `${timestamp}.json`), JSON.stringify({ timestamp, open: p, high: p + 0.4, low: p - 0.4, close: p + 0.1, volume: 1 + (i % 7) }));
    }
  }
}

/**
 * Runs the CLI on a pseudo-terminal; `interruptOn(text)` may answer true to type ^C. Resolves
 * with the wall time, the exit status, the last lines it printed, and the progress-bar phases seen.
 */
function runOnTerminal(args, { interruptAfterWriting = null } = {}) {
  return new Promise((resolve) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const begun = performance.now();
    const child = spawn("script", ["-qfec", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
    let text = "";
    let writingSince = null;
    let interruptedAt = null;
    const phases = new Set();
    let lastProgress = "";
    child.stdout.on("data", (chunk) => {
      text += chunk.toString("utf8");
      if (text.length > 1_000_000) text = text.slice(-200_000);
      for (const m of chunk.toString("utf8").matchAll(/(read|write) \[[^\]]*\] (\d+)\/(\d+)/g)) {
        phases.add(m[1]);
        lastProgress = m[0].replace(/\[[^\]]*\]/, "[…]");
        if (m[1] === "write" && writingSince === null) writingSince = performance.now();
      }
      if (interruptAfterWriting !== null && writingSince !== null && interruptedAt === null && performance.now() - writingSince >= interruptAfterWriting * 1000) {
        interruptedAt = lastProgress;
        child.stdin.write("\x03");
      }
    });
    child.on("close", (code, signal) => {
      const clean = text.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, "\n").replace(/\r/g, "\n");
      const lines = clean.split("\n").map((l) => l.trim()).filter(Boolean);
      const counts = clean.match(/^(\d+) written, (\d+) already there/m);
      resolve({
        ms: performance.now() - begun,
        writeMs: writingSince === null ? null : performance.now() - writingSince,
        code,
        signal,
        phases: [...phases],
        interruptedAt,
        written: counts ? Number(counts[1]) : null,
        alreadyThere: counts ? Number(counts[2]) : null,
        tail: lines.filter((l) => !/\[[^\]]*\] \d+\/\d+/.test(l)).slice(-3),
      });
    });
  });
}

/**
 * The floor of the same move: every candle file of `dump` read (readdir, readFile) and inserted
 * by better-sqlite3 alone (WAL, synchronous=FULL, the store's table shape), `chunk` rows per
 * transaction (4,096, as the CLI writes to SQLite); ms of the reading and of the writing.
 */
function betterSqliteFloor(dump, db, chunk = 4096) {
  const begun = performance.now();
  const rows = [];
  const walk = (relative) => {
    for (const entry of fs.readdirSync(path.join(dump, relative), { withFileTypes: true })) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else rows.push([path.dirname(rel), entry.name.slice(0, -5), fs.readFileSync(path.join(dump, rel), "utf8")]);
    }
  };
  walk("");
  const read = performance.now();
  const database = new Database(db);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = FULL");
  database.exec("CREATE TABLE docs (namespace TEXT NOT NULL, id TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (namespace, id)) WITHOUT ROWID");
  const insert = database.prepare("INSERT INTO docs (namespace, id, document) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
  const many = database.transaction((slice) => {
    for (const row of slice) insert.run(row);
  });
  for (let start = 0; start < rows.length; start += chunk) many(rows.slice(start, start + chunk));
  database.close();
  return { readMs: read - begun, writeMs: performance.now() - read, rows: rows.length };
}

export async function migrateCase({ candles = 1_000_000, interruptAfter = 20, keep = null } = {}) {
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), "bench-migrate-"));
  const dump = path.join(dir, "dump");
  const db = path.join(dir, "candles.db");
  try {
    let dumpMs = 0;
    if (!fs.existsSync(path.join(dump, "data"))) {
      const begun = performance.now();
      writeDump(dump, candles);
      execFileSync("sync");
      dumpMs = performance.now() - begun;
    }
    fs.rmSync(db, { force: true });
    fs.rmSync(`${db}-wal`, { force: true });
    fs.rmSync(`${db}-shm`, { force: true });
    const dumpBytes = Number(execFileSync("du", ["-sb", dump], { encoding: "utf8" }).split("\t")[0]);
    const dumpDisk = Number(execFileSync("du", ["-sk", dump], { encoding: "utf8" }).split("\t")[0]) * 1024;
    execFileSync("sync");
    const args = ["migrate", "--from", dump, "--to", `sqlite:${db}`, "--apply"];
    const interrupted = await runOnTerminal(args, { interruptAfterWriting: interruptAfter });
    const resumed = await runOnTerminal(args);
    const again = await runOnTerminal(args);
    const floorDb = path.join(dir, "floor.db");
    fs.rmSync(floorDb, { force: true });
    execFileSync("sync");
    const floor = betterSqliteFloor(dump, floorDb);
    const dbBytes = fs.statSync(db).size + (fs.existsSync(`${db}-wal`) ? fs.statSync(`${db}-wal`).size : 0);
    const ok = resumed.code === 0 && resumed.written + resumed.alreadyThere === candles && again.written === 0 && again.alreadyThere === candles;
    return { candles, dumpMs, dumpBytes, dumpDisk, dbBytes, interrupted, resumed, again, floor, ok };
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printMigrate(r) {
  const rate = (n, ms) => `${Math.round(n / (ms / 1000)).toLocaleString("en")}/s`;
  console.log(`\nmigrate ${r.candles.toLocaleString("en")} candle files (${(r.dumpBytes / 2 ** 20).toFixed(0)} MiB of JSON, ${(r.dumpDisk / 2 ** 20).toFixed(0)} MiB on disk) --to sqlite: --apply, on a terminal`);
  const i = r.interrupted;
  console.log(`  run 1, ^C typed after ${((i.writeMs ?? 0) / 1000).toFixed(1)} s of writing: exit ${i.code}${i.signal ? ` (${i.signal})` : ""} after ${(i.ms / 1000).toFixed(1)} s; progress bars seen: ${i.phases.join(", ") || "none"}; last bar ${i.interruptedAt ?? "-"}`);
  const s = r.resumed;
  console.log(`  run 2 (resume): ${(s.ms / 1000).toFixed(1)} s, exit ${s.code}, ${s.written} written, ${s.alreadyThere} already there; writing ${s.writeMs ? `${(s.writeMs / 1000).toFixed(1)} s, ${rate(s.written, s.writeMs)}` : "-"}; whole run ${rate(r.candles, s.ms)}`);
  const a = r.again;
  console.log(`  run 3 (nothing left): ${(a.ms / 1000).toFixed(1)} s, ${a.written} written, ${a.alreadyThere} already there`);
  const f = r.floor;
  console.log(`  floor, better-sqlite3 alone (files read in a loop, 4,096 rows a transaction as the CLI, WAL + synchronous=FULL): reading ${(f.readMs / 1000).toFixed(1)} s, writing ${(f.writeMs / 1000).toFixed(1)} s, ${rate(f.rows, f.writeMs)}; resumed run's writing / floor's ${s.writeMs ? ((s.writeMs / s.written) / (f.writeMs / f.rows)).toFixed(2) : "-"}x per document`);
  console.log(`  sqlite file ${(r.dbBytes / 2 ** 20).toFixed(0)} MiB; counts add up: ${r.ok}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
  const result = await migrateCase({ candles: Number(arg("--candles", 1_000_000)), interruptAfter: Number(arg("--interrupt-after", 20)), keep: arg("--keep", null) });
  if (process.argv.includes("--json")) console.log(JSON.stringify(result, null, 2));
  else printMigrate(result);
}
