// Type test, ESM (`.mts` under `module: nodenext`): both import paths, adapters whose methods
// return plain values, and error codes narrowed by `isPersistError`. The lines marked with an
// expected error must stay errors.
import {
  isPersistError,
  PERSIST_ERROR_CODES,
  PersistBase,
  PersistSignalAdapter,
  usePersistStore,
  writeFileAtomic,
  type EntityId,
  type IPersistBase,
  type PersistErrorCode,
} from "@backtest-kit/persist";
import * as v19 from "@backtest-kit/persist/v19";

// An adapter of plain values, as the README allows: no async, no Promise.
class SyncMemory implements IPersistBase<{ id: string } | null> {
  private readonly rows = new Map<EntityId, { id: string } | null>();
  constructor(readonly entityName: string, readonly baseDir: string) {}
  waitForInit(_initial: boolean): void {}
  readValue(entityId: EntityId): { id: string } | null {
    return this.rows.get(entityId) ?? null;
  }
  hasValue(entityId: EntityId): boolean {
    return this.rows.has(entityId);
  }
  writeValue(entityId: EntityId, entity: { id: string } | null): void {
    this.rows.set(entityId, entity);
  }
  *keys(): Iterable<EntityId> {
    yield* this.rows.keys();
  }
}
PersistSignalAdapter.usePersistSignalAdapter(SyncMemory, { timeoutMs: 1_000 });

// A mixed one: some methods async, some not.
class Mixed {
  constructor(readonly entityName: string, readonly baseDir: string) {}
  waitForInit(): void {}
  async readValue(): Promise<{ id: string }> {
    return { id: "x" };
  }
  hasValue(): boolean {
    return true;
  }
  async writeValue(): Promise<void> {}
}
PersistSignalAdapter.usePersistSignalAdapter(Mixed);

// @ts-expect-error hasValue must give a boolean
PersistSignalAdapter.usePersistSignalAdapter(class { waitForInit() {} readValue() { return {}; } hasValue() { return "yes"; } writeValue() {} });

async function handleErrors(): Promise<void> {
  const store = new PersistBase("signals", "./data");
  try {
    await store.readValue("BTCUSDT");
  } catch (error) {
    if (isPersistError(error, "ENTITY_NOT_FOUND")) {
      const code: "ENTITY_NOT_FOUND" = error.code;
      const message: string = error.message;
      void [code, message];
    } else if (isPersistError(error)) {
      const code: PersistErrorCode = error.code;
      const cause: unknown = error.cause;
      void [code, cause];
    }
    // @ts-expect-error a caught value is unknown until narrowed
    void error.code;
  }
  // @ts-expect-error not a code of this package
  isPersistError(new Error("x"), "ENTITY_NOT_FUOND");
  const codes: readonly PersistErrorCode[] = PERSIST_ERROR_CODES;
  void codes;
}

async function atomicBytes(): Promise<void> {
  await writeFileAtomic("a.bin", new Uint8Array([1]));
  await writeFileAtomic("b.bin", new Float64Array([1.5]));
  await writeFileAtomic("c.bin", new DataView(new ArrayBuffer(4)));
  await writeFileAtomic("d.bin", Buffer.from("x"));
  // @ts-expect-error an ArrayBuffer is not an ArrayBufferView
  await writeFileAtomic("e.bin", new ArrayBuffer(4));
}

// The 19.5.0 path: the same guard, the native Instances, the bridge.
async function v19Use(): Promise<void> {
  const read = await v19.PersistSignalAdapter.readSignalData("BTCUSDT", "strategy", "binance");
  void read;
  try {
    await v19.PersistCandleAdapter.readCandlesData("BTCUSDT", "1m", "binance", 10, 0, 60_000);
  } catch (error) {
    if (v19.isPersistError(error, "INVALID_CANDLE_INTERVAL")) void error.code;
  }
  v19.usePersistNative({} as Parameters<typeof v19.usePersistNative>[0], { registries: ["Signal", "Candle"] });
  // @ts-expect-error not a registry
  v19.usePersistNative({} as Parameters<typeof v19.usePersistNative>[0], { registries: ["Signals"] });
}

function stores(): void {
  usePersistStore("redis://127.0.0.1:6379/0");
  usePersistStore(null);
  v19.usePersistStore("rediss://:password@cache:6380/1?wait=1");
  const one = new PersistBase("signals", "./data", { store: "redis://127.0.0.1:6379/0" });
  void one;
  // @ts-expect-error a URL is a string or null
  usePersistStore(6379);
}

void [handleErrors, atomicBytes, v19Use, stores];
