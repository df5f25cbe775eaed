// The PostgreSQL deployments users put between a fleet and its database, each a test's own on
// loopback: a primary with streaming replicas (asynchronous, or the first one synchronous),
// Pgpool-II in front of such a cluster (load balancing, its own failover), and PgBouncer in front
// of one server. Every process runs as the postgres user when the test runs as root, in a temp
// directory removed when the test ends.
//
// The cluster trusts loopback sessions (no password): Pgpool-II needs every user's password in
// its own pool_passwd file to authenticate to several backends, which is its set-up and not
// this package's; PgBouncer's row keeps SCRAM (see startPgBouncer).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { asPostgres, binary, listening, root } from "./postgres.mjs";
import { freePort } from "./redis.mjs";
import { stop, until } from "./wait.mjs";

export const havePgpool = Boolean(binary("pgpool") ?? fs.existsSync("/usr/sbin/pgpool"));
export const havePgBouncer = Boolean(binary("pgbouncer") ?? fs.existsSync("/usr/sbin/pgbouncer"));
const sbin = (name) => binary(name) ?? `/usr/sbin/${name}`;

/** A temp directory the postgres user owns. */
function ownedDir(t, label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  fs.chmodSync(dir, 0o755);
  if (root) execFileSync("chown", ["postgres:postgres", dir]);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function run(program, args, options = {}) {
  const [command, argv] = asPostgres(program, args);
  execFileSync(command, argv, { stdio: "ignore", ...options });
}

const ready = (port) => spawnSync(binary("pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)]).status === 0;

/** One postgres server on `data`: start(), stop(signal), promote(). */
function server(data, port, flags) {
  let child = null;
  const node = {
    data,
    port,
    url: `postgres://bot@127.0.0.1:${port}/postgres`,
    async start() {
      const [program, args] = asPostgres(binary("postgres"), ["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-k", data, ...flags]);
      child = spawn(program, args, { stdio: "ignore" });
      // Listening is not ready: a starting server (or a standby not yet consistent) refuses
      // sessions; pg_isready says when it takes them.
      await until(() => {
        if (child.exitCode !== null) throw new Error(`postgres on ${port} exited with ${child.exitCode}`);
        return ready(port);
      }, `postgres on ${port} to take sessions`);
    },
    /** SIGQUIT is `pg_ctl stop -m immediate`: no checkpoint, clients cut at once. */
    async stop(signal = "SIGQUIT") {
      if (!child) return;
      await stop(child, signal);
      await until(async () => !(await listening(port)), `postgres on ${port} to stop listening`);
    },
    async promote() {
      run(binary("pg_ctl"), ["promote", "-w", "-D", data]);
    },
  };
  return node;
}

/**
 * Starts a primary and `replicas` streaming replicas; with `sync`, the primary commits only once
 * the first replica has the commit. With `cascade`, each replica streams from the one before it
 * (and, with `sync`, once promoted commits only once the next has it), so a chain of failovers
 * keeps a synchronous replica each time. Returns `{ primary, replicas, url }` where `url` names every
 * node with `target_session_attrs=read-write` (the client finds the primary).
 */
export async function startCluster(t, { replicas = 2, sync = false, cascade = false } = {}) {
  const dir = ownedDir(t, "pg-cluster");
  const primaryData = path.join(dir, "primary");
  run(binary("initdb"), ["-D", primaryData, "-U", "bot", "--auth=trust"]);
  const ports = [];
  for (let i = 0; i <= replicas; i++) ports.push(await freePort());
  const flags = (i) => {
    const chained = sync && (i === 0 || (cascade && i < replicas));
    return chained ? ["-c", `synchronous_standby_names=replica${i}`, "-c", "synchronous_commit=on"] : [];
  };
  const primary = server(primaryData, ports[0], flags(0));
  await primary.start();
  const standbys = [];
  for (let i = 0; i < replicas; i++) {
    const data = path.join(dir, `replica${i}`);
    // -R writes standby.signal and the primary's conninfo; the name is what sync matches.
    run(binary("pg_basebackup"), ["-h", "127.0.0.1", "-p", String(ports[0]), "-U", "bot", "-D", data, "-R", "-X", "stream", "-c", "fast"]);
    const upstream = cascade ? ports[i] : ports[0];
    fs.appendFileSync(path.join(data, "postgresql.auto.conf"), `primary_conninfo = 'host=127.0.0.1 port=${upstream} user=bot application_name=replica${i}'\n`);
    const standby = server(data, ports[i + 1], ["-c", "hot_standby=on", ...flags(i + 1)]);
    await standby.start();
    standbys.push(standby);
  }
  t.after(async () => {
    for (const node of [primary, ...standbys]) await node.stop("SIGINT");
  });
  // Streaming has begun on every replica (sync: the primary would otherwise wait for it).
  const upstreams = cascade ? [primary, ...standbys].slice(0, replicas) : [primary];
  await until(() => upstreams.every((node) => streaming(node.port) >= (cascade ? 1 : replicas)), "every replica to stream");
  const hosts = [primary, ...standbys].map((node) => `127.0.0.1:${node.port}`).join(",");
  return { primary, replicas: standbys, dir, url: `postgres://bot@${hosts}/postgres?target_session_attrs=read-write` };
}

/** psql's answer to `sql` on the trusting server at `port`: unaligned, `|` between columns; the header line only with `header`. */
export function query(port, sql, { header = false } = {}) {
  const args = ["-X", "-A", ...(header ? [] : ["-t"]), "-h", "127.0.0.1", "-p", String(port), "-U", "bot", "-d", "postgres", "-c", sql];
  return execFileSync(binary("psql"), args, { encoding: "utf8" }).trim();
}

const streaming = (port) => Number(query(port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"));

/**
 * Pgpool-II in streaming-replication mode in front of `cluster`, reads load-balanced over every
 * node. With `failover`, it health-checks every second and, when the primary fails, promotes
 * the first replica with its failover_command. Returns `{ url, port, log() }`.
 */
export async function startPgpool(t, cluster, { failover = false } = {}) {
  const dir = ownedDir(t, "pgpool");
  const [port, pcpPort] = [await freePort(), await freePort()];
  const nodes = [cluster.primary, ...cluster.replicas];
  const backends = nodes.flatMap((node, i) => [
    `backend_hostname${i} = '127.0.0.1'`,
    `backend_port${i} = ${node.port}`,
    `backend_weight${i} = 1`,
    `backend_data_directory${i} = '${node.data}'`,
    `backend_flag${i} = '${failover ? "ALLOW_TO_FAILOVER" : "DISALLOW_TO_FAILOVER"}'`,
    `backend_application_name${i} = 'node${i}'`,
  ]);
  // %d the failed node, %P the old primary, %R the new main node's data directory.
  const promote = path.join(dir, "failover.sh");
  fs.writeFileSync(promote, `#!/bin/sh\n[ "$1" = "$2" ] || exit 0\nexec "${binary("pg_ctl")}" promote -w -D "$3"\n`, { mode: 0o755 });
  const conf = [
    "backend_clustering_mode = 'streaming_replication'",
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    "pcp_listen_addresses = '127.0.0.1'",
    `pcp_port = ${pcpPort}`,
    `unix_socket_directories = '${dir}'`,
    `pcp_socket_dir = '${dir}'`,
    `wd_ipc_socket_dir = '${dir}'`,
    `pid_file_name = '${dir}/pgpool.pid'`,
    `logdir = '${dir}'`,
    ...backends,
    "load_balance_mode = on",
    "statement_level_load_balance = on",
    "enable_pool_hba = off",
    "num_init_children = 48",
    "max_pool = 2",
    "sr_check_period = 1",
    "sr_check_user = 'bot'",
    "delay_threshold = 0",
    "connection_cache = on",
    `health_check_period = ${failover ? 1 : 0}`,
    "health_check_timeout = 2",
    "health_check_user = 'bot'",
    "health_check_max_retries = 0",
    "search_primary_node_timeout = 30",
    `failover_command = '${promote} %d %P %R'`,
    `failover_on_backend_error = ${failover ? "on" : "off"}`,
    "log_destination = 'stderr'",
    "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "pgpool.conf"), conf);
  fs.writeFileSync(path.join(dir, "pcp.conf"), "");
  fs.writeFileSync(path.join(dir, "pool_hba.conf"), "host all all 127.0.0.1/32 trust\n");
  if (root) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  const log = fs.openSync(path.join(dir, "pgpool.log"), "a");
  const [program, args] = asPostgres(sbin("pgpool"), ["-n", "-f", path.join(dir, "pgpool.conf"), "-F", path.join(dir, "pcp.conf"), "-a", path.join(dir, "pool_hba.conf")]);
  const child = spawn(program, args, { stdio: ["ignore", log, log] });
  t.after(() => stop(child, "SIGINT"));
  await until(() => {
    if (child.exitCode !== null) throw new Error(`pgpool exited with ${child.exitCode}:\n${fs.readFileSync(path.join(dir, "pgpool.log"), "utf8").slice(-2000)}`);
    return ready(port);
  }, "pgpool to take sessions");
  return { url: `postgres://bot@127.0.0.1:${port}/postgres`, port, log: () => fs.readFileSync(path.join(dir, "pgpool.log"), "utf8") };
}

/**
 * PgBouncer in front of the server at `target` (`{ port }`, a SCRAM server with the password
 * `bot-password`, as startPostgres makes), in `mode` pooling (transaction: a server connection
 * per transaction, no session state kept), on `port` if given (a restart). Returns
 * `{ url, port, kill(signal) }`.
 */
export async function startPgBouncer(t, target, { mode = "transaction", port } = {}) {
  const dir = ownedDir(t, "pgbouncer");
  port ??= await freePort();
  fs.writeFileSync(path.join(dir, "userlist.txt"), '"bot" "bot-password"\n');
  fs.writeFileSync(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `postgres = host=127.0.0.1 port=${target.port} dbname=postgres`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = scram-sha-256",
      `auth_file = ${dir}/userlist.txt`,
      `pool_mode = ${mode}`,
      "max_client_conn = 500",
      "default_pool_size = 8",
      `pidfile = ${dir}/pgbouncer.pid`,
      `logfile = ${dir}/pgbouncer.log`,
      "",
    ].join("\n"),
  );
  if (root) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  const [program, args] = asPostgres(sbin("pgbouncer"), [path.join(dir, "pgbouncer.ini")]);
  const child = spawn(program, args, { stdio: "ignore" });
  const kill = (signal = "SIGKILL") => stop(child, signal);
  t.after(() => kill("SIGINT"));
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}`);
    return listening(port);
  }, "pgbouncer to listen");
  return { url: `postgres://bot:bot-password@127.0.0.1:${port}/postgres`, port, kill };
}
