// The async-generator methods of PersistBase, which only JS can define. Installed once per JS
// environment by the addon's module init; `native` holds the private helpers they call.
(function installIteration(PersistBase, native) {
  "use strict";
  const listKeys = native.__persistBaseKeys;
  const readAllValues = native.__persistBaseValues;
  const proto = PersistBase.prototype;
  const nativeReadValue = proto.readValue;

  const methods = {
    /** Entity ids, sorted as `localeCompare(b, undefined, { numeric: true, sensitivity: "base" })`. */
    async *keys() {
      yield* await listKeys(this);
    },

    /** Entities in `keys()` order. A subclass's `keys`/`readValue` overrides are honoured. */
    async *values() {
      if (this.keys === methods.keys && this.readValue === nativeReadValue) {
        yield* await readAllValues(this);
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
