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
