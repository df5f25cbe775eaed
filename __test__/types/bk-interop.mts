// Type test, ESM (`.mts`; nodenext here, bundler in tsconfig.bundler.json): `/v19` beside the
// backtest-kit 19.5.0 that is installed, for each of the sixteen registries and in both directions:
//   (a) this package's Instance, and a subclass of it, registered on backtest-kit's registry;
//   (b) an adapter written against backtest-kit's interface (and backtest-kit's own Instance)
//       registered on this package's registry;
//   (c) an adapter written against this package's interface registered on backtest-kit's;
//   (d) the row and data types assignable both ways;
//   (e) this package's singleton usable wherever backtest-kit's is (its persistence module
//       re-exporting `/v19`'s values).
// Lines marked with an expected error must stay errors.
import * as bk from "backtest-kit";
import * as v19 from "@backtest-kit/persist/v19";

/** Compiles only when `A` and `B` are assignable to each other. */
function mutual<A, B>(_: [A] extends [B] ? ([B] extends [A] ? true : false) : false): void {}
/** Compiles only when `T` is not `any` (a type that failed to resolve would be). */
function known<T>(_: boolean extends (T extends never ? true : false) ? false : true): void {}
/** The public members of a class instance: what code holding backtest-kit's singleton may touch. */
type Public<T> = { [K in keyof T]: T[K] };

// ---- (d) rows and data ------------------------------------------------------------------------
known<bk.ISignalRow>(true);
known<v19.ISignalRow>(true);
mutual<v19.ISignalRow, bk.ISignalRow>(true);
mutual<v19.IScheduledSignalRow, bk.IScheduledSignalRow>(true);
mutual<v19.IPublicSignalRow, bk.IPublicSignalRow>(true);
mutual<v19.IStorageSignalRow, bk.IStorageSignalRow>(true);
mutual<v19.IRiskActivePosition, bk.IRiskActivePosition>(true);
mutual<v19.ILogEntry, bk.ILogEntry>(true);
mutual<v19.NotificationModel, bk.NotificationModel>(true);
mutual<v19.ICandleData, bk.ICandleData>(true);
mutual<v19.SignalData, bk.SignalData>(true);
mutual<v19.ScheduleData, bk.ScheduleData>(true);
mutual<v19.RecentData, bk.RecentData>(true);
mutual<v19.StrategyData, bk.StrategyData>(true);
mutual<v19.PartialData, bk.PartialData>(true);
mutual<v19.BreakevenData, bk.BreakevenData>(true);
mutual<v19.RiskData, bk.RiskData>(true);
mutual<v19.CandleData, bk.CandleData>(true);
mutual<v19.StorageData, bk.StorageData>(true);
mutual<v19.NotificationData, bk.NotificationData>(true);
mutual<v19.LogData, bk.LogData>(true);
mutual<v19.MeasureData, bk.MeasureData>(true);
mutual<v19.IntervalData, bk.IntervalData>(true);
mutual<v19.MemoryData, bk.MemoryData>(true);
mutual<v19.StateData, bk.StateData>(true);
mutual<v19.SessionData, bk.SessionData>(true);
mutual<v19.CandleInterval, bk.CandleInterval>(true);
// @ts-expect-error the rows are backtest-kit's, not a loose record: a signal needs its fields
const looseSignal: v19.ISignalRow = { id: "s1" };
// @ts-expect-error (the check itself works: these two differ)
mutual<v19.ISignalRow, v19.IPublicSignalRow>(true);
/** A row type of `/v19` can be extended like backtest-kit's. */
interface NotedSignal extends v19.ISignalRow {
  reviewedBy: string;
}
const noted = (row: bk.ISignalRow): NotedSignal => ({ ...row, reviewedBy: "me" });

// Values read from one side written to the other.
async function crossRows(when: Date): Promise<void> {
  await v19.PersistSignalAdapter.writeSignalData(await bk.PersistSignalAdapter.readSignalData("BTCUSDT", "s", "e"), "BTCUSDT", "s", "e");
  await bk.PersistSignalAdapter.writeSignalData(await v19.PersistSignalAdapter.readSignalData("BTCUSDT", "s", "e"), "BTCUSDT", "s", "e");
  await bk.PersistRiskAdapter.writePositionData(await v19.PersistRiskAdapter.readPositionData("r", "e", when), "r", "e", when);
  await bk.PersistStorageAdapter.writeStorageData(await v19.PersistStorageAdapter.readStorageData(true), true);
  await bk.PersistLogAdapter.writeLogData(await v19.PersistLogAdapter.readLogData());
  await v19.PersistLogAdapter.writeLogData(await bk.PersistLogAdapter.readLogData());
  await v19.PersistNotificationAdapter.writeNotificationData(await bk.PersistNotificationAdapter.readNotificationData(false), false);
  const candles: bk.CandleData[] | null = await v19.PersistCandleAdapter.readCandlesData("BTCUSDT", "1m", "e", 5, 0, 0);
  await v19.PersistCandleAdapter.writeCandlesData(candles ?? [], "BTCUSDT", "1m", "e");
}

// ---- backtest-kit's module as a whole -------------------------------------------------------
v19.usePersistNative(bk);
v19.usePersistNative(bk, { registries: ["Signal", "Candle"] });
const Base: bk.TPersistBaseCtor = v19.PersistBase;
const base: bk.IPersistBase = new v19.PersistBase("signal", "./dump/data/signal/");

// ---- Signal -----------------------------------------------------------------------------------
class BkSignal implements bk.IPersistSignalInstance {
  private row: bk.ISignalRow | null = null;
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readSignalData(): Promise<bk.ISignalRow | null> {
    return this.row;
  }
  async writeSignalData(row: bk.ISignalRow | null): Promise<void> {
    this.row = row;
  }
}
class OurSignal implements v19.IPersistSignalInstance {
  private row: v19.ISignalRow | null = null;
  constructor(readonly symbol: string, readonly strategyName: v19.StrategyName, readonly exchangeName: v19.ExchangeName) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readSignalData(): Promise<v19.ISignalRow | null> {
    return this.row;
  }
  async writeSignalData(row: v19.ISignalRow | null): Promise<void> {
    this.row = row;
  }
}
class SubSignal extends v19.PersistSignalInstance {
  override async readSignalData(): Promise<v19.ISignalRow | null> {
    const row = await super.readSignalData();
    return row && { ...row, note: `${this.symbol}@${this.exchangeName}` };
  }
}
bk.PersistSignalAdapter.usePersistSignalAdapter(v19.PersistSignalInstance); // (a)
bk.PersistSignalAdapter.usePersistSignalAdapter(SubSignal); // (a)
v19.PersistSignalAdapter.usePersistSignalAdapter(BkSignal, { timeoutMs: 1000 }); // (b)
v19.PersistSignalAdapter.usePersistSignalAdapter(bk.PersistSignalInstance); // (b)
bk.PersistSignalAdapter.usePersistSignalAdapter(OurSignal); // (c)
const signalUtils: Public<typeof bk.PersistSignalAdapter> = v19.PersistSignalAdapter; // (e)
const bkSignalCtor: bk.TPersistSignalInstanceCtor = v19.PersistSignalInstance;
const ourSignalCtor: v19.TPersistSignalInstanceCtor = bk.PersistSignalInstance;

// This package's interface lets methods return plain values; backtest-kit's types demand
// Promises (it awaits either at run time), so such an adapter fits only this package's registry.
class PlainSignal implements v19.IPersistSignalInstance {
  waitForInit(): void {}
  readSignalData(): v19.ISignalRow | null {
    return null;
  }
  writeSignalData(): void {}
}
v19.PersistSignalAdapter.usePersistSignalAdapter(PlainSignal);
// @ts-expect-error backtest-kit's IPersistSignalInstance returns Promises
bk.PersistSignalAdapter.usePersistSignalAdapter(PlainSignal);

// ---- Schedule ---------------------------------------------------------------------------------
class BkSchedule implements bk.IPersistScheduleInstance {
  private row: bk.IScheduledSignalRow | null = null;
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readScheduleData(): Promise<bk.IScheduledSignalRow | null> {
    return this.row;
  }
  async writeScheduleData(row: bk.IScheduledSignalRow | null): Promise<void> {
    this.row = row;
  }
}
class OurSchedule implements v19.IPersistScheduleInstance {
  private row: v19.IScheduledSignalRow | null = null;
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readScheduleData(): Promise<v19.IScheduledSignalRow | null> {
    return this.row;
  }
  async writeScheduleData(row: v19.IScheduledSignalRow | null): Promise<void> {
    this.row = row;
  }
}
class SubSchedule extends v19.PersistScheduleInstance {
  override async readScheduleData() {
    return super.readScheduleData();
  }
}
bk.PersistScheduleAdapter.usePersistScheduleAdapter(v19.PersistScheduleInstance);
bk.PersistScheduleAdapter.usePersistScheduleAdapter(SubSchedule);
v19.PersistScheduleAdapter.usePersistScheduleAdapter(BkSchedule);
v19.PersistScheduleAdapter.usePersistScheduleAdapter(bk.PersistScheduleInstance);
bk.PersistScheduleAdapter.usePersistScheduleAdapter(OurSchedule);
const scheduleUtils: Public<typeof bk.PersistScheduleAdapter> = v19.PersistScheduleAdapter;

// ---- Strategy ---------------------------------------------------------------------------------
class BkStrategy implements bk.IPersistStrategyInstance {
  private row: bk.StrategyData | null = null;
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readStrategyData(): Promise<bk.StrategyData | null> {
    return this.row;
  }
  async writeStrategyData(row: bk.StrategyData | null): Promise<void> {
    this.row = row;
  }
}
class OurStrategy implements v19.IPersistStrategyInstance {
  private row: v19.StrategyData | null = null;
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readStrategyData(): Promise<v19.StrategyData | null> {
    return this.row;
  }
  async writeStrategyData(row: v19.StrategyData | null): Promise<void> {
    this.row = row;
  }
}
class SubStrategy extends v19.PersistStrategyInstance {
  override async readStrategyData() {
    const data = await super.readStrategyData();
    return data && { ...data, isPaused: false };
  }
}
bk.PersistStrategyAdapter.usePersistStrategyAdapter(v19.PersistStrategyInstance);
bk.PersistStrategyAdapter.usePersistStrategyAdapter(SubStrategy);
v19.PersistStrategyAdapter.usePersistStrategyAdapter(BkStrategy);
v19.PersistStrategyAdapter.usePersistStrategyAdapter(bk.PersistStrategyInstance);
bk.PersistStrategyAdapter.usePersistStrategyAdapter(OurStrategy);
const strategyUtils: Public<typeof bk.PersistStrategyAdapter> = v19.PersistStrategyAdapter;

// ---- Partial ----------------------------------------------------------------------------------
class BkPartial implements bk.IPersistPartialInstance {
  private readonly rows = new Map<string, bk.PartialData>();
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readPartialData(signalId: string, _when: Date): Promise<bk.PartialData> {
    return this.rows.get(signalId) ?? {};
  }
  async writePartialData(data: bk.PartialData, signalId: string, _when: Date): Promise<void> {
    this.rows.set(signalId, data);
  }
}
class OurPartial implements v19.IPersistPartialInstance {
  private readonly rows = new Map<string, v19.PartialData>();
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readPartialData(signalId: string, _when: Date): Promise<v19.PartialData> {
    return this.rows.get(signalId) ?? {};
  }
  async writePartialData(data: v19.PartialData, signalId: string, _when: Date): Promise<void> {
    this.rows.set(signalId, data);
  }
}
class SubPartial extends v19.PersistPartialInstance {
  override async readPartialData(signalId: string, when: Date) {
    return super.readPartialData(signalId, when);
  }
}
bk.PersistPartialAdapter.usePersistPartialAdapter(v19.PersistPartialInstance);
bk.PersistPartialAdapter.usePersistPartialAdapter(SubPartial);
v19.PersistPartialAdapter.usePersistPartialAdapter(BkPartial);
v19.PersistPartialAdapter.usePersistPartialAdapter(bk.PersistPartialInstance);
bk.PersistPartialAdapter.usePersistPartialAdapter(OurPartial);
const partialUtils: Public<typeof bk.PersistPartialAdapter> = v19.PersistPartialAdapter;

// ---- Breakeven --------------------------------------------------------------------------------
class BkBreakeven implements bk.IPersistBreakevenInstance {
  private readonly rows = new Map<string, bk.BreakevenData>();
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readBreakevenData(signalId: string, _when: Date): Promise<bk.BreakevenData> {
    return this.rows.get(signalId) ?? {};
  }
  async writeBreakevenData(data: bk.BreakevenData, signalId: string, _when: Date): Promise<void> {
    this.rows.set(signalId, data);
  }
}
class OurBreakeven implements v19.IPersistBreakevenInstance {
  private readonly rows = new Map<string, v19.BreakevenData>();
  constructor(readonly symbol: string, readonly strategyName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readBreakevenData(signalId: string, _when: Date): Promise<v19.BreakevenData> {
    return this.rows.get(signalId) ?? {};
  }
  async writeBreakevenData(data: v19.BreakevenData, signalId: string, _when: Date): Promise<void> {
    this.rows.set(signalId, data);
  }
}
class SubBreakeven extends v19.PersistBreakevenInstance {
  override async readBreakevenData(signalId: string, when: Date) {
    return super.readBreakevenData(signalId, when);
  }
}
bk.PersistBreakevenAdapter.usePersistBreakevenAdapter(v19.PersistBreakevenInstance);
bk.PersistBreakevenAdapter.usePersistBreakevenAdapter(SubBreakeven);
v19.PersistBreakevenAdapter.usePersistBreakevenAdapter(BkBreakeven);
v19.PersistBreakevenAdapter.usePersistBreakevenAdapter(bk.PersistBreakevenInstance);
bk.PersistBreakevenAdapter.usePersistBreakevenAdapter(OurBreakeven);
const breakevenUtils: Public<typeof bk.PersistBreakevenAdapter> = v19.PersistBreakevenAdapter;

// ---- Risk -------------------------------------------------------------------------------------
class BkRisk implements bk.IPersistRiskInstance {
  private positions: bk.RiskData = [];
  constructor(readonly riskName: string, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readPositionData(_when: Date): Promise<bk.RiskData> {
    return this.positions;
  }
  async writePositionData(riskRow: bk.RiskData, _when: Date): Promise<void> {
    this.positions = riskRow;
  }
}
class OurRisk implements v19.IPersistRiskInstance {
  private positions: v19.RiskData = [];
  constructor(readonly riskName: v19.RiskName, readonly exchangeName: v19.ExchangeName) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readPositionData(_when: Date): Promise<v19.RiskData> {
    return this.positions;
  }
  async writePositionData(riskRow: v19.RiskData, _when: Date): Promise<void> {
    this.positions = riskRow;
  }
}
class SubRisk extends v19.PersistRiskInstance {
  override async readPositionData(when: Date) {
    const positions = await super.readPositionData(when);
    return positions.filter(([, position]) => position.exchangeName === this.exchangeName);
  }
}
bk.PersistRiskAdapter.usePersistRiskAdapter(v19.PersistRiskInstance);
bk.PersistRiskAdapter.usePersistRiskAdapter(SubRisk);
v19.PersistRiskAdapter.usePersistRiskAdapter(BkRisk);
v19.PersistRiskAdapter.usePersistRiskAdapter(bk.PersistRiskInstance);
bk.PersistRiskAdapter.usePersistRiskAdapter(OurRisk);
const riskUtils: Public<typeof bk.PersistRiskAdapter> = v19.PersistRiskAdapter;

// ---- Candle -----------------------------------------------------------------------------------
class BkCandle implements bk.IPersistCandleInstance {
  private candles: bk.CandleData[] = [];
  constructor(readonly symbol: string, readonly interval: bk.CandleInterval, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readCandlesData(limit: number, sinceTimestamp: number, _untilTimestamp: number): Promise<bk.CandleData[] | null> {
    const found = this.candles.filter((candle) => candle.timestamp >= sinceTimestamp).slice(0, limit);
    return found.length === limit ? found : null;
  }
  async writeCandlesData(candles: bk.CandleData[]): Promise<void> {
    this.candles.push(...candles);
  }
}
class OurCandle implements v19.IPersistCandleInstance {
  private candles: v19.CandleData[] = [];
  constructor(readonly symbol: string, readonly interval: v19.CandleInterval, readonly exchangeName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readCandlesData(limit: number, sinceTimestamp: number, _untilTimestamp: number): Promise<v19.CandleData[] | null> {
    const found = this.candles.filter((candle) => candle.timestamp >= sinceTimestamp).slice(0, limit);
    return found.length === limit ? found : null;
  }
  async writeCandlesData(candles: v19.CandleData[]): Promise<void> {
    this.candles.push(...candles);
  }
}
class SubCandle extends v19.PersistCandleInstance {
  override async writeCandlesData(candles: v19.CandleData[]) {
    return super.writeCandlesData(candles.filter((candle) => candle.volume > 0));
  }
}
bk.PersistCandleAdapter.usePersistCandleAdapter(v19.PersistCandleInstance);
bk.PersistCandleAdapter.usePersistCandleAdapter(SubCandle);
v19.PersistCandleAdapter.usePersistCandleAdapter(BkCandle);
v19.PersistCandleAdapter.usePersistCandleAdapter(bk.PersistCandleInstance);
bk.PersistCandleAdapter.usePersistCandleAdapter(OurCandle);
const candleUtils: Public<typeof bk.PersistCandleAdapter> = v19.PersistCandleAdapter;

// ---- Storage ----------------------------------------------------------------------------------
class BkStorage implements bk.IPersistStorageInstance {
  private signals: bk.StorageData = [];
  constructor(readonly backtest: boolean) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readStorageData(): Promise<bk.StorageData> {
    return this.signals;
  }
  async writeStorageData(signals: bk.StorageData): Promise<void> {
    this.signals = signals;
  }
}
class OurStorage implements v19.IPersistStorageInstance {
  private signals: v19.StorageData = [];
  constructor(readonly backtest: boolean) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readStorageData(): Promise<v19.StorageData> {
    return this.signals;
  }
  async writeStorageData(signals: v19.StorageData): Promise<void> {
    this.signals = signals;
  }
}
class SubStorage extends v19.PersistStorageInstance {
  override async readStorageData() {
    return (await super.readStorageData()).filter((signal) => signal.status !== "cancelled");
  }
}
bk.PersistStorageAdapter.usePersistStorageAdapter(v19.PersistStorageInstance);
bk.PersistStorageAdapter.usePersistStorageAdapter(SubStorage);
v19.PersistStorageAdapter.usePersistStorageAdapter(BkStorage);
v19.PersistStorageAdapter.usePersistStorageAdapter(bk.PersistStorageInstance);
bk.PersistStorageAdapter.usePersistStorageAdapter(OurStorage);
const storageUtils: Public<typeof bk.PersistStorageAdapter> = v19.PersistStorageAdapter;

// ---- Notification -----------------------------------------------------------------------------
class BkNotification implements bk.IPersistNotificationInstance {
  private notifications: bk.NotificationData = [];
  constructor(readonly backtest: boolean) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readNotificationData(): Promise<bk.NotificationData> {
    return this.notifications;
  }
  async writeNotificationData(notifications: bk.NotificationData): Promise<void> {
    this.notifications = notifications;
  }
}
class OurNotification implements v19.IPersistNotificationInstance {
  private notifications: v19.NotificationData = [];
  constructor(readonly backtest: boolean) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readNotificationData(): Promise<v19.NotificationData> {
    return this.notifications;
  }
  async writeNotificationData(notifications: v19.NotificationData): Promise<void> {
    this.notifications = notifications;
  }
}
class SubNotification extends v19.PersistNotificationInstance {
  override async readNotificationData() {
    return (await super.readNotificationData()).slice(-100);
  }
}
bk.PersistNotificationAdapter.usePersistNotificationAdapter(v19.PersistNotificationInstance);
bk.PersistNotificationAdapter.usePersistNotificationAdapter(SubNotification);
v19.PersistNotificationAdapter.usePersistNotificationAdapter(BkNotification);
v19.PersistNotificationAdapter.usePersistNotificationAdapter(bk.PersistNotificationInstance);
bk.PersistNotificationAdapter.usePersistNotificationAdapter(OurNotification);
const notificationUtils: Public<typeof bk.PersistNotificationAdapter> = v19.PersistNotificationAdapter;

// ---- Log --------------------------------------------------------------------------------------
class BkLog implements bk.IPersistLogInstance {
  private entries: bk.LogData = [];
  async waitForInit(_initial: boolean): Promise<void> {}
  async readLogData(): Promise<bk.LogData> {
    return this.entries;
  }
  async writeLogData(entries: bk.LogData): Promise<void> {
    this.entries = entries;
  }
}
class OurLog implements v19.IPersistLogInstance {
  private entries: v19.LogData = [];
  async waitForInit(_initial: boolean): Promise<void> {}
  async readLogData(): Promise<v19.LogData> {
    return this.entries;
  }
  async writeLogData(entries: v19.LogData): Promise<void> {
    this.entries = entries;
  }
}
class SubLog extends v19.PersistLogInstance {
  override async writeLogData(entries: v19.LogData) {
    return super.writeLogData(entries.filter((entry) => entry.type !== "debug"));
  }
}
bk.PersistLogAdapter.usePersistLogAdapter(v19.PersistLogInstance);
bk.PersistLogAdapter.usePersistLogAdapter(SubLog);
v19.PersistLogAdapter.usePersistLogAdapter(BkLog);
v19.PersistLogAdapter.usePersistLogAdapter(bk.PersistLogInstance);
bk.PersistLogAdapter.usePersistLogAdapter(OurLog);
const logUtils: Public<typeof bk.PersistLogAdapter> = v19.PersistLogAdapter;

// ---- Measure ----------------------------------------------------------------------------------
class BkMeasure implements bk.IPersistMeasureInstance {
  private readonly rows = new Map<string, bk.MeasureData>();
  constructor(readonly bucket: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readMeasureData(key: string): Promise<bk.MeasureData | null> {
    return this.rows.get(key) ?? null;
  }
  async writeMeasureData(data: bk.MeasureData, key: string, _when: Date): Promise<void> {
    this.rows.set(key, data);
  }
  async removeMeasureData(key: string): Promise<void> {
    this.rows.delete(key);
  }
  async *listMeasureData(): AsyncGenerator<string> {
    yield* this.rows.keys();
  }
}
class OurMeasure implements v19.IPersistMeasureInstance {
  private readonly rows = new Map<string, v19.MeasureData>();
  constructor(readonly bucket: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readMeasureData(key: string): Promise<v19.MeasureData | null> {
    return this.rows.get(key) ?? null;
  }
  async writeMeasureData(data: v19.MeasureData, key: string, _when: Date): Promise<void> {
    this.rows.set(key, data);
  }
  async removeMeasureData(key: string): Promise<void> {
    this.rows.delete(key);
  }
  async *listMeasureData(): AsyncGenerator<string> {
    yield* this.rows.keys();
  }
}
class SubMeasure extends v19.PersistMeasureInstance {
  override async readMeasureData(key: string) {
    return super.readMeasureData(key);
  }
}
bk.PersistMeasureAdapter.usePersistMeasureAdapter(v19.PersistMeasureInstance);
bk.PersistMeasureAdapter.usePersistMeasureAdapter(SubMeasure);
v19.PersistMeasureAdapter.usePersistMeasureAdapter(BkMeasure);
v19.PersistMeasureAdapter.usePersistMeasureAdapter(bk.PersistMeasureInstance);
bk.PersistMeasureAdapter.usePersistMeasureAdapter(OurMeasure);
const measureUtils: Public<typeof bk.PersistMeasureAdapter> = v19.PersistMeasureAdapter;

// ---- Interval ---------------------------------------------------------------------------------
class BkInterval implements bk.IPersistIntervalInstance {
  private readonly rows = new Map<string, bk.IntervalData>();
  constructor(readonly bucket: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readIntervalData(key: string): Promise<bk.IntervalData | null> {
    return this.rows.get(key) ?? null;
  }
  async writeIntervalData(data: bk.IntervalData, key: string, _when: Date): Promise<void> {
    this.rows.set(key, data);
  }
  async removeIntervalData(key: string): Promise<void> {
    this.rows.delete(key);
  }
  async *listIntervalData(): AsyncGenerator<string> {
    yield* this.rows.keys();
  }
}
class OurInterval implements v19.IPersistIntervalInstance {
  private readonly rows = new Map<string, v19.IntervalData>();
  constructor(readonly bucket: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readIntervalData(key: string): Promise<v19.IntervalData | null> {
    return this.rows.get(key) ?? null;
  }
  async writeIntervalData(data: v19.IntervalData, key: string, _when: Date): Promise<void> {
    this.rows.set(key, data);
  }
  async removeIntervalData(key: string): Promise<void> {
    this.rows.delete(key);
  }
  async *listIntervalData(): AsyncGenerator<string> {
    yield* this.rows.keys();
  }
}
class SubInterval extends v19.PersistIntervalInstance {
  override async *listIntervalData() {
    for await (const key of super.listIntervalData()) if (!key.startsWith("tmp")) yield key;
  }
}
bk.PersistIntervalAdapter.usePersistIntervalAdapter(v19.PersistIntervalInstance);
bk.PersistIntervalAdapter.usePersistIntervalAdapter(SubInterval);
v19.PersistIntervalAdapter.usePersistIntervalAdapter(BkInterval);
v19.PersistIntervalAdapter.usePersistIntervalAdapter(bk.PersistIntervalInstance);
bk.PersistIntervalAdapter.usePersistIntervalAdapter(OurInterval);
const intervalUtils: Public<typeof bk.PersistIntervalAdapter> = v19.PersistIntervalAdapter;

// ---- Memory -----------------------------------------------------------------------------------
class BkMemory implements bk.IPersistMemoryInstance {
  private readonly rows = new Map<string, bk.MemoryData>();
  constructor(readonly signalId: string, readonly bucketName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readMemoryData(memoryId: string): Promise<bk.MemoryData | null> {
    return this.rows.get(memoryId) ?? null;
  }
  async hasMemoryData(memoryId: string): Promise<boolean> {
    return this.rows.has(memoryId);
  }
  async writeMemoryData(data: bk.MemoryData, memoryId: string, _when: Date): Promise<void> {
    this.rows.set(memoryId, data);
  }
  async removeMemoryData(memoryId: string): Promise<void> {
    this.rows.delete(memoryId);
  }
  async *listMemoryData(): AsyncGenerator<{ memoryId: string; data: bk.MemoryData }> {
    for (const [memoryId, data] of this.rows) yield { memoryId, data };
  }
  dispose(): void {}
}
class OurMemory implements v19.IPersistMemoryInstance {
  private readonly rows = new Map<string, v19.MemoryData>();
  constructor(readonly signalId: string, readonly bucketName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readMemoryData(memoryId: string): Promise<v19.MemoryData | null> {
    return this.rows.get(memoryId) ?? null;
  }
  async hasMemoryData(memoryId: string): Promise<boolean> {
    return this.rows.has(memoryId);
  }
  async writeMemoryData(data: v19.MemoryData, memoryId: string, _when: Date): Promise<void> {
    this.rows.set(memoryId, data);
  }
  async removeMemoryData(memoryId: string): Promise<void> {
    this.rows.delete(memoryId);
  }
  async *listMemoryData(): AsyncGenerator<{ memoryId: string; data: v19.MemoryData }> {
    for (const [memoryId, data] of this.rows) yield { memoryId, data };
  }
  dispose(): void {}
}
class SubMemory extends v19.PersistMemoryInstance {
  override dispose(): void {
    super.dispose();
  }
}
bk.PersistMemoryAdapter.usePersistMemoryAdapter(v19.PersistMemoryInstance);
bk.PersistMemoryAdapter.usePersistMemoryAdapter(SubMemory);
v19.PersistMemoryAdapter.usePersistMemoryAdapter(BkMemory);
v19.PersistMemoryAdapter.usePersistMemoryAdapter(bk.PersistMemoryInstance);
bk.PersistMemoryAdapter.usePersistMemoryAdapter(OurMemory);
const memoryUtils: Public<typeof bk.PersistMemoryAdapter> = v19.PersistMemoryAdapter;

// ---- State ------------------------------------------------------------------------------------
class BkState implements bk.IPersistStateInstance {
  private row: bk.StateData | null = null;
  constructor(readonly signalId: string, readonly bucketName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readStateData(): Promise<bk.StateData | null> {
    return this.row;
  }
  async writeStateData(data: bk.StateData, _when: Date): Promise<void> {
    this.row = data;
  }
  dispose(): void {}
}
class OurState implements v19.IPersistStateInstance {
  private row: v19.StateData | null = null;
  constructor(readonly signalId: string, readonly bucketName: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readStateData(): Promise<v19.StateData | null> {
    return this.row;
  }
  async writeStateData(data: v19.StateData, _when: Date): Promise<void> {
    this.row = data;
  }
  dispose(): void {}
}
class SubState extends v19.PersistStateInstance {
  override async writeStateData(data: v19.StateData, when: Date) {
    return super.writeStateData({ ...data, when: when.getTime() }, when);
  }
}
bk.PersistStateAdapter.usePersistStateAdapter(v19.PersistStateInstance);
bk.PersistStateAdapter.usePersistStateAdapter(SubState);
v19.PersistStateAdapter.usePersistStateAdapter(BkState);
v19.PersistStateAdapter.usePersistStateAdapter(bk.PersistStateInstance);
bk.PersistStateAdapter.usePersistStateAdapter(OurState);
const stateUtils: Public<typeof bk.PersistStateAdapter> = v19.PersistStateAdapter;

// ---- Session ----------------------------------------------------------------------------------
class BkSession implements bk.IPersistSessionInstance {
  private row: bk.SessionData | null = null;
  constructor(
    readonly strategyName: string,
    readonly exchangeName: string,
    readonly frameName: string,
    readonly symbol: string,
    readonly backtest: boolean,
  ) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readSessionData(): Promise<bk.SessionData | null> {
    return this.row;
  }
  async writeSessionData(data: bk.SessionData, _when: Date): Promise<void> {
    this.row = data;
  }
  dispose(): void {}
}
class OurSession implements v19.IPersistSessionInstance {
  private row: v19.SessionData | null = null;
  constructor(
    readonly strategyName: string,
    readonly exchangeName: string,
    readonly frameName: string,
    readonly symbol: string,
    readonly backtest: boolean,
  ) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readSessionData(): Promise<v19.SessionData | null> {
    return this.row;
  }
  async writeSessionData(data: v19.SessionData, _when: Date): Promise<void> {
    this.row = data;
  }
  dispose(): void {}
}
class SubSession extends v19.PersistSessionInstance {
  override async readSessionData() {
    return this.backtest ? null : super.readSessionData();
  }
}
bk.PersistSessionAdapter.usePersistSessionAdapter(v19.PersistSessionInstance);
bk.PersistSessionAdapter.usePersistSessionAdapter(SubSession);
v19.PersistSessionAdapter.usePersistSessionAdapter(BkSession);
v19.PersistSessionAdapter.usePersistSessionAdapter(bk.PersistSessionInstance);
bk.PersistSessionAdapter.usePersistSessionAdapter(OurSession);
const sessionUtils: Public<typeof bk.PersistSessionAdapter> = v19.PersistSessionAdapter;

// ---- Recent -----------------------------------------------------------------------------------
class BkRecent implements bk.IPersistRecentInstance {
  private row: bk.IPublicSignalRow | null = null;
  constructor(
    readonly symbol: string,
    readonly strategyName: string,
    readonly exchangeName: string,
    readonly frameName: string,
    readonly backtest: boolean,
  ) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readRecentData(): Promise<bk.IPublicSignalRow | null> {
    return this.row;
  }
  async writeRecentData(signalRow: bk.IPublicSignalRow, _when: Date): Promise<void> {
    this.row = signalRow;
  }
}
class OurRecent implements v19.IPersistRecentInstance {
  private row: v19.IPublicSignalRow | null = null;
  constructor(
    readonly symbol: string,
    readonly strategyName: v19.StrategyName,
    readonly exchangeName: v19.ExchangeName,
    readonly frameName: v19.FrameName,
    readonly backtest: boolean,
  ) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readRecentData(): Promise<v19.IPublicSignalRow | null> {
    return this.row;
  }
  async writeRecentData(signalRow: v19.IPublicSignalRow, _when: Date): Promise<void> {
    this.row = signalRow;
  }
}
class SubRecent extends v19.PersistRecentInstance {
  override async readRecentData() {
    const row = await super.readRecentData();
    return row && row.frameName === this.frameName ? row : null;
  }
}
bk.PersistRecentAdapter.usePersistRecentAdapter(v19.PersistRecentInstance);
bk.PersistRecentAdapter.usePersistRecentAdapter(SubRecent);
v19.PersistRecentAdapter.usePersistRecentAdapter(BkRecent);
v19.PersistRecentAdapter.usePersistRecentAdapter(bk.PersistRecentInstance);
bk.PersistRecentAdapter.usePersistRecentAdapter(OurRecent);
const recentUtils: Public<typeof bk.PersistRecentAdapter> = v19.PersistRecentAdapter;

void [looseSignal, noted, crossRows, Base, base, bkSignalCtor, ourSignalCtor];
void [signalUtils, scheduleUtils, strategyUtils, partialUtils, breakevenUtils, riskUtils, candleUtils, storageUtils];
void [notificationUtils, logUtils, measureUtils, intervalUtils, memoryUtils, stateUtils, sessionUtils, recentUtils];
