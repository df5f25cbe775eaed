// Type test of backtest-kit 20.1.0's Dictionary on `/v19` (tsc, strict), with backtest-kit 19.5.0
// installed (whose types have no DictionaryData) and without it: the structural DictionaryData
// applies, an Instance shaped as @backtest-kit/mongo@20.1.0's fits, and usePersistNative names it.
import {
  PersistDictionaryAdapter,
  PersistDictionaryInstance,
  PersistDictionaryUtils,
  usePersistNative,
  type DictionaryData,
  type IPersistDictionaryInstance,
  type PersistRegistryName,
  type TPersistDictionaryInstanceCtor,
} from "@backtest-kit/persist/v19";

/** Compiles only when `T` is not `any`. */
function known<T>(_: boolean extends (T extends never ? true : false) ? false : true): void {}
known<DictionaryData>(true);

const snapshot: DictionaryData = { id: "sig1_prices", data: { entry: { value: 101.5, when: 1 } }, when: 2 };
// @ts-expect-error every entry carries its own `when`
const whenless: DictionaryData = { id: "sig1_prices", data: { entry: { value: 1 } }, when: 2 };

/** As @backtest-kit/mongo@20.1.0's PersistDictionaryInstance: async, context in the constructor. */
class DatabaseDictionary implements IPersistDictionaryInstance {
  constructor(readonly signalId: string, readonly dictionaryName: string) {}
  async waitForInit(initial: boolean): Promise<void> {
    void initial;
  }
  async readDictionaryData(): Promise<DictionaryData | null> {
    return null;
  }
  async writeDictionaryData(data: DictionaryData, when: Date): Promise<void> {
    void [data, when];
  }
  dispose(): void {}
}

class Stamped extends PersistDictionaryInstance {
  override async writeDictionaryData(data: DictionaryData, when: Date): Promise<void> {
    await super.writeDictionaryData({ ...data, when: when.getTime() }, when);
  }
}

const ctor: TPersistDictionaryInstanceCtor = DatabaseDictionary;
PersistDictionaryAdapter.usePersistDictionaryAdapter(ctor, { timeoutMs: 1000 });
PersistDictionaryAdapter.usePersistDictionaryAdapter(Stamped);
const registry = new PersistDictionaryUtils();
const read: Promise<DictionaryData | null> = registry.readDictionaryData("sig1", "prices");
const written: Promise<void> = registry.writeDictionaryData(snapshot, "sig1", "prices", new Date());
const ready: Promise<void> = registry.waitForInit("sig1", "prices", true);
const { dispose, clear, useJson, useDummy } = registry;
dispose("sig1", "prices");
const name: PersistRegistryName = "Dictionary";
usePersistNative({}, { registries: [name], stores: { Dictionary: null } });
// @ts-expect-error the Instance takes the signal and the dictionary's name
new PersistDictionaryInstance("sig1");
void [whenless, read, written, ready, clear, useJson, useDummy];
