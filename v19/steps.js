// The store work of the 19.5.0 Instances, each step one native call on the Instance's
// `PersistBase` (`this._storage`), on files or a server store: a read, a range of candles, every
// document, a batch write.
// When `_storage` is not this package's own PersistBase (a subclass overriding its methods, or
// another object put there by a custom Instance), each step makes the same calls on it that
// backtest-kit's own Instance makes, so overrides are honoured.
"use strict";

const binding = require("../binding.js");

const { PersistBase } = binding;

/** What a read of an absent document gives, told apart from a stored `null`. */
const ABSENT = Symbol("absent");

/** Whether `storage` is this package's own PersistBase (on any store), not a subclass or another object. */
function isNative(storage) {
  return storage !== null && typeof storage === "object" && Object.getPrototypeOf(storage) === PersistBase.prototype;
}

/** The document `id`, or `ABSENT`. */
async function readOne(storage, id) {
  if (isNative(storage)) {
    const value = await binding.__v19ReadOptional(storage, id);
    return value === undefined ? ABSENT : value;
  }
  return (await storage.hasValue(id)) ? await storage.readValue(id) : ABSENT;
}

/** Whether the document `id` exists. */
function hasOne(storage, id) {
  return storage.hasValue(id);
}

function writeOne(storage, id, value) {
  return storage.writeValue(id, value);
}

/** Every document, in `keys()` order. */
async function readAll(storage) {
  if (!isNative(storage)) {
    const values = [];
    for await (const id of storage.keys()) values.push(await storage.readValue(id));
    return values;
  }
  const [ids, values, needsEngineSort] = await binding.__v19ReadAll(storage);
  if (!needsEngineSort) return values;
  const byId = new Map(ids.map((id, index) => [id, values[index]]));
  return binding.__v19SortKeys(ids.slice()).map((id) => byId.get(id));
}

/**
 * `count` candles (`Infinity`: until one is missing) named `String(since + i * stepMs)`, on a
 * native store, `since` an integer: `null` when one is missing, the text of a JSON array of
 * them all, or `[index, text]` for the first that does not parse.
 */
function readCandles(storage, since, stepMs, count) {
  return binding.__v19ReadCandles(storage, since, stepMs, count);
}

/** The same candles from the process's cache (the text of a JSON array), or `null`: synchronous. */
function cachedCandles(storage, since, stepMs, count) {
  return binding.__v19CachedCandles(storage, since, stepMs, count);
}

/**
 * Writes `values[i]` under `ids[i]`: one durable batch on this package's store, or one call at
 * a time as backtest-kit does. With `onlyMissing`, existing documents are kept.
 */
async function writeMany(storage, ids, values, onlyMissing) {
  if (isNative(storage)) {
    // One JSON.stringify of the whole batch, split natively into the documents; a batch it
    // cannot represent that way (a circular value, a toJSON giving nothing) goes value by value,
    // where the failing value is named as the reference names it.
    let text;
    try {
      text = JSON.stringify(values);
    } catch {
      text = undefined;
    }
    const written = typeof text === "string" ? binding.__v19WriteBatchText(storage, ids, text, onlyMissing) : null;
    await (written ?? binding.__v19WriteBatch(storage, ids, values, onlyMissing));
    return;
  }
  for (let index = 0; index < ids.length; index += 1) {
    if (onlyMissing && (await storage.hasValue(ids[index]))) continue;
    await storage.writeValue(ids[index], values[index]);
  }
}

/** Every key, as `keys()` yields it. */
function keys(storage) {
  return storage.keys();
}

module.exports = { ABSENT, PersistBase, hasOne, isNative, keys, cachedCandles, readAll, readCandles, readOne, writeMany, writeOne };
