// Type test of `/v19` without backtest-kit (tsconfig.no-backtest-kit.json only: with backtest-kit
// installed its stricter row types apply, see bk-interop.mts): the row types fall back to the
// structural ones, which name what the persistence layer reads and let the rest pass as JSON.
import {
  PersistLogAdapter,
  PersistSignalAdapter,
  PersistSignalInstance,
  type IntervalData,
  type ISignalRow,
  type LogData,
  type RiskData,
  type StorageData,
} from "@backtest-kit/persist/v19";

/** Compiles only when `T` is not `any`. */
function known<T>(_: boolean extends (T extends never ? true : false) ? false : true): void {}
known<ISignalRow>(true);
known<RiskData>(true);
known<StorageData>(true);
known<LogData>(true);

const row: ISignalRow = { id: "s1", priceOpen: 100, minuteEstimatedTime: null };
// @ts-expect-error a signal row has an id
const idless: ISignalRow = { priceOpen: 100 };
const positions: RiskData = [["s1", { minuteEstimatedTime: null, symbol: "BTCUSDT" }]];
const interval: IntervalData = { id: "k", data: 1, when: "2025-01-01T00:00:00.000Z", removed: false };

class Annotated extends PersistSignalInstance {
  override async writeSignalData(signalRow: ISignalRow | null): Promise<void> {
    await super.writeSignalData(signalRow && { ...signalRow, note: "checked" });
  }
}
PersistSignalAdapter.usePersistSignalAdapter(Annotated);
const written: Promise<void> = PersistLogAdapter.writeLogData([{ id: "1", topic: "boot" }]);
void [row, idless, positions, interval, written];
