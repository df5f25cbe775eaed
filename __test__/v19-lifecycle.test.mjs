// The 19.5.0 surface over a process's life: a script that used the native Instances and a JS
// Instance adapter (with a call still pending) exits by itself; each worker thread has its own
// registries, and workers terminated with calls in flight leave the process healthy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tempDir } from "./helpers/tmp.mjs";

const v19 = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "v19", "index.js")).href;

function runScript(dir, source) {
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", source], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  assert.equal(child.error, undefined, "the child exits by itself");
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stderr, "");
  return child.stdout.trim();
}

test("a script using native Instances and a JS adapter, with a call still pending, exits by itself", (t) => {
  const dir = tempDir(t, "v19-exit");
  const out = runScript(
    dir,
    `
    import * as v19 from ${JSON.stringify(v19)};
    await v19.PersistSignalAdapter.writeSignalData({ id: "s" }, "BTC", "strategy", "exchange");
    const since = Math.floor((Date.now() - 3600_000) / 60_000) * 60_000;
    await v19.PersistCandleAdapter.writeCandlesData([{ timestamp: since, open: 1, high: 1, low: 1, close: 1, volume: 1 }], "BTC", "1m", "exchange");
    const read = await v19.PersistCandleAdapter.readCandlesData("BTC", "1m", "exchange", 1, since, 0);
    class Pending { waitForInit() {} readStateData() { return new Promise(() => {}); } writeStateData() {} dispose() {} }
    v19.PersistStateAdapter.usePersistStateAdapter(Pending);
    v19.PersistStateAdapter.readStateData("signal", "bucket");
    console.log(read.length);
    `,
  );
  assert.equal(out, "1");
});

test("each worker has its own registries; workers terminated mid-call leave the process healthy", (t) => {
  const dir = tempDir(t, "v19-workers");
  const out = runScript(
    dir,
    `
    import { Worker } from "node:worker_threads";
    import * as v19 from ${JSON.stringify(v19)};
    const code = \`
      const { parentPort, workerData } = require("node:worker_threads");
      const v19 = require(workerData.v19);
      class Mine { waitForInit() {} readSignalData() { return { id: workerData.n }; } writeSignalData() {} }
      v19.PersistSignalAdapter.usePersistSignalAdapter(Mine);
      (async () => {
        const row = await v19.PersistSignalAdapter.readSignalData("BTC", "s", "e");
        parentPort.postMessage(row.id);
        for (let i = 0; ; i += 1) await v19.PersistStorageAdapter.writeStorageData([{ id: "w" + workerData.n + "-" + (i % 5) }], false);
      })();
    \`;
    const ids = [];
    for (let n = 0; n < 8; n += 1) {
      const worker = new Worker(code, { eval: true, execArgv: [], workerData: { v19: ${JSON.stringify(fileURLToPath(v19))}, n } });
      ids.push(await new Promise((resolve) => worker.once("message", resolve)));
      await worker.terminate();
    }
    await v19.PersistSignalAdapter.writeSignalData({ id: "main" }, "BTC", "s", "e");
    const main = await v19.PersistSignalAdapter.readSignalData("BTC", "s", "e");
    console.log(JSON.stringify({ ids, main: main.id }));
    `,
  );
  assert.deepEqual(JSON.parse(out), { ids: [0, 1, 2, 3, 4, 5, 6, 7], main: "main" });
});
