// Read-after-write through the deployments users run, checked against a control that shows the
// deployment does what it is there for: Pgpool-II really sends plain reads to the replicas (so a
// read of this store would be stale there), PgBouncer really shares server connections between
// transactions (so a named prepared statement would meet another client's).
import { test } from "node:test";
import assert from "node:assert/strict";
import { PersistBase } from "../index.js";
import { havePgBouncer, havePgpool, query, startCluster, startPgBouncer, startPgpool } from "./helpers/pg-cluster.mjs";
import { havePostgres, startPostgres } from "./helpers/postgres.mjs";
import { fresh } from "./helpers/stores.mjs";

const noPgpool = (!havePostgres && "postgresql is not installed") || (!havePgpool && "pgpool2 is not installed");
const noBouncer = (!havePostgres && "postgresql is not installed") || (!havePgBouncer && "pgbouncer is not installed");

/** Pgpool-II's select count per node (`SHOW pool_nodes`), by node id. */
function selects(port) {
  const [header, ...rows] = query(port, "SHOW pool_nodes", { header: true }).split("\n");
  const column = header.split("|").indexOf("select_cnt");
  return rows.filter((row) => /^\d/.test(row)).map((row) => Number(row.split("|")[column]));
}

test("Pgpool-II load-balancing over two replicas: 1,000 write-then-read pairs each read their write, and none of the store's reads reach a replica", { skip: noPgpool, timeout: 300_000 }, async (t) => {
  const cluster = await startCluster(t, { replicas: 2 });
  const pool = await startPgpool(t, cluster);
  // The control: plain SELECTs through Pgpool-II go to the replicas.
  const before = selects(pool.port);
  for (let i = 0; i < 30; i++) query(pool.port, "SELECT 1");
  const control = selects(pool.port);
  assert.ok(control[1] + control[2] > before[1] + before[2], `Pgpool-II balanced no plain read to a replica (${before} then ${control})`);

  const store = new PersistBase("signal", `/topologies/${fresh("pairs")}`, { store: pool.url });
  await store.waitForInit(false);
  let stale = 0;
  for (let i = 0; i < 1000; i++) {
    await store.writeValue(`k${i % 10}`, { i });
    if ((await store.readValue(`k${i % 10}`)).i !== i) stale++;
    if (!(await store.hasValue(`k${i % 10}`))) stale++;
  }
  const after = selects(pool.port);
  assert.equal(stale, 0, "reads that missed the write just resolved");
  assert.deepEqual([after[1], after[2]], [control[1], control[2]], "the store's reads stay on the primary");
});

for (const mode of ["transaction", "session"]) {
  test(`PgBouncer in ${mode} pooling: 8 stores x 200 keys written at once and read back, 5 rounds, every call succeeds and reads its write`, { skip: noBouncer, timeout: 300_000 }, async (t) => {
    const server = await startPostgres(t);
    const bouncer = await startPgBouncer(t, server, { mode });
    const stores = Array.from({ length: 8 }, (_, s) => new PersistBase("signal", `/topologies/${fresh(`bouncer-${s}`)}`, { store: bouncer.url }));
    for (let round = 0; round < 5; round++) {
      await Promise.all(stores.map((store, s) => Promise.all(Array.from({ length: 200 }, (_, k) => store.writeValue(`k${k}`, { s, k, round })))));
      const read = await Promise.all(stores.map((store) => Promise.all(Array.from({ length: 200 }, (_, k) => store.readValue(`k${k}`)))));
      read.forEach((values, s) => values.forEach((value, k) => assert.deepEqual(value, { s, k, round })));
    }
  });
}
