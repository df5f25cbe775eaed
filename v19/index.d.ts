// Types of `@backtest-kit/persist/v19`: backtest-kit 19.5.0's persistence API, with its names, and
// 20.1.0's seventeenth registry, Dictionary.
// The row and data types are backtest-kit's own when backtest-kit is installed, so Instances,
// adapters and rows pass between this package's registries and backtest-kit's in both directions.

import { PersistBase } from "../index.js";

export { PersistBase };
export type {
  ArgumentErrorCode,
  EntityId,
  IEntity,
  IPersistBase,
  PersistError,
  PersistErrorCode,
  TPersistBaseCtor,
} from "../index.js";
export { isPersistError, PERSIST_ERROR_CODES, usePersistStore } from "../index.js";

/**
 * Sets how many bytes the process-wide candle cache may hold (default 64 MiB, or the
 * environment's `BACKTEST_PERSIST_CANDLE_CACHE_MB`); `0` turns it off. Candles this process read
 * or wrote through the native Candle Instances are then served from memory, oldest evicted
 * first; every write, removal and `removeAll` this process makes is seen at once.
 */
export declare function setCandleCacheLimit(bytes: number): void;
/** The candle cache's limit and the bytes it holds now. */
export declare function candleCacheUsage(): { limit: number; bytes: number };
/** Forgets every cached candle: changes another process made to cached candle files are seen after it. */
export declare function clearCandleCache(): void;

/**
 * A value that may be returned as is or as a Promise: adapters may be sync or async. backtest-kit's
 * own `IPersistXInstance` types ask for Promises, so an adapter meant for its registries as well
 * as these has async methods.
 */
type MaybePromise<T> = T | Promise<T>;

// ---- row and data types --------------------------------------------------------------------
// Taken from backtest-kit (a type-only import: nothing is loaded at run time). backtest-kit is an
// optional peer: without it, or with a version whose types lack one of these names, the import
// gives `any`, the `@ts-ignore` keeps that from being an error, and `OrElse` puts the structural
// type written after each name in its place. Keep the import on one line: `@ts-ignore` covers
// only the line under it.
// @ts-ignore -- backtest-kit is an optional peer dependency (see above)
import type { CandleInterval as BkCandleInterval, ExchangeName as BkExchangeName, FrameName as BkFrameName, RiskName as BkRiskName, StrategyName as BkStrategyName, ISignalRow as BkISignalRow, IScheduledSignalRow as BkIScheduledSignalRow, IPublicSignalRow as BkIPublicSignalRow, IStorageSignalRow as BkIStorageSignalRow, IRiskActivePosition as BkIRiskActivePosition, ILogEntry as BkILogEntry, NotificationModel as BkNotificationModel, ICandleData as BkICandleData, SignalData as BkSignalData, ScheduleData as BkScheduleData, RecentData as BkRecentData, StrategyData as BkStrategyData, PartialData as BkPartialData, BreakevenData as BkBreakevenData, RiskData as BkRiskData, CandleData as BkCandleData, StorageData as BkStorageData, NotificationData as BkNotificationData, LogData as BkLogData, MeasureData as BkMeasureData, IntervalData as BkIntervalData, MemoryData as BkMemoryData, StateData as BkStateData, DictionaryData as BkDictionaryData, SessionData as BkSessionData } from "backtest-kit";

/**
 * `true` when `T` is `any`, as an import that did not resolve is: only then does `T extends never`
 * take both branches. (`0 extends 1 & T` does not see an unresolved import: it stays `any`.)
 */
type IsAny<T> = boolean extends (T extends never ? true : false) ? true : false;
/** `T` (backtest-kit's type) unless it is `any` (backtest-kit absent): then `Fallback`. */
type OrElse<T, Fallback> = IsAny<T> extends true ? Fallback : T;

// The structural fallbacks: the fields the persistence layer itself reads; the rest pass through
// as JSON.
/** A signal row; `minuteEstimatedTime` reads back as `Infinity` when stored as `null`. */
interface SignalRowShape {
  id: string;
  minuteEstimatedTime?: number | null;
  multiplier?: number;
  isolated?: boolean;
  [field: string]: unknown;
}
interface StrategyDataShape {
  closedSignal?: SignalRowShape | null;
  cancelledSignal?: SignalRowShape | null;
  activatedSignal?: SignalRowShape | null;
  takeProfitSignal?: SignalRowShape | null;
  stopLossSignal?: SignalRowShape | null;
  retryOpenSignal?: SignalRowShape | null;
  [field: string]: unknown;
}
interface RiskActivePositionShape {
  minuteEstimatedTime?: number | null;
  [field: string]: unknown;
}
interface CandleShape {
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}
interface RecordShape {
  id: string;
  [field: string]: unknown;
}

export type StrategyName = OrElse<BkStrategyName, string>;
export type ExchangeName = OrElse<BkExchangeName, string>;
export type FrameName = OrElse<BkFrameName, string>;
export type RiskName = OrElse<BkRiskName, string>;
export type CandleInterval = OrElse<BkCandleInterval, "1m" | "3m" | "5m" | "15m" | "30m" | "1h" | "2h" | "4h" | "6h" | "8h" | "1d">;

/** An open signal (Signal registry); `minuteEstimatedTime` reads back as `Infinity` when stored as `null`. */
export type ISignalRow = OrElse<BkISignalRow, SignalRowShape>;
/** A scheduled signal (Schedule registry). */
export type IScheduledSignalRow = OrElse<BkIScheduledSignalRow, SignalRowShape>;
/** The latest signal (Recent registry). */
export type IPublicSignalRow = OrElse<BkIPublicSignalRow, SignalRowShape>;
/** A signal of the Storage registry (opened, scheduled, closed or cancelled). */
export type IStorageSignalRow = OrElse<BkIStorageSignalRow, SignalRowShape>;
/** A position of the Risk registry; `minuteEstimatedTime` reads back as `Infinity` when stored as `null`. */
export type IRiskActivePosition = OrElse<BkIRiskActivePosition, RiskActivePositionShape>;
/** An entry of the Log registry. */
export type ILogEntry = OrElse<BkILogEntry, RecordShape>;
/** A notification of the Notification registry. */
export type NotificationModel = OrElse<BkNotificationModel, RecordShape>;
/** A candle of the Candle registry. */
export type ICandleData = OrElse<BkICandleData, CandleShape>;

export type SignalData = OrElse<BkSignalData, ISignalRow | null>;
export type ScheduleData = OrElse<BkScheduleData, IScheduledSignalRow | null>;
export type RecentData = OrElse<BkRecentData, IPublicSignalRow | null>;
export type StrategyData = OrElse<BkStrategyData, StrategyDataShape>;
export type PartialData = OrElse<BkPartialData, Record<string, { profitLevels: number[]; lossLevels: number[] }>>;
export type BreakevenData = OrElse<BkBreakevenData, Record<string, { reached: boolean }>>;
export type RiskData = OrElse<BkRiskData, Array<[string, IRiskActivePosition]>>;
export type CandleData = OrElse<BkCandleData, ICandleData>;
export type StorageData = OrElse<BkStorageData, IStorageSignalRow[]>;
export type NotificationData = OrElse<BkNotificationData, NotificationModel[]>;
export type LogData = OrElse<BkLogData, ILogEntry[]>;
export type MeasureData = OrElse<BkMeasureData, { id: string; data: unknown; removed: boolean }>;
export type IntervalData = OrElse<BkIntervalData, { id: string; data: unknown; when: Date | string; removed: boolean }>;
export type MemoryData = OrElse<BkMemoryData, { priority: number; data: object; removed: boolean; index: string; when: number }>;
export type StateData = OrElse<BkStateData, { id: string; data: object; when: number }>;
/** A whole dictionary of backtest-kit 20.1.0 (each entry with its own `when`); 19.5.0 has no such type. */
export type DictionaryData = OrElse<BkDictionaryData, { id: string; data: Record<string, { value: unknown; when: number }>; when: number }>;
export type SessionData = OrElse<BkSessionData, { id: string; data: object | null; when: number }>;

/** `usePersistXAdapter(Ctor, options)`: `timeoutMs` fails any adapter call pending that long. */
export interface IPersistAdapterOptions {
  timeoutMs?: number;
}

/** The names of the seventeen registries (Dictionary: backtest-kit 20.1.0), for `usePersistNative(bk, { registries })`. */
export type PersistRegistryName =
  | "Signal"
  | "Schedule"
  | "Strategy"
  | "Partial"
  | "Breakeven"
  | "Risk"
  | "Candle"
  | "Storage"
  | "Notification"
  | "Log"
  | "Measure"
  | "Interval"
  | "Memory"
  | "State"
  | "Dictionary"
  | "Session"
  | "Recent";

/**
 * Registers this package's native Instances on the registries of a backtest-kit module
 * (`import * as bk from "backtest-kit"`): all it has (19.5.0's sixteen, 20.1.0's seventeen with
 * Dictionary), or those named in `options.registries` (naming Dictionary on 19.5.0 throws).
 * The Instances read the module's config (`getConfig()`) on every read, log through its logger
 * service and report corrupt cached candles on its error emitter. From then on backtest-kit's
 * registries are the one truth: this package's `PersistXAdapter` singletons forward every call
 * to them (an adapter registered on either is the one backtest-kit reads). Throws a `TypeError`
 * with `code` `INVALID_CONFIG` when the module's config lacks the keys the Instances read, and
 * `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` for options that are not an object, an
 * unknown option or registry, an empty `registries`, or a registry the module lacks (Dictionary
 * before backtest-kit 20.1.0) named in `registries` or `stores`.
 */
export declare function usePersistNative(
  bk: object,
  options?: {
    registries?: PersistRegistryName[];
    /** A store per registry, e.g. `{ Candle: "sqlite:./dump/candles.db" }` (`null`: files). */
    stores?: Partial<Record<PersistRegistryName, string | null>>;
  } | null,
): void;

/** What `usePersistSignalAdapter` takes an instance of; methods may return plain values. */
export interface IPersistSignalInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readSignalData(): MaybePromise<ISignalRow | null>;
  writeSignalData(signalRow: ISignalRow | null): MaybePromise<void>;
}
export type TPersistSignalInstanceCtor = new (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => IPersistSignalInstance;
/** The default Signal Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistSignalInstance implements IPersistSignalInstance {
  readonly symbol: string;
  readonly strategyName: StrategyName;
  readonly exchangeName: ExchangeName;
  constructor(symbol: string, strategyName: StrategyName, exchangeName: ExchangeName);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readSignalData(): Promise<ISignalRow | null>;
  writeSignalData(signalRow: ISignalRow | null): Promise<void>;
}
/** The Signal registry (its singleton is `PersistSignalAdapter`). */
export declare class PersistSignalUtils {
  readonly readSignalData: (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => Promise<ISignalRow | null>;
  readonly writeSignalData: (signalRow: ISignalRow | null, symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => Promise<void>;
  usePersistSignalAdapter(Ctor: TPersistSignalInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistSignalAdapter: PersistSignalUtils;

/** What `usePersistScheduleAdapter` takes an instance of; methods may return plain values. */
export interface IPersistScheduleInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readScheduleData(): MaybePromise<IScheduledSignalRow | null>;
  writeScheduleData(scheduledSignalRow: IScheduledSignalRow | null): MaybePromise<void>;
}
export type TPersistScheduleInstanceCtor = new (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => IPersistScheduleInstance;
/** The default Schedule Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistScheduleInstance implements IPersistScheduleInstance {
  readonly symbol: string;
  readonly strategyName: StrategyName;
  readonly exchangeName: ExchangeName;
  constructor(symbol: string, strategyName: StrategyName, exchangeName: ExchangeName);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readScheduleData(): Promise<IScheduledSignalRow | null>;
  writeScheduleData(scheduledSignalRow: IScheduledSignalRow | null): Promise<void>;
}
/** The Schedule registry (its singleton is `PersistScheduleAdapter`). */
export declare class PersistScheduleUtils {
  readonly readScheduleData: (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => Promise<IScheduledSignalRow | null>;
  readonly writeScheduleData: (scheduledSignalRow: IScheduledSignalRow | null, symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => Promise<void>;
  usePersistScheduleAdapter(Ctor: TPersistScheduleInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistScheduleAdapter: PersistScheduleUtils;

/** What `usePersistStrategyAdapter` takes an instance of; methods may return plain values. */
export interface IPersistStrategyInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readStrategyData(): MaybePromise<StrategyData | null>;
  writeStrategyData(strategyRow: StrategyData | null): MaybePromise<void>;
}
export type TPersistStrategyInstanceCtor = new (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => IPersistStrategyInstance;
/** The default Strategy Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistStrategyInstance implements IPersistStrategyInstance {
  static readonly STORAGE_KEY: "strategy";
  readonly symbol: string;
  readonly strategyName: StrategyName;
  readonly exchangeName: ExchangeName;
  constructor(symbol: string, strategyName: StrategyName, exchangeName: ExchangeName);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readStrategyData(): Promise<StrategyData | null>;
  writeStrategyData(strategyRow: StrategyData | null): Promise<void>;
}
/** The Strategy registry (its singleton is `PersistStrategyAdapter`). */
export declare class PersistStrategyUtils {
  readonly readStrategyData: (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => Promise<StrategyData | null>;
  readonly writeStrategyData: (strategyRow: StrategyData | null, symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => Promise<void>;
  usePersistStrategyAdapter(Ctor: TPersistStrategyInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistStrategyAdapter: PersistStrategyUtils;

/** What `usePersistPartialAdapter` takes an instance of; methods may return plain values. */
export interface IPersistPartialInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readPartialData(signalId: string, when: Date): MaybePromise<PartialData>;
  writePartialData(partialData: PartialData, signalId: string, when: Date): MaybePromise<void>;
}
export type TPersistPartialInstanceCtor = new (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => IPersistPartialInstance;
/** The default Partial Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistPartialInstance implements IPersistPartialInstance {
  readonly symbol: string;
  readonly strategyName: StrategyName;
  readonly exchangeName: ExchangeName;
  constructor(symbol: string, strategyName: StrategyName, exchangeName: ExchangeName);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readPartialData(signalId: string, when: Date): Promise<PartialData>;
  writePartialData(partialData: PartialData, signalId: string, when: Date): Promise<void>;
}
/** The Partial registry (its singleton is `PersistPartialAdapter`). */
export declare class PersistPartialUtils {
  readonly readPartialData: (symbol: string, strategyName: StrategyName, signalId: string, exchangeName: ExchangeName, when: Date) => Promise<PartialData>;
  readonly writePartialData: (partialData: PartialData, symbol: string, strategyName: StrategyName, signalId: string, exchangeName: ExchangeName, when: Date) => Promise<void>;
  usePersistPartialAdapter(Ctor: TPersistPartialInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistPartialAdapter: PersistPartialUtils;

/** What `usePersistBreakevenAdapter` takes an instance of; methods may return plain values. */
export interface IPersistBreakevenInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readBreakevenData(signalId: string, when: Date): MaybePromise<BreakevenData>;
  writeBreakevenData(breakevenData: BreakevenData, signalId: string, when: Date): MaybePromise<void>;
}
export type TPersistBreakevenInstanceCtor = new (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName) => IPersistBreakevenInstance;
/** The default Breakeven Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistBreakevenInstance implements IPersistBreakevenInstance {
  readonly symbol: string;
  readonly strategyName: StrategyName;
  readonly exchangeName: ExchangeName;
  constructor(symbol: string, strategyName: StrategyName, exchangeName: ExchangeName);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readBreakevenData(signalId: string, when: Date): Promise<BreakevenData>;
  writeBreakevenData(breakevenData: BreakevenData, signalId: string, when: Date): Promise<void>;
}
/** The Breakeven registry (its singleton is `PersistBreakevenAdapter`). */
export declare class PersistBreakevenUtils {
  readonly readBreakevenData: (symbol: string, strategyName: StrategyName, signalId: string, exchangeName: ExchangeName, when: Date) => Promise<BreakevenData>;
  readonly writeBreakevenData: (breakevenData: BreakevenData, symbol: string, strategyName: StrategyName, signalId: string, exchangeName: ExchangeName, when: Date) => Promise<void>;
  usePersistBreakevenAdapter(Ctor: TPersistBreakevenInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistBreakevenAdapter: PersistBreakevenUtils;

/** What `usePersistRiskAdapter` takes an instance of; methods may return plain values. */
export interface IPersistRiskInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readPositionData(when: Date): MaybePromise<RiskData>;
  writePositionData(riskRow: RiskData, when: Date): MaybePromise<void>;
}
export type TPersistRiskInstanceCtor = new (riskName: RiskName, exchangeName: ExchangeName) => IPersistRiskInstance;
/** The default Risk Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistRiskInstance implements IPersistRiskInstance {
  static readonly STORAGE_KEY: "positions";
  readonly riskName: RiskName;
  readonly exchangeName: ExchangeName;
  constructor(riskName: RiskName, exchangeName: ExchangeName);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readPositionData(when: Date): Promise<RiskData>;
  writePositionData(riskRow: RiskData, when: Date): Promise<void>;
}
/** The Risk registry (its singleton is `PersistRiskAdapter`). */
export declare class PersistRiskUtils {
  readonly readPositionData: (riskName: RiskName, exchangeName: ExchangeName, when: Date) => Promise<RiskData>;
  readonly writePositionData: (riskRow: RiskData, riskName: RiskName, exchangeName: ExchangeName, when: Date) => Promise<void>;
  usePersistRiskAdapter(Ctor: TPersistRiskInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistRiskAdapter: PersistRiskUtils;

/** What `usePersistCandleAdapter` takes an instance of; methods may return plain values. */
export interface IPersistCandleInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readCandlesData(limit: number, sinceTimestamp: number, untilTimestamp: number): MaybePromise<CandleData[] | null>;
  writeCandlesData(candles: CandleData[]): MaybePromise<void>;
}
export type TPersistCandleInstanceCtor = new (symbol: string, interval: CandleInterval, exchangeName: ExchangeName) => IPersistCandleInstance;
/** The default Candle Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistCandleInstance implements IPersistCandleInstance {
  readonly symbol: string;
  readonly interval: CandleInterval;
  readonly exchangeName: ExchangeName;
  constructor(symbol: string, interval: CandleInterval, exchangeName: ExchangeName);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readCandlesData(limit: number, sinceTimestamp: number, untilTimestamp: number): Promise<CandleData[] | null>;
  writeCandlesData(candles: CandleData[]): Promise<void>;
}
/** The Candle registry (its singleton is `PersistCandleAdapter`). */
export declare class PersistCandleUtils {
  readonly readCandlesData: (symbol: string, interval: CandleInterval, exchangeName: ExchangeName, limit: number, sinceTimestamp: number, untilTimestamp: number) => Promise<CandleData[] | null>;
  readonly writeCandlesData: (candles: CandleData[], symbol: string, interval: CandleInterval, exchangeName: ExchangeName) => Promise<void>;
  usePersistCandleAdapter(Ctor: TPersistCandleInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistCandleAdapter: PersistCandleUtils;

/** What `usePersistStorageAdapter` takes an instance of; methods may return plain values. */
export interface IPersistStorageInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readStorageData(): MaybePromise<StorageData>;
  writeStorageData(signals: StorageData): MaybePromise<void>;
}
export type TPersistStorageInstanceCtor = new (backtest: boolean) => IPersistStorageInstance;
/** The default Storage Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistStorageInstance implements IPersistStorageInstance {
  readonly backtest: boolean;
  constructor(backtest: boolean);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readStorageData(): Promise<StorageData>;
  writeStorageData(signals: StorageData): Promise<void>;
}
/** The Storage registry (its singleton is `PersistStorageAdapter`). */
export declare class PersistStorageUtils {
  readonly readStorageData: (backtest: boolean) => Promise<StorageData>;
  readonly writeStorageData: (signalData: StorageData, backtest: boolean) => Promise<void>;
  usePersistStorageAdapter(Ctor: TPersistStorageInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistStorageAdapter: PersistStorageUtils;

/** What `usePersistNotificationAdapter` takes an instance of; methods may return plain values. */
export interface IPersistNotificationInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readNotificationData(): MaybePromise<NotificationData>;
  writeNotificationData(notifications: NotificationData): MaybePromise<void>;
}
export type TPersistNotificationInstanceCtor = new (backtest: boolean) => IPersistNotificationInstance;
/** The default Notification Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistNotificationInstance implements IPersistNotificationInstance {
  readonly backtest: boolean;
  constructor(backtest: boolean);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readNotificationData(): Promise<NotificationData>;
  writeNotificationData(notifications: NotificationData): Promise<void>;
}
/** The Notification registry (its singleton is `PersistNotificationAdapter`). */
export declare class PersistNotificationUtils {
  readonly readNotificationData: (backtest: boolean) => Promise<NotificationData>;
  readonly writeNotificationData: (notificationData: NotificationData, backtest: boolean) => Promise<void>;
  usePersistNotificationAdapter(Ctor: TPersistNotificationInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistNotificationAdapter: PersistNotificationUtils;

/** What `usePersistLogAdapter` takes an instance of; methods may return plain values. */
export interface IPersistLogInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readLogData(): MaybePromise<LogData>;
  writeLogData(entries: LogData): MaybePromise<void>;
}
export type TPersistLogInstanceCtor = new () => IPersistLogInstance;
/** The default Log Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistLogInstance implements IPersistLogInstance {
  constructor();
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readLogData(): Promise<LogData>;
  writeLogData(entries: LogData): Promise<void>;
}
/** The Log registry (its singleton is `PersistLogAdapter`). */
export declare class PersistLogUtils {
  getLogInstance(): IPersistLogInstance;
  readonly readLogData: () => Promise<LogData>;
  readonly writeLogData: (logData: LogData) => Promise<void>;
  usePersistLogAdapter(Ctor: TPersistLogInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistLogAdapter: PersistLogUtils;

/** What `usePersistMeasureAdapter` takes an instance of; methods may return plain values. */
export interface IPersistMeasureInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readMeasureData(key: string): MaybePromise<MeasureData | null>;
  writeMeasureData(data: MeasureData, key: string, when: Date): MaybePromise<void>;
  removeMeasureData(key: string): MaybePromise<void>;
  listMeasureData(): AsyncGenerator<string>;
}
export type TPersistMeasureInstanceCtor = new (bucket: string) => IPersistMeasureInstance;
/** The default Measure Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistMeasureInstance implements IPersistMeasureInstance {
  readonly bucket: string;
  constructor(bucket: string);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readMeasureData(key: string): Promise<MeasureData | null>;
  writeMeasureData(data: MeasureData, key: string, when: Date): Promise<void>;
  removeMeasureData(key: string): Promise<void>;
  listMeasureData(): AsyncGenerator<string>;
}
/** The Measure registry (its singleton is `PersistMeasureAdapter`). */
export declare class PersistMeasureUtils {
  readonly readMeasureData: (bucket: string, key: string) => Promise<MeasureData | null>;
  readonly writeMeasureData: (data: MeasureData, bucket: string, key: string, when: Date) => Promise<void>;
  readonly removeMeasureData: (bucket: string, key: string) => Promise<void>;
  listMeasureData(bucket: string): AsyncGenerator<string>;
  usePersistMeasureAdapter(Ctor: TPersistMeasureInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistMeasureAdapter: PersistMeasureUtils;

/** What `usePersistIntervalAdapter` takes an instance of; methods may return plain values. */
export interface IPersistIntervalInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readIntervalData(key: string): MaybePromise<IntervalData | null>;
  writeIntervalData(data: IntervalData, key: string, when: Date): MaybePromise<void>;
  removeIntervalData(key: string): MaybePromise<void>;
  listIntervalData(): AsyncGenerator<string>;
}
export type TPersistIntervalInstanceCtor = new (bucket: string) => IPersistIntervalInstance;
/** The default Interval Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistIntervalInstance implements IPersistIntervalInstance {
  readonly bucket: string;
  constructor(bucket: string);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readIntervalData(key: string): Promise<IntervalData | null>;
  writeIntervalData(data: IntervalData, key: string, when: Date): Promise<void>;
  removeIntervalData(key: string): Promise<void>;
  listIntervalData(): AsyncGenerator<string>;
}
/** The Interval registry (its singleton is `PersistIntervalAdapter`). */
export declare class PersistIntervalUtils {
  readonly readIntervalData: (bucket: string, key: string) => Promise<IntervalData | null>;
  readonly writeIntervalData: (data: IntervalData, bucket: string, key: string, when: Date) => Promise<void>;
  readonly removeIntervalData: (bucket: string, key: string) => Promise<void>;
  listIntervalData(bucket: string): AsyncGenerator<string>;
  usePersistIntervalAdapter(Ctor: TPersistIntervalInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistIntervalAdapter: PersistIntervalUtils;

/** What `usePersistMemoryAdapter` takes an instance of; methods may return plain values. */
export interface IPersistMemoryInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readMemoryData(memoryId: string): MaybePromise<MemoryData | null>;
  hasMemoryData(memoryId: string): MaybePromise<boolean>;
  writeMemoryData(data: MemoryData, memoryId: string, when: Date): MaybePromise<void>;
  removeMemoryData(memoryId: string): MaybePromise<void>;
  listMemoryData(): AsyncGenerator<{ memoryId: string; data: MemoryData }>;
  dispose(): void;
}
export type TPersistMemoryInstanceCtor = new (signalId: string, bucketName: string) => IPersistMemoryInstance;
/** The default Memory Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistMemoryInstance implements IPersistMemoryInstance {
  readonly signalId: string;
  readonly bucketName: string;
  constructor(signalId: string, bucketName: string);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readMemoryData(memoryId: string): Promise<MemoryData | null>;
  hasMemoryData(memoryId: string): Promise<boolean>;
  writeMemoryData(data: MemoryData, memoryId: string, when: Date): Promise<void>;
  removeMemoryData(memoryId: string): Promise<void>;
  listMemoryData(): AsyncGenerator<{ memoryId: string; data: MemoryData }>;
  dispose(): void;
}
/** The Memory registry (its singleton is `PersistMemoryAdapter`). */
export declare class PersistMemoryUtils {
  readonly waitForInit: (signalId: string, bucketName: string, initial: boolean) => Promise<void>;
  readonly readMemoryData: (signalId: string, bucketName: string, memoryId: string) => Promise<MemoryData | null>;
  readonly hasMemoryData: (signalId: string, bucketName: string, memoryId: string) => Promise<boolean>;
  readonly writeMemoryData: (data: MemoryData, signalId: string, bucketName: string, memoryId: string, when: Date) => Promise<void>;
  readonly removeMemoryData: (signalId: string, bucketName: string, memoryId: string) => Promise<void>;
  listMemoryData(signalId: string, bucketName: string): AsyncGenerator<{ memoryId: string; data: MemoryData }>;
  readonly dispose: (signalId: string, bucketName: string) => void;
  usePersistMemoryAdapter(Ctor: TPersistMemoryInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistMemoryAdapter: PersistMemoryUtils;

/** What `usePersistStateAdapter` takes an instance of; methods may return plain values. */
export interface IPersistStateInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readStateData(): MaybePromise<StateData | null>;
  writeStateData(data: StateData, when: Date): MaybePromise<void>;
  dispose(): void;
}
export type TPersistStateInstanceCtor = new (signalId: string, bucketName: string) => IPersistStateInstance;
/** The default State Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistStateInstance implements IPersistStateInstance {
  readonly signalId: string;
  readonly bucketName: string;
  constructor(signalId: string, bucketName: string);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readStateData(): Promise<StateData | null>;
  writeStateData(data: StateData, when: Date): Promise<void>;
  dispose(): void;
}
/** The State registry (its singleton is `PersistStateAdapter`). */
export declare class PersistStateUtils {
  readonly waitForInit: (signalId: string, bucketName: string, initial: boolean) => Promise<void>;
  readonly readStateData: (signalId: string, bucketName: string) => Promise<StateData | null>;
  readonly writeStateData: (data: StateData, signalId: string, bucketName: string, when: Date) => Promise<void>;
  readonly dispose: (signalId: string, bucketName: string) => void;
  usePersistStateAdapter(Ctor: TPersistStateInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistStateAdapter: PersistStateUtils;

/**
 * What `usePersistDictionaryAdapter` takes an instance of (backtest-kit 20.1.0); methods may
 * return plain values.
 */
export interface IPersistDictionaryInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readDictionaryData(): MaybePromise<DictionaryData | null>;
  writeDictionaryData(data: DictionaryData, when: Date): MaybePromise<void>;
  dispose(): void;
}
export type TPersistDictionaryInstanceCtor = new (signalId: string, dictionaryName: string) => IPersistDictionaryInstance;
/** The default Dictionary Instance: 20.1.0's file, `./dump/dictionary/<signalId>/<dictionaryName>.json`, the work native. */
export declare class PersistDictionaryInstance implements IPersistDictionaryInstance {
  readonly signalId: string;
  readonly dictionaryName: string;
  constructor(signalId: string, dictionaryName: string);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readDictionaryData(): Promise<DictionaryData | null>;
  writeDictionaryData(data: DictionaryData, when: Date): Promise<void>;
  dispose(): void;
}
/** The Dictionary registry of backtest-kit 20.1.0 (its singleton is `PersistDictionaryAdapter`). */
export declare class PersistDictionaryUtils {
  readonly waitForInit: (signalId: string, dictionaryName: string, initial: boolean) => Promise<void>;
  readonly readDictionaryData: (signalId: string, dictionaryName: string) => Promise<DictionaryData | null>;
  readonly writeDictionaryData: (data: DictionaryData, signalId: string, dictionaryName: string, when: Date) => Promise<void>;
  readonly dispose: (signalId: string, dictionaryName: string) => void;
  usePersistDictionaryAdapter(Ctor: TPersistDictionaryInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistDictionaryAdapter: PersistDictionaryUtils;

/** What `usePersistSessionAdapter` takes an instance of; methods may return plain values. */
export interface IPersistSessionInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readSessionData(): MaybePromise<SessionData | null>;
  writeSessionData(data: SessionData, when: Date): MaybePromise<void>;
  dispose(): void;
}
export type TPersistSessionInstanceCtor = new (strategyName: string, exchangeName: string, frameName: string, symbol: string, backtest: boolean) => IPersistSessionInstance;
/** The default Session Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistSessionInstance implements IPersistSessionInstance {
  readonly strategyName: string;
  readonly exchangeName: string;
  readonly frameName: string;
  readonly symbol: string;
  readonly backtest: boolean;
  constructor(strategyName: string, exchangeName: string, frameName: string, symbol: string, backtest: boolean);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readSessionData(): Promise<SessionData | null>;
  writeSessionData(data: SessionData, when: Date): Promise<void>;
  dispose(): void;
}
/** The Session registry (its singleton is `PersistSessionAdapter`). */
export declare class PersistSessionUtils {
  static GET_KEY_FN: (strategyName: string, exchangeName: string, frameName: string, symbol: string, backtest: boolean) => string;
  readonly waitForInit: (strategyName: string, exchangeName: string, frameName: string, initial: boolean, symbol: string, backtest: boolean) => Promise<void>;
  readonly readSessionData: (strategyName: string, exchangeName: string, frameName: string, symbol: string, backtest: boolean) => Promise<SessionData | null>;
  readonly writeSessionData: (data: SessionData, strategyName: string, exchangeName: string, frameName: string, when: Date, symbol: string, backtest: boolean) => Promise<void>;
  readonly dispose: (strategyName: string, exchangeName: string, frameName: string, symbol: string, backtest: boolean) => void;
  usePersistSessionAdapter(Ctor: TPersistSessionInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistSessionAdapter: PersistSessionUtils;

/** What `usePersistRecentAdapter` takes an instance of; methods may return plain values. */
export interface IPersistRecentInstance {
  waitForInit(initial: boolean): MaybePromise<void>;
  readRecentData(): MaybePromise<IPublicSignalRow | null>;
  writeRecentData(signalRow: IPublicSignalRow, when: Date): MaybePromise<void>;
}
export type TPersistRecentInstanceCtor = new (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName, frameName: FrameName, backtest: boolean) => IPersistRecentInstance;
/** The default Recent Instance: the files of backtest-kit 19.5.0, the work native. */
export declare class PersistRecentInstance implements IPersistRecentInstance {
  readonly symbol: string;
  readonly strategyName: StrategyName;
  readonly exchangeName: ExchangeName;
  readonly frameName: FrameName;
  readonly backtest: boolean;
  constructor(symbol: string, strategyName: StrategyName, exchangeName: ExchangeName, frameName: FrameName, backtest: boolean);
  readonly _storage: PersistBase;
  waitForInit(initial: boolean): Promise<void>;
  readRecentData(): Promise<IPublicSignalRow | null>;
  writeRecentData(signalRow: IPublicSignalRow, when: Date): Promise<void>;
}
/** The Recent registry (its singleton is `PersistRecentAdapter`). */
export declare class PersistRecentUtils {
  createKey(symbol: string, strategyName: StrategyName, exchangeName: ExchangeName, frameName: FrameName, backtest: boolean): string;
  readonly readRecentData: (symbol: string, strategyName: StrategyName, exchangeName: ExchangeName, frameName: FrameName, backtest: boolean) => Promise<IPublicSignalRow | null>;
  readonly writeRecentData: (signalRow: IPublicSignalRow, symbol: string, strategyName: StrategyName, exchangeName: ExchangeName, frameName: FrameName, backtest: boolean, when: Date) => Promise<void>;
  usePersistRecentAdapter(Ctor: TPersistRecentInstanceCtor, options?: IPersistAdapterOptions): void;
  clear(): void;
  useJson(): void;
  useDummy(): void;
}
export declare const PersistRecentAdapter: PersistRecentUtils;
