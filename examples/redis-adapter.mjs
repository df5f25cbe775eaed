// Keeping backtest-kit's state in Redis instead of JSON files: a PersistBase subclass whose
// storage methods talk to Redis through ioredis, registered on all four registries.
//
//   REDIS_URL=redis://127.0.0.1:6379 node examples/redis-adapter.mjs
//
// From TypeScript the class reads the same; add `implements IPersistBase` if you like, and
// type `readValue<T>(entityId: EntityId): Promise<T>` and friends.
import Redis from "ioredis";
import {
  PersistBase,
  PersistPartialAdapter,
  PersistRiskAdapter,
  PersistScheduleAdapter,
  PersistSignalAdapter,
} from "@backtest-kit/persist";

// One connection for every store in the process; it connects on first use.
let client;
let ready;
function redis() {
  client ??= new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true });
  return client;
}

export class RedisPersist extends PersistBase {
  #prefix;

  // The registries call `new RedisPersist(name, baseDir)`, e.g. ("my-strategy", "./dump/data/signal/").
  // The baseDir goes into the key so that a signal and a schedule of one strategy stay apart:
  // dump/data/signal:my-strategy:BTCUSDT
  constructor(entityName, baseDir) {
    super(entityName, baseDir);
    this.#prefix = `${this.baseDir.replace(/^\.\/|\/+$/g, "")}:${entityName}:`;
  }

  #key(entityId) {
    return this.#prefix + entityId;
  }

  // Called before every registry read and write, so only the first call talks to Redis. A PING
  // that fails (server down: ioredis gives up after its retries) is tried again next time.
  async waitForInit(_initial) {
    ready ??= redis().ping().catch((error) => {
      ready = undefined;
      throw error;
    });
    await ready;
  }

  async readValue(entityId) {
    const text = await redis().get(this.#key(entityId));
    if (text === null) throw new Error(`Entity ${this.entityName}:${entityId} not found`);
    return JSON.parse(text);
  }

  async hasValue(entityId) {
    return (await redis().exists(this.#key(entityId))) === 1;
  }

  // Upsert. `null` is a valid value: backtest-kit stores a closed signal as null.
  async writeValue(entityId, entity) {
    await redis().set(this.#key(entityId), JSON.stringify(entity));
  }

  async removeValue(entityId) {
    if ((await redis().del(this.#key(entityId))) === 0) {
      throw new Error(`Entity ${this.entityName}:${entityId} not found for deletion`);
    }
  }

  // Entity ids, sorted as the file store sorts them. SCAN instead of KEYS, so a big database
  // is not blocked; SCAN may repeat a key, hence the Set. values(), filter() and take() come
  // from PersistBase and go through keys() and readValue() above.
  async *keys() {
    const pattern = this.#prefix.replace(/[*?[\]\\]/g, "\\$&") + "*";
    const ids = new Set();
    let cursor = "0";
    do {
      const [next, found] = await redis().scan(cursor, "MATCH", pattern, "COUNT", 100);
      for (const key of found) ids.add(key.slice(this.#prefix.length));
      cursor = next;
    } while (cursor !== "0");
    yield* [...ids].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }));
  }

  // PersistBase's own removeAll() and getCount() work on files, so replace at least removeAll.
  async removeAll() {
    for await (const id of this.keys()) await redis().del(this.#key(id));
  }
}

/** Makes all four registries keep their state in Redis. Call it before starting any strategy. */
export function registerRedisPersistence() {
  PersistSignalAdapter.usePersistSignalAdapter(RedisPersist);
  PersistScheduleAdapter.usePersistScheduleAdapter(RedisPersist);
  PersistRiskAdapter.usePersistRiskAdapter(RedisPersist);
  PersistPartialAdapter.usePersistPartialAdapter(RedisPersist);
}

/** Closes the shared connection; the process can then exit. */
export async function closeRedis() {
  const open = client;
  client = ready = undefined;
  if (open?.status === "ready") await open.quit();
  else open?.disconnect();
}

// Run directly: one round trip through every registry.
if (process.argv[1] === import.meta.filename) {
  registerRedisPersistence();
  try {
    await PersistSignalAdapter.writeSignalData({ id: "sig-1", position: "long", priceOpen: 97250.5 }, "trend", "BTCUSDT");
    await PersistScheduleAdapter.writeScheduleData({ id: "sch-1", position: "short", priceOpen: 99000 }, "trend", "BTCUSDT");
    await PersistRiskAdapter.writePositionData([{ signalId: "sig-1", strategyName: "trend" }], "conservative");
    await PersistPartialAdapter.writePartialData({ "sig-1": { profitLevels: [10], lossLevels: [] } }, "BTCUSDT");

    console.log("signal:  ", await PersistSignalAdapter.readSignalData("trend", "BTCUSDT"));
    console.log("schedule:", await PersistScheduleAdapter.readScheduleData("trend", "BTCUSDT"));
    console.log("risk:    ", await PersistRiskAdapter.readPositionData("conservative"));
    console.log("partial: ", await PersistPartialAdapter.readPartialData("BTCUSDT"));
  } finally {
    await closeRedis();
  }
}
