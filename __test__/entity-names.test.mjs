// Entity names as backtest-kit 19.5.0 uses them: `/`-separated segments (its candle cache is
// `<exchange>/<symbol>/<interval>`) and the empty name (a live session: the store is `baseDir`
// itself). The files are where backtest-kit's own PersistBase puts them, each side reads what the
// other wrote, and init recovers nested stores as it does flat ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PersistBase as ReferenceBase } from "backtest-kit";
import { PersistBase } from "../index.js";
import { captureConsoleError, collect, tempDir } from "./helpers/tmp.mjs";

test("a nested name is nested directories under baseDir, shared with backtest-kit's PersistBase", async (t) => {
  const base = tempDir(t, "names");
  const name = "binance/BTCUSDT/1m";
  const ours = new PersistBase(name, base);
  assert.equal(ours._directory, path.join(base, "binance", "BTCUSDT", "1m"));
  await ours.waitForInit(true);
  await ours.writeValue("1700000000000", { close: 1 });
  assert.equal(fs.readFileSync(path.join(base, "binance/BTCUSDT/1m/1700000000000.json"), "utf8"), '{"close":1}');

  const reference = new ReferenceBase(name, base);
  await reference.waitForInit(true);
  assert.deepEqual(await reference.readValue("1700000000000"), { close: 1 });
  await reference.writeValue("1700000060000", { close: 2 });
  assert.deepEqual(await ours.readValue("1700000060000"), { close: 2 });
  assert.deepEqual(await collect(ours.keys()), ["1700000000000", "1700000060000"]);
});

test("the empty name is baseDir itself; other stores' folders inside it are not entities", async (t) => {
  const base = tempDir(t, "names");
  const session = new PersistBase("", base);
  assert.equal(session._directory, base);
  const framed = new PersistBase("frame-1", base);
  await session.waitForInit(true);
  await framed.waitForInit(true);
  await session.writeValue("BTCUSDT_live", { id: "live" });
  await framed.writeValue("BTCUSDT_backtest", { id: "framed" });
  assert.deepEqual(await collect(session.keys()), ["BTCUSDT_live"]);
  assert.deepEqual(await session.readValue("BTCUSDT_live"), { id: "live" });
  assert.ok(fs.existsSync(path.join(base, "BTCUSDT_live.json")));

  const reference = new ReferenceBase("", base);
  await reference.waitForInit(true);
  assert.deepEqual(await reference.readValue("BTCUSDT_live"), { id: "live" });
});

test("init of a nested store creates every level and quarantines its corrupt documents", async (t) => {
  const base = tempDir(t, "names");
  const dir = path.join(base, "a", "b", "c");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "bad.json"), "{oops");
  fs.writeFileSync(path.join(dir, "good.json"), "[1]");
  const store = new PersistBase("a/b/c", base);
  const [, lines] = await captureConsoleError(() => store.waitForInit(true));
  assert.deepEqual(lines, [
    `backtest-kit PersistBase found invalid document for filePath=${path.join(dir, "bad.json")} entityName=a/b/c`,
  ]);
  assert.equal(fs.readFileSync(path.join(dir, ".quarantine", "bad.json"), "utf8"), "{oops");
  assert.deepEqual(await collect(store.values()), [[1]]);

  const fresh = new PersistBase("x/y", path.join(base, "new"));
  await fresh.waitForInit(true);
  assert.ok(fs.statSync(path.join(base, "new", "x", "y")).isDirectory());
});
