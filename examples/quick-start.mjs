// A short tour of the default file store: write, read, list, then recover after a "crash"
// that left a half-finished temp file and a corrupt document behind.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PersistBase } from "@backtest-kit/persist";

const collect = async (iterable) => {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
};

const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "persist-example-"));
const signals = new PersistBase("my-strategy", baseDir);
await signals.waitForInit(true);

await signals.writeValue("BTCUSDT", { id: "sig-1", position: "long", priceOpen: 97_250.5 });
await signals.writeValue("ETHUSDT", null); // a cleared signal is stored as null
console.log("BTCUSDT ->", await signals.readValue("BTCUSDT"));
console.log("keys    ->", await collect(signals.keys()));

// Simulate what a crash can leave: a temp file that was never renamed, and a torn document.
fs.writeFileSync(path.join(signals._directory, ".tmp-0123456789ab-SOLUSDT.json"), '{"id":"sig-2"}');
fs.writeFileSync(path.join(signals._directory, "XRPUSDT.json"), '{"id":"sig-3","pri');

const restarted = new PersistBase("my-strategy", baseDir);
await restarted.waitForInit(true); // logs the torn document and moves it to .quarantine/
console.log("after restart, keys ->", await collect(restarted.keys()));
console.log("quarantined         ->", fs.readdirSync(path.join(restarted._directory, ".quarantine")));
console.log("BTCUSDT still       ->", await restarted.readValue("BTCUSDT"));

fs.rmSync(baseDir, { recursive: true, force: true });
