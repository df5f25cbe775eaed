// backtest-kit 20.1.0's seventeenth registry, Dictionary (docs/BTK20-DICTIONARY.md): its file
// (`./dump/dictionary/<signalId>/<dictionaryName>.json`, the snapshot as JSON.stringify gives it),
// its reads (null when absent, what was written after a restart), and usePersistNative, which
// registers it on a module that has PersistDictionaryAdapter and passes over a 19.5.0 one without
// a word. backtest-kit 20.1.0 is not installable here: the 20.1.0 module is 19.5.0's with a
// Dictionary registry added (this package's own Utils class, which has 20.1.0's contract).
// (This file connects its own process.)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as bk from "backtest-kit";
import * as v19 from "@backtest-kit/persist/v19";
import { filesUnder, inTempCwd } from "./helpers/tmp.mjs";

const snapshot = (n) => ({ id: "sig1_levels", data: { tp: { value: 101.5 + n, when: 1_700_000_000_000 }, note: { value: `round ${n}`, when: 1 } }, when: n });

test("a dictionary is one file, ./dump/dictionary/<signalId>/<dictionaryName>.json, holding the snapshot's JSON", async (t) => {
  const dir = inTempCwd(t, "v20-dictionary-files");
  const levels = new v19.PersistDictionaryInstance("sig1", "levels");
  assert.equal(levels.signalId, "sig1");
  assert.equal(levels.dictionaryName, "levels");
  await levels.waitForInit(true);
  assert.equal(await levels.readDictionaryData(), null, "absent reads as null");
  await levels.writeDictionaryData(snapshot(0), new Date(5));
  await levels.writeDictionaryData(snapshot(1), new Date(6));
  const notes = new v19.PersistDictionaryInstance("sig1", "notes");
  await notes.waitForInit(true);
  await notes.writeDictionaryData(snapshot(2), new Date(7));
  assert.deepEqual(filesUnder(path.join(dir, "dump")), {
    "dictionary/sig1/levels.json": JSON.stringify(snapshot(1)),
    "dictionary/sig1/notes.json": JSON.stringify(snapshot(2)),
  });
  assert.deepEqual(await levels.readDictionaryData(), snapshot(1));
  levels.dispose();

  // State keeps the same context one folder deeper: ./dump/state/<signalId>/<bucketName>/<bucketName>.json.
  const state = new v19.PersistStateInstance("sig1", "levels");
  await state.waitForInit(true);
  await state.writeStateData({ id: "sig1_levels", data: {}, when: 0 }, new Date(0));
  assert.ok(fs.existsSync(path.join(dir, "dump/state/sig1/levels/levels.json")));
});

test("through the registry: written with (data, signalId, dictionaryName, when), read back after a restart (a new registry)", async (t) => {
  inTempCwd(t, "v20-dictionary-registry");
  const first = new v19.PersistDictionaryUtils();
  await first.waitForInit("sig2", "levels", true);
  assert.equal(await first.readDictionaryData("sig2", "levels"), null);
  await first.writeDictionaryData(snapshot(3), "sig2", "levels", new Date(3));
  const restarted = new v19.PersistDictionaryUtils();
  assert.deepEqual(await restarted.readDictionaryData("sig2", "levels"), snapshot(3));
  restarted.useDummy();
  assert.equal(await restarted.readDictionaryData("sig2", "levels"), null, "useDummy reads nothing");
  restarted.useJson();
  assert.deepEqual(await restarted.readDictionaryData("sig2", "levels"), snapshot(3), "useJson reads the file again");
  await assert.rejects(first.writeDictionaryData(snapshot(4), "sig2", "../escape", new Date()), { code: "INVALID_ENTITY_ID" });
  assert.deepEqual(await restarted.readDictionaryData("sig2", "levels"), snapshot(3), "a refused write leaves the stored dictionary as it was");
});

test("usePersistNative(bk 19.5.0) registers its sixteen and says nothing of Dictionary; naming Dictionary there is refused", async (t) => {
  assert.equal(bk.PersistDictionaryAdapter, undefined, "19.5.0 has no Dictionary registry");
  assert.throws(() => v19.usePersistNative(bk, { registries: ["Signal", "Dictionary"] }), {
    code: "ERR_INVALID_ARG_VALUE",
    message: "usePersistNative: the module has no PersistDictionaryAdapter.usePersistDictionaryAdapter (backtest-kit 20.1.0 or later is needed)",
  });
  assert.throws(() => v19.usePersistNative(bk, { stores: { Dictionary: null } }), {
    code: "ERR_INVALID_ARG_VALUE",
    message: "usePersistNative: options.stores names Dictionary, which this backtest-kit module does not have (20.1.0 or later is needed)",
  });
  assert.notEqual(bk.PersistSignalAdapter.PersistSignalInstanceCtor, v19.PersistSignalInstance, "a refused call registers nothing");

  const warnings = [];
  const { warn, error } = console;
  console.warn = (...args) => warnings.push(args);
  console.error = (...args) => warnings.push(args);
  try {
    v19.usePersistNative(bk);
  } finally {
    Object.assign(console, { warn, error });
  }
  assert.deepEqual(warnings, [], "nothing said");
  assert.equal(bk.PersistStateAdapter.PersistStateInstanceCtor, v19.PersistStateInstance);
  // This package's Dictionary singleton has nothing to forward to: it keeps its own files.
  inTempCwd(t, "v20-dictionary-on-19");
  await v19.PersistDictionaryAdapter.writeDictionaryData(snapshot(5), "sig3", "levels", new Date());
  assert.deepEqual(await v19.PersistDictionaryAdapter.readDictionaryData("sig3", "levels"), snapshot(5));
  assert.ok(fs.existsSync("dump/dictionary/sig3/levels.json"));
});

test("usePersistNative(bk 20.1.0) registers Dictionary too, and this package's singleton forwards to backtest-kit's", async (t) => {
  const dictionary = new v19.PersistDictionaryUtils();
  const bk20 = { ...bk, PersistDictionaryAdapter: dictionary };
  v19.usePersistNative(bk20);
  assert.equal(dictionary.PersistDictionaryInstanceCtor, v19.PersistDictionaryInstance);
  assert.equal(bk.PersistSignalAdapter.PersistSignalInstanceCtor, v19.PersistSignalInstance);

  class Recording {
    constructor(signalId, dictionaryName) {
      this.context = [signalId, dictionaryName];
    }
    waitForInit() {}
    readDictionaryData() {
      return { id: this.context.join("_"), data: {}, when: 0 };
    }
    writeDictionaryData() {}
    dispose() {}
  }
  v19.PersistDictionaryAdapter.usePersistDictionaryAdapter(Recording);
  assert.equal(dictionary.PersistDictionaryInstanceCtor, Recording, "registered on backtest-kit's registry");
  assert.deepEqual(await dictionary.readDictionaryData("sig4", "levels"), { id: "sig4_levels", data: {}, when: 0 });
  v19.PersistDictionaryAdapter.useJson();
  assert.equal(dictionary.PersistDictionaryInstanceCtor, v19.PersistDictionaryInstance);

  const dir = inTempCwd(t, "v20-dictionary-on-20");
  await dictionary.writeDictionaryData(snapshot(6), "sig4", "levels", new Date());
  assert.deepEqual(await v19.PersistDictionaryAdapter.readDictionaryData("sig4", "levels"), snapshot(6));
  assert.deepEqual(filesUnder(path.join(dir, "dump")), { "dictionary/sig4/levels.json": JSON.stringify(snapshot(6)) });
});
