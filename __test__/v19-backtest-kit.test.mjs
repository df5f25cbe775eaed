// End to end with backtest-kit 19.5.0 itself (a mock exchange defined in the fixture, no
// network): a backtest whose candles are fetched, cached and then served from the cache, and a
// live start that persists its open signal and restores it after a restart, each once with
// backtest-kit's own persistence and once after `usePersistNative(bk)`. Same results, same
// files; and a restart under either persistence restores what the other persisted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { filesUnder, tempDir } from "./helpers/tmp.mjs";

const bot = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "v19-bot.mjs");

/** Runs the bot in `dir`; returns its one JSON line. */
function run(dir, mode, persistence) {
  const child = spawnSync(process.execPath, [bot, mode, persistence], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  assert.equal(child.error, undefined);
  assert.equal(child.status, 0, child.stderr);
  const line = child.stdout.trim().split("\n").at(-1);
  return JSON.parse(line);
}


test("a backtest: the same results and the same candle cache, with backtest-kit's persistence and with the native one", { timeout: 300_000 }, (t) => {
  const outcomes = {};
  for (const persistence of ["defaults", "native"]) {
    const dir = tempDir(t, `bk-backtest-${persistence}`);
    const cold = run(dir, "backtest", persistence);
    const warm = run(dir, "backtest", persistence);
    assert.ok(cold.fetched > 0, "the first run fetches candles");
    assert.equal(warm.fetched, 0, "the second run is served from the cache");
    assert.deepEqual(warm.events, cold.events, "the cached run sees the same candles");
    assert.ok(cold.events.filter((event) => event.action === "closed").length > 0, "signals opened and closed");
    outcomes[persistence] = { events: cold.events, files: filesUnder(path.join(dir, "dump")) };
  }
  assert.deepEqual(outcomes.native.events, outcomes.defaults.events);
  assert.deepEqual(Object.keys(outcomes.native.files).sort(), Object.keys(outcomes.defaults.files).sort());
  assert.deepEqual(outcomes.native.files, outcomes.defaults.files, "the same files, byte for byte");
});

for (const [first, second] of [
  ["defaults", "native"],
  ["native", "defaults"],
  ["native", "native"],
]) {
  test(`a live start persisted with ${first} persistence is restored after a restart with ${second}`, { timeout: 120_000 }, (t) => {
    const dir = tempDir(t, `bk-live-${first}-${second}`);
    const opened = run(dir, "live", first);
    assert.equal(opened.action, "opened");
    const files = Object.keys(filesUnder(path.join(dir, "dump"))).filter((name) => !name.startsWith("data/candle/")).sort();
    assert.deepEqual(files, ["data/signal/BTCUSDT_osc_mock/BTCUSDT.json", "data/strategy/BTCUSDT_osc_mock/strategy.json"]);
    const restarted = run(dir, "restart", second);
    assert.equal(restarted.action, "restored", "the restart finds the open signal");
    assert.equal(restarted.signalId, opened.signalId, "it is the signal persisted before the restart");
  });
}

test("under usePersistNative(bk): a later setConfig reaches reads, a corrupt cached candle reaches listenError and setLogger", { timeout: 30_000 }, async (t) => {
  const bk = await import("backtest-kit");
  const { usePersistNative } = await import("@backtest-kit/persist/v19");
  const dir = tempDir(t, "bk-bridge");
  const previous = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  const warnings = [];
  bk.setLogger({ log() {}, debug() {}, info() {}, warn: (topic) => warnings.push(topic) });
  usePersistNative(bk);

  await bk.PersistSignalAdapter.writeSignalData({ id: "s1" }, "BTCUSDT", "strategy", "exchange");
  bk.setConfig({ CC_SIGNAL_LEVERAGE_MULTIPLIER: 3 });
  t.after(() => bk.setConfig({ CC_SIGNAL_LEVERAGE_MULTIPLIER: 1 }));
  assert.equal((await bk.PersistSignalAdapter.readSignalData("BTCUSDT", "strategy", "exchange")).multiplier, 3);

  let unsubscribe;
  const heard = new Promise((resolve) => (unsubscribe = bk.listenError(resolve)));
  t.after(() => unsubscribe());
  const since = Math.floor((Date.now() - 3600_000) / 60_000) * 60_000;
  await bk.PersistCandleAdapter.writeCandlesData([{ timestamp: since, open: 1, high: 1, low: 1, close: 1, volume: 1 }], "BTCUSDT", "1m", "exchange");
  fs.writeFileSync(path.join(dir, "dump/data/candle/exchange/BTCUSDT/1m", `${since}.json`), "{torn");
  const originalWarn = console.warn;
  console.warn = () => {};
  t.after(() => (console.warn = originalWarn));
  assert.equal(await bk.PersistCandleAdapter.readCandlesData("BTCUSDT", "1m", "exchange", 1, since, since + 60_000), null);
  assert.match(String((await heard)?.message), /JSON|Unexpected|Expected/, "listenError heard of the parse failure");
  const message = `PersistCandleInstance.readCandlesData found invalid candle symbol=BTCUSDT interval=1m timestamp=${since}`;
  assert.ok(warnings.includes(message), `setLogger's warn saw it: ${JSON.stringify(warnings)}`);
});
