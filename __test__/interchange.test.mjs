// Interchange with the real thing: npm backtest-kit@19.5.0's PersistBase reads what this
// package writes and the other way round, byte for byte for the same value, and both list the
// same keys in the same order. (backtest-kit may print its own log noise.)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PersistBase as Reference } from "backtest-kit";
import { PersistBase } from "../index.js";
import { collect, tempDir } from "./helpers/tmp.mjs";

/** [id, value] pairs: numbers as ids, null, nested objects, unicode, what JSON.stringify reshapes. */
const entities = [
  ["BTCUSDT", { id: "sig-1", position: "long", priceOpen: 97_250.5, at: new Date(Date.UTC(2026, 10, 22)), gone: undefined }],
  ["ETHUSDT", null],
  ["ключ", { text: "価格 – 🚀", list: [1, -2.5e-9, { deep: [true, false, null, { deeper: [[[]]] }] }] }],
  [7, [1, 2, 3]],
  [42, "a string entity"],
  ["item-10", { n: 10, tiny: 5e-324, huge: 1.7976931348623157e308, big: 1e21, negZero: -0 }],
  ["item_9", { escapes: "quote\" backslash\\ tab\t nl\n bell\u0007 ls\u2028 lone\ud800 </script>" }],
  ["levels", { holes: [undefined, () => 1, Symbol("s")], nested: { toJSON: () => "replaced" } }],
  ["positions", []],
  ["zero", 0],
  ["false", false],
];
const asStored = (value) => JSON.parse(JSON.stringify(value));

async function pair(t) {
  const baseDir = tempDir(t);
  const ours = new PersistBase("signal", baseDir);
  const theirs = new Reference("signal", baseDir);
  await ours.waitForInit(true);
  await theirs.waitForInit(true);
  return { ours, theirs, dir: path.join(baseDir, "signal") };
}

/** Reads every entity through `reader` and checks it against what JSON makes of the value. */
async function assertReadsBack(reader, label) {
  for (const [id, value] of entities) {
    assert.equal(await reader.hasValue(id), true, `${label} hasValue(${id})`);
    assert.deepEqual(await reader.readValue(id), asStored(value), `${label} readValue(${id})`);
    assert.deepEqual(await reader.readValue(String(id)), asStored(value), `${label} readValue("${id}")`);
  }
}

test("a directory written by backtest-kit reads back identically through this package", async (t) => {
  const { ours, theirs } = await pair(t);
  for (const [id, value] of entities) await theirs.writeValue(id, value);
  await assertReadsBack(ours, "ours");
  assert.equal(await ours.getCount(), entities.length);

  // A fresh instance's init finds nothing to quarantine, and values() follow keys() order.
  const fresh = new PersistBase("signal", ours.baseDir);
  await fresh.waitForInit(true);
  const keys = await collect(fresh.keys());
  assert.deepEqual(keys, await collect(theirs.keys()));
  assert.deepEqual(await collect(fresh.values()), await Promise.all(keys.map((id) => theirs.readValue(id))));
});

test("a directory written by this package reads back identically through backtest-kit", async (t) => {
  const { ours, theirs } = await pair(t);
  for (const [id, value] of entities) await ours.writeValue(id, value);
  await assertReadsBack(theirs, "reference");
});

test("the same value written by both gives the same bytes", async (t) => {
  const { ours, theirs, dir } = await pair(t);
  for (const [id, value] of entities) {
    const file = path.join(dir, `${id}.json`);
    await theirs.writeValue(id, value);
    const reference = fs.readFileSync(file);
    await ours.writeValue(id, value);
    assert.deepEqual(fs.readFileSync(file), reference, `entity ${id}`);
    assert.equal(reference.toString("utf8"), JSON.stringify(value), `entity ${id}`);
  }
});

test("both list the same keys in the same order", async (t) => {
  const { ours, theirs } = await pair(t);
  const ids = [
    "10", "2", "1", 7, "b", "A", "item10", "item9", "item-3", "é", "z_1", "z-2", "Ω", "ж", "Я",
    "価格", "BTCUSDT", "ethusdt", "x.y", "a~b", "a!b", "ñ", "ü1", "v20", "v3",
  ];
  // The reference breaks ties between ids equal under base sensitivity by directory order, so
  // the order is comparable only for ids that are all distinct under it.
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const sorted = ids.map(String).sort(collator.compare);
  for (let i = 1; i < sorted.length; i += 1) assert.notEqual(collator.compare(sorted[i - 1], sorted[i]), 0, sorted[i]);

  for (const [n, id] of ids.entries()) await (n % 2 ? ours : theirs).writeValue(id, { id });
  const ourKeys = await collect(ours.keys());
  assert.deepEqual(ourKeys, await collect(theirs.keys()));
  assert.deepEqual(ourKeys, sorted);
});
