// One backtest of backtest-kit 19.5.0 in this process, for bench/backtest.mjs. Usage:
//   node backtest-child.mjs <reference|native|sqlite|memory> <days> <result.json>
// run in a directory whose ./dump holds the candle cache (`memory` fills its Map instead).
// A mock exchange (prices from a formula, no network); a strategy with a 15m signal interval
// that reads 60 1m candles through getCandles on each check. cacheCandles runs first (checking
// the cache, as a user's script does), then Backtest.run is timed. Writes the timings and a
// fingerprint of every event to <result.json> (stdout carries backtest-kit's progress bars).
import fs from "node:fs";
import * as bk from "backtest-kit";
import { usePersistNative } from "@backtest-kit/persist/v19";
import { MINUTE, MemoryCandleInstance, STEP } from "./memory-adapter.mjs";

const [mode, days, out] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const START = Date.parse("2026-01-05T00:00:00Z");
const END = START + days * 1440 * MINUTE;

if (mode === "native" || mode === "memory") usePersistNative(bk);
// The candle cache in one SQLite file (filled by the first such run's cacheCandles).
if (mode === "sqlite") usePersistNative(bk, { stores: { Candle: "sqlite:./dump/candles.db" } });
if (mode === "memory") bk.PersistCandleAdapter.usePersistCandleAdapter(MemoryCandleInstance);
bk.setLogger({ log() {}, debug() {}, info() {}, warn() {} });

const price = (t) => 100 + 8 * Math.sin(t / (97 * MINUTE)) + 3 * Math.sin(t / (13 * MINUTE));
bk.addExchangeSchema({
  exchangeName: "mock",
  getCandles: async (_symbol, interval, since, limit) =>
    Array.from({ length: limit }, (_, i) => {
      const timestamp = since.getTime() + i * STEP[interval] * MINUTE;
      const p = price(timestamp);
      return { timestamp, open: p, high: p + 0.4, low: p - 0.4, close: price(timestamp + STEP[interval] * MINUTE - 1), volume: 1 + (i % 7) };
    }),
  formatPrice: (_symbol, p) => p.toFixed(2),
  formatQuantity: (_symbol, q) => q.toFixed(8),
});
bk.addFrameSchema({ frameName: "bench", interval: "1m", startDate: new Date(START), endDate: new Date(END) });
bk.addStrategySchema({
  strategyName: "mean-revert",
  interval: "15m",
  getSignal: async (symbol, _when, currentPrice) => {
    const candles = await bk.getCandles(symbol, "1m", 60);
    const mean = candles.reduce((sum, candle) => sum + candle.close, 0) / candles.length;
    const position = currentPrice < mean ? "long" : "short";
    return { position, ...bk.Position.bracket({ position, currentPrice, percentTakeProfit: 0.6, percentStopLoss: 0.6 }), minuteEstimatedTime: 120, cost: 100 };
  },
});

const begun = performance.now();
// The cache is warm (bench/backtest.mjs filled it); this checks it, as a user's script would.
await bk.cacheCandles({ symbol: "BTCUSDT", interval: "1m", from: new Date(START - 1440 * MINUTE), to: new Date(END + 1440 * MINUTE), exchangeName: "mock", onCheckStart() {}, onWarmStart() {} });
const checked = performance.now();
let closed = 0;
let pnl = 0;
let fingerprint = 0;
for await (const event of bk.Backtest.run("BTCUSDT", { strategyName: "mean-revert", exchangeName: "mock", frameName: "bench" })) {
  if (event.action === "closed") {
    closed += 1;
    pnl += event.pnl?.pnlPercentage ?? 0;
  }
  const text = `${event.action}:${event.currentPrice}:${event.closeReason ?? ""}:${event.pnl?.pnlPercentage ?? ""}`;
  for (let i = 0; i < text.length; i += 1) fingerprint = (Math.imul(fingerprint, 31) + text.charCodeAt(i)) | 0;
}
const ran = performance.now();
fs.writeFileSync(out, JSON.stringify({ mode, cacheCandlesMs: checked - begun, backtestMs: ran - checked, closed, pnl, fingerprint }));
process.exit(0);
