// Model-based tests through the JS API, on every store (the real disk, a redis-server and a
// PostgreSQL cluster of the test's own): random sequences of 50 to 70 commands against
// PersistBase and against a registry on the default store, each outcome compared with an
// in-memory model (fast-check's model-based commands). Concurrent batches are issued without
// waiting and must still match the model applied in call order; a restart is a new instance (or
// a new registry) over the same directory. The server rows run fewer sequences: every write
// waits for the server's fsync. On files, calls also go through a symlinked spelling of the
// directory that never ran waitForInit, candle ranges are read through either (the candle cache),
// and the directory is removed and made again outside the package while a neighbour store takes
// the freed inode (issue 29): none of it may change what the model says.
//
// A failure prints fast-check's seed and path; `FC_SEED=<seed> FC_PATH=<path> node --test
// __test__/model-based.test.mjs` replays exactly that sequence.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { PersistBase, PersistSignalUtils, usePersistStore } from "../index.js";
import { PersistCandleInstance, PersistLogInstance, PersistStorageInstance } from "../v19/index.js";
import { collect, tempDir } from "./helpers/tmp.mjs";
import { STORES } from "./helpers/stores.mjs";

const MIN_COMMANDS = 50;
const replay = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true } : {};

// "60000" and "120000" are also the ids of two closed 1m candles (timestamps 60,000 and 120,000).
const IDS = ["a", "b", "B", "k1", "k2", "k10", "BTCUSDT", "60000", "120000"];
/** The order of keys(): numeric, case-insensitive collation; ids equal under it by code point. */
const keyOrder = (x, y) => x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" }) || (x < y ? -1 : x > y ? 1 : 0);

const id = fc.constantFrom(...IDS);
/** What a value becomes through a file: the model holds values as JSON gives them back. */
const asStored = (entity) => JSON.parse(JSON.stringify(entity));
const value = fc.oneof(
  fc.record({ position: fc.constantFrom("long", "short"), priceOpen: fc.double({ min: 1, max: 1e6, noNaN: true }), note: fc.string() }),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 4 }),
).map(asStored);

// ---- PersistBase ----------------------------------------------------------------------------

const NAME = "model";
const notFound = (entityId) => `Entity ${NAME}:${entityId} not found`;

/** What the model says removeValue gives: undefined on success, else the rejection message. */
function modelRemove(model, entityId) {
  if (!model.has(entityId)) return `${notFound(entityId)} for deletion`;
  model.delete(entityId);
  return undefined;
}

const outcomeOf = (settled) => (settled.status === "fulfilled" ? undefined : settled.reason.message);

class Write {
  constructor(entityId, entity) {
    Object.assign(this, { entityId, entity });
  }
  check = () => true;
  async run(model, real) {
    await real.store.writeValue(this.entityId, this.entity);
    model.set(this.entityId, this.entity);
  }
  toString = () => `write(${this.entityId}, ${JSON.stringify(this.entity)})`;
}

class Remove {
  constructor(entityId) {
    this.entityId = entityId;
  }
  check = () => true;
  async run(model, real) {
    const [settled] = await Promise.allSettled([real.store.removeValue(this.entityId)]);
    assert.equal(outcomeOf(settled), modelRemove(model, this.entityId));
  }
  toString = () => `remove(${this.entityId})`;
}

class Read {
  constructor(entityId) {
    this.entityId = entityId;
  }
  check = () => true;
  async run(model, real) {
    if (model.has(this.entityId)) assert.deepEqual(await real.store.readValue(this.entityId), model.get(this.entityId));
    else await assert.rejects(real.store.readValue(this.entityId), { message: notFound(this.entityId) });
  }
  toString = () => `read(${this.entityId})`;
}

class Has {
  constructor(entityId) {
    this.entityId = entityId;
  }
  check = () => true;
  async run(model, real) {
    assert.equal(await real.store.hasValue(this.entityId), model.has(this.entityId));
  }
  toString = () => `has(${this.entityId})`;
}

class Listing {
  check = () => true;
  async run(model, real) {
    const keys = [...model.keys()].sort(keyOrder);
    assert.deepEqual(await collect(real.store.keys()), keys);
    assert.deepEqual(await collect(real.store.values()), keys.map((key) => model.get(key)));
    assert.equal(await real.store.getCount(), model.size);
  }
  toString = () => "keys+values+getCount";
}

class RemoveAll {
  check = () => true;
  async run(model, real) {
    await real.store.removeAll();
    model.clear();
  }
  toString = () => "removeAll";
}

/**
 * 19.5.0's batch writes on the store itself, as the Instances make them: Log and Candle keep
 * what is there ("only missing"; of ids given twice the first counts), Storage overwrites (the
 * last counts). Each takes its place in every key's order when it is called.
 */
const BATCHES = {
  log: { onlyMissing: true, instance: () => new PersistLogInstance(), write: (instance, rows) => instance.writeLogData(rows) },
  storage: { onlyMissing: false, instance: () => new PersistStorageInstance(true), write: (instance, rows) => instance.writeStorageData(rows) },
  candle: { onlyMissing: true, instance: () => new PersistCandleInstance("BTCUSDT", "1m", "binance"), write: (instance, rows) => instance.writeCandlesData(rows) },
};

/** The rows a batch of `kind` writes for `entries` ([id, entity] pairs): each row is its document. */
function batchRows(kind, entries) {
  if (kind === "candle") {
    return entries.filter(([entityId]) => /^\d+$/.test(entityId)).map(([entityId, entity]) => asStored({ timestamp: Number(entityId), close: JSON.stringify(entity) }));
  }
  return entries.map(([entityId, entity]) => asStored({ id: entityId, entity }));
}

/** The model after a batch of `kind` writing `rows`. */
function modelBatch(model, kind, rows) {
  const documents = rows.map((row) => [kind === "candle" ? String(row.timestamp) : row.id, row]);
  if (!BATCHES[kind].onlyMissing) {
    for (const [entityId, row] of documents) model.set(entityId, row);
    return;
  }
  const seen = new Set();
  for (const [entityId, row] of documents) {
    if (seen.has(entityId)) continue;
    seen.add(entityId);
    if (!model.has(entityId)) model.set(entityId, row);
  }
}

/**
 * Calls issued at once, awaited together, each checked against the model applied in call
 * order: writes (`["write", id, entity]`), removals (`["remove", id]`), `removeAll`, and
 * 19.5.0 batch writes (`["log" | "storage" | "candle", entries]`).
 */
class Batch {
  constructor(operations) {
    this.operations = operations;
  }
  check = () => true;
  async run(model, real) {
    const issued = this.operations.map(([kind, ...args]) => {
      if (kind === "write") return spelled(real, args[2]).writeValue(args[0], args[1]);
      if (kind === "remove") return spelled(real, args[1]).removeValue(args[0]);
      if (kind === "removeAll") return spelled(real, args[0]).removeAll();
      const instance = BATCHES[kind].instance();
      instance._storage = real.store;
      return BATCHES[kind].write(instance, batchRows(kind, args[0]));
    });
    const settled = await Promise.allSettled(issued);
    this.operations.forEach(([kind, ...args], index) => {
      let expected;
      if (kind === "write") model.set(args[0], args[1]);
      else if (kind === "remove") expected = modelRemove(model, args[0]);
      else if (kind === "removeAll") model.clear();
      else modelBatch(model, kind, batchRows(kind, args[0]));
      assert.equal(outcomeOf(settled[index]), expected, `call ${index} of ${this}`);
    });
  }
  toString = () =>
    `batch(${this.operations
      .map(([kind, ...args]) => (kind === "write" ? `+${args[0]}${args[2] ? "@link" : ""}` : kind === "remove" ? `-${args[0]}${args[1] ? "@link" : ""}` : kind === "removeAll" ? `removeAll${args[0] ? "@link" : ""}` : `${kind}[${args[0].map(([entityId]) => entityId).join(",")}]`))
      .join(" ")})`;
}

/** The store of this step's spelling: the real one, or (files) the symlinked one never initialised. */
const spelled = (real, viaLink) => (viaLink && real.link ? real.link : real.store);

/** `readCandlesData(2, 60000)` (ids "60000", "120000") through either spelling: the candle cache. */
class CandleRead {
  constructor(viaLink) {
    this.viaLink = viaLink;
  }
  check = () => true;
  async run(model, real) {
    const instance = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    instance._storage = spelled(real, this.viaLink);
    const expected = model.has("60000") && model.has("120000") ? [model.get("60000"), model.get("120000")] : null;
    assert.deepEqual(await instance.readCandlesData(2, 60_000, 0), expected);
  }
  toString = () => `candles(${this.viaLink ? "link" : "real"})`;
}

/**
 * Files only: the directory removed outside the package, a neighbour store created at once (it
 * may take the freed inode, as ext4 gives it), the directory made again; then both write one id
 * together. Ours must hold only its own documents; the neighbour's file its own.
 */
class Recreate {
  check = () => true;
  async run(model, real) {
    if (!real.link) return;
    const folder = path.join(real.dir, NAME);
    fs.rmSync(folder, { recursive: true, force: true });
    model.clear();
    real.neighbours += 1;
    const neighbour = new PersistBase(`neighbour${real.neighbours}`, real.dir);
    await neighbour.waitForInit(true);
    fs.mkdirSync(folder);
    await Promise.all([neighbour.writeValue("a", { neighbour: real.neighbours }), real.store.writeValue("a", { ours: true })]);
    model.set("a", { ours: true });
    assert.deepEqual(await neighbour.readValue("a"), { neighbour: real.neighbours });
  }
  toString = () => "recreate";
}

class Restart {
  check = () => true;
  async run(model, real) {
    real.store = new PersistBase(NAME, real.dir, { store: real.url });
    await real.store.waitForInit(true);
  }
  toString = () => "restart";
}

const baseCommand = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(id, value).map(([entityId, entity]) => new Write(entityId, entity)) },
  { weight: 3, arbitrary: id.map((entityId) => new Remove(entityId)) },
  { weight: 3, arbitrary: id.map((entityId) => new Read(entityId)) },
  { weight: 2, arbitrary: id.map((entityId) => new Has(entityId)) },
  { weight: 1, arbitrary: fc.constant(new Listing()) },
  { weight: 1, arbitrary: fc.constant(new RemoveAll()) },
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.oneof(
          { weight: 4, arbitrary: fc.tuple(fc.constant("write"), id, value, fc.boolean()) },
          { weight: 2, arbitrary: fc.tuple(fc.constant("remove"), id, fc.boolean()) },
          { weight: 1, arbitrary: fc.tuple(fc.constant("removeAll"), fc.boolean()) },
          { weight: 3, arbitrary: fc.tuple(fc.constantFrom("log", "storage", "candle"), fc.array(fc.tuple(id, value), { minLength: 1, maxLength: 5 })) },
        ),
        { minLength: 2, maxLength: 8 },
      )
      .map((operations) => new Batch(operations)),
  },
  { weight: 1, arbitrary: fc.constant(new Restart()) },
  { weight: 2, arbitrary: fc.boolean().map((viaLink) => new CandleRead(viaLink)) },
  { weight: 1, arbitrary: fc.constant(new Recreate()) },
);

const runsOn = (row) => (row.server ? 100 : 500);

for (const row of STORES) {
  test(`${row.name}: PersistBase matches a map over random sequences of ${MIN_COMMANDS}+ commands`, { skip: row.skip }, async (t) => {
    const url = await row.url(t);
    const root = row.base(t);
    let sequences = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(baseCommand, { minLength: MIN_COMMANDS, maxLength: MIN_COMMANDS + 20 }), async (commands) => {
        sequences += 1;
        const dir = url ? `${root}/run-${sequences}` : fs.mkdtempSync(path.join(root, "run-"));
        const store = new PersistBase(NAME, dir, { store: url });
        await store.waitForInit(true);
        let link = null;
        if (!url && process.platform !== "win32") {
          fs.symlinkSync(dir, `${dir}-link`, "dir");
          link = new PersistBase(NAME, `${dir}-link`);
        }
        await fc.asyncModelRun(() => ({ model: new Map(), real: { store, dir, url, link, neighbours: 0 } }), commands);
        if (!url) fs.rmSync(dir, { recursive: true, force: true });
        if (link) fs.rmSync(`${dir}-link`);
      }),
      { numRuns: runsOn(row), ...replay },
    );
    t.diagnostic(`${sequences} sequences`);
  });
}

// ---- a registry on the default store ----------------------------------------------------------

const STRATEGIES = ["trend", "grid"];
const SYMBOLS = ["BTCUSDT", "ETHUSDT", "k10"];
const signalKey = (strategy, symbol) => `${strategy}/${symbol}`;
const row = fc.option(fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }), priceOpen: fc.integer({ min: 1, max: 1e6 }) }), { freq: 4 }).map(asStored);

class WriteSignal {
  constructor(strategy, symbol, signal) {
    Object.assign(this, { strategy, symbol, signal });
  }
  check = () => true;
  async run(model, real) {
    await real.registry.writeSignalData(this.signal, real.prefix + this.strategy, this.symbol);
    model.set(signalKey(this.strategy, this.symbol), this.signal);
  }
  toString = () => `writeSignal(${this.strategy}, ${this.symbol}, ${JSON.stringify(this.signal)})`;
}

class ReadSignal {
  constructor(strategy, symbol) {
    Object.assign(this, { strategy, symbol });
  }
  check = () => true;
  async run(model, real) {
    const expected = model.get(signalKey(this.strategy, this.symbol)) ?? null;
    assert.deepEqual(await real.registry.readSignalData(real.prefix + this.strategy, this.symbol), expected);
  }
  toString = () => `readSignal(${this.strategy}, ${this.symbol})`;
}

class SignalBatch {
  constructor(writes) {
    this.writes = writes;
  }
  check = () => true;
  async run(model, real) {
    await Promise.all(this.writes.map(([strategy, symbol, signal]) => real.registry.writeSignalData(signal, real.prefix + strategy, symbol)));
    for (const [strategy, symbol, signal] of this.writes) model.set(signalKey(strategy, symbol), signal);
  }
  toString = () => `signalBatch(${this.writes.length})`;
}

class RestartRegistry {
  check = () => true;
  async run(model, real) {
    real.registry = new PersistSignalUtils();
  }
  toString = () => "restartRegistry";
}

const strategy = fc.constantFrom(...STRATEGIES);
const symbol = fc.constantFrom(...SYMBOLS);
const registryCommand = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(strategy, symbol, row).map(([s, y, r]) => new WriteSignal(s, y, r)) },
  { weight: 4, arbitrary: fc.tuple(strategy, symbol).map(([s, y]) => new ReadSignal(s, y)) },
  { weight: 2, arbitrary: fc.array(fc.tuple(strategy, symbol, row), { minLength: 2, maxLength: 8 }).map((writes) => new SignalBatch(writes)) },
  { weight: 1, arbitrary: fc.constant(new RestartRegistry()) },
);

for (const row of STORES) {
  test(`${row.name}: a registry on the default store matches a map over random sequences of ${MIN_COMMANDS}+ commands`, { skip: row.skip }, async (t) => {
    const url = await row.url(t);
    // The registries write under ./dump relative to the working directory (files), or under the
    // same logical paths on the server.
    const previous = process.cwd();
    process.chdir(tempDir(t, "model-registry"));
    usePersistStore(url);
    t.after(() => {
      usePersistStore(null);
      process.chdir(previous);
    });
    let sequences = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(registryCommand, { minLength: MIN_COMMANDS, maxLength: MIN_COMMANDS + 20 }), async (commands) => {
        sequences += 1;
        // Strategy names of their own: every run starts from an empty directory.
        const prefix = `run${sequences}-${process.pid}-`;
        await fc.asyncModelRun(() => ({ model: new Map(), real: { registry: new PersistSignalUtils(), prefix } }), commands);
      }),
      { numRuns: runsOn(row), ...replay },
    );
    // On disk exactly when no server store is chosen.
    assert.equal(fs.existsSync(path.join(process.cwd(), "dump", "data", "signal")), url === null);
    t.diagnostic(`${sequences} sequences`);
  });
}
