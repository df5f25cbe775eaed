// Type test, CommonJS (`.cts` under `module: nodenext`): both import paths through `require`.
import persist = require("@backtest-kit/persist");
import v19 = require("@backtest-kit/persist/v19");

async function main(): Promise<void> {
  const store = new persist.PersistBase("signals", "./data");
  await store.writeValue("BTCUSDT", { id: "s1" });
  try {
    await store.readValue("ETHUSDT");
  } catch (error) {
    if (persist.isPersistError(error, "ENTITY_NOT_FOUND")) void error.code;
  }
  await persist.writeFileAtomic("x.json", "{}");
  const data: v19.SignalData = await v19.PersistSignalAdapter.readSignalData("BTCUSDT", "strategy", "binance");
  void data;
  const instance = new v19.PersistSignalInstance("BTCUSDT", "strategy", "binance");
  await instance.waitForInit(true);
  // @ts-expect-error the Instance takes its context in the constructor
  await instance.readSignalData("BTCUSDT");
  // @ts-expect-error a typo in a code
  persist.isPersistError(new Error(), "READ_FAILD");
}

void main;
