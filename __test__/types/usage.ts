// Type test (`tsc --noEmit`): the package's declarations used the way backtest-kit's source
// documents use its persistence types. Lines marked @ts-expect-error must stay errors.
import {
  PersistBase,
  writeFileAtomic,
  type EntityId,
  type IEntity,
  type IPersistBase,
  type TPersistBase,
  type TPersistBaseCtor,
} from "@backtest-kit/persist";

interface ISignalRow extends IEntity {
  id: string;
  priceOpen: number;
}

async function directUse(): Promise<void> {
  const tradingLogs = new PersistBase("trading-logs", "./logs/custom");
  await tradingLogs.waitForInit(true);
  await tradingLogs.writeValue("log-1", { timestamp: Date.now(), message: "Strategy started" });
  await tradingLogs.writeValue<ISignalRow>("BTCUSDT", { id: "s1", priceOpen: 42_000 });
  const row = await tradingLogs.readValue<ISignalRow>("BTCUSDT");
  const price: number = row.priceOpen;
  const exists: boolean = await tradingLogs.hasValue(7);
  const count: number = await tradingLogs.getCount();
  for await (const key of tradingLogs.keys()) {
    const id: EntityId = key;
    void id;
  }
  for await (const signal of tradingLogs.values<ISignalRow>()) {
    const id: string = signal.id;
    void id;
  }
  for await (const signal of tradingLogs.filter<ISignalRow>((s) => s.priceOpen > 1)) {
    void signal.priceOpen;
  }
  for await (const signal of tradingLogs.take<ISignalRow>(5, (s) => s.id !== "")) {
    void signal;
  }
  for await (const anything of tradingLogs) {
    void anything;
  }
  await tradingLogs.removeValue("log-1");
  await tradingLogs.removeAll();
  const file: string = tradingLogs._getFilePath("BTCUSDT");
  const dir: string = tradingLogs._directory;
  const name: string = tradingLogs.entityName;
  const base: string = tradingLogs.baseDir;
  void [price, exists, count, file, dir, name, base];
  // @ts-expect-error ids are strings or numbers
  await tradingLogs.readValue({ id: 1 });
}

// A custom backend in the shape of the source documents' Redis adapter: extends PersistBase.
class RedisPersist extends PersistBase {
  private readonly store = new Map<string, string>();
  constructor(entityName: string, baseDir: string) {
    super(entityName, baseDir);
  }
  override async waitForInit(initial: boolean): Promise<void> {
    void initial;
  }
  override async readValue<T extends IEntity | null = IEntity>(entityId: EntityId): Promise<T> {
    const data = this.store.get(`${this.entityName}:${entityId}`);
    if (data === undefined) {
      throw new Error(`Entity ${this.entityName}:${entityId} not found`);
    }
    return JSON.parse(data) as T;
  }
  override async hasValue(entityId: EntityId): Promise<boolean> {
    return this.store.has(`${this.entityName}:${entityId}`);
  }
  override async writeValue<T extends IEntity | null = IEntity>(entityId: EntityId, entity: T): Promise<void> {
    this.store.set(`${this.entityName}:${entityId}`, JSON.stringify(entity));
  }
}

// A plain class, no inheritance, is a valid adapter too.
class MemoryPersist implements IPersistBase<ISignalRow | null> {
  constructor(readonly entityName: string, readonly baseDir: string) {}
  async waitForInit(_initial: boolean): Promise<void> {}
  async readValue(_entityId: EntityId): Promise<ISignalRow | null> {
    return null;
  }
  async hasValue(_entityId: EntityId): Promise<boolean> {
    return false;
  }
  async writeValue(_entityId: EntityId, _entity: ISignalRow | null): Promise<void> {}
}

const ctors: TPersistBaseCtor<string, ISignalRow | null>[] = [MemoryPersist];
const baseCtor: TPersistBaseCtor = PersistBase;
const redisCtor: TPersistBaseCtor = RedisPersist;
const instance: TPersistBase = new RedisPersist("signal", "./dump/data/signal/");

async function atomicWrites(): Promise<void> {
  await writeFileAtomic("output.txt", "Hello, world!");
  await writeFileAtomic("data.bin", Buffer.from("Binary data"), { encoding: "binary", mode: 0o644, tmpPrefix: "temp-" });
  await writeFileAtomic("log.txt", "Log entry", "utf16le");
  // @ts-expect-error not an encoding
  await writeFileAtomic("log.txt", "Log entry", "klingon");
}

void [directUse, atomicWrites, ctors, baseCtor, redisCtor, instance];
