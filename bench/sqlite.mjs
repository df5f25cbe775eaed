// The SQLite store (`sqlite:<path>`) against what a Node user would write instead, in the same
// run: backtest-kit 19.5.0's own Instances on files (the reference), this package's file store,
// this package's SQLite store, and JS Candle/Storage/Log Instances over better-sqlite3 with the
// same settings (WAL, synchronous=FULL, one table keyed by (namespace, id), one transaction per
// batch). Also the disk taken by 100,000 candles on files and in SQLite. Run alone:
//   node bench/sqlite.mjs [--quick]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import * as bk from "backtest-kit";
import * as ours from "../v19/index.js";
import { PersistBase } from "../index.js";
import { fmt, range, summary } from "./stats.mjs";
import { inFreshDir as inFreshDirOf } from "./v19-cases.mjs";

const MINUTE = 60_000;
const quick = process.argv.includes("--quick");
const reps = quick ? 3 : 5;

/** One better-sqlite3 database per file, as a user's adapter module would keep it. */
const databases = new Map();
function database(file) {
  let db = databases.get(file);
  if (!db) {
    db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE IF NOT EXISTS docs (namespace TEXT NOT NULL, id TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (namespace, id)) WITHOUT ROWID");
    databases.set(file, db);
  }
  return db;
}

/** JS Instances over better-sqlite3: what a user writes to keep backtest-kit's state in SQLite. */
function betterSqliteInstances(file) {
  const statements = (db) => ({
    get: db.prepare("SELECT document FROM docs WHERE namespace = ? AND id = ?"),
    insert: db.prepare("INSERT INTO docs (namespace, id, document) VALUES (?, ?, ?) ON CONFLICT (namespace, id) DO NOTHING"),
    upsert: db.prepare("INSERT INTO docs (namespace, id, document) VALUES (?, ?, ?) ON CONFLICT (namespace, id) DO UPDATE SET document = excluded.document"),
    all: db.prepare("SELECT id, document FROM docs WHERE namespace = ?"),
  });
  const STEP = { "1m": MINUTE };
  return {
    PersistCandleInstance: class {
      constructor(symbol, interval, exchangeName) {
        this.namespace = `candle/${exchangeName}/${symbol}/${interval}`;
        this.stepMs = STEP[interval];
      }
      async waitForInit() {
        this.db = database(file);
        this.sql = statements(this.db);
      }
      async readCandlesData(limit, since) {
        const candles = [];
        for (let i = 0; i < limit; i += 1) {
          const row = this.sql.get.get(this.namespace, String(since + i * this.stepMs));
          if (!row) return null;
          candles.push(JSON.parse(row.document));
        }
        return candles;
      }
      async writeCandlesData(candles) {
        const now = Date.now();
        const write = this.db.transaction((rows) => {
          for (const candle of rows) if (candle.timestamp + this.stepMs <= now) this.sql.insert.run(this.namespace, String(candle.timestamp), JSON.stringify(candle));
        });
        write(candles);
      }
    },
    PersistStorageInstance: class {
      constructor(backtest) {
        this.namespace = `storage/${backtest ? "backtest" : "live"}`;
      }
      async waitForInit() {
        this.db = database(file);
        this.sql = statements(this.db);
      }
      async writeStorageData(rows) {
        this.db.transaction((all) => all.forEach((row) => this.sql.upsert.run(this.namespace, String(row.id), JSON.stringify(row))))(rows);
      }
    },
    PersistLogInstance: class {
      async waitForInit() {
        this.namespace = "log";
        this.db = database(file);
        this.sql = statements(this.db);
      }
      async writeLogData(entries) {
        this.db.transaction((all) => all.forEach((row) => this.sql.insert.run(this.namespace, String(row.id), JSON.stringify(row))))(entries);
      }
    },
  };
}

/** Our Instances with their PersistBase on `url`. */
function nativeOn(url) {
  const on = (Instance, entity, base) =>
    class extends Instance {
      constructor(...args) {
        super(...args);
        this._storage = new PersistBase(this._storage.entityName, this._storage.baseDir, { store: url });
      }
    };
  return {
    PersistCandleInstance: on(ours.PersistCandleInstance),
    PersistStorageInstance: on(ours.PersistStorageInstance),
    PersistLogInstance: on(ours.PersistLogInstance),
  };
}

/** The peers, each made fresh in `dir`. */
const PEERS = {
  reference: () => bk,
  files: () => ours,
  sqlite: (dir) => nativeOn(`sqlite:${path.join(dir, "state.db")}`),
  "better-sqlite3": (dir) => betterSqliteInstances(path.join(dir, "js.db")),
};

function candles(count) {
  const first = Math.floor((Date.now() - 24 * 3600_000) / MINUTE) * MINUTE - count * MINUTE;
  return Array.from({ length: count }, (_, i) => ({ timestamp: first + i * MINUTE, open: 97_000 + i, high: 97_100 + i, low: 96_900 + i, close: 97_050 + i, volume: 12.5 }));
}

/** `body(dir)` in a fresh directory (the working directory meanwhile), after a `sync`. */
function inFreshDir(body) {
  execFileSync("sync");
  return inFreshDirOf("sqlite", body);
}

async function timed(body) {
  const start = performance.now();
  await body();
  return performance.now() - start;
}

const CASES = {
  /** ms to write 1,000 closed candles durably into an empty cache. */
  async candleWrite(make, dir) {
    const instance = new (make(dir).PersistCandleInstance)("BTCUSDT", "1m", "binance");
    await instance.waitForInit(true);
    const rows = candles(1000);
    return timed(() => instance.writeCandlesData(rows));
  },
  /** ms per writeStorageData of 50 signals (10 writes). */
  async storageWrite(make, dir) {
    const instance = new (make(dir).PersistStorageInstance)(false);
    await instance.waitForInit(true);
    const signals = Array.from({ length: 50 }, (_, i) => ({ id: `sig-${i}`, priceOpen: 97_000 + i, note: "x".repeat(400) }));
    const ms = await timed(async () => {
      for (let n = 0; n < 10; n += 1) await instance.writeStorageData(signals.map((s) => ({ ...s, updatedAt: n })));
    });
    return ms / 10;
  },
  /** ms to write 1,000 new log entries. */
  async logWrite(make, dir) {
    const instance = new (make(dir).PersistLogInstance)();
    await instance.waitForInit(true);
    const log = Array.from({ length: 1000 }, (_, i) => ({ id: `entry-${i}`, type: "info", topic: "bench", args: [i] }));
    return timed(() => instance.writeLogData(log));
  },
  /** ms per read of 1,000 cached candles, read again and again. */
  async candleRead1000(make, dir) {
    return candleReads(make, dir, 1000, quick ? 20 : 50);
  },
  /** ms per 5-candle read, read again and again. */
  async candleRead5(make, dir) {
    return candleReads(make, dir, 5, quick ? 400 : 1000);
  },
};

async function candleReads(make, dir, limit, reads) {
  const instance = new (make(dir).PersistCandleInstance)("BTCUSDT", "1m", "binance");
  await instance.waitForInit(true);
  const rows = candles(1000);
  await instance.writeCandlesData(rows);
  const since = rows.at(-limit).timestamp;
  const ms = await timed(async () => {
    for (let n = 0; n < reads; n += 1) {
      const got = await instance.readCandlesData(limit, since, since + limit * MINUTE);
      if (got?.length !== limit) throw new Error(`read ${got?.length} candles`);
    }
  });
  return ms / reads;
}

const TITLES = {
  candleWrite: "1,000 closed candles written durably (ms)",
  storageWrite: "writeStorageData of 50 signals (ms per call)",
  logWrite: "writeLogData of 1,000 new entries (ms)",
  candleRead1000: "readCandlesData of 1,000 cached candles, repeated (ms per read)",
  candleRead5: "a 5-candle read, repeated (ms per read)",
};

/** KiB on disk of 100,000 candles: in backtest-kit's file layout, and in one SQLite file. */
async function diskUsage() {
  const rows = candles(100_000);
  const du = (target) => Number(execFileSync("du", ["-sk", target], { encoding: "utf8" }).split("\t")[0]);
  const files = await inFreshDir(async (dir) => {
    const folder = path.join(dir, "dump/data/candle/binance/BTCUSDT/1m");
    fs.mkdirSync(folder, { recursive: true });
    for (const row of rows) fs.writeFileSync(path.join(folder, `${row.timestamp}.json`), JSON.stringify(row));
    return du(path.join(dir, "dump"));
  });
  const sqlite = await inFreshDir(async (dir) => {
    const instance = new (nativeOn(`sqlite:${path.join(dir, "candles.db")}`).PersistCandleInstance)("BTCUSDT", "1m", "binance");
    await instance.waitForInit(true);
    for (let at = 0; at < rows.length; at += 10_000) await instance.writeCandlesData(rows.slice(at, at + 10_000));
    // What stays once the WAL is checkpointed into the file (SQLite does it as the WAL grows).
    const db = new Database(path.join(dir, "candles.db"));
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    return du(dir);
  });
  const json = rows.reduce((sum, row) => sum + JSON.stringify(row).length, 0);
  return { filesKiB: files, sqliteKiB: sqlite, jsonKiB: Math.round(json / 1024), ratio: files / sqlite };
}

/**
 * The floor of a durable batch in SQLite on this disk: 1,000 rows of text already serialized,
 * inserted in one transaction by better-sqlite3 (SQLite's C code, with nothing of ours or of an
 * Instance around it), WAL with synchronous=FULL: what any implementation pays at the least.
 */
async function batchFloor(rows) {
  return inFreshDir(async (dir) => {
    const db = database(path.join(dir, "floor.db"));
    const insert = db.prepare("INSERT INTO docs (namespace, id, document) VALUES (?, ?, ?) ON CONFLICT (namespace, id) DO NOTHING");
    const texts = candles(rows).map((row) => [String(row.timestamp), JSON.stringify(row)]);
    const runs = [];
    for (let n = 0; n < 10; n += 1) {
      const start = performance.now();
      db.transaction(() => texts.forEach(([id, text]) => insert.run(`floor/${n}`, id, text)))();
      runs.push(performance.now() - start);
    }
    databases.delete(path.join(dir, "floor.db"));
    db.close();
    return summary(runs);
  });
}

export async function sqliteCases() {
  const samples = Object.fromEntries(Object.keys(CASES).map((key) => [key, Object.fromEntries(Object.keys(PEERS).map((peer) => [peer, []]))]));
  for (let rep = 0; rep < reps; rep += 1) {
    for (const [key, run] of Object.entries(CASES)) {
      for (const [peer, make] of Object.entries(PEERS)) {
        samples[key][peer].push(await inFreshDir((dir) => run(make, dir)));
      }
    }
  }
  const results = Object.entries(samples).map(([key, peers]) => {
    const figures = Object.fromEntries(Object.entries(peers).map(([peer, values]) => [peer, summary(values)]));
    const ratio = (over) => summary(peers[over].map((value, i) => value / peers.sqlite[i]));
    return { case: key, title: TITLES[key], figures, sqliteVsReference: ratio("reference"), sqliteVsBetterSqlite3: ratio("better-sqlite3"), sqliteVsFiles: ratio("files") };
  });
  return { reps, results, floor: await batchFloor(1000), disk: await diskUsage() };
}

export function printSqlite({ reps, results, floor, disk }) {
  console.log(`\nSQLite store: median (min–max) of ${reps}; ratios are the peer's time over the SQLite store's (higher: SQLite faster)`);
  for (const result of results) {
    console.log(`${result.title}`);
    for (const [peer, figure] of Object.entries(result.figures)) console.log(`  ${peer.padEnd(16)} ${range(figure, 2)}`);
    console.log(`  vs reference ${range(result.sqliteVsReference, 1)}x, vs better-sqlite3 ${range(result.sqliteVsBetterSqlite3, 2)}x, vs the file store ${range(result.sqliteVsFiles, 2)}x`);
  }
  console.log(`floor: 1,000 serialized rows in one transaction, better-sqlite3 alone, WAL + synchronous=FULL: ${range(floor, 2)} ms`);
  console.log(`disk taken by 100,000 candles: files ${disk.filesKiB} KiB, SQLite ${disk.sqliteKiB} KiB (${fmt(disk.ratio, 1)}x less; the JSON itself is ${disk.jsonKiB} KiB)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await sqliteCases();
  if (process.argv.includes("--json")) console.log(JSON.stringify(result, null, 2));
  else printSqlite(result);
  process.exit(0);
}
