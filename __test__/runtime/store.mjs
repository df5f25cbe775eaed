// On this runtime: the December-2025 root API on files and on SQLite (write, read, has, remove,
// removeAll, keys, the reference's error texts, bad input refused, a corrupt document quarantined,
// a restart reading back), random operations against a Map, per-key call order, writeFileAtomic, and every registry of /v19 (19.5.0's sixteen and
// 20.1.0's Dictionary) reading back its writes from a new Instance.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { check, persist, run, v19 } from "./harness.mjs";
import { ROWS } from "../helpers/v19-rows.mjs";

const { PersistBase, usePersistStore, writeFileAtomic } = persist;

async function keysOf(store) {
  const keys = [];
  for await (const key of store.keys()) keys.push(key);
  return keys;
}

for (const [label, store] of [["files", null], ["sqlite", "sqlite:./state.db"]]) {
  check(`PersistBase on ${label}: write, read, has, keys in the reference's order, remove, removeAll, restart`, async () => {
    const signals = new PersistBase("signal", "./data", { store });
    await signals.waitForInit(true);
    for (const id of ["BTC10", "BTC9", "ETH"]) await signals.writeValue(id, { id, price: 1.5, when: null });
    await signals.writeValue("cleared", null);
    assert.deepEqual(await signals.readValue("BTC9"), { id: "BTC9", price: 1.5, when: null });
    assert.equal(await signals.readValue("cleared"), null);
    assert.equal(await signals.hasValue("ETH"), true);
    assert.deepEqual(await keysOf(signals), ["BTC9", "BTC10", "cleared", "ETH"]);
    await assert.rejects(signals.readValue("none"), { message: "Entity signal:none not found", code: "ENTITY_NOT_FOUND" });
    await assert.rejects(signals.writeValue("../up", {}), { code: "INVALID_ENTITY_ID" });
    await signals.removeValue("ETH");
    await assert.rejects(signals.removeValue("ETH"), { message: "Entity signal:ETH not found for deletion" });
    const restarted = new PersistBase("signal", "./data", { store });
    await restarted.waitForInit(true);
    assert.equal(await restarted.getCount(), 3);
    await restarted.removeAll();
    assert.deepEqual(await keysOf(restarted), []);
  });
}

check("model-based: 600 random writes, removals, removeAll, reads and key listings agree with a Map, before and after a restart", async () => {
  let seed = 20_261_207;
  const random = (n) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
  const model = new Map();
  let store = new PersistBase("model", "./data");
  await store.waitForInit(true);
  const ids = ["a", "b", "c10", "c9", "7", "Ω"];
  for (let step = 0; step < 600; step += 1) {
    const id = ids[random(ids.length)];
    const op = random(20);
    if (op < 9) {
      const value = { step, nested: [step, { id }] };
      await store.writeValue(id, value);
      model.set(id, value);
    } else if (op < 12) {
      if (model.has(id)) await store.removeValue(id);
      else await assert.rejects(store.removeValue(id), { message: `Entity model:${id} not found for deletion` });
      model.delete(id);
    } else if (op === 12) {
      await store.removeAll();
      model.clear();
    } else if (op === 13) {
      store = new PersistBase("model", "./data");
      await store.waitForInit(true);
    } else if (op < 17) {
      if (model.has(id)) assert.deepEqual(await store.readValue(id), model.get(id), `step ${step}`);
      else assert.equal(await store.hasValue(id), false, `step ${step}`);
    } else {
      const expected = [...model.keys()].sort((x, y) => x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" }));
      assert.deepEqual(await keysOf(store), expected, `step ${step}`);
    }
  }
});

check("writes to one key issued together land in call order; a removeAll among them splits them", async () => {
  const store = new PersistBase("order", "./data");
  await store.waitForInit(true);
  const calls = [];
  for (let n = 0; n < 50; n += 1) calls.push(store.writeValue("BTC", { n }));
  calls.push(store.removeAll());
  calls.push(store.writeValue("ETH", { n: "after" }));
  await Promise.all(calls);
  assert.equal(await store.hasValue("BTC"), false, "removeAll came after the 50 writes");
  assert.deepEqual(await store.readValue("ETH"), { n: "after" });
  const again = [];
  for (let n = 0; n < 50; n += 1) again.push(store.writeValue("BTC", { n }));
  await Promise.all(again);
  assert.deepEqual(await store.readValue("BTC"), { n: 49 }, "the last call's value");
});

check("a corrupt document is quarantined at init, not deleted, and the rest reads", async () => {
  const store = new PersistBase("signal", "./data");
  await store.waitForInit(true);
  await store.writeValue("good", { ok: true });
  fs.writeFileSync("data/signal/bad.json", "{ torn");
  const errors = [];
  const original = console.error;
  console.error = (...args) => errors.push(args.join(" "));
  try {
    const restarted = new PersistBase("signal", "./data");
    await restarted.waitForInit(true);
    assert.deepEqual(await keysOf(restarted), ["good"]);
  } finally {
    console.error = original;
  }
  assert.ok(errors.some((line) => line.includes("found invalid document")), errors.join("\n"));
  assert.equal(fs.existsSync("data/signal/bad.json"), false);
  const kept = fs.readdirSync("data", { recursive: true }).filter((name) => String(name).includes("bad"));
  assert.ok(kept.length > 0, "the corrupt bytes are kept aside");
});

check("writeFileAtomic writes a whole file and refuses a directory as its target", async () => {
  await writeFileAtomic("note.txt", "first");
  await writeFileAtomic("note.txt", Buffer.from("second"));
  assert.equal(fs.readFileSync("note.txt", "utf8"), "second");
  fs.mkdirSync("dir");
  await assert.rejects(writeFileAtomic("dir", "x"));
  assert.deepEqual(fs.readdirSync(".").sort(), ["dir", "note.txt"], "no temp file left");
});

for (const row of ROWS) {
  check(`/v19 ${row.name}: two writes read back, from a new Instance too`, async () => {
    const Instance = v19[`Persist${row.name}Instance`];
    const first = new Instance(...row.ctx);
    await first.waitForInit(true);
    await row.write(first, 0);
    await row.write(first, 1);
    const expected = await row.read(first);
    assert.notEqual(expected, null);
    const restarted = new Instance(...row.ctx);
    await restarted.waitForInit(true);
    assert.deepEqual(await row.read(restarted), expected);
    assert.ok(fs.existsSync(path.join("dump")), "written under ./dump");
  });
}

check("usePersistStore: every registry on one SQLite file, then back to files", async () => {
  usePersistStore("sqlite:./all.db");
  try {
    await v19.PersistDictionaryAdapter.writeDictionaryData({ id: "d", data: { k: { value: 1, when: 1 } }, when: 1 }, "sig", "levels", new Date());
    const fresh = new v19.PersistDictionaryUtils();
    assert.deepEqual(await fresh.readDictionaryData("sig", "levels"), { id: "d", data: { k: { value: 1, when: 1 } }, when: 1 });
    assert.equal(fs.existsSync("dump"), false, "nothing on files");
    assert.ok(fs.statSync("all.db").size > 0);
  } finally {
    usePersistStore(null);
  }
});

await run();
