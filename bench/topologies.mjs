// `npm run bench` (third part): this package's PostgreSQL and Redis stores through the
// deployments users run, each against the same server reached directly, in one run, cases
// interleaved repetition by repetition:
// - PostgreSQL direct (the primary of a cluster with two streaming replicas), through Pgpool-II
//   (reads load-balanced; this store's reads pinned to the primary), and through PgBouncer in
//   transaction pooling (in front of the same primary);
// - Redis direct, and through Sentinel (the same primary, found by asking the sentinels).
// Two cases: 1,000 writes issued at once over 100 keys, and sequential write-then-read pairs.
//   --quick   fewer calls and repetitions
import { PersistBase } from "../main.js";
import { startCluster, startPgBouncer, startPgpool, havePgBouncer, havePgpool } from "../__test__/helpers/pg-cluster.mjs";
import { havePostgres } from "../__test__/helpers/postgres.mjs";
import { haveSentinel, startSentinel } from "../__test__/helpers/redis.mjs";
import { fmt, range, summary } from "./stats.mjs";

const quick = process.argv.includes("--quick");
const reps = quick ? 3 : 5;
const pairs = quick ? 200 : 1000;

if (!havePostgres || !havePgpool || !havePgBouncer || !haveSentinel) {
  console.log("topologies: skipped, needs postgresql, pgpool2, pgbouncer and redis-server");
  process.exit(0);
}

// The helpers take a test context; here, everything stops at the end of the run.
const cleanups = [];
const context = { after: (fn) => cleanups.push(fn) };
const cluster = await startCluster(context, { replicas: 2 });
const pgpool = await startPgpool(context, cluster);
// PgBouncer in front of the cluster's primary: the cluster trusts loopback, the pooler checks
// the password.
const bouncer = await startPgBouncer(context, cluster.primary);
const sentinel = await startSentinel(context, { replicas: 1, sentinels: 1, settle: false });

const peers = [
  { name: "PostgreSQL direct", url: cluster.primary.url, against: null },
  { name: "through Pgpool-II", url: pgpool.url, against: "PostgreSQL direct" },
  { name: "through PgBouncer (transaction)", url: bouncer.url, against: "PostgreSQL direct" },
  { name: "Redis direct", url: sentinel.primary.url, against: null },
  { name: "through Sentinel", url: sentinel.url(), against: "Redis direct" },
];

let run = 0;
const cases = {
  /** 1,000 writes at once over 100 keys: writes/s. */
  async burst(url) {
    const store = new PersistBase("bench", `/bench-topologies/${process.pid}-${run++}`, { store: url });
    await store.waitForInit(false);
    const start = performance.now();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.writeValue(`k${i % 100}`, { i, at: "2026-12-07T00:00:00Z" })));
    return 1000 / ((performance.now() - start) / 1000);
  },
  /** A write then a read of it, one after another: pairs/s. */
  async pairs(url) {
    const store = new PersistBase("bench", `/bench-topologies/${process.pid}-${run++}`, { store: url });
    await store.waitForInit(false);
    const start = performance.now();
    for (let i = 0; i < pairs; i++) {
      await store.writeValue(`k${i % 10}`, { i });
      await store.readValue(`k${i % 10}`);
    }
    return pairs / ((performance.now() - start) / 1000);
  },
};

const results = {};
for (const key of Object.keys(cases)) {
  results[key] = Object.fromEntries(peers.map((peer) => [peer.name, []]));
  // Warm-up: connections made, tables found.
  for (const peer of peers) await cases[key](peer.url);
  for (let rep = 0; rep < reps; rep++) {
    for (const peer of peers) results[key][peer.name].push(await cases[key](peer.url));
  }
}

console.log(`\ntopologies (${reps} repetitions, median (min–max); ratio: median of per-repetition ratios to direct)`);
for (const [key, title, unit] of [["burst", "1,000 writes at once over 100 keys", "writes/s"], ["pairs", `${pairs} write-then-read pairs`, "pairs/s"]]) {
  console.log(`  ${title} (${unit})`);
  for (const peer of peers) {
    const values = results[key][peer.name];
    let ratio = "";
    if (peer.against) {
      const direct = results[key][peer.against];
      ratio = `  ${fmt(summary(values.map((value, i) => value / direct[i])).median, 2)}x direct`;
    }
    console.log(`    ${peer.name.padEnd(34)} ${range(summary(values), 0)}${ratio}`);
  }
}

for (const cleanup of cleanups.reverse()) await cleanup();
process.exit(0);
