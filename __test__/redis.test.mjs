// The Redis adapter example against a real redis-server on loopback, started and stopped by
// the test (.ci/run installs redis-server; the test skips only where it is missing). A first
// process writes through every registry and exits; a second one, a restart, reads it all back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Redis from "ioredis";
import { tempDir } from "./helpers/tmp.mjs";

const haveRedis = spawnSync("redis-server", ["--version"]).status === 0;
const adapterUrl = new URL("../examples/redis-adapter.mjs", import.meta.url).href;
const packageUrl = new URL("../index.js", import.meta.url).href;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** True once a PING on a fresh, non-retrying connection answers PONG. */
async function answersPing(url) {
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A redis-server of the test's own on a free loopback port, stopped when the test ends. */
async function startRedis(t) {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"];
  const server = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  server.stdout.on("data", (chunk) => (output += chunk));
  server.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => server.once("exit", resolve));
  t.after(async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
    await exited;
  });

  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 1; attempt <= 100; attempt++) {
    if (server.exitCode !== null) break;
    if (await answersPing(url)) return url;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING (exit code ${server.exitCode}):\n${output}`);
}

const script = (body) => `
import { RedisPersist, registerRedisPersistence, closeRedis } from ${JSON.stringify(adapterUrl)};
import { PersistSignalAdapter, PersistScheduleAdapter, PersistRiskAdapter, PersistPartialAdapter } from ${JSON.stringify(packageUrl)};
registerRedisPersistence();
${body}
await closeRedis();
`;

const state = {
  signal: { id: "sig-1", position: "long", priceOpen: 97250.5 },
  schedule: { id: "sch-1", priceOpen: 96000, scheduledAt: 1763800000000 },
  risk: [{ strategyName: "trend", symbol: "BTCUSDT", signalId: "sig-1" }],
  partial: { "sig-1": { profitLevels: [10, 20], lossLevels: [] } },
};

test("state written through every registry into Redis survives a restart", async (t) => {
  if (!haveRedis) {
    t.skip("redis-server not installed (.ci/run installs it)");
    return;
  }
  const url = await startRedis(t);
  const cwd = tempDir(t, "redis");
  const run = async (body) => {
    const file = path.join(cwd, `run-${Math.random().toString(16).slice(2)}.mjs`);
    fs.writeFileSync(file, script(body));
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd, env: { ...process.env, REDIS_URL: url }, timeout: 30_000 });
    return stdout;
  };
  await run(`
    await PersistSignalAdapter.writeSignalData(${JSON.stringify(state.signal)}, "trend", "BTCUSDT");
    await PersistScheduleAdapter.writeScheduleData(${JSON.stringify(state.schedule)}, "trend", "BTCUSDT");
    await PersistRiskAdapter.writePositionData(${JSON.stringify(state.risk)}, "conservative");
    await PersistPartialAdapter.writePartialData(${JSON.stringify(state.partial)}, "BTCUSDT");`);
  const restored = JSON.parse(
    await run(`
    console.log(JSON.stringify({
      signal: await PersistSignalAdapter.readSignalData("trend", "BTCUSDT"),
      schedule: await PersistScheduleAdapter.readScheduleData("trend", "BTCUSDT"),
      risk: await PersistRiskAdapter.readPositionData("conservative"),
      partial: await PersistPartialAdapter.readPartialData("BTCUSDT"),
      missing: await PersistSignalAdapter.readSignalData("trend", "ETHUSDT"),
      listed: await (async () => {
        const store = new RedisPersist("trend", "./dump/data/schedule/");
        await store.waitForInit(true);
        const keys = [], values = [];
        for await (const key of store.keys()) keys.push(key);
        for await (const value of store.values()) values.push(value);
        return { keys, values };
      })(),
    }));`),
  );
  assert.deepEqual(restored, { ...state, missing: null, listed: { keys: ["BTCUSDT"], values: [state.schedule] } });
  assert.equal(fs.existsSync(path.join(cwd, "dump")), false, "nothing went to files");

  // What is in Redis, read without the adapter: one key per store, the baseDir in front.
  const direct = new Redis(url);
  try {
    const stored = {};
    for (const key of (await direct.keys("*")).sort()) stored[key] = await direct.get(key);
    assert.deepEqual(stored, {
      "dump/data/partial:BTCUSDT:levels": JSON.stringify(state.partial),
      "dump/data/risk:conservative:positions": JSON.stringify(state.risk),
      "dump/data/schedule:trend:BTCUSDT": JSON.stringify(state.schedule),
      "dump/data/signal:trend:BTCUSDT": JSON.stringify(state.signal),
    });
  } finally {
    await direct.quit();
  }

  // The example itself, run directly, round-trips through the same server and exits.
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(adapterUrl)], {
    cwd,
    env: { ...process.env, REDIS_URL: url },
    timeout: 30_000,
  });
  assert.match(stdout, /^signal: .*\nschedule: .*\nrisk: .*\npartial: /s);
  assert.equal(fs.existsSync(path.join(cwd, "dump")), false);
});
