// An adapter whose methods resolve at once, backed by a Map: the benchmarks' JS adapter.
export class MemoryAdapter {
  static data = new Map();
  constructor(entityName) {
    this.entityName = entityName;
  }
  async waitForInit() {}
  async hasValue(id) {
    if (id === "fail") throw new Error("adapter failure");
    return MemoryAdapter.data.has(`${this.entityName}:${id}`);
  }
  async readValue(id) {
    return MemoryAdapter.data.get(`${this.entityName}:${id}`);
  }
  async writeValue(id, value) {
    MemoryAdapter.data.set(`${this.entityName}:${id}`, value);
  }
}

export const MINUTE = 60_000;
/** Minutes per candle interval the benchmarks use. */
export const STEP = { "1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60 };

/** The backtest floor: a 19.5.0 Candle Instance over a process-wide Map, no I/O at all. */
const MEMORY = new Map();
export class MemoryCandleInstance {
  constructor(symbol, interval, exchangeName) {
    this.key = `${exchangeName}/${symbol}/${interval}`;
    this.stepMs = STEP[interval] * MINUTE;
  }
  async waitForInit() {}
  async readCandlesData(limit, since) {
    const candles = [];
    for (let i = 0; i < limit; i += 1) {
      const candle = MEMORY.get(`${this.key}/${since + i * this.stepMs}`);
      if (candle === undefined) return null;
      candles.push(candle);
    }
    return candles;
  }
  async writeCandlesData(candles) {
    const now = Date.now();
    for (const candle of candles) {
      if (candle.timestamp + this.stepMs > now) continue;
      const key = `${this.key}/${candle.timestamp}`;
      if (!MEMORY.has(key)) MEMORY.set(key, candle);
    }
  }
}
