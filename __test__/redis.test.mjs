// The Redis adapter example against a real redis-server on loopback, started and stopped by
// the test (.ci/run installs redis-server; the test skips only where it is missing). A first
// process writes through every registry and exits; a second one, a restart, reads it all back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
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

async function startRedis(t) {
  const port = await freePort();
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.after(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
  });
  // Ready when it says so on stdout (no polling, no fixed sleep).
  await new Promise((resolve, reject) => {
    let output = "";
    server.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Ready to accept connections")) resolve();
    });
    server.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return `redis://127.0.0.1:${port}`;
}

const script = (body) => `
import { registerRedisPersistence, closeRedis } from ${JSON.stringify(adapterUrl)};
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

test("state written through every registry into Redis survives a restart", { skip: !haveRedis && "redis-server not installed (.ci/run installs it)" }, async (t) => {
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
    }));`),
  );
  assert.deepEqual(restored, { ...state, missing: null });
  assert.equal(fs.existsSync(path.join(cwd, "dump")), false, "nothing went to files");

  const direct = new Redis(url);
  t.after(() => direct.quit());
  assert.deepEqual((await direct.keys("*")).sort(), [
    "dump/data/partial:BTCUSDT:levels",
    "dump/data/risk:conservative:positions",
    "dump/data/schedule:trend:BTCUSDT",
    "dump/data/signal:trend:BTCUSDT",
  ]);
  assert.equal(await direct.get("dump/data/signal:trend:BTCUSDT"), JSON.stringify(state.signal));
});
