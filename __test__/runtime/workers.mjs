// On this runtime: the addon in worker threads. Four workers write their own keys and one shared
// key at once, each through its own PersistBase: every document reads back whole on the main
// thread, and candles a worker wrote are read by the main thread (files and the process-wide
// cache agree). A worker terminated in the middle of its writes leaves no torn document. Workers
// that finished keep nothing alive (the file exits by itself).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { check, persist, run, v19 } from "./harness.mjs";

const writer = new URL("./worker-writer.mjs", import.meta.url);

/**
 * A worker on `writer`; resolves once it posts `until` (rejects on an error or an exit before)
 * with the worker and a promise of its exit code.
 */
function start(workerData, until) {
  const worker = new Worker(writer, { workerData });
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  return new Promise((resolve, reject) => {
    worker.on("message", (message) => message === until && resolve({ worker, exited }));
    worker.on("error", reject);
    exited.then((code) => reject(new Error(`worker ${workerData.index} exited with ${code} before "${until}"`)));
  });
}

async function keysOf(store) {
  const keys = [];
  for await (const key of store.keys()) keys.push(String(key));
  return keys;
}

check("four workers write at once: every document whole, the shared one a worker's last", async () => {
  const dir = path.resolve("data");
  const count = 40;
  const workers = await Promise.all([0, 1, 2, 3].map((index) => start({ dir, index, count, forever: false }, "done")));
  assert.deepEqual(await Promise.all(workers.map(({ exited }) => exited)), [0, 0, 0, 0]);
  const store = new persist.PersistBase("signal", dir);
  await store.waitForInit(true);
  const keys = await keysOf(store);
  assert.equal(keys.length, 4 * count + 1);
  for (let index = 0; index < 4; index += 1) {
    for (let n = 0; n < count; n += 1) assert.deepEqual(await store.readValue(`w${index}-${n}`), { index, n, pad: "x".repeat(2000) });
  }
  const shared = await store.readValue("shared");
  assert.equal(shared.n, count - 1, "the shared key holds some worker's last write");

  for (let index = 0; index < 4; index += 1) {
    const candles = new v19.PersistCandleInstance("BTCUSDT", "1m", `worker${index}`);
    candles._storage = new persist.PersistBase(`worker${index}/BTCUSDT/1m`, path.join(dir, "candle"));
    await candles.waitForInit(true);
    const read = await candles.readCandlesData(20, 0, 0);
    assert.deepEqual(read.map((candle) => candle.close), Array(20).fill(index), `worker ${index}'s candles`);
  }
});

check("a worker terminated in the middle of its writes leaves every document whole", async () => {
  const dir = path.resolve("data");
  const { worker, exited } = await start({ dir, index: 9, count: 25, forever: true }, "writing");
  await worker.terminate();
  await exited;
  const store = new persist.PersistBase("signal", dir);
  const errors = [];
  const original = console.error;
  console.error = (...args) => errors.push(args.join(" "));
  try {
    await store.waitForInit(true);
  } finally {
    console.error = original;
  }
  assert.deepEqual(errors, [], "no document needed quarantine");
  const keys = await keysOf(store);
  assert.ok(keys.length >= 2, `${keys.length} documents written before terminate()`);
  for (const key of keys) assert.equal(typeof (await store.readValue(key)).n, "number", key);
  assert.deepEqual(fs.readdirSync(path.join(dir, "signal")).filter((name) => !name.endsWith(".json")), [], "no temp file left at the top");
});

await run();
