/* Types shared by the generated declarations below, as backtest-kit's own types.d.ts names them. */

/** Entity identifier: `7` and `"7"` name the same entity. */
export type EntityId = string | number;

/** Base interface for persisted entities. */
export interface IEntity {}

/**
 * What a persistence backend must provide to be registered as an adapter. The registries call
 * only these four methods, and await what each returns: a plain value or a Promise of it.
 * `keys` is used where present.
 */
export interface IPersistBase<Entity extends IEntity | null = IEntity> {
  /** Prepares the backend once; `initial` is true on the registry's first use of this store. */
  waitForInit(initial: boolean): void | Promise<void>;
  /** Reads an entity; rejects (or throws) when it does not exist. */
  readValue(entityId: EntityId): Entity | Promise<Entity>;
  /** Whether an entity exists. */
  hasValue(entityId: EntityId): boolean | Promise<boolean>;
  /** Writes an entity (upsert). */
  writeValue(entityId: EntityId, entity: Entity): void | Promise<void>;
  /** Entity ids, sorted. */
  keys?(): AsyncIterable<EntityId> | Iterable<EntityId>;
}

/** A constructor the registries can call as `new Ctor(entityName, baseDir)`. */
export type TPersistBaseCtor<EntityName extends string = string, Entity extends IEntity | null = IEntity> = new (
  entityName: EntityName,
  baseDir: string,
) => IPersistBase<Entity>;

/** Options of `usePersist*Adapter(Ctor, options)`. */
export interface IPersistAdapterOptions {
  /**
   * Fails any call to a JS adapter's method still pending after this many milliseconds, with
   * `<Registry>: <Adapter>.<method> did not settle within <n> ms`; its late outcome is ignored.
   * Ignored for this package's own `PersistBase`, which makes no JS calls.
   */
  timeoutMs?: number;
}

/** The `code` of every error this package creates itself (`isPersistError` narrows to it). */
export type PersistErrorCode =
  | "ENTITY_NOT_FOUND"
  | "INVALID_ENTITY_ID"
  | "INVALID_ENTITY_NAME"
  | "INVALID_ENTITY"
  | "INIT_FAILED"
  | "READ_FAILED"
  | "HAS_FAILED"
  | "WRITE_FAILED"
  | "REMOVE_FAILED"
  | "REMOVE_ALL_FAILED"
  | "KEYS_FAILED"
  | "VALUES_FAILED"
  | "COUNT_FAILED"
  | "ADAPTER_METHOD_MISSING"
  | "ADAPTER_FAILED"
  | "ADAPTER_CONSTRUCTOR_FAILED"
  | "INVALID_CONFIG"
  | "INVALID_CANDLE_INTERVAL";

/**
 * Node's codes for arguments of the wrong type or value, which this package's functions throw
 * (or reject with) as `TypeError` / `RangeError`, as Node's own functions do.
 */
export type ArgumentErrorCode = "ERR_INVALID_ARG_TYPE" | "ERR_INVALID_ARG_VALUE" | "ERR_OUT_OF_RANGE";

/**
 * An error of this package: its `code` is one of `PersistErrorCode`; `cause` is what failed
 * underneath (a Node-style fs error with `code`, `errno`, `syscall`, `path`; or what a JS
 * adapter threw).
 */
export interface PersistError<Code extends PersistErrorCode = PersistErrorCode> extends Error {
  code: Code;
  cause?: unknown;
}

/** Every `PersistErrorCode`, in a frozen array. */
export declare const PERSIST_ERROR_CODES: readonly PersistErrorCode[];

/**
 * Whether `error` is an error of this package (with `code` given: one with that code).
 *
 * ```typescript
 * try { await store.readValue("BTCUSDT"); }
 * catch (error) { if (isPersistError(error, "ENTITY_NOT_FOUND")) { ... } else throw error; }
 * ```
 */
export declare function isPersistError<Code extends PersistErrorCode = PersistErrorCode>(
  error: unknown,
  code?: Code,
): error is PersistError<Code>;

/** Instance type of `PersistBase`. */
export type TPersistBase = InstanceType<typeof PersistBase>;

/** The async-generator methods of `PersistBase` (defined in JS, merged into the class type). */
export interface PersistBase {
  /** Entity ids, sorted as `a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" })`. */
  keys(): AsyncGenerator<EntityId>;
  /** Entities in `keys()` order. */
  values<T extends IEntity | null = IEntity>(): AsyncGenerator<T>;
  /** Entities for which `predicate(value)` is truthy. */
  filter<T extends IEntity | null = IEntity>(predicate: (value: T) => boolean): AsyncGenerator<T>;
  /** At most `total` entities, filtered by `predicate` when one is given. */
  take<T extends IEntity | null = IEntity>(total: number, predicate?: (value: T) => boolean): AsyncGenerator<T>;
  /** Same as `values()`. */
  [Symbol.asyncIterator](): AsyncGenerator<any>;
}

/** Encodings `writeFileAtomic` accepts for string data (Node's Buffer encodings). */
export type WriteFileAtomicEncoding =
  | "ascii"
  | "utf8"
  | "utf-8"
  | "utf16le"
  | "utf-16le"
  | "ucs2"
  | "ucs-2"
  | "base64"
  | "base64url"
  | "latin1"
  | "binary"
  | "hex";

/** Options of `writeFileAtomic`. */
export interface WriteFileAtomicOptions {
  /** Encoding of string data (default `"utf8"`). */
  encoding?: WriteFileAtomicEncoding;
  /** Permission bits of a new file, before the umask (default `0o666`). */
  mode?: number;
  /** Prefix of the temp file written beside the target (default `".tmp-"`). */
  tmpPrefix?: string;
}

/** An open signal as backtest-kit stores it: any JSON object. */
export type ISignalRow = IEntity & Record<string, any>;
/** A scheduled signal as backtest-kit stores it: any JSON object. */
export type IScheduledSignalRow = IEntity & Record<string, any>;
/** The risk registry's value: the active positions, an array (`[]` when nothing is stored). */
export type RiskData = any[];
/** The partial registry's value: levels by signal id, an object (`{}` when nothing is stored). */
export type PartialData = Record<string, any>;

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

export declare namespace PersistPartialAdapter {
  /** Reads through the singleton registry (works detached from the object). */
  export function readPartialData(symbol: string): Promise<PartialData>
  /** Registers the adapter class of the singleton registry (see the class method). */
  export function usePersistPartialAdapter(Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions): void
  /** Writes through the singleton registry (works detached from the object). */
  export function writePartialData(partialData: PartialData, symbol: string): Promise<void>
}

export declare namespace PersistRiskAdapter {
  /** Reads through the singleton registry (works detached from the object). */
  export function readPositionData(riskName: string): Promise<RiskData>
  /** Registers the adapter class of the singleton registry (see the class method). */
  export function usePersistRiskAdapter(Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions): void
  /** Writes through the singleton registry (works detached from the object). */
  export function writePositionData(riskRow: RiskData, riskName: string): Promise<void>
}

export declare namespace PersistScheduleAdapter {
  /** Reads through the singleton registry (works detached from the object). */
  export function readScheduleData(strategyName: string, symbol: string): Promise<IScheduledSignalRow | null>
  /** Registers the adapter class of the singleton registry (see the class method). */
  export function usePersistScheduleAdapter(Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions): void
  /** Writes through the singleton registry (works detached from the object). */
  export function writeScheduleData(scheduledSignalRow: IScheduledSignalRow | null, strategyName: string, symbol: string): Promise<void>
}

export declare namespace PersistSignalAdapter {
  /** Reads through the singleton registry (works detached from the object). */
  export function readSignalData(strategyName: string, symbol: string): Promise<ISignalRow | null>
  /** Registers the adapter class of the singleton registry (see the class method). */
  export function usePersistSignalAdapter(Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions): void
  /** Writes through the singleton registry (works detached from the object). */
  export function writeSignalData(signalRow: ISignalRow | null, strategyName: string, symbol: string): Promise<void>
}

/**
 * File-backed persistence of JSON entities, one `<entityId>.json` file per entity in
 * `<baseDir>/<entityName>/`: a drop-in for backtest-kit's `PersistBase`.
 *
 * Writes are atomic and durable (temp file, fsync, rename, directory fsync) and land in call
 * order per entity. `waitForInit` creates the directory, removes temp files of crashed
 * writes and moves documents that do not parse into `.quarantine/`.
 *
 * Extend it to build a custom backend: `class RedisPersist extends PersistBase { ... }`.
 *
 * ```typescript
 * const persist = new PersistBase("my-entity", "./data");
 * await persist.waitForInit(true);
 * await persist.writeValue("key1", { data: "value" });
 * const value = await persist.readValue<{ data: string }>("key1");
 * ```
 */
export declare class PersistBase {
  /**
   * @param entityName - Entity type identifier, the directory name under `baseDir`
   * @param baseDir - Base directory (default: `<cwd>/logs/data`)
   *
   * Arguments that are not strings throw what the reference's `path.join` throws: a
   * `TypeError` with code `ERR_INVALID_ARG_TYPE` (`null` for `baseDir` is taken as absent).
   * @param options - `{ store }`: a `redis://`, `postgres://` or `sqlite:` URL for this instance alone (`null`: files),
   * overriding `usePersistStore`
   */
  constructor(entityName: string, baseDir?: string | undefined | null, options?: { store?: string | null })
  /** Unique entity type identifier. */
  get entityName(): string
  /** Base directory for all entities. */
  get baseDir(): string
  /** Computed directory path for entity storage: `path.join(baseDir, entityName)`. */
  get _directory(): string
  /** Computes the file path of an entity: `path.join(baseDir, entityName, `${entityId}.json`)`. */
  _getFilePath(entityId: EntityId): string
  /**
   * Initializes the store once per instance, however often it is called: creates the
   * directory, removes temp files older than 120 s left by crashed writes, and moves
   * documents that do not parse into `.quarantine/`, logging each as the reference does.
   * A failed run is retried by the next call.
   *
   * @param initial - Whether this is the first initialization (informational)
   */
  waitForInit(initial?: boolean): Promise<void>
  /**
   * Reads an entity: `JSON.parse` of its file.
   *
   * Rejects with `Entity <name>:<id> not found` (code `ENTITY_NOT_FOUND`) when it does not
   * exist, and `Failed to read entity <name>:<id>: <cause>` otherwise.
   */
  readValue<T extends IEntity | null = IEntity>(entityId: EntityId): Promise<T>
  /** Whether the entity's file exists. */
  hasValue(entityId: EntityId): Promise<boolean>
  /**
   * Writes an entity as `JSON.stringify(entity)`, atomically and durably. `null` is a valid
   * entity. Writes to one entity land in call order.
   */
  writeValue<T extends IEntity | null = IEntity>(entityId: EntityId, entity: T): Promise<void>
  /**
   * Deletes an entity. Rejects with `Entity <name>:<id> not found for deletion` when it does
   * not exist.
   */
  removeValue(entityId: EntityId): Promise<void>
  /** Deletes every entity of this store (temp files and quarantine are left alone). */
  removeAll(): Promise<void>
  /** Number of stored entities. */
  getCount(): Promise<number>
}

/** Registry of partial profit/loss levels: `./dump/data/partial/<symbol>/levels.json`. */
export declare class PersistPartialUtils {
  constructor()
  /**
   * Registers the adapter class used for stores created from now on: this package's
   * `PersistBase` (the default), a subclass of it, or any class with `waitForInit`,
   * `readValue`, `hasValue` and `writeValue`.
   * `options.timeoutMs` fails any adapter call still pending after that long.
   */
  usePersistPartialAdapter(Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions): void
  /** Reads the stored value, or the registry's default when there is none. */
  readPartialData(symbol: string): Promise<PartialData>
  /** Writes the value through the registered adapter. */
  writePartialData(partialData: PartialData, symbol: string): Promise<void>
}

/** Registry of risk positions: `./dump/data/risk/<riskName>/positions.json`. */
export declare class PersistRiskUtils {
  constructor()
  /**
   * Registers the adapter class used for stores created from now on: this package's
   * `PersistBase` (the default), a subclass of it, or any class with `waitForInit`,
   * `readValue`, `hasValue` and `writeValue`.
   * `options.timeoutMs` fails any adapter call still pending after that long.
   */
  usePersistRiskAdapter(Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions): void
  /** Reads the stored value, or the registry's default when there is none. */
  readPositionData(riskName: string): Promise<RiskData>
  /** Writes the value through the registered adapter. */
  writePositionData(riskRow: RiskData, riskName: string): Promise<void>
}

/** Registry of scheduled signals: `./dump/data/schedule/<strategyName>/<symbol>.json`. */
export declare class PersistScheduleUtils {
  constructor()
  /**
   * Registers the adapter class used for stores created from now on: this package's
   * `PersistBase` (the default), a subclass of it, or any class with `waitForInit`,
   * `readValue`, `hasValue` and `writeValue`.
   * `options.timeoutMs` fails any adapter call still pending after that long.
   */
  usePersistScheduleAdapter(Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions): void
  /** Reads the stored value, or the registry's default when there is none. */
  readScheduleData(strategyName: string, symbol: string): Promise<IScheduledSignalRow | null>
  /** Writes the value through the registered adapter. */
  writeScheduleData(scheduledSignalRow: IScheduledSignalRow | null, strategyName: string, symbol: string): Promise<void>
}

/** Registry of open signals: `./dump/data/signal/<strategyName>/<symbol>.json`. */
export declare class PersistSignalUtils {
  constructor()
  /**
   * Registers the adapter class used for stores created from now on: this package's
   * `PersistBase` (the default), a subclass of it, or any class with `waitForInit`,
   * `readValue`, `hasValue` and `writeValue`.
   * `options.timeoutMs` fails any adapter call still pending after that long.
   */
  usePersistSignalAdapter(Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions): void
  /** Reads the stored value, or the registry's default when there is none. */
  readSignalData(strategyName: string, symbol: string): Promise<ISignalRow | null>
  /** Writes the value through the registered adapter. */
  writeSignalData(signalRow: ISignalRow | null, strategyName: string, symbol: string): Promise<void>
}

/**
 * Moves the persistence of this environment to the store at `url` (`redis://host:port/db`,
 * `rediss://...`, `?wait=<n>` waiting for `n` replicas after each write;
 * `postgres://user:password@host:port/database`; or a SQLite database file,
 * `sqlite:./dump/state.db`), or back to files with `null` (`undefined` is refused). Every
 * `PersistBase` and every registry store created afterwards uses it, with the same methods,
 * messages and codes; keys follow the file layout (`<baseDir>/<entityName>` and the id: a Redis
 * hash per directory, or the `(namespace, id)` key of the `backtest_persist` table).
 */
export declare function usePersistStore(url: string | null): void

/**
 * Atomically and durably replaces `file` with `data`: writes `<dir>/<tmpPrefix><12 hex>-<name>`,
 * fsyncs it, renames it over `file` and fsyncs the directory. The file holds either its old
 * content or the new one, never a mix; once the Promise resolves the new content survives a
 * power loss. Concurrent calls on one file land in call order.
 *
 * @param file - Target path
 * @param data - Content: a string (encoded with `options.encoding`) or bytes
 * @param options - `{ encoding = "utf8", mode = 0o666, tmpPrefix = ".tmp-" }` or an encoding
 */
export declare function writeFileAtomic(file: string, data: string | ArrayBufferView, options?: WriteFileAtomicOptions | WriteFileAtomicEncoding): Promise<void>
