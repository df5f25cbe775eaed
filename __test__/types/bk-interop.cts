// Type test, CommonJS (`.cts`; nodenext here, bundler in tsconfig.bundler.json): backtest-kit
// 19.5.0 and `/v19` both through `require`. For each of the sixteen registries: this package's
// Instance and a subclass on backtest-kit's registry, backtest-kit's Instance and a subclass on
// this package's, the constructor types both ways, the data types both ways, and this package's
// singleton where backtest-kit's is expected. Custom adapters written against either side's
// interface: Signal, Storage and Log here (all sixteen in bk-interop.mts).
import bk = require("backtest-kit");
import v19 = require("@backtest-kit/persist/v19");

/** Compiles only when `A` and `B` are assignable to each other. */
function mutual<A, B>(_: [A] extends [B] ? ([B] extends [A] ? true : false) : false): void {}
/** Compiles only when `T` is not `any` (a type that failed to resolve would be). */
function known<T>(_: boolean extends (T extends never ? true : false) ? false : true): void {}
type Public<T> = { [K in keyof T]: T[K] };

known<bk.ISignalRow>(true);
known<v19.ISignalRow>(true);
v19.usePersistNative(bk);

// ---- Signal -----------------------------------------------------------------------------------
mutual<v19.ISignalRow, bk.ISignalRow>(true);
mutual<v19.SignalData, bk.SignalData>(true);
bk.PersistSignalAdapter.usePersistSignalAdapter(v19.PersistSignalInstance);
bk.PersistSignalAdapter.usePersistSignalAdapter(class extends v19.PersistSignalInstance {});
v19.PersistSignalAdapter.usePersistSignalAdapter(bk.PersistSignalInstance);
v19.PersistSignalAdapter.usePersistSignalAdapter(class extends bk.PersistSignalInstance {});
const signalCtors: [bk.TPersistSignalInstanceCtor, v19.TPersistSignalInstanceCtor] = [v19.PersistSignalInstance, bk.PersistSignalInstance];
const signalUtils: Public<typeof bk.PersistSignalAdapter> = v19.PersistSignalAdapter;

class BkSignal implements bk.IPersistSignalInstance {
  private row: bk.ISignalRow | null = null;
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
  async waitForInit(_initial: boolean): Promise<void> {}
  async readSignalData(): Promise<v19.ISignalRow | null> {
    return this.row;
  }
  async writeSignalData(row: v19.ISignalRow | null): Promise<void> {
    this.row = row;
  }
}
v19.PersistSignalAdapter.usePersistSignalAdapter(BkSignal);
bk.PersistSignalAdapter.usePersistSignalAdapter(OurSignal);

// ---- Schedule ---------------------------------------------------------------------------------
mutual<v19.IScheduledSignalRow, bk.IScheduledSignalRow>(true);
mutual<v19.ScheduleData, bk.ScheduleData>(true);
bk.PersistScheduleAdapter.usePersistScheduleAdapter(v19.PersistScheduleInstance);
bk.PersistScheduleAdapter.usePersistScheduleAdapter(class extends v19.PersistScheduleInstance {});
v19.PersistScheduleAdapter.usePersistScheduleAdapter(bk.PersistScheduleInstance);
v19.PersistScheduleAdapter.usePersistScheduleAdapter(class extends bk.PersistScheduleInstance {});
const scheduleCtors: [bk.TPersistScheduleInstanceCtor, v19.TPersistScheduleInstanceCtor] = [v19.PersistScheduleInstance, bk.PersistScheduleInstance];
const scheduleUtils: Public<typeof bk.PersistScheduleAdapter> = v19.PersistScheduleAdapter;

// ---- Strategy ---------------------------------------------------------------------------------
mutual<v19.StrategyData, bk.StrategyData>(true);
bk.PersistStrategyAdapter.usePersistStrategyAdapter(v19.PersistStrategyInstance);
bk.PersistStrategyAdapter.usePersistStrategyAdapter(class extends v19.PersistStrategyInstance {});
v19.PersistStrategyAdapter.usePersistStrategyAdapter(bk.PersistStrategyInstance);
v19.PersistStrategyAdapter.usePersistStrategyAdapter(class extends bk.PersistStrategyInstance {});
const strategyCtors: [bk.TPersistStrategyInstanceCtor, v19.TPersistStrategyInstanceCtor] = [v19.PersistStrategyInstance, bk.PersistStrategyInstance];
const strategyUtils: Public<typeof bk.PersistStrategyAdapter> = v19.PersistStrategyAdapter;

// ---- Partial ----------------------------------------------------------------------------------
mutual<v19.PartialData, bk.PartialData>(true);
bk.PersistPartialAdapter.usePersistPartialAdapter(v19.PersistPartialInstance);
bk.PersistPartialAdapter.usePersistPartialAdapter(class extends v19.PersistPartialInstance {});
v19.PersistPartialAdapter.usePersistPartialAdapter(bk.PersistPartialInstance);
v19.PersistPartialAdapter.usePersistPartialAdapter(class extends bk.PersistPartialInstance {});
const partialCtors: [bk.TPersistPartialInstanceCtor, v19.TPersistPartialInstanceCtor] = [v19.PersistPartialInstance, bk.PersistPartialInstance];
const partialUtils: Public<typeof bk.PersistPartialAdapter> = v19.PersistPartialAdapter;

// ---- Breakeven --------------------------------------------------------------------------------
mutual<v19.BreakevenData, bk.BreakevenData>(true);
bk.PersistBreakevenAdapter.usePersistBreakevenAdapter(v19.PersistBreakevenInstance);
bk.PersistBreakevenAdapter.usePersistBreakevenAdapter(class extends v19.PersistBreakevenInstance {});
v19.PersistBreakevenAdapter.usePersistBreakevenAdapter(bk.PersistBreakevenInstance);
v19.PersistBreakevenAdapter.usePersistBreakevenAdapter(class extends bk.PersistBreakevenInstance {});
const breakevenCtors: [bk.TPersistBreakevenInstanceCtor, v19.TPersistBreakevenInstanceCtor] = [v19.PersistBreakevenInstance, bk.PersistBreakevenInstance];
const breakevenUtils: Public<typeof bk.PersistBreakevenAdapter> = v19.PersistBreakevenAdapter;

// ---- Risk -------------------------------------------------------------------------------------
mutual<v19.IRiskActivePosition, bk.IRiskActivePosition>(true);
mutual<v19.RiskData, bk.RiskData>(true);
bk.PersistRiskAdapter.usePersistRiskAdapter(v19.PersistRiskInstance);
bk.PersistRiskAdapter.usePersistRiskAdapter(class extends v19.PersistRiskInstance {});
v19.PersistRiskAdapter.usePersistRiskAdapter(bk.PersistRiskInstance);
v19.PersistRiskAdapter.usePersistRiskAdapter(class extends bk.PersistRiskInstance {});
const riskCtors: [bk.TPersistRiskInstanceCtor, v19.TPersistRiskInstanceCtor] = [v19.PersistRiskInstance, bk.PersistRiskInstance];
const riskUtils: Public<typeof bk.PersistRiskAdapter> = v19.PersistRiskAdapter;

// ---- Candle -----------------------------------------------------------------------------------
mutual<v19.CandleData, bk.CandleData>(true);
mutual<v19.CandleInterval, bk.CandleInterval>(true);
bk.PersistCandleAdapter.usePersistCandleAdapter(v19.PersistCandleInstance);
bk.PersistCandleAdapter.usePersistCandleAdapter(class extends v19.PersistCandleInstance {});
v19.PersistCandleAdapter.usePersistCandleAdapter(bk.PersistCandleInstance);
v19.PersistCandleAdapter.usePersistCandleAdapter(class extends bk.PersistCandleInstance {});
const candleCtors: [bk.TPersistCandleInstanceCtor, v19.TPersistCandleInstanceCtor] = [v19.PersistCandleInstance, bk.PersistCandleInstance];
const candleUtils: Public<typeof bk.PersistCandleAdapter> = v19.PersistCandleAdapter;

// ---- Storage ----------------------------------------------------------------------------------
mutual<v19.IStorageSignalRow, bk.IStorageSignalRow>(true);
mutual<v19.StorageData, bk.StorageData>(true);
bk.PersistStorageAdapter.usePersistStorageAdapter(v19.PersistStorageInstance);
bk.PersistStorageAdapter.usePersistStorageAdapter(class extends v19.PersistStorageInstance {});
v19.PersistStorageAdapter.usePersistStorageAdapter(bk.PersistStorageInstance);
v19.PersistStorageAdapter.usePersistStorageAdapter(class extends bk.PersistStorageInstance {});
const storageCtors: [bk.TPersistStorageInstanceCtor, v19.TPersistStorageInstanceCtor] = [v19.PersistStorageInstance, bk.PersistStorageInstance];
const storageUtils: Public<typeof bk.PersistStorageAdapter> = v19.PersistStorageAdapter;

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
v19.PersistStorageAdapter.usePersistStorageAdapter(BkStorage);
bk.PersistStorageAdapter.usePersistStorageAdapter(OurStorage);

// ---- Notification -----------------------------------------------------------------------------
mutual<v19.NotificationModel, bk.NotificationModel>(true);
mutual<v19.NotificationData, bk.NotificationData>(true);
bk.PersistNotificationAdapter.usePersistNotificationAdapter(v19.PersistNotificationInstance);
bk.PersistNotificationAdapter.usePersistNotificationAdapter(class extends v19.PersistNotificationInstance {});
v19.PersistNotificationAdapter.usePersistNotificationAdapter(bk.PersistNotificationInstance);
v19.PersistNotificationAdapter.usePersistNotificationAdapter(class extends bk.PersistNotificationInstance {});
const notificationCtors: [bk.TPersistNotificationInstanceCtor, v19.TPersistNotificationInstanceCtor] = [v19.PersistNotificationInstance, bk.PersistNotificationInstance];
const notificationUtils: Public<typeof bk.PersistNotificationAdapter> = v19.PersistNotificationAdapter;

// ---- Log --------------------------------------------------------------------------------------
mutual<v19.ILogEntry, bk.ILogEntry>(true);
mutual<v19.LogData, bk.LogData>(true);
bk.PersistLogAdapter.usePersistLogAdapter(v19.PersistLogInstance);
bk.PersistLogAdapter.usePersistLogAdapter(class extends v19.PersistLogInstance {});
v19.PersistLogAdapter.usePersistLogAdapter(bk.PersistLogInstance);
v19.PersistLogAdapter.usePersistLogAdapter(class extends bk.PersistLogInstance {});
const logCtors: [bk.TPersistLogInstanceCtor, v19.TPersistLogInstanceCtor] = [v19.PersistLogInstance, bk.PersistLogInstance];
const logUtils: Public<typeof bk.PersistLogAdapter> = v19.PersistLogAdapter;

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
v19.PersistLogAdapter.usePersistLogAdapter(BkLog);
bk.PersistLogAdapter.usePersistLogAdapter(OurLog);

// ---- Measure ----------------------------------------------------------------------------------
mutual<v19.MeasureData, bk.MeasureData>(true);
bk.PersistMeasureAdapter.usePersistMeasureAdapter(v19.PersistMeasureInstance);
bk.PersistMeasureAdapter.usePersistMeasureAdapter(class extends v19.PersistMeasureInstance {});
v19.PersistMeasureAdapter.usePersistMeasureAdapter(bk.PersistMeasureInstance);
v19.PersistMeasureAdapter.usePersistMeasureAdapter(class extends bk.PersistMeasureInstance {});
const measureCtors: [bk.TPersistMeasureInstanceCtor, v19.TPersistMeasureInstanceCtor] = [v19.PersistMeasureInstance, bk.PersistMeasureInstance];
const measureUtils: Public<typeof bk.PersistMeasureAdapter> = v19.PersistMeasureAdapter;

// ---- Interval ---------------------------------------------------------------------------------
mutual<v19.IntervalData, bk.IntervalData>(true);
bk.PersistIntervalAdapter.usePersistIntervalAdapter(v19.PersistIntervalInstance);
bk.PersistIntervalAdapter.usePersistIntervalAdapter(class extends v19.PersistIntervalInstance {});
v19.PersistIntervalAdapter.usePersistIntervalAdapter(bk.PersistIntervalInstance);
v19.PersistIntervalAdapter.usePersistIntervalAdapter(class extends bk.PersistIntervalInstance {});
const intervalCtors: [bk.TPersistIntervalInstanceCtor, v19.TPersistIntervalInstanceCtor] = [v19.PersistIntervalInstance, bk.PersistIntervalInstance];
const intervalUtils: Public<typeof bk.PersistIntervalAdapter> = v19.PersistIntervalAdapter;

// ---- Memory -----------------------------------------------------------------------------------
mutual<v19.MemoryData, bk.MemoryData>(true);
bk.PersistMemoryAdapter.usePersistMemoryAdapter(v19.PersistMemoryInstance);
bk.PersistMemoryAdapter.usePersistMemoryAdapter(class extends v19.PersistMemoryInstance {});
v19.PersistMemoryAdapter.usePersistMemoryAdapter(bk.PersistMemoryInstance);
v19.PersistMemoryAdapter.usePersistMemoryAdapter(class extends bk.PersistMemoryInstance {});
const memoryCtors: [bk.TPersistMemoryInstanceCtor, v19.TPersistMemoryInstanceCtor] = [v19.PersistMemoryInstance, bk.PersistMemoryInstance];
const memoryUtils: Public<typeof bk.PersistMemoryAdapter> = v19.PersistMemoryAdapter;

// ---- State ------------------------------------------------------------------------------------
mutual<v19.StateData, bk.StateData>(true);
bk.PersistStateAdapter.usePersistStateAdapter(v19.PersistStateInstance);
bk.PersistStateAdapter.usePersistStateAdapter(class extends v19.PersistStateInstance {});
v19.PersistStateAdapter.usePersistStateAdapter(bk.PersistStateInstance);
v19.PersistStateAdapter.usePersistStateAdapter(class extends bk.PersistStateInstance {});
const stateCtors: [bk.TPersistStateInstanceCtor, v19.TPersistStateInstanceCtor] = [v19.PersistStateInstance, bk.PersistStateInstance];
const stateUtils: Public<typeof bk.PersistStateAdapter> = v19.PersistStateAdapter;

// ---- Session ----------------------------------------------------------------------------------
mutual<v19.SessionData, bk.SessionData>(true);
bk.PersistSessionAdapter.usePersistSessionAdapter(v19.PersistSessionInstance);
bk.PersistSessionAdapter.usePersistSessionAdapter(class extends v19.PersistSessionInstance {});
v19.PersistSessionAdapter.usePersistSessionAdapter(bk.PersistSessionInstance);
v19.PersistSessionAdapter.usePersistSessionAdapter(class extends bk.PersistSessionInstance {});
const sessionCtors: [bk.TPersistSessionInstanceCtor, v19.TPersistSessionInstanceCtor] = [v19.PersistSessionInstance, bk.PersistSessionInstance];
const sessionUtils: Public<typeof bk.PersistSessionAdapter> = v19.PersistSessionAdapter;

// ---- Recent -----------------------------------------------------------------------------------
mutual<v19.IPublicSignalRow, bk.IPublicSignalRow>(true);
mutual<v19.RecentData, bk.RecentData>(true);
bk.PersistRecentAdapter.usePersistRecentAdapter(v19.PersistRecentInstance);
bk.PersistRecentAdapter.usePersistRecentAdapter(class extends v19.PersistRecentInstance {});
v19.PersistRecentAdapter.usePersistRecentAdapter(bk.PersistRecentInstance);
v19.PersistRecentAdapter.usePersistRecentAdapter(class extends bk.PersistRecentInstance {});
const recentCtors: [bk.TPersistRecentInstanceCtor, v19.TPersistRecentInstanceCtor] = [v19.PersistRecentInstance, bk.PersistRecentInstance];
const recentUtils: Public<typeof bk.PersistRecentAdapter> = v19.PersistRecentAdapter;

void [
  [signalCtors, scheduleCtors, strategyCtors, partialCtors, breakevenCtors, riskCtors, candleCtors, storageCtors],
  [notificationCtors, logCtors, measureCtors, intervalCtors, memoryCtors, stateCtors, sessionCtors, recentCtors],
  [signalUtils, scheduleUtils, strategyUtils, partialUtils, breakevenUtils, riskUtils, candleUtils, storageUtils],
  [notificationUtils, logUtils, measureUtils, intervalUtils, memoryUtils, stateUtils, sessionUtils, recentUtils],
];
