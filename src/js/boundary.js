// Everything the addon does to a value a user gave it goes through these functions: calling or
// constructing it, reading one of its properties, describing it as text, adopting it as a
// Promise. Each returns what happened as a value and never throws, whatever the value does
// (getters, Proxy traps, toString, thenables calling back zero, one or two times), so that no
// exception is ever left pending in the engine. The intrinsics are captured when the package
// is loaded: globals replaced later (Promise.prototype.then, JSON) change nothing, and timers
// are Node's own whatever `setTimeout` names.
// Installed once per JS environment by the addon's module init.
(function boundary() {
  "use strict";
  const { apply, construct, defineProperty } = Reflect;
  const PromiseCtor = Promise;
  const promiseResolve = Promise.resolve;
  const promiseThen = Promise.prototype.then;
  const ErrorCtor = Error;
  const captureStackTrace = Error.captureStackTrace;
  const weakAdd = WeakSet.prototype.add;
  const weakHas = WeakSet.prototype.has;
  // The errors this package made, whose stacks may be re-taken where the caller awaits them
  // (a user's own values are never touched).
  const made = new WeakSet();
  /** A rejection handler run where the caller awaits: V8 gives it the caller's async frames. */
  function atCaller(reason) {
    if (typeof reason === "object" && reason !== null && apply(weakHas, made, [reason])) {
      captureStackTrace(reason, atCaller);
    }
    throw reason;
  }
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
  const StringCtor = String;
  const symbolToString = Symbol.prototype.toString;
  const objectToString = Object.prototype.toString;
  const jsonStringify = JSON.stringify;
  const jsonParse = JSON.parse;
  // Node's own timers, not whatever the global names hold (fake timers, polyfills).
  const timers = typeof process.getBuiltinModule === "function" ? process.getBuiltinModule("timers") : globalThis;
  const setTimer = timers.setTimeout;
  const clearTimer = timers.clearTimeout;
  const arraySort = Array.prototype.sort;
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const compareCollated = collator.compare;
  const defaultLocale = new Intl.Collator().resolvedOptions().locale;

  function outcome(threw, value) {
    return { threw, value };
  }

  /** Compares by code point (not UTF-16 unit), as Rust's `str` ordering does. */
  function compareCodePoints(a, b) {
    let i = 0;
    while (i < a.length && i < b.length) {
      const x = a.codePointAt(i);
      const y = b.codePointAt(i);
      if (x !== y) return x < y ? -1 : 1;
      i += x > 0xffff ? 2 : 1;
    }
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }

  return {
    /** `target.apply(thisArg, args)`, or `new target(...args)` when `isConstruct`. */
    call(isConstruct, target, thisArg, args) {
      try {
        return outcome(false, isConstruct ? construct(target, args) : apply(target, thisArg, args));
      } catch (error) {
        return outcome(true, error);
      }
    },

    /** `object[name]`, for any value. */
    get(object, name) {
      try {
        return outcome(false, object[name]);
      } catch (error) {
        return outcome(true, error);
      }
    },

    /** A thrown value as text: an Error's message, `String(value)` for anything else. */
    describe(value, isError) {
      try {
        if (typeof value === "symbol") return apply(symbolToString, value, []);
        if (isError) {
          const message = value.message;
          return typeof message === "string" ? message : StringCtor(message);
        }
        return StringCtor(value);
      } catch {
        // The value's own conversion threw: describe it by its kind instead.
      }
      try {
        return apply(objectToString, value, []);
      } catch {
        return "a value that cannot be shown as text";
      }
    },

    /**
     * Adopts `value` as `await` would (nested thenables included) and calls exactly one of the
     * callbacks, exactly once, with exactly one argument, in a later microtask.
     */
    settle(value, onFulfilled, onRejected) {
      // The callbacks are the addon's own and settle their call before anything can fail; the
      // guard only keeps an engine failure inside them from becoming an unhandled rejection.
      const fulfilled = (result) => {
        try {
          onFulfilled(result);
        } catch {}
      };
      const rejected = (reason) => {
        try {
          onRejected(reason);
        } catch {}
      };
      let promise;
      try {
        promise = apply(promiseResolve, PromiseCtor, [value]);
      } catch (error) {
        apply(promiseThen, apply(promiseResolve, PromiseCtor, [undefined]), [() => rejected(error)]);
        return;
      }
      apply(promiseThen, promise, [fulfilled, rejected]);
    },

    /** `JSON.stringify(value)`. */
    stringify(value) {
      try {
        return outcome(false, jsonStringify(value));
      } catch (error) {
        return outcome(true, error);
      }
    },

    /** `JSON.parse(text)`. */
    parse(text) {
      try {
        return outcome(false, jsonParse(text));
      } catch (error) {
        return outcome(true, error);
      }
    },

    /** Starts a timer; returns the function that cancels it, whatever the timer handle is. */
    timer(milliseconds, callback) {
      const handle = apply(setTimer, timers, [callback, milliseconds]);
      return () => {
        try {
          apply(clearTimer, timers, [handle]);
        } catch {
          // A timer that cannot be cleared fires later and finds its call settled.
        }
      };
    },

    /**
     * An Error with `message`, the own enumerable properties of `properties` (`code`, `errno`,
     * ...), and `cause` as `new Error(message, { cause })` sets it, when `hasCause`; a
     * TypeError or RangeError when `kind` is "type" or "range".
     */
    error(message, properties, hasCause, cause, kind) {
      const Ctor = kind === "type" ? TypeErrorCtor : kind === "range" ? RangeErrorCtor : ErrorCtor;
      const error = hasCause ? new Ctor(message, { cause }) : new Ctor(message);
      for (const name of Object.keys(properties)) {
        defineProperty(error, name, { value: properties[name], writable: true, configurable: true, enumerable: true });
      }
      apply(weakAdd, made, [error]);
      return error;
    },

    /**
     * `promise.then(undefined, atCaller)`: what this package's calls return, so that an error
     * of ours rejecting it has the stack of the code awaiting it (`at async main (bot.mjs:12)`),
     * as Node's fs.promises errors do, not the frame that happened to settle it.
     */
    atCaller(promise) {
      return apply(promiseThen, promise, [undefined, atCaller]);
    },

    /** How Node's argument errors show a value: ` Received type number (123)`, ... */
    received(value) {
      try {
        if (value === undefined || value === null) return ` Received ${value}`;
        if (typeof value === "function") return ` Received function ${value.name}`;
        if (typeof value === "object") {
          const name = value.constructor && value.constructor.name;
          return name ? ` Received an instance of ${name}` : " Received an object";
        }
        let shown = typeof value === "string" ? `'${value}'` : typeof value === "bigint" ? `${value}n` : StringCtor(value);
        if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
        return ` Received type ${typeof value} (${shown})`;
      } catch {
        return " Received a value that cannot be shown";
      }
    },

    /** Lines for `console.error`, looked up now (callers may have replaced it to capture). */
    logError(lines) {
      for (const line of lines) {
        try {
          globalThis.console.error(line);
        } catch {
          // A console that cannot print must not fail the operation that logs.
        }
      }
    },

    /** Ids in the reference's order: `localeCompare` with numeric, base sensitivity; code point ties. */
    sortKeys(ids) {
      return apply(arraySort, ids, [(a, b) => compareCollated(a, b) || compareCodePoints(a, b)]);
    },

    /**
     * Whether the default collation is the root order the native sort implements, for ASCII
     * ids: English or undetermined, with no variant (`en-US-u-va-posix` sorts otherwise).
     */
    nativeOrderIsExact: /^(en(-[A-Z]{2})?|und)$/.test(defaultLocale),
  };
});
//# sourceURL=@backtest-kit/persist/boundary.js
