// Soak: 100,000 registry calls through a JS adapter (reads and writes alternating, and some
// that reject), with memory sampled after a forced GC every 10,000 calls. Memory must stay
// flat: no reference, closure or task may outlive its call. Run with --expose-gc (the bench
// script does).
import { PersistSignalUtils } from "../index.js";
import { MemoryAdapter } from "./memory-adapter.mjs";

export async function soak({ calls = 100_000, every = 10_000, log = () => {} } = {}) {
  if (typeof globalThis.gc !== "function") {
    throw new Error("run with node --expose-gc");
  }
  const registry = new PersistSignalUtils();
  registry.usePersistSignalAdapter(MemoryAdapter);
  const samples = [];
  const sample = async (done) => {
    // N-API finalizers of collected objects run from the event loop: let it turn, then collect.
    globalThis.gc();
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    globalThis.gc();
    const { rss, heapUsed, external } = process.memoryUsage();
    samples.push({ calls: done, rssMB: rss / 2 ** 20, heapMB: heapUsed / 2 ** 20, externalMB: external / 2 ** 20 });
    log(samples.at(-1));
  };
  for (let done = 0; done < calls; done += 1) {
    if (done % every === 0) await sample(done);
    // A live bot returns to the event loop all the time; so does the soak, every 1,000 calls.
    if (done % 1_000 === 0) await new Promise(setImmediate);
    const symbol = `S${done % 100}`;
    if (done % 3 === 0) {
      await registry.writeSignalData({ id: done, priceOpen: done / 7 }, "soak", symbol);
    } else if (done % 101 === 0) {
      await registry.readSignalData("soak", "fail").catch(() => {});
    } else {
      await registry.readSignalData("soak", symbol);
    }
  }
  await sample(calls);
  // Growth over the second half of the run, once allocator pools have reached their size.
  const warm = samples[Math.floor(samples.length / 2)];
  const last = samples.at(-1);
  return { calls, samples, rssGrowthMB: last.rssMB - warm.rssMB, heapGrowthMB: last.heapMB - warm.heapMB };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await soak({
    log: (s) => console.log(`${String(s.calls).padStart(7)} calls  rss ${s.rssMB.toFixed(1)} MB  heap ${s.heapMB.toFixed(1)} MB`),
  });
  console.log(`growth over the second half: rss ${result.rssGrowthMB.toFixed(1)} MB, heap ${result.heapGrowthMB.toFixed(2)} MB`);
}
