// A Redis backend for the four registries, in the shape backtest-kit's documentation gives
// for custom adapters: a subclass of PersistBase whose storage methods talk to Redis (ioredis).
// Keys are `<baseDir>:<entityName>:<entityId>`, so the signal and schedule stores of one
// strategy stay apart. Values are stored as JSON text.
//
//   REDIS_URL=redis://127.0.0.1:6379 node examples/redis-adapter.mjs
import Redis from "ioredis";
import {
  PersistBase,
  PersistPartialAdapter,
  PersistRiskAdapter,
  PersistScheduleAdapter,
  PersistSignalAdapter,
} from "../index.js";

let client;
/** One connection for every store of the process. */
function redis() {
  client ??= new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 2 });
  return client;
}

export class RedisPersist extends PersistBase {
  constructor(entityName, baseDir) {
    super(entityName, baseDir);
    this.prefix = `${baseDir.replace(/^\.\/|\/$/g, "")}:${entityName}:`;
  }

  async waitForInit() {
    if (redis().status === "wait") await redis().connect();
  }

  async readValue(entityId) {
    const text = await redis().get(this.prefix + entityId);
    if (text === null) throw new Error(`Entity ${this.entityName}:${entityId} not found`);
    return JSON.parse(text);
  }

  async hasValue(entityId) {
    return (await redis().exists(this.prefix + entityId)) === 1;
  }

  async writeValue(entityId, entity) {
    await redis().set(this.prefix + entityId, JSON.stringify(entity));
  }

  async removeValue(entityId) {
    if ((await redis().del(this.prefix + entityId)) === 0) {
      throw new Error(`Entity ${this.entityName}:${entityId} not found for deletion`);
    }
  }

  async *keys() {
    const ids = [];
    let cursor = "0";
    do {
      const [next, found] = await redis().scan(cursor, "MATCH", `${this.prefix}*`, "COUNT", 100);
      cursor = next;
      ids.push(...found.map((key) => key.slice(this.prefix.length)));
    } while (cursor !== "0");
    yield* ids.sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }));
  }
}

/** Makes every registry store its state in Redis. */
export function registerRedisPersistence() {
  PersistSignalAdapter.usePersistSignalAdapter(RedisPersist);
  PersistScheduleAdapter.usePersistScheduleAdapter(RedisPersist);
  PersistRiskAdapter.usePersistRiskAdapter(RedisPersist);
  PersistPartialAdapter.usePersistPartialAdapter(RedisPersist);
}

export async function closeRedis() {
  await client?.quit();
  client = undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  registerRedisPersistence();
  await PersistSignalAdapter.writeSignalData({ id: "sig-1", position: "long", priceOpen: 97_250.5 }, "trend", "BTCUSDT");
  await PersistRiskAdapter.writePositionData([{ strategyName: "trend", symbol: "BTCUSDT" }], "conservative");
  console.log("signal:", await PersistSignalAdapter.readSignalData("trend", "BTCUSDT"));
  console.log("risk:  ", await PersistRiskAdapter.readPositionData("conservative"));
  await closeRedis();
}
