// One portfolio backtest of backtest-kit 19.5.0 in this process, for bench/portfolio.mjs. Usage:
//   node portfolio-child.mjs <files|sqlite|memory> <symbols> <days> <result.json>
// run in a directory whose ./dump holds the candle cache (empty for a cold run, filled by an
// earlier run for a warm one; `memory` fills its Map in this process every time). The same mock
// exchange and strategy as bench/backtest-child.mjs, over `symbols` symbols (SYM0USDT, ...): first
// `cacheCandles` of every symbol's range at once (`Promise.all`, as a portfolio script does:
// on an empty store this is the fill, on a filled one the check), then `Backtest.run` of every
// symbol at once (`Promise.all`). Writes both timings, the peak RSS (the kernel's maxrss) and the
// RSS at the end, and a fingerprint of every event to <result.json>.
import fs from "node:fs";
import * as bk from "backtest-kit";
import { usePersistNative } from "@backtest-kit/persist/v19";
import { MINUTE, MemoryCandleInstance, STEP } from "./memory-adapter.mjs";

const [mode, symbolCount, days, out] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
// Far enough in the past that every candle of a year's range is closed (19.5.0 never caches a
// candle that is still open by the wall clock).
const START = Date.parse("2025-01-06T00:00:00Z");
const END = START + days * 1440 * MINUTE;
const SYMBOLS = Array.from({ length: symbolCount }, (_, i) => `SYM${i}USDT`);

if (mode === "files" || mode === "memory") usePersistNative(bk);
if (mode === "sqlite") usePersistNative(bk, { stores: { Candle: "sqlite:./dump/candles.db" } });
if (mode === "memory") bk.PersistCandleAdapter.usePersistCandleAdapter(MemoryCandleInstance);
bk.setLogger({ log() {}, debug() {}, info() {}, warn() {} });

// Each symbol its own price path (a phase offset), the same in every mode.
const offset = (symbol) => Number(symbol.slice(3, -4)) * 7919 * MINUTE;
const price = (symbol, t) => 100 + 8 * Math.sin((t + offset(symbol)) / (97 * MINUTE)) + 3 * Math.sin((t + offset(symbol)) / (13 * MINUTE));
bk.addExchangeSchema({
  exchangeName: "mock",
  getCandles: async (symbol, interval, since, limit) =>
    Array.from({ length: limit }, (_, i) => {
      const timestamp = since.getTime() + i * STEP[interval] * MINUTE;
      const p = price(symbol, timestamp);
      return { timestamp, open: p, high: p + 0.4, low: p - 0.4, close: price(symbol, timestamp + STEP[interval] * MINUTE - 1), volume: 1 + (i % 7) };
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

let sampledPeak = 0;
const sample = () => {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
};
const sampler = setInterval(sample, 100);

const begun = performance.now();
await Promise.all(
  SYMBOLS.map((symbol) =>
    bk.cacheCandles({ symbol, interval: "1m", from: new Date(START - 1440 * MINUTE), to: new Date(END + 1440 * MINUTE), exchangeName: "mock", onCheckStart() {}, onWarmStart() {} }),
  ),
);
const filled = performance.now();
const afterFillRss = process.memoryUsage.rss();
const perSymbol = await Promise.all(
  SYMBOLS.map(async (symbol) => {
    let closed = 0;
    let pnl = 0;
    let fingerprint = 0;
    for await (const event of bk.Backtest.run(symbol, { strategyName: "mean-revert", exchangeName: "mock", frameName: "bench" })) {
      if (event.action === "closed") {
        closed += 1;
        pnl += event.pnl?.pnlPercentage ?? 0;
      }
      const text = `${event.action}:${event.currentPrice}:${event.closeReason ?? ""}:${event.pnl?.pnlPercentage ?? ""}`;
      for (let i = 0; i < text.length; i += 1) fingerprint = (Math.imul(fingerprint, 31) + text.charCodeAt(i)) | 0;
    }
    return { closed, pnl, fingerprint };
  }),
);
const ran = performance.now();
sample();
clearInterval(sampler);
const closed = perSymbol.reduce((sum, s) => sum + s.closed, 0);
const pnl = perSymbol.reduce((sum, s) => sum + s.pnl, 0);
const fingerprint = perSymbol.reduce((acc, s) => (Math.imul(acc, 31) + s.fingerprint) | 0, 0);
fs.writeFileSync(
  out,
  JSON.stringify({
    mode,
    fillMs: filled - begun,
    backtestMs: ran - filled,
    closed,
    pnl,
    fingerprint,
    // ru_maxrss is in KiB on Linux.
    peakRssBytes: Math.max(process.resourceUsage().maxRSS * 1024, sampledPeak),
    afterFillRssBytes: afterFillRss,
    endRssBytes: process.memoryUsage.rss(),
  }),
);
process.exit(0);
