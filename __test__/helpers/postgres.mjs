// A PostgreSQL cluster of a test's own: initdb in a temp directory (as the `postgres` user when
// the test runs as root, which the server refuses), password authentication for the user `bot`,
// a free loopback port; stopped and removed when the test ends.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./redis.mjs";
import { stop } from "./wait.mjs";

export function binary(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root).map((v) => path.join(root, v, "bin", name)).filter((file) => fs.existsSync(file));
  return versions.sort().at(-1) ?? null;
}

export const havePostgres = Boolean(binary("initdb") && binary("postgres"));
export const root = process.getuid?.() === 0;
/** `[program, args]` running `program` as the postgres user when the test runs as root. */
export const asPostgres = (program, args) => (root ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", program, ...args]] : [program, args]);

export function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Starts a cluster; returns `{ url, port, kill(), restart() }`. */
export async function startPostgres(t, { tls } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-"));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, "data");
  fs.mkdirSync(data);
  const pwfile = path.join(dir, "password");
  fs.writeFileSync(pwfile, "bot-password\n");
  if (root) execFileSync("chown", ["postgres:postgres", data, pwfile]);
  const [initdb, initArgs] = asPostgres(binary("initdb"), ["-D", data, "-U", "bot", "--auth=scram-sha-256", "--pwfile", pwfile]);
  execFileSync(initdb, initArgs, { stdio: "ignore" });
  // With `tls` ({ cert, key }): TCP sessions must use TLS (hostssl only), with that certificate.
  const ssl = [];
  if (tls) {
    for (const [name, from] of [["server.pem", tls.cert], ["server.key", tls.key]]) {
      fs.copyFileSync(from, path.join(data, name));
      fs.chmodSync(path.join(data, name), 0o600);
      if (root) execFileSync("chown", ["postgres:postgres", path.join(data, name)]);
    }
    fs.writeFileSync(path.join(data, "pg_hba.conf"), "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n");
    ssl.push("-c", "ssl=on", "-c", "ssl_cert_file=server.pem", "-c", "ssl_key_file=server.key");
  }
  const port = await freePort();
  let server;
  const launch = async () => {
    const [program, args] = asPostgres(binary("postgres"), ["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-k", data, ...ssl]);
    server = spawn(program, args, { stdio: "ignore" });
    // Listening is not ready: a starting server refuses sessions; pg_isready says when it takes them.
    const ready = () => spawnSync(binary("pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)]).status === 0;
    for (let attempt = 0; attempt < 1200 && !ready(); attempt++) {
      if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const kill = async (signal = "SIGKILL") => {
    if (server.exitCode === null && server.signalCode === null) {
      await stop(server, signal);
      for (let attempt = 0; attempt < 200 && (await listening(port)); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
      fs.rmSync(path.join(data, "postmaster.pid"), { force: true });
    }
  };
  await launch();
  t.after(async () => {
    // SIGINT is the fast shutdown: it disconnects clients (pooled connections stay open, and
    // SIGTERM's smart shutdown would wait for them).
    await kill("SIGINT");
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const url = tls ? `postgres://bot:bot-password@localhost:${port}/postgres?sslmode=require` : `postgres://bot:bot-password@127.0.0.1:${port}/postgres`;
  return { url, port, kill, restart: launch };
}
