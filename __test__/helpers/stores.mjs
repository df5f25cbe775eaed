// The stores every behaviour suite runs on, one row each: the file store, a SQLite database file
// in the test's temp directory, a redis-server and a PostgreSQL cluster the test starts itself
// (loopback, free port, temp directory), and the deployments users put in front of them:
// PgBouncer in transaction pooling, Pgpool-II load-balancing reads over a primary and two
// streaming replicas, Redis reached through Sentinel. A row is skipped, saying why, only where
// its server is not installed; under CI it never is.
import { haveRedis, haveSentinel, startRedis, startSentinel } from "./redis.mjs";
import { havePostgres, startPostgres } from "./postgres.mjs";
import { havePgBouncer, havePgpool, startCluster, startPgBouncer, startPgpool } from "./pg-cluster.mjs";
import path from "node:path";
import { tempDir } from "./tmp.mjs";

const missing = (what, have) => (have ? false : `${what} is not installed (apt-get install ${what})`);
if (process.env.CI && (!haveRedis || !havePostgres || !haveSentinel || !havePgBouncer || !havePgpool)) {
  throw new Error("CI must have redis-server, postgresql, pgbouncer and pgpool2 (.ci/run installs them)");
}

let unique = 0;
/** A label no other test of this process used: server stores outlive a test's temp directory. */
export const fresh = (label) => `${label}-${process.pid}-${unique++}`;

/**
 * `{ name, skip, server, url(t), base(t) }`: `url` starts the row's server for test `t` (null for
 * files), `base` gives a base directory no other test uses (a temp directory; on a server, a
 * logical path of its own).
 */
export const STORES = [
  { name: "the file store", server: false, skip: false, url: async () => null, base: (t) => tempDir(t, "stores") },
  { name: "the SQLite store", server: true, skip: false, url: async (t) => `sqlite:${path.join(tempDir(t, "sqlite store"), "state.db")}`, base: () => `/stores-test/${fresh("base")}` },
  { name: "the Redis store", server: true, skip: missing("redis-server", haveRedis), url: async (t) => (await startRedis(t)).url, base: () => `/stores-test/${fresh("base")}` },
  { name: "the PostgreSQL store", server: true, skip: missing("postgresql", havePostgres), url: async (t) => (await startPostgres(t)).url, base: () => `/stores-test/${fresh("base")}` },
  {
    name: "PostgreSQL through PgBouncer (transaction pooling)",
    server: true,
    skip: missing("postgresql", havePostgres) || missing("pgbouncer", havePgBouncer),
    url: async (t) => (await startPgBouncer(t, await startPostgres(t))).url,
    base: () => `/stores-test/${fresh("base")}`,
  },
  {
    name: "PostgreSQL through Pgpool-II (two replicas, reads load-balanced)",
    server: true,
    skip: missing("postgresql", havePostgres) || missing("pgpool2", havePgpool),
    url: async (t) => (await startPgpool(t, await startCluster(t, { replicas: 2 }))).url,
    base: () => `/stores-test/${fresh("base")}`,
  },
  {
    name: "Redis through Sentinel",
    server: true,
    skip: missing("redis-server", haveSentinel),
    url: async (t) => (await startSentinel(t, { replicas: 1, sentinels: 1, settle: false })).url(),
    base: () => `/stores-test/${fresh("base")}`,
  },
];
