/* Types shared by the generated declarations below, as backtest-kit's own types.d.ts names them. */

/** Entity identifier: `7` and `"7"` name the same entity. */
export type EntityId = string | number;

/** Base interface for persisted entities. */
export interface IEntity {}

/**
 * What a persistence backend must provide to be registered as an adapter. The registries call
 * only these four methods; `keys` is used where present.
 */
export interface IPersistBase<Entity extends IEntity | null = IEntity> {
  /** Prepares the backend once; `initial` is true on the registry's first use of this store. */
  waitForInit(initial: boolean): Promise<void>;
  /** Reads an entity; rejects when it does not exist. */
  readValue(entityId: EntityId): Promise<Entity>;
  /** Whether an entity exists. */
  hasValue(entityId: EntityId): Promise<boolean>;
  /** Writes an entity (upsert). */
  writeValue(entityId: EntityId, entity: Entity): Promise<void>;
  /** Entity ids, sorted. */
  keys?(): AsyncGenerator<EntityId>;
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
