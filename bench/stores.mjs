// `npm run bench` (second part): the server stores beside their JS peers, on one redis-server
// this script starts (loopback, AOF with appendfsync always, as the README recommends), cases
// interleaved repetition by repetition. Peers, each registered on a fresh PersistSignalUtils:
// - native: this package's PersistBase on `{ store: url }` (the registry call stays in Rust);
// - ioredis: examples/redis-adapter.mjs (a PersistBase subclass over ioredis);
// - keyv: a small adapter over Keyv with @keyv/redis;
// - nativePg / pg: this package's PersistBase on a PostgreSQL cluster of the run's own, and a
//   node-postgres adapter (upserts on one table) on the same cluster.
//   --quick   fewer calls and repetitions
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";
import Keyv from "keyv";
import KeyvRedis from "@keyv/redis";
import pg from "pg";
import { startPostgres } from "../__test__/helpers/postgres.mjs";
import { PersistBase, PersistSignalUtils } from "../main.js";
import { RedisPersist, closeRedis } from "../examples/redis-adapter.mjs";
import { range, summary, fmt } from "./stats.mjs";

const quick = process.argv.includes("--quick");
const reps = quick ? 3 : 5;
const calls = quick ? 500 : 2000;
// One burst of 1,000 writes takes about 10 ms: a repetition times several, so one hiccup of
// the machine does not decide it.
const bursts = quick ? 3 : 10;

if (spawnSync("redis-server", ["--version"]).status !== 0) {
  console.log("stores: skipped, redis-server is not installed");
  process.exit(0);
}

const port = await new Promise((resolve) => {
  const server = net.createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-redis-"));
const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir], { stdio: "ignore" });
for (let i = 0; i < 200; i++) {
  const up = await new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
  if (up) break;
  await new Promise((resolve) => setTimeout(resolve, 25));
}
const url = `redis://127.0.0.1:${port}/0`;
process.env.REDIS_URL = url;

const keyv = new Keyv({ store: new KeyvRedis(url) });
class KeyvPersist {
  #prefix;
  constructor(entityName, baseDir) {
    this.#prefix = `${baseDir}:${entityName}:`;
  }
  async waitForInit() {}
  async readValue(id) {
    const value = await keyv.get(this.#prefix + id);
    if (value === undefined) throw new Error(`Entity ${this.#prefix}${id} not found`);
    return value;
  }
  async hasValue(id) {
    return keyv.has(this.#prefix + id);
  }
  async writeValue(id, value) {
    await keyv.set(this.#prefix + id, value);
  }
}

// PostgreSQL, with a cluster of this run's own (default synchronous_commit = on).
const cleanups = [];
const postgres = await startPostgres({ after: (fn) => cleanups.push(fn) });
const pool = new pg.Pool({ connectionString: postgres.url, max: 8 });
await pool.query("CREATE TABLE IF NOT EXISTS bench_pg (namespace text, id text, document text, PRIMARY KEY (namespace, id))");
/** A node-postgres adapter as a user would write it: one row per document, upserts. */
class PgPersist {
  #namespace;
  constructor(entityName, baseDir) {
    this.#namespace = `${baseDir}/${entityName}`;
  }
  async waitForInit() {}
  async readValue(id) {
    const { rows } = await pool.query("SELECT document FROM bench_pg WHERE namespace = $1 AND id = $2", [this.#namespace, String(id)]);
    if (rows.length === 0) throw new Error(`Entity ${this.#namespace}:${id} not found`);
    return JSON.parse(rows[0].document);
  }
  async hasValue(id) {
    const { rows } = await pool.query("SELECT 1 FROM bench_pg WHERE namespace = $1 AND id = $2", [this.#namespace, String(id)]);
    return rows.length > 0;
  }
  async writeValue(id, value) {
    await pool.query(
      "INSERT INTO bench_pg (namespace, id, document) VALUES ($1, $2, $3) ON CONFLICT (namespace, id) DO UPDATE SET document = EXCLUDED.document",
      [this.#namespace, String(id), JSON.stringify(value)],
    );
  }
}

const peers = {
  native: (registry) => registry.usePersistSignalAdapter(PersistBase, { store: url }),
  ioredis: (registry) => registry.usePersistSignalAdapter(RedisPersist),
  keyv: (registry) => registry.usePersistSignalAdapter(KeyvPersist),
  nativePg: (registry) => registry.usePersistSignalAdapter(PersistBase, { store: postgres.url }),
  pg: (registry) => registry.usePersistSignalAdapter(PgPersist),
};

/** The floor: bare HSET/HGET pairs on one ioredis connection, no registry, no JSON. */
const bare = new Redis(url);
async function floor() {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    await bare.hset("bench-floor", `S${i % 10}`, `{"id":${i}}`);
    await bare.hget("bench-floor", `S${i % 10}`);
  }
  return (2 * calls) / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** The PostgreSQL floor: bare upsert/select pairs on one node-postgres client, no registry, no JSON. */
const barePg = new pg.Client({ connectionString: postgres.url });
await barePg.connect();
async function floorPg() {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    await barePg.query(
      "INSERT INTO bench_pg (namespace, id, document) VALUES ('floor', $1, $2) ON CONFLICT (namespace, id) DO UPDATE SET document = EXCLUDED.document",
      [`S${i % 10}`, `{"id":${i}}`],
    );
    await barePg.query("SELECT document FROM bench_pg WHERE namespace = 'floor' AND id = $1", [`S${i % 10}`]);
  }
  return (2 * calls) / (Number(process.hrtime.bigint() - start) / 1e9);
}

let run = 0;
/** A registry of `peer` on a strategy name no other repetition used. */
function fresh(peer) {
  const registry = new PersistSignalUtils();
  peers[peer](registry);
  return { registry, strategy: `bench-${peer}-${run++}` };
}

const cases = {
  /** Sequential registry write+read pairs: calls/s. */
  async writeRead(peer) {
    const { registry, strategy } = fresh(peer);
    await registry.writeSignalData({ warm: true }, strategy, "WARM");
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      await registry.writeSignalData({ id: i, priceOpen: 97250.5 }, strategy, `S${i % 10}`);
      await registry.readSignalData(strategy, `S${i % 10}`);
    }
    return (2 * calls) / (Number(process.hrtime.bigint() - start) / 1e9);
  },
  /** 1,000 registry writes issued at once over 100 keys, `bursts` times in turn: writes/s. */
  async concurrent(peer) {
    const { registry, strategy } = fresh(peer);
    await registry.writeSignalData({ warm: true }, strategy, "WARM");
    let nanoseconds = 0n;
    for (let burst = 0; burst < bursts; burst++) {
      const start = process.hrtime.bigint();
      await Promise.all(Array.from({ length: 1000 }, (_, i) => registry.writeSignalData({ burst, id: i }, strategy, `S${i % 100}`)));
      nanoseconds += process.hrtime.bigint() - start;
      for (let k = 0; k < 100; k++) {
        const stored = await registry.readSignalData(strategy, `S${k}`);
        if (stored.burst !== burst || stored.id !== 900 + k) {
          throw new Error(`${peer}: S${k} holds ${JSON.stringify(stored)}, not the last write ${900 + k} of burst ${burst}`);
        }
      }
    }
    return (1000 * bursts) / (Number(nanoseconds) / 1e9);
  },
};

const results = {};
for (let rep = 0; rep < reps; rep++) {
  for (const name of Object.keys(cases)) {
    for (const peer of Object.keys(peers)) {
      ((results[name] ??= {})[peer] ??= []).push(await cases[name](peer));
    }
  }
  (results.floor ??= []).push(await floor());
  (results.floorPg ??= []).push(await floorPg());
}
const floorFigure = results.floor;
const floorPgFigure = results.floorPg;
delete results.floor;
delete results.floorPg;

const titles = {
  writeRead: `registry write+read, ${calls} pairs (calls/s)`,
  concurrent: `1,000 registry writes issued at once over 100 keys, ${bursts} bursts (writes/s)`,
};
console.log(`\nstores: redis-server ${spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.match(/v=(\S+)/)?.[1]} on loopback, AOF appendfsync always; ${reps} repetitions, median (min–max)`);
for (const [name, byPeer] of Object.entries(results)) {
  const line = Object.entries(byPeer).map(([peer, values]) => `${peer} ${range(summary(values), 0)}`).join("; ");
  const ratios = [["native", "ioredis"], ["native", "keyv"], ["nativePg", "pg"]].map(([ours, peer]) => {
    const ratio = summary(byPeer[ours].map((value, i) => value / byPeer[peer][i]));
    return `${ours} ${fmt(ratio.median, 1)}x (${fmt(ratio.min, 1)}–${fmt(ratio.max, 1)}) vs ${peer}`;
  });
  console.log(`| ${titles[name]} | ${line} | ${ratios.join(", ")} |`);
}
console.log(`floor: bare HSET+HGET pairs on one ioredis connection ${range(summary(floorFigure), 0)} calls/s`);
console.log(`floor: bare upsert+SELECT pairs on one node-postgres client ${range(summary(floorPgFigure), 0)} calls/s`);
bare.disconnect();
await barePg.end();

await closeRedis?.();
await keyv.disconnect?.();
// pg's pool.end() resolves before its sockets close, so the cluster's shutdown can still reach
// an idle client: that one error (57P01, admin_shutdown) is expected here, any other is not.
pool.on("error", (error) => {
  if (error.code !== "57P01") throw error;
});
await pool.end();
for (const cleanup of cleanups) await cleanup();
server.kill("SIGTERM");
await new Promise((resolve) => server.once("exit", resolve));
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
