// The async-generator methods of PersistBase, which only JS can define. Installed once per JS
// environment by the addon's module init; `native` holds the private helpers they call.
// Ids and documents cross to JS a window at a time: a `take(1)` reads one small window, and
// no listing or read of a large store holds the JS thread or the whole store in memory.
(function installIteration(PersistBase, native, sortKeys) {
  "use strict";
  const listIds = native.__persistBaseList;
  const readWindow = native.__persistBaseRead;
  const parseValue = native.__persistBaseParse;
  const proto = PersistBase.prototype;
  const nativeReadValue = proto.readValue;
  const KEYS_WINDOW = 1024;
  // Node's own setImmediate (not a global a fake-timer library replaces): keys() lets the event
  // loop run between two slices of ids, as values() does between two windows of reads.
  const timers = typeof process.getBuiltinModule === "function" ? process.getBuiltinModule("timers") : globalThis;
  const setImmediateOfNode = timers.setImmediate;
  const nextTurn = () => new Promise((resolve) => setImmediateOfNode(resolve));
  const FIRST_VALUES_WINDOW = 16;
  const MAX_VALUES_WINDOW = 1024;
  // Bytes read per window: a first window of large documents holds one or two of them.
  const FIRST_WINDOW_BYTES = 1 << 20;
  const MAX_WINDOW_BYTES = 8 << 20;

  /** The ids in order: sliced from the native list, or sorted here by the engine's collator. */
  function orderedIds(list) {
    if (!list.needsEngineSort) return (start, end) => list.slice(start, end);
    const ids = sortKeys(list.slice(0, list.length));
    return (start, end) => ids.slice(start, end);
  }

  const methods = {
    /** Entity ids, sorted as `localeCompare(b, undefined, { numeric: true, sensitivity: "base" })`. */
    async *keys() {
      const list = await listIds(this, false);
      const slice = orderedIds(list);
      for (let start = 0; start < list.length; start += KEYS_WINDOW) {
        if (start > 0) await nextTurn();
        yield* slice(start, start + KEYS_WINDOW);
      }
    },

    /** Entities in `keys()` order. A subclass's `keys`/`readValue` overrides are honoured. */
    async *values() {
      if (this.keys === methods.keys && this.readValue === nativeReadValue) {
        const list = await listIds(this, true);
        const slice = orderedIds(list);
        let size = FIRST_VALUES_WINDOW;
        let bytes = FIRST_WINDOW_BYTES;
        for (let start = 0; start < list.length; ) {
          const ids = slice(start, start + size);
          const texts = await readWindow(this, ids, bytes);
          start += texts.length;
          // Each document is parsed when it is yielded: a caller that stops early parses no more.
          for (let index = 0; index < texts.length; index += 1) {
            yield parseValue(this, ids[index], texts[index]);
          }
          size = Math.min(size * 2, MAX_VALUES_WINDOW);
          bytes = Math.min(bytes * 2, MAX_WINDOW_BYTES);
        }
        return;
      }
      try {
        for await (const key of this.keys()) {
          yield await this.readValue(key);
        }
      } catch (error) {
        throw new Error(`Failed to read values for ${this.entityName}: ${messageOf(error)}`, { cause: error });
      }
    },

    /** Entities for which `predicate(value)` is truthy. */
    async *filter(predicate) {
      for await (const value of this.values()) {
        if (predicate(value)) {
          yield value;
        }
      }
    },

    /** At most `total` entities, filtered by `predicate` when one is given. */
    async *take(total, predicate) {
      let count = 0;
      if (!(count < total)) {
        return;
      }
      for await (const value of this.values()) {
        if (predicate && !predicate(value)) {
          continue;
        }
        yield value;
        count += 1;
        if (count >= total) {
          return;
        }
      }
    },

    /** Same as `values()`. */
    [Symbol.asyncIterator]() {
      return this.values();
    },
  };

  function messageOf(error) {
    return error instanceof Error ? error.message : String(error);
  }

  for (const key of Reflect.ownKeys(methods)) {
    Object.defineProperty(proto, key, {
      value: methods[key],
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
});
//# sourceURL=@backtest-kit/persist/iteration.js
