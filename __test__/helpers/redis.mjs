// A redis-server of a test's own: a free loopback port, a temp directory, AOF with
// `appendfsync always` (a write is acknowledged once fsynced), stopped when the test ends.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { stop, until } from "./wait.mjs";

export const haveRedis = spawnSync("redis-server", ["--version"]).status === 0;

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Starts a server; returns `{ url, port, kill(), restart() }`. */
export async function startRedis(t, { password, tls, replicaOf } = {}) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-"));
  let server;
  const launch = async () => {
    // With `tls` ({ cert, key, ca }): TLS only, on `port`; clients need no certificate.
    const listen = tls
      ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-ca-cert-file", tls.ca, "--tls-auth-clients", "no"]
      : ["--port", String(port)];
    const args = [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--dir", dir];
    if (password) args.push("--requirepass", password);
    // A replica of the server on loopback port `replicaOf`.
    if (replicaOf) args.push("--replicaof", "127.0.0.1", String(replicaOf));
    server = spawn("redis-server", args, { stdio: "ignore" });
    for (let attempt = 0; attempt < 200 && !(await listening(port)); attempt++) {
      if (server.exitCode !== null) throw new Error(`redis-server exited with ${server.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const kill = (signal = "SIGKILL") => stop(server, signal);
  await launch();
  t.after(async () => {
    await kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const auth = password ? `:${password}@` : "";
  const url = tls ? `rediss://${auth}localhost:${port}/0` : `redis://${auth}127.0.0.1:${port}/0`;
  return { url, port, kill, restart: launch };
}

/** redis-cli's answer to `args` from the server on loopback `port`. */
export function redisCli(port, ...args) {
  return execFileSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8" }).trim();
}

/** Sentinel is redis-server in sentinel mode (Debian's redis-sentinel only adds the service). */
export const haveSentinel = haveRedis;

/**
 * A primary, `replicas` replicas of it and `sentinels` sentinels watching it as `service`
 * (quorum: a majority), each on a free loopback port. The sentinels call the primary down after
 * 1 s without an answer, and may fail over again 6 s (twice the failover timeout) after the last one. Returns `{ url(query), primary, replicas, sentinels, service,
 * primaryPort() }`: `url` is the redis-sentinel:// URL naming every sentinel; `primaryPort` is
 * the port the sentinels name as the primary now. With `settle` (for a failover), it returns
 * once every sentinel knows every replica and every other sentinel (some seconds: they learn
 * from each other's hellos); without, once they name the primary.
 */
export async function startSentinel(t, { replicas = 1, sentinels = 3, service = "mymaster", settle = true } = {}) {
  const primary = await startRedis(t);
  const standbys = [];
  for (let i = 0; i < replicas; i++) standbys.push(await startRedis(t, { replicaOf: primary.port }));
  await until(() => standbys.every((replica) => /master_link_status:up/.test(redisCli(replica.port, "INFO", "replication"))), "every replica to sync");
  const quorum = Math.floor(sentinels / 2) + 1;
  const watchers = [];
  for (let i = 0; i < sentinels; i++) {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sentinel-"));
    // A sentinel rewrites its configuration file as it learns the topology.
    const conf = path.join(dir, "sentinel.conf");
    fs.writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${service} 127.0.0.1 ${primary.port} ${quorum}`,
        `sentinel down-after-milliseconds ${service} 1000`,
        `sentinel failover-timeout ${service} 3000`,
        `sentinel parallel-syncs ${service} 1`,
        "",
      ].join("\n"),
    );
    const child = spawn("redis-server", [conf, "--sentinel"], { stdio: "ignore" });
    const kill = (signal = "SIGKILL") => stop(child, signal);
    t.after(async () => {
      await kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    });
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`redis sentinel exited with ${child.exitCode}`);
      return listening(port);
    }, "a sentinel to listen");
    watchers.push({ port, kill });
  }
  // Every sentinel knows every replica and every other sentinel: a failover can be agreed.
  await until(
    () =>
      watchers.every((sentinel) => {
        if (!settle) return redisCli(sentinel.port, "SENTINEL", "get-master-addr-by-name", service).includes(String(primary.port));
        const known = (kind) => redisCli(sentinel.port, "SENTINEL", kind, service).split("\n").filter((line) => line === "name").length;
        return known("replicas") >= replicas && known("sentinels") >= sentinels - 1;
      }),
    "the sentinels to learn the topology",
  );
  const hosts = watchers.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(",");
  return {
    url: (query = "") => `redis-sentinel://${hosts}/0${query}#${service}`,
    primary,
    replicas: standbys,
    sentinels: watchers,
    service,
    primaryPort: () => Number(redisCli(watchers[0].port, "SENTINEL", "get-master-addr-by-name", service).split("\n")[1]),
  };
}
