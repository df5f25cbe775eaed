// Type test of `@backtest-kit/persist/v19` (tsc, strict): adapters whose methods return plain
// values or Promises both fit; the Instances, singletons and usePersistNative take what 19.5.0's do.
import {
  PersistCandleAdapter,
  PersistCandleInstance,
  PersistSessionUtils,
  PersistSignalAdapter,
  PersistSignalInstance,
  usePersistNative,
  type CandleData,
  type IPersistSignalInstance,
  type ISignalRow,
  type TPersistSignalInstanceCtor,
} from "@backtest-kit/persist/v19";

class PlainAdapter implements IPersistSignalInstance {
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  waitForInit(): void {}
  readSignalData(): ISignalRow | null {
    return null;
  }
  writeSignalData(): void {}
}

class AsyncAdapter extends PersistSignalInstance {
  override async readSignalData(): Promise<ISignalRow | null> {
    const row = await super.readSignalData();
    return row && { ...row, isolated: true };
  }
}

const ctors: TPersistSignalInstanceCtor[] = [PlainAdapter, AsyncAdapter, PersistSignalInstance];
PersistSignalAdapter.usePersistSignalAdapter(ctors[0], { timeoutMs: 100 });
const { readSignalData } = PersistSignalAdapter;
const read: Promise<ISignalRow | null> = readSignalData("BTCUSDT", "strategy", "exchange");
const candles: Promise<CandleData[] | null> = new PersistCandleInstance("BTCUSDT", "1m", "binance").readCandlesData(5, 0, 0);
const written: Promise<void> = PersistCandleAdapter.writeCandlesData([], "BTCUSDT", "1m", "binance");
const key: string = PersistSessionUtils.GET_KEY_FN("s", "e", "", "BTCUSDT", false);
usePersistNative({ getConfig: () => ({}) }, { registries: ["Signal", "Candle"] });
void [read, candles, written, key];
