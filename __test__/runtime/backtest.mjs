// On this runtime: a real backtest-kit 19.5.0 backtest (fixtures/v19-bot.mjs, a mock exchange, no
// network) under usePersistNative(bk) gives the events and the files backtest-kit's own
// persistence gives, its second run is served from the candle cache, and a live start persisted
// natively is restored after a restart. Every bot is a child process of this runtime.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { check, run, runtime, tempDir } from "./harness.mjs";

const bot = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "v19-bot.mjs");

/** Runs the bot in `dir` on this runtime; returns its one JSON line. */
function runBot(dir, mode, persistence) {
  const [command, ...args] = runtime;
  const child = spawnSync(command, [...args, bot, mode, persistence], { cwd: dir, encoding: "utf8", timeout: 180_000 });
  assert.equal(child.error, undefined, String(child.error));
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split("\n").at(-1));
}

/** Every file under `dir`, by relative path, with its text. */
function filesUnder(dir) {
  const found = {};
  for (const name of fs.readdirSync(dir, { recursive: true })) {
    const full = path.join(dir, String(name));
    if (fs.statSync(full).isFile()) found[String(name)] = fs.readFileSync(full, "utf8");
  }
  return found;
}

check("a backtest under usePersistNative(bk): backtest-kit's events and files, and a warm second run from the cache", () => {
  const outcomes = {};
  for (const persistence of ["defaults", "native"]) {
    const dir = tempDir(`backtest ${persistence}`);
    const cold = runBot(dir, "backtest", persistence);
    const warm = runBot(dir, "backtest", persistence);
    assert.ok(cold.fetched > 0, "the first run fetches candles");
    assert.equal(warm.fetched, 0, "the second run is served from the cache");
    assert.deepEqual(warm.events, cold.events);
    assert.ok(cold.events.some((event) => event.action === "closed"), "signals opened and closed");
    outcomes[persistence] = { events: cold.events, files: filesUnder(path.join(dir, "dump")) };
  }
  assert.deepEqual(outcomes.native.events, outcomes.defaults.events);
  assert.deepEqual(outcomes.native.files, outcomes.defaults.files, "the same files, byte for byte");
});

check("a live start persisted natively is restored after a restart", () => {
  const dir = tempDir("live");
  const opened = runBot(dir, "live", "native");
  assert.equal(opened.action, "opened");
  assert.ok(fs.existsSync(path.join(dir, "dump/data/signal/BTCUSDT_osc_mock/BTCUSDT.json")));
  const restarted = runBot(dir, "restart", "native");
  assert.deepEqual(restarted, { action: "restored", signalId: opened.signalId });
});

await run();
