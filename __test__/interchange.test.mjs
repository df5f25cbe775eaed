// Interchange with the real thing: npm backtest-kit@19.5.0's PersistBase reads what this
// package writes and the other way round, byte for byte for the same value.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PersistBase as Reference } from "backtest-kit";
import { PersistBase } from "../index.js";
import { collect, tempDir } from "./helpers/tmp.mjs";

const entities = {
  BTCUSDT: { id: "sig-1", position: "long", priceOpen: 97_250.5, at: new Date(Date.UTC(2026, 10, 22)), gone: undefined },
  ETHUSDT: null,
  "ключ": { text: "価格 – 🚀", list: [1, -2.5e-9, { deep: [true, false, null] }] },
  7: [1, 2, 3],
  "item-10": { n: 10 },
  item_9: { n: 9 },
};
const asStored = (value) => JSON.parse(JSON.stringify(value));

async function pair(t) {
  const baseDir = tempDir(t);
  const ours = new PersistBase("signal", baseDir);
  const theirs = new Reference("signal", baseDir);
  await ours.waitForInit(true);
  await theirs.waitForInit(true);
  return { ours, theirs, dir: path.join(baseDir, "signal") };
}

test("a directory written by backtest-kit reads back identically through this package", async (t) => {
  const { ours, theirs } = await pair(t);
  for (const [id, value] of Object.entries(entities)) await theirs.writeValue(id, value);
  for (const [id, value] of Object.entries(entities)) {
    assert.deepEqual(await ours.readValue(id), asStored(value), id);
    assert.equal(await ours.hasValue(id), true);
  }
  assert.equal(await ours.getCount(), Object.keys(entities).length);
});

test("a directory written by this package reads back identically through backtest-kit", async (t) => {
  const { ours, theirs } = await pair(t);
  for (const [id, value] of Object.entries(entities)) await ours.writeValue(id, value);
  for (const [id, value] of Object.entries(entities)) {
    assert.deepEqual(await theirs.readValue(id), asStored(value), id);
  }
});

test("the same value written by both gives the same bytes", async (t) => {
  const { ours, theirs, dir } = await pair(t);
  for (const [id, value] of Object.entries(entities)) {
    await theirs.writeValue(id, value);
    const reference = fs.readFileSync(path.join(dir, `${id}.json`));
    await ours.writeValue(id, value);
    assert.deepEqual(fs.readFileSync(path.join(dir, `${id}.json`)), reference, id);
  }
});

test("both list the same keys in the same order", async (t) => {
  const { ours, theirs } = await pair(t);
  const ids = ["10", "2", "1", "b", "A", "item10", "item9", "é", "z_1", "z-2", "Ω", "ж", "7"];
  for (const id of ids) await ours.writeValue(id, { id });
  assert.deepEqual(await collect(ours.keys()), await collect(theirs.keys()));
});
