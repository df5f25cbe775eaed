// A worker of runtime/workers.mjs: loads the addon on its own thread and writes, through the root
// PersistBase and a /v19 Candle Instance, what workerData asks for, then says "done".
import { parentPort, workerData } from "node:worker_threads";
import * as persist from "@backtest-kit/persist";
import * as v19 from "@backtest-kit/persist/v19";

const { dir, index, count, forever } = workerData;
const store = new persist.PersistBase("signal", dir);
await store.waitForInit(true);
const candles = new v19.PersistCandleInstance("BTCUSDT", "1m", `worker${index}`);
candles._storage = new persist.PersistBase(`worker${index}/BTCUSDT/1m`, `${dir}/candle`);
await candles.waitForInit(true);
await candles.writeCandlesData(Array.from({ length: 20 }, (_, i) => ({ timestamp: i * 60_000, open: 1, high: 1, low: 1, close: index, volume: 1 })));
for (let n = 0; forever || n < count; n += 1) {
  await store.writeValue(`w${index}-${n % count}`, { index, n, pad: "x".repeat(2000) });
  await store.writeValue("shared", { index, n });
  if (n === 3) parentPort.postMessage("writing");
}
parentPort.postMessage("done");
