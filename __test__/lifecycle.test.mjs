// Process and thread lifecycle (SPEC C): nothing keeps the process alive, and the addon lives
// in any number of worker threads, each with its own registries. Each case runs in a child
// `node`, so a hang or a crash shows as the child's exit, not as this runner's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers/tmp.mjs";

const packageUrl = new URL("../index.js", import.meta.url).href;
const packagePath = fileURLToPath(packageUrl);

/** Runs an ES module script in a child node; resolves with its exit, kills it after `limitMs`. */
function runScript(t, source, limitMs) {
  const cwd = tempDir(t, "lifecycle");
  const file = path.join(cwd, "script.mjs");
  fs.writeFileSync(file, source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, cwd });
    });
  });
}

const imports = `import { PersistBase, PersistSignalAdapter, PersistScheduleAdapter, PersistRiskAdapter, PersistPartialAdapter } from ${JSON.stringify(packageUrl)};`;

test("a script that used JS adapters on all four registries exits by itself", async (t) => {
  const result = await runScript(
    t,
    `${imports}
    class Memory { constructor() { this.data = new Map(); } async waitForInit() {} async hasValue(id) { return this.data.has(id); }
      async readValue(id) { return this.data.get(id); } async writeValue(id, v) { this.data.set(id, v); } }
    PersistSignalAdapter.usePersistSignalAdapter(Memory);
    PersistScheduleAdapter.usePersistScheduleAdapter(Memory);
    PersistRiskAdapter.usePersistRiskAdapter(Memory);
    PersistPartialAdapter.usePersistPartialAdapter(Memory);
    await PersistSignalAdapter.writeSignalData({ a: 1 }, "s", "BTC");
    await PersistScheduleAdapter.writeScheduleData({ b: 1 }, "s", "BTC");
    await PersistRiskAdapter.writePositionData([1], "r");
    await PersistPartialAdapter.writePartialData({ c: 1 }, "BTC");
    console.log(JSON.stringify(await PersistSignalAdapter.readSignalData("s", "BTC")));`,
    10_000,
  );
  assert.equal(result.signal, null, "killed: the process did not exit by itself");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), '{"a":1}');
});

test("a pending adapter call does not keep the process alive", async (t) => {
  const result = await runScript(
    t,
    `${imports}
    class Never { waitForInit() { return new Promise(() => {}); } hasValue() {} readValue() {} writeValue() {} }
    PersistSignalAdapter.usePersistSignalAdapter(Never);
    PersistSignalAdapter.readSignalData("s", "BTC").then(() => console.log("settled"));
    console.log("issued");`,
    10_000,
  );
  assert.equal(result.signal, null, "killed: the pending call kept the process alive");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), "issued");
});

test("the default file store: writes through all four registries finish, then the process exits", async (t) => {
  const result = await runScript(
    t,
    `${imports}
    PersistSignalAdapter.writeSignalData({ a: 1 }, "s", "BTC");
    PersistScheduleAdapter.writeScheduleData({ b: 1 }, "s", "BTC");
    PersistRiskAdapter.writePositionData([1], "r");
    PersistPartialAdapter.writePartialData({ c: 1 }, "BTC");`,
    10_000,
  );
  assert.equal(result.signal, null);
  assert.equal(result.code, 0, result.stderr);
  for (const file of ["signal/s/BTC.json", "schedule/s/BTC.json", "risk/r/positions.json", "partial/BTC/levels.json"]) {
    assert.ok(fs.existsSync(path.join(result.cwd, "dump/data", file)), `${file} was written before exit`);
  }
});

const workerScript = (body) => `
import { Worker } from "node:worker_threads";
const workerSource = ${JSON.stringify(`
  const { PersistSignalAdapter, PersistRiskAdapter } = require(${JSON.stringify(packagePath)});
  const { parentPort, workerData } = require("node:worker_threads");
  class Slow {
    waitForInit() { return new Promise((resolve) => setTimeout(resolve, 1)); }
    hasValue() { return new Promise((resolve) => setImmediate(() => resolve(true))); }
    readValue() { return { from: "worker" }; }
    writeValue() { return new Promise((resolve) => setTimeout(resolve, 20)); }
  }
  PersistSignalAdapter.usePersistSignalAdapter(Slow);
  (async () => {
    const value = await PersistSignalAdapter.readSignalData("w", "X");
    parentPort.postMessage(value);
    for (;;) {
      PersistSignalAdapter.writeSignalData({ n: 1 }, "w", "X");
      PersistRiskAdapter.writePositionData([workerData], "worker-risk");
      await PersistSignalAdapter.readSignalData("w", "X");
    }
  })();
`)};
const start = (n) => {
  const worker = new Worker(workerSource, { eval: true, workerData: n });
  const first = new Promise((resolve, reject) => { worker.once("message", resolve); worker.once("error", reject); });
  return { worker, first };
};
${body}
`;

test("workers have their own registries and can be terminated with calls in flight", async (t) => {
  const result = await runScript(
    t,
    workerScript(`
      import { PersistSignalAdapter } from ${JSON.stringify(packageUrl)};
      const workers = Array.from({ length: 4 }, (_, n) => start(n));
      const values = await Promise.all(workers.map((w) => w.first));
      // The main thread's registry still uses the file store.
      await PersistSignalAdapter.writeSignalData({ from: "main" }, "w", "X");
      const main = await PersistSignalAdapter.readSignalData("w", "X");
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
      console.log(JSON.stringify({ values, main }));`),
    60_000,
  );
  assert.equal(result.signal, null, result.stderr);
  assert.equal(result.code, 0, result.stderr);
  const { values, main } = JSON.parse(result.stdout);
  assert.deepEqual(values, Array(4).fill({ from: "worker" }));
  assert.deepEqual(main, { from: "main" });
  assert.equal(fs.readFileSync(path.join(result.cwd, "dump/data/signal/w/X.json"), "utf8"), '{"from":"main"}');
});

test("200 workers created and terminated in a row leave the process healthy", async (t) => {
  const result = await runScript(
    t,
    workerScript(`
      import { PersistSignalAdapter } from ${JSON.stringify(packageUrl)};
      for (let n = 0; n < 200; n += 1) {
        const { worker, first } = start(n);
        await first;
        await worker.terminate();
      }
      await PersistSignalAdapter.writeSignalData({ healthy: true }, "after", "X");
      console.log(JSON.stringify(await PersistSignalAdapter.readSignalData("after", "X")));`),
    120_000,
  );
  assert.equal(result.signal, null, result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), '{"healthy":true}');
});
