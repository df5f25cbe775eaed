// Registry read latency through a JS adapter whose methods resolve at once: this package's
// registry (Rust, calling the adapter on the JS thread) beside a plain-JS registry written from
// the reference's logic (SPEC A), over the same adapter, in the same process, interleaved.
// Target: median under 100 µs and p99 under 1 ms per read (init + has + read).
import { PersistSignalUtils } from "../index.js";
import { MemoryAdapter } from "./memory-adapter.mjs";
import { latencies, percentile, range, summary } from "./stats.mjs";

/** The reference's registry logic in plain JS (SPEC A): memo, initial flag, has-then-read. */
class PlainSignalRegistry {
  #memo = new Map();
  constructor(Ctor) {
    this.Ctor = Ctor;
  }
  #storage(strategyName) {
    if (!this.#memo.has(strategyName)) {
      this.#memo.set(strategyName, new this.Ctor(strategyName, "./dump/data/signal/"));
    }
    return this.#memo.get(strategyName);
  }
  readSignalData = async (strategyName, symbol) => {
    const initial = !this.#memo.has(strategyName);
    const storage = this.#storage(strategyName);
    await storage.waitForInit(initial);
    if (await storage.hasValue(symbol)) {
      return await storage.readValue(symbol);
    }
    return null;
  };
  writeSignalData = async (row, strategyName, symbol) => {
    const initial = !this.#memo.has(strategyName);
    const storage = this.#storage(strategyName);
    await storage.waitForInit(initial);
    await storage.writeValue(symbol, row);
  };
}

export async function measureRegistryLatency({ runs = 5, reads = 20_000 } = {}) {
  const ours = new PersistSignalUtils();
  ours.usePersistSignalAdapter(MemoryAdapter);
  const plain = new PlainSignalRegistry(MemoryAdapter);
  const row = { id: "sig-1", position: "long", priceOpen: 97_250.5, note: "x".repeat(200) };
  await ours.writeSignalData(row, "bench", "BTCUSDT");
  await plain.writeSignalData(row, "bench", "BTCUSDT");
  const results = { ours: { p50: [], p99: [] }, plain: { p50: [], p99: [] } };
  for (let run = 0; run < runs; run += 1) {
    for (const [name, registry] of [["ours", ours], ["plain", plain]]) {
      await latencies(() => registry.readSignalData("bench", "BTCUSDT"), 2_000);
      const sorted = await latencies(() => registry.readSignalData("bench", "BTCUSDT"), reads);
      results[name].p50.push(percentile(sorted, 50));
      results[name].p99.push(percentile(sorted, 99));
    }
  }
  const p50 = summary(results.ours.p50);
  const p99 = summary(results.ours.p99);
  const plainP50 = summary(results.plain.p50);
  const plainP99 = summary(results.plain.p99);
  return {
    case: "registry read through an immediately-resolving JS adapter",
    unit: "µs per read",
    ours: { p50, p99 },
    plainJs: { p50: plainP50, p99: plainP99 },
    ratioToPlainJs: p50.median / plainP50.median,
    targetsMet: p50.median < 100 && p99.median < 1000,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measureRegistryLatency();
  console.log(`${result.case} (${result.unit}, median and min–max of 5 runs)`);
  console.log(`  this package  p50 ${range(result.ours.p50)}  p99 ${range(result.ours.p99)}`);
  console.log(`  plain JS      p50 ${range(result.plainJs.p50)}  p99 ${range(result.plainJs.p99)}`);
  console.log(`  ratio (ours / plain JS, p50): ${result.ratioToPlainJs.toFixed(2)}; targets met: ${result.targetsMet}`);
}
