// JS adapters that misbehave (SPEC C, issue 5's injected faults): a call that never settles is
// cut off by the per-call timeout (`usePersist*Adapter(Ctor, { timeoutMs })`) with a clear
// error, and a method that returns something unusable gives an error naming the adapter and
// the method. Either way the registry keeps working for the next call. Throwing and rejecting
// adapters are covered in registries.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PersistSignalUtils, PersistRiskUtils } from "../index.js";

let unique = 0;
const fresh = (label) => `${label}-${process.pid}-${++unique}`;

/** A registry of its own whose adapter's methods come from `methods`, bound to a shared log. */
function registryWith(methods, options) {
  const registry = new PersistSignalUtils();
  class Adapter {
    waitForInit() {}
    hasValue() {
      return true;
    }
    readValue() {
      return { id: "x" };
    }
    writeValue() {}
  }
  Object.assign(Adapter.prototype, methods);
  registry.usePersistSignalAdapter(Adapter, options);
  return registry;
}

const never = () => new Promise(() => {});

for (const method of ["waitForInit", "hasValue", "readValue"]) {
  test(`${method} never settling: the read fails after timeoutMs with the method named`, async () => {
    const registry = registryWith({ [method]: never }, { timeoutMs: 30 });
    await assert.rejects(registry.readSignalData(fresh("s"), "BTCUSDT"), {
      message: `PersistSignalAdapter: Adapter.${method} did not settle within 30 ms`,
    });
  });
}

test("writeValue never settling: the write fails after timeoutMs, and the next write on the key goes through", async () => {
  const written = [];
  let calls = 0;
  const registry = registryWith(
    {
      writeValue(id, value) {
        calls += 1;
        if (calls === 1) return never();
        written.push(value);
      },
    },
    { timeoutMs: 30 },
  );
  const strategy = fresh("s");
  await assert.rejects(registry.writeSignalData({ id: "first" }, strategy, "BTCUSDT"), {
    message: "PersistSignalAdapter: Adapter.writeValue did not settle within 30 ms",
  });
  await registry.writeSignalData({ id: "second" }, strategy, "BTCUSDT");
  assert.deepEqual(written, [{ id: "second" }]);
});

test("a call settling after its timeout is ignored: the caller keeps the timeout error", async () => {
  let resolveLate;
  const registry = registryWith(
    { readValue: () => new Promise((resolve) => (resolveLate = resolve)) },
    { timeoutMs: 20 },
  );
  const read = registry.readSignalData(fresh("s"), "BTCUSDT");
  await assert.rejects(read, { message: "PersistSignalAdapter: Adapter.readValue did not settle within 20 ms" });
  resolveLate({ id: "late" });
  assert.deepEqual(await registryWith({}, { timeoutMs: 20 }).readSignalData(fresh("s"), "BTCUSDT"), { id: "x" });
});

test("calls that settle in time clear their timer: no timeout is left to hold the process", async () => {
  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
  const registry = registryWith(
    { readValue: () => new Promise((resolve) => setImmediate(() => resolve({ id: "soon" }))) },
    { timeoutMs: 60_000 },
  );
  const before = timers();
  const read = registry.readSignalData(fresh("s"), "BTCUSDT");
  assert.equal(timers(), before + 1, "the call armed its timer");
  assert.deepEqual(await read, { id: "soon" });
  assert.equal(timers(), before, "the settled call cleared it");
});

test("without timeoutMs a pending call is simply pending (no timeout is invented)", async () => {
  let resolveLater;
  const registry = registryWith({ readValue: () => new Promise((resolve) => (resolveLater = resolve)) });
  const read = registry.readSignalData(fresh("s"), "BTCUSDT");
  const state = await Promise.race([read.then(() => "settled"), new Promise((r) => setTimeout(r, 50, "pending"))]);
  assert.equal(state, "pending");
  resolveLater({ id: "eventually" });
  assert.deepEqual(await read, { id: "eventually" });
});

const TIMEOUT = "options.timeoutMs must be a positive number of milliseconds, at most 2147483647";
for (const [label, options, message, name, code] of [
  ["a string", "fast", "options must be an object. Received type string ('fast')", "TypeError", "ERR_INVALID_ARG_TYPE"],
  ["zero", { timeoutMs: 0 }, `${TIMEOUT}. Received type number (0)`, "RangeError", "ERR_OUT_OF_RANGE"],
  ["a negative number", { timeoutMs: -5 }, `${TIMEOUT}. Received type number (-5)`, "RangeError", "ERR_OUT_OF_RANGE"],
  ["NaN", { timeoutMs: NaN }, `${TIMEOUT}. Received type number (NaN)`, "RangeError", "ERR_OUT_OF_RANGE"],
  ["Infinity", { timeoutMs: Infinity }, `${TIMEOUT}. Received type number (Infinity)`, "RangeError", "ERR_OUT_OF_RANGE"],
  ["a numeric string", { timeoutMs: "100" }, `${TIMEOUT}. Received type string ('100')`, "TypeError", "ERR_INVALID_ARG_TYPE"],
]) {
  test(`options as ${label} are refused at registration with ${code}, and the registered adapter stays`, async () => {
    const registry = registryWith({ readValue: () => ({ id: "kept" }) });
    class Other {
      waitForInit() {}
      hasValue() {
        return true;
      }
      readValue() {
        return { id: "other" };
      }
      writeValue() {}
    }
    assert.throws(() => registry.usePersistSignalAdapter(Other, options), {
      name,
      code,
      message: `PersistSignalAdapter.usePersistSignalAdapter: ${message}`,
    });
    assert.deepEqual(await registry.readSignalData(fresh("s"), "BTCUSDT"), { id: "kept" });
  });
}

// Values JSON cannot carry: the caller gets an error naming the adapter and the method.
const circular = { id: "loop" };
circular.self = circular;
for (const [label, value, cause] of [
  ["a BigInt", { id: "x", size: 10n }, /BigInt/],
  ["a circular object", circular, /circular/i],
]) {
  test(`readValue returning ${label}: a clear error naming Adapter.readValue`, async () => {
    const registry = registryWith({ readValue: () => value });
    await assert.rejects(registry.readSignalData(fresh("s"), "BTCUSDT"), (error) => {
      assert.match(error.message, /^PersistSignalAdapter: Adapter\.readValue gave a value that cannot be used: /);
      assert.match(error.message, cause);
      return true;
    });
    assert.deepEqual(await registryWith({}).readSignalData(fresh("s"), "BTCUSDT"), { id: "x" });
  });
}

test("readValue resolving to garbage after a promise: the same clear error", async () => {
  const registry = registryWith({ readValue: async () => ({ big: 1n }) });
  await assert.rejects(registry.readSignalData(fresh("s"), "BTCUSDT"), {
    message: /^PersistSignalAdapter: Adapter\.readValue gave a value that cannot be used: .*BigInt/,
  });
});

test("a function or a symbol as the value: the same clear error, since no JSON text exists for it", async () => {
  for (const [value, type] of [
    [() => 1, "function"],
    [Symbol("s"), "symbol"],
  ]) {
    const registry = registryWith({ readValue: () => value });
    await assert.rejects(registry.readSignalData(fresh("s"), "BTCUSDT"), {
      message:
        "PersistSignalAdapter: Adapter.readValue gave a value that cannot be used: the value cannot be stored as JSON " +
        `(JSON.stringify gave no text for a value of type ${type})`,
    });
  }
});

test("values with a JSON form read as JSON.parse(JSON.stringify(value)) gives them; undefined reads as null", async () => {
  for (const [value, expected] of [
    [undefined, null],
    [new Date(0), "1970-01-01T00:00:00.000Z"],
    [[undefined, () => 1], [null, null]],
    [{ id: "x", drop: undefined, fn() {} }, { id: "x" }],
  ]) {
    const registry = registryWith({ readValue: () => value });
    assert.deepEqual(await registry.readSignalData(fresh("s"), "BTCUSDT"), expected, String(expected));
  }
});

test("a thenable whose then throws: the call rejects with that error", async () => {
  const registry = registryWith({
    readValue: () => ({
      then() {
        throw new Error("then exploded");
      },
    }),
  });
  await assert.rejects(registry.readSignalData(fresh("s"), "BTCUSDT"), { message: "then exploded" });
});

test("a thenable that calls back twice: the first outcome wins", async () => {
  const registry = registryWith({
    readValue: () => ({
      then(resolve, reject) {
        resolve({ id: "first" });
        reject(new Error("second"));
        resolve({ id: "third" });
      },
    }),
  });
  assert.deepEqual(await registry.readSignalData(fresh("s"), "BTCUSDT"), { id: "first" });
});

test("hasValue resolving to garbage is taken by truthiness; a risk registry's default stays an array", async () => {
  const registry = new PersistRiskUtils();
  class Empty {
    waitForInit() {}
    hasValue() {
      return Promise.resolve(0);
    }
    readValue() {
      throw new Error("must not be read");
    }
    writeValue() {}
  }
  registry.usePersistRiskAdapter(Empty);
  assert.deepEqual(await registry.readPositionData(fresh("r")), []);
});
