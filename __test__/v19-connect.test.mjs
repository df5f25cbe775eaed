// usePersistNative(bk) and the registries a user registers into: its options are checked (a
// wrong value refuses the call and registers nothing), and once connected there is one truth,
// backtest-kit's registries, which this package's singletons forward to, so an adapter
// registered on either is the one backtest-kit reads. (This file connects its own process.)
import { test } from "node:test";
import assert from "node:assert/strict";
import * as bk from "backtest-kit";
import * as v19 from "@backtest-kit/persist/v19";

const NAMES = ["Signal", "Schedule", "Strategy", "Partial", "Breakeven", "Risk", "Candle", "Storage", "Notification", "Log", "Measure", "Interval", "Memory", "State", "Session", "Recent"];
const ctorOf = (name) => bk[`Persist${name}Adapter`][`Persist${name}InstanceCtor`];

test("usePersistNative refuses options it cannot use, with a coded error, and registers nothing", () => {
  const before = NAMES.map(ctorOf);
  const refused = [
    [5, "ERR_INVALID_ARG_TYPE", /options must be an object/],
    ["Candle", "ERR_INVALID_ARG_TYPE", /options must be an object/],
    [["Candle"], "ERR_INVALID_ARG_TYPE", /got an array/],
    [{ registry: ["Candle"] }, "ERR_INVALID_ARG_VALUE", /unknown option "registry" \(the options are: registries, stores\)/],
    [{ registries: [] }, "ERR_INVALID_ARG_VALUE", /options\.registries is empty/],
    [{ registries: "Candle" }, "ERR_INVALID_ARG_TYPE", /must be an array/],
    [{ registries: ["Candles"] }, "ERR_INVALID_ARG_VALUE", /unknown registries Candles/],
  ];
  for (const [options, code, message] of refused) {
    assert.throws(() => v19.usePersistNative(bk, options), { code, message }, JSON.stringify(options));
  }
  assert.deepEqual(NAMES.map(ctorOf), before, "nothing was registered");
  assert.notEqual(ctorOf("Signal"), v19.PersistSignalInstance);
});

test("usePersistStore refuses undefined (an unset variable): null is the way back to files", () => {
  assert.throws(() => v19.usePersistStore(undefined), { code: "ERR_INVALID_ARG_TYPE", message: /usePersistStore: the store URL is undefined/ });
  assert.throws(() => v19.usePersistStore(), { code: "ERR_INVALID_ARG_TYPE" });
  v19.usePersistStore(null);
});

test("after usePersistNative(bk), backtest-kit's registries are the one truth: this package's singletons forward to them", async () => {
  v19.usePersistNative(bk, { registries: ["Candle", "Signal"] });
  assert.equal(ctorOf("Candle"), v19.PersistCandleInstance);
  assert.equal(ctorOf("Signal"), v19.PersistSignalInstance);

  const calls = [];
  class Recording {
    constructor(...context) {
      calls.push(["new", ...context]);
    }
    waitForInit(initial) {
      calls.push(["waitForInit", initial]);
    }
    readSignalData() {
      calls.push(["read"]);
      return { id: "from-recording" };
    }
    writeSignalData(row) {
      calls.push(["write", row.id]);
    }
  }
  // Registered on this package's singleton: backtest-kit's registry holds it, and reads it.
  v19.PersistSignalAdapter.usePersistSignalAdapter(Recording);
  assert.equal(ctorOf("Signal"), Recording);
  assert.deepEqual(await bk.PersistSignalAdapter.readSignalData("BTCUSDT", "s", "ex"), { id: "from-recording" });
  // A call through this package's singleton goes to the same registry (and its memo).
  assert.deepEqual(await v19.PersistSignalAdapter.readSignalData("BTCUSDT", "s", "ex"), { id: "from-recording" });
  await v19.PersistSignalAdapter.writeSignalData({ id: "w" }, "BTCUSDT", "s", "ex");
  assert.deepEqual(calls, [["new", "BTCUSDT", "s", "ex"], ["waitForInit", true], ["read"], ["waitForInit", false], ["read"], ["waitForInit", false], ["write", "w"]]);
  v19.PersistSignalAdapter.clear();
  await v19.PersistSignalAdapter.readSignalData("BTCUSDT", "s", "ex");
  assert.deepEqual(calls.slice(-3), [["new", "BTCUSDT", "s", "ex"], ["waitForInit", true], ["read"]], "clear() cleared backtest-kit's memo");

  // useJson puts this package's native Instance back there; useDummy backtest-kit's no-op kind.
  v19.PersistSignalAdapter.useJson();
  assert.equal(ctorOf("Signal"), v19.PersistSignalInstance);
  v19.PersistSignalAdapter.useDummy();
  assert.equal(await bk.PersistSignalAdapter.readSignalData("BTCUSDT", "s", "ex"), null);
  v19.PersistSignalAdapter.useJson();

  // Every registry, whether usePersistNative chose it or not.
  for (const name of NAMES) {
    class Custom extends v19[`Persist${name}Instance`] {}
    v19[`Persist${name}Adapter`][`usePersist${name}Adapter`](Custom);
    assert.equal(ctorOf(name), Custom, name);
    v19[`Persist${name}Adapter`].useJson();
    assert.equal(ctorOf(name), v19[`Persist${name}Instance`], name);
  }

  // A timeout is this package's registries' own: refused with a clear error once connected.
  assert.throws(() => v19.PersistSignalAdapter.usePersistSignalAdapter(Recording, { timeoutMs: 100 }), {
    code: "ERR_INVALID_ARG_VALUE",
    message: /timeoutMs applies to this package's own registries; after usePersistNative\(bk\) adapters go to backtest-kit's PersistSignalAdapter/,
  });

  // A registry made with `new` stays this package's own.
  const own = new v19.PersistSignalUtils();
  own.usePersistSignalAdapter(Recording);
  assert.equal(ctorOf("Signal"), v19.PersistSignalInstance);
  assert.deepEqual(await own.readSignalData("ETHUSDT", "s", "ex"), { id: "from-recording" });
});

test("usePersistNative(bk, { stores }): the candle cache in one SQLite file, signals still backtest-kit's files", async (t) => {
  const { default: fs } = await import("node:fs");
  const { default: path } = await import("node:path");
  const { tempDir } = await import("./helpers/tmp.mjs");
  const dir = tempDir(t, "stores option");
  const previous = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  for (const [stores, code, message] of [
    [{ Candles: "sqlite:x.db" }, "ERR_INVALID_ARG_VALUE", /unknown registry "Candles"/],
    [{ Candle: 5 }, "ERR_INVALID_ARG_TYPE", /options\.stores\.Candle must be a store URL or null/],
    [{ Candle: "mysql://db/x" }, "ERR_INVALID_ARG_VALUE", /is not a redis:\/\/, rediss:\/\/, redis-sentinel:\/\/, postgres:\/\/ or sqlite: URL/],
    ["sqlite:x.db", "ERR_INVALID_ARG_TYPE", /options\.stores must be an object/],
  ]) {
    assert.throws(() => v19.usePersistNative(bk, { stores }), { code, message }, JSON.stringify(stores));
  }
  assert.throws(() => v19.usePersistNative(bk, { registries: ["Signal"], stores: { Candle: "sqlite:x.db" } }), { code: "ERR_INVALID_ARG_VALUE", message: /which options\.registries leaves out/ });

  v19.usePersistNative(bk, { stores: { Candle: "sqlite:./dump/candles.db" } });
  const candles = Array.from({ length: 5 }, (_, i) => ({ timestamp: i * 60_000, open: i, high: i, low: i, close: i, volume: 1 }));
  await bk.PersistCandleAdapter.writeCandlesData(candles, "BTCUSDT", "1m", "binance");
  await bk.PersistSignalAdapter.writeSignalData({ id: "sig-1", position: "long" }, "BTCUSDT", "trend", "binance");
  assert.deepEqual(await bk.PersistCandleAdapter.readCandlesData("BTCUSDT", "1m", "binance", 5, 0, 5 * 60_000), candles);
  assert.ok(fs.existsSync(path.join(dir, "dump/candles.db")), "the candles are in the SQLite file");
  assert.equal(fs.existsSync(path.join(dir, "dump/data/candle")), false, "and not in files");
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "dump/data/signal/BTCUSDT_trend_binance/BTCUSDT.json"), "utf8")), { id: "sig-1", position: "long" });
  // Back to files everywhere.
  v19.usePersistNative(bk);
});
