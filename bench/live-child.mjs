// One live session of backtest-kit 19.5.0 in this process, for bench/backtest.mjs, offline: a
// mock exchange, and @sinonjs/fake-timers standing in for the wall clock (Date, setTimeout,
// setInterval), moved forward in 5 s steps only while the live loop waits for the next candle,
// so every tick sees the same time in every run. Usage:
//   node live-child.mjs <reference|native|memory> <minutes> <result.json>
// A strategy on 1m that opens a signal whenever none is open (live bots persist the signal, its
// schedule, storage, notifications and candles on every change). `memory` puts every registry
// on backtest-kit's own dummy Instances (no persistence at all: the floor). Writes the wall time
// of the whole session and a fingerprint of its events to <result.json>.
import FakeTimers from "@sinonjs/fake-timers";
import fs from "node:fs";

const [mode, minutes, out] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const MINUTE = 60_000;
const START = Date.parse("2026-01-05T00:00:30Z");
const clock = FakeTimers.install({ now: START, toFake: ["Date", "setTimeout", "clearTimeout", "setInterval", "clearInterval"] });

const bk = await import("backtest-kit");
const { usePersistNative } = await import("@backtest-kit/persist/v19");
const REGISTRIES = ["Signal", "Schedule", "Strategy", "Partial", "Breakeven", "Risk", "Candle", "Storage", "Notification", "Log", "Measure", "Interval", "Memory", "State", "Session", "Recent"];
if (mode === "native") usePersistNative(bk);
if (mode === "memory") for (const name of REGISTRIES) bk[`Persist${name}Adapter`].useDummy();
bk.setLogger({ log() {}, debug() {}, info() {}, warn() {} });

const price = (t) => 100 + 4 * Math.sin(t / (37 * MINUTE)) + 1.5 * Math.sin(t / (7 * MINUTE));
bk.addExchangeSchema({
  exchangeName: "mock",
  getCandles: async (_symbol, _interval, since, limit) =>
    Array.from({ length: limit }, (_, i) => {
      const timestamp = since.getTime() + i * MINUTE;
      return { timestamp, open: price(timestamp), high: price(timestamp) + 0.3, low: price(timestamp) - 0.3, close: price(timestamp + MINUTE - 1), volume: 1 };
    }),
  formatPrice: (_symbol, p) => p.toFixed(2),
  formatQuantity: (_symbol, q) => q.toFixed(8),
});
bk.addStrategySchema({
  strategyName: "live-osc",
  interval: "1m",
  getSignal: async (symbol, _when, currentPrice) => {
    const candles = await bk.getCandles(symbol, "1m", 15);
    const position = currentPrice < candles.reduce((sum, c) => sum + c.close, 0) / candles.length ? "long" : "short";
    return { position, ...bk.Position.bracket({ position, currentPrice, percentTakeProfit: 0.6, percentStopLoss: 0.6 }), minuteEstimatedTime: 30, cost: 100 };
  },
});

let ticks = 0;
let wake = () => {};
bk.listenPerformance((event) => {
  if (event.metricType !== "live_tick") return;
  ticks += 1;
  wake();
});
const ticked = (count) => (ticks >= count ? Promise.resolve() : new Promise((resolve) => (wake = () => ticks >= count && resolve())));

let fingerprint = 0;
let closed = 0;
const events = [];
const begun = performance.now();
const session = (async () => {
  for await (const event of bk.Live.run("BTCUSDT", { strategyName: "live-osc", exchangeName: "mock" })) {
    if (event.action === "closed") closed += 1;
    const text = `${event.action}:${event.currentPrice}:${event.closeReason ?? ""}:${event.pnl?.pnlPercentage ?? ""}`;
    for (let i = 0; i < text.length; i += 1) fingerprint = (Math.imul(fingerprint, 31) + text.charCodeAt(i)) | 0;
    events.push(event.action);
  }
})();
// The first tick runs at once; each later one when the clock crosses a minute. The clock moves
// only once the tick before has finished.
await ticked(1);
for (let minute = 1; minute < minutes; minute += 1) {
  while (Math.floor(clock.now / MINUTE) < Math.floor(START / MINUTE) + minute) await clock.tickAsync(5_000);
  await ticked(minute + 1);
}
const ms = performance.now() - begun;
fs.writeFileSync(out, JSON.stringify({ mode, ms, ticks, closed, fingerprint, opened: events.filter((e) => e === "opened").length }));
void session;
process.exit(0);
