// The benchmark cases of `npm run bench`, each measured for this package and its peers on
// fresh data directories under the OS temp dir. A case returns one figure per peer
// (operations per second, or milliseconds where less is better) plus extra facts it checked.
import { execFileSync } from "node:child_process";
import { randomFill } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import writeFileAtomicPeer from "write-file-atomic";
import { PersistBase as Reference } from "backtest-kit";
import { PersistBase, PersistSignalUtils } from "../index.js";
import { latencies, percentile } from "./stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const payload = Object.freeze({
  id: "sig-0001",
  position: "long",
  priceOpen: 97_250.5,
  priceTakeProfit: 99_000,
  priceStopLoss: 96_000,
  minuteEstimatedTime: 240,
  note: "x".repeat(820),
});

export function freshDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bench-${label}-`));
}

async function withStore(Ctor, label, body) {
  const dir = freshDir(label);
  try {
    const store = new Ctor("bench", dir);
    await store.waitForInit(true);
    return await body(store, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const opsPerSecond = (count, ms) => (count / ms) * 1000;

async function timed(body) {
  const start = performance.now();
  await body();
  return performance.now() - start;
}

/** Worst event-loop stall (ms) while `body` runs. */
async function withLoopDelay(body) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const ms = await timed(body);
  histogram.disable();
  return { ms, worstDelayMs: histogram.max / 1e6 };
}

async function silenced(body) {
  const original = console.error;
  console.error = () => {};
  try {
    return await body();
  } finally {
    console.error = original;
  }
}

/** Builds (once) and locates the bare-syscall peer, a crate of its own under bench/. */
export function syscallLimitBinary() {
  const crate = path.join(here, "syscall-limit");
  const binary = path.join(crate, "target", "release", process.platform === "win32" ? "syscall-limit.exe" : "syscall-limit");
  if (!fs.existsSync(binary)) {
    execFileSync("cargo", ["build", "--release", "--manifest-path", path.join(crate, "Cargo.toml")], { stdio: "inherit" });
  }
  return binary;
}

export const cases = {
  async sequentialWrites({ writes }) {
    const run = (Ctor) =>
      withStore(Ctor, "seq", async (store) => {
        const ms = await timed(async () => {
          for (let n = 0; n < writes; n += 1) await store.writeValue(`k${n % 10}`, payload);
        });
        return opsPerSecond(writes, ms);
      });
    const text = JSON.stringify(payload);
    const atomicDir = freshDir("wfa");
    const atomicMs = await timed(async () => {
      for (let n = 0; n < writes; n += 1) await writeFileAtomicPeer(path.join(atomicDir, `k${n % 10}.json`), text);
    });
    fs.rmSync(atomicDir, { recursive: true, force: true });
    const bareDir = freshDir("bare");
    const bare = Number(execFileSync(syscallLimitBinary(), [bareDir, String(writes), "10", String(text.length)], { encoding: "utf8" }));
    fs.rmSync(bareDir, { recursive: true, force: true });
    return { ours: await run(PersistBase), reference: await run(Reference), "write-file-atomic": opsPerSecond(writes, atomicMs), "bare syscalls": bare };
  },

  async concurrentWrites({ writes }) {
    const run = (Ctor) =>
      withStore(Ctor, "conc", async (store, dir) => {
        const ms = await timed(() => Promise.all(Array.from({ length: writes }, (_, n) => store.writeValue(`k${n % 100}`, { ...payload, n }))));
        let stale = 0;
        for (let key = 0; key < 100; key += 1) {
          const last = writes - 100 + key;
          const stored = JSON.parse(fs.readFileSync(path.join(dir, "bench", `k${key}.json`), "utf8"));
          if (stored.n !== last) stale += 1;
        }
        return { opsPerSecond: opsPerSecond(writes, ms), stale };
      });
    const ours = await run(PersistBase);
    const reference = await run(Reference);
    return { ours: ours.opsPerSecond, reference: reference.opsPerSecond, extra: { staleKeys: { ours: ours.stale, reference: reference.stale } } };
  },

  async hotReads({ reads }) {
    const run = (Ctor) => perCallOverTenKeys(Ctor, reads, (store, n) => store.readValue(`k${n % 10}`));
    const ours = await run(PersistBase);
    const reference = await run(Reference);
    return { ours: ours.rate, reference: reference.rate, extra: { p50us: { ours: ours.p50, reference: reference.p50 }, p99us: { ours: ours.p99, reference: reference.p99 } } };
  },

  async hasValue({ reads }) {
    // Half the ids asked for exist.
    const run = (Ctor) => perCallOverTenKeys(Ctor, reads, (store, n) => store.hasValue(`k${n % 20}`));
    const ours = await run(PersistBase);
    const reference = await run(Reference);
    // The floor of any call answered off the JS thread: one libuv pool round trip doing nothing
    // (crypto.randomFill of one byte), awaited as a Promise.
    const byte = Buffer.alloc(1);
    const hop = await latencies(() => new Promise((resolve, reject) => randomFill(byte, (error) => (error ? reject(error) : resolve()))), reads);
    return {
      ours: ours.rate,
      reference: reference.rate,
      "libuv round trip": (reads / hop.reduce((sum, v) => sum + v, 0)) * 1e6,
      extra: { p50us: { ours: ours.p50, reference: reference.p50, "libuv round trip": percentile(hop, 50) }, p99us: { ours: ours.p99, reference: reference.p99 } },
    };
  },

  async initScan({ files }) {
    const run = async (Ctor) => {
      const dir = freshDir("init");
      const entity = path.join(dir, "bench");
      fs.mkdirSync(entity);
      const text = JSON.stringify(payload);
      const old = new Date(Date.now() - 600_000);
      for (let n = 0; n < files; n += 1) fs.writeFileSync(path.join(entity, `k${n}.json`), n % 100 === 0 ? text.slice(0, 100) : text);
      for (let n = 0; n < 20; n += 1) {
        const temp = path.join(entity, `.tmp-${String(n).padStart(12, "0")}-k${n}.json`);
        fs.writeFileSync(temp, text);
        fs.utimesSync(temp, old, old);
      }
      const store = new Ctor("bench", dir);
      const result = await silenced(() => withLoopDelay(() => store.waitForInit(true)));
      fs.rmSync(dir, { recursive: true, force: true });
      return result;
    };
    const ours = await run(PersistBase);
    const reference = await run(Reference);
    return { ours: ours.ms, reference: reference.ms, lowerIsBetter: true, extra: { worstDelayMs: { ours: ours.worstDelayMs, reference: reference.worstDelayMs } } };
  },

  async listKeys({ files }) {
    return listing(files, async (store) => {
      let count = 0;
      for await (const key of store.keys()) count += key ? 1 : 0;
      return count;
    });
  },

  async listValues({ files }) {
    return listing(files, async (store) => {
      let count = 0;
      // backtest-kit 19.5's PersistBase has no values(): read each key, as SPEC A's values() does.
      if (typeof store.values === "function") {
        for await (const value of store.values()) count += value ? 1 : 0;
      } else {
        for await (const key of store.keys()) count += (await store.readValue(key)) ? 1 : 0;
      }
      return count;
    });
  },

  async registryDefaultStore({ calls }) {
    const cwd = process.cwd();
    const dir = freshDir("registry");
    process.chdir(dir);
    try {
      const ours = new PersistSignalUtils();
      const plain = plainRegistry(Reference);
      const run = async (registry) => {
        const ms = await timed(async () => {
          for (let n = 0; n < calls; n += 1) {
            await registry.writeSignalData({ ...payload, n }, "bench", `S${n % 10}`);
            await registry.readSignalData("bench", `S${n % 10}`);
          }
        });
        return opsPerSecond(calls * 2, ms);
      };
      return { ours: await run(ours), reference: await silenced(() => run(plain)) };
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Calls/s, p50 and p99 (µs) of `calls` sequential calls on a store holding 10 entities. */
function perCallOverTenKeys(Ctor, calls, call) {
  return withStore(Ctor, "calls", async (store) => {
    for (let key = 0; key < 10; key += 1) await store.writeValue(`k${key}`, payload);
    const sorted = await latencies((n) => call(store, n), calls);
    return { rate: (calls / sorted.reduce((sum, v) => sum + v, 0)) * 1e6, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  });
}

async function listing(files, iterate) {
  const run = async (Ctor) => {
    const dir = freshDir("list");
    const entity = path.join(dir, "bench");
    fs.mkdirSync(entity);
    const text = JSON.stringify(payload);
    for (let n = 0; n < files; n += 1) fs.writeFileSync(path.join(entity, `k${n}.json`), text);
    const store = new Ctor("bench", dir);
    await store.waitForInit(true);
    let count = 0;
    const result = await withLoopDelay(async () => {
      count = await iterate(store);
    });
    fs.rmSync(dir, { recursive: true, force: true });
    if (count !== files) throw new Error(`listed ${count} of ${files}`);
    return result;
  };
  const ours = await run(PersistBase);
  const reference = await run(Reference);
  return { ours: ours.ms, reference: reference.ms, lowerIsBetter: true, extra: { worstDelayMs: { ours: ours.worstDelayMs, reference: reference.worstDelayMs } } };
}

/** SPEC A's registry logic in plain JS over a given store class: the reference's registry. */
export function plainRegistry(Ctor) {
  const memo = new Map();
  const storage = (name) => {
    const initial = !memo.has(name);
    if (initial) memo.set(name, new Ctor(name, "./dump/data/signal/"));
    return [memo.get(name), initial];
  };
  return {
    readSignalData: async (strategyName, symbol) => {
      const [store, initial] = storage(strategyName);
      await store.waitForInit(initial);
      return (await store.hasValue(symbol)) ? await store.readValue(symbol) : null;
    },
    writeSignalData: async (row, strategyName, symbol) => {
      const [store, initial] = storage(strategyName);
      await store.waitForInit(initial);
      await store.writeValue(symbol, row);
    },
  };
}
