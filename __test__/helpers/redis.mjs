// A redis-server of a test's own: a free loopback port, a temp directory, AOF with
// `appendfsync always` (a write is acknowledged once fsynced), stopped when the test ends.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

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
  const kill = async (signal = "SIGKILL") => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill(signal);
      await exited;
    }
  };
  await launch();
  t.after(async () => {
    await kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const auth = password ? `:${password}@` : "";
  const url = tls ? `rediss://${auth}localhost:${port}/0` : `redis://${auth}127.0.0.1:${port}/0`;
  return { url, port, kill, restart: launch };
}
