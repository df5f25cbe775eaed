// Every exported function, constructor and method of both entry points, called with arguments
// of the wrong type: each call throws or rejects with an Error that is a TypeError/RangeError
// with Node's code, an error with a documented code, or the engine's own TypeError (the
// reference's template strings meeting a Symbol). No napi status name (`InvalidArg`,
// `StringExpected`, ...) and no Rust conversion text reaches the caller, and every call settles.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { tempDir } from "./helpers/tmp.mjs";

const require = createRequire(import.meta.url);
const root = require("@backtest-kit/persist");
const v19 = require("@backtest-kit/persist/v19");
const { PERSIST_ERROR_CODES, isPersistError } = root;

const WRONG = [
  ["a number", 123],
  ["an object", {}],
  ["a Symbol", Symbol("wrong")],
  ["null", null],
  ["undefined", undefined],
  ["a function", () => {}],
  ["an array", []],
  ["a BigInt", 1n],
  ["a boolean", true],
  ["a null-prototype object", Object.create(null)],
];
const NAPI_STATUS = /^(InvalidArg|ObjectExpected|StringExpected|NameExpected|FunctionExpected|NumberExpected|BooleanExpected|ArrayExpected|GenericFailure|PendingException|Cancelled|EscapeCalledTwice|HandleScopeMismatch|CallbackScopeMismatch|QueueFull|Closing|BigintExpected|DateExpected|ArrayBufferExpected|DetachableArraybufferExpected|WouldDeadlock|NoExternalBuffersAllowed|Unknown)$/;
const NODE_CODE = /^ERR_[A-Z_]+$/;

/** Every callable of an entry point: [label, call(args), arity]. */
function callables(entry, name) {
  const found = [];
  for (const [exported, value] of Object.entries(entry)) {
    if (typeof value === "function" && /^[A-Z]/.test(exported)) {
      found.push([`new ${name}.${exported}`, (args) => new value(...args), Math.max(value.length, 3)]);
      let instance = null;
      try {
        instance = new value("entity", "./store");
      } catch {}
      const methods = instance ? Object.getOwnPropertyNames(Object.getPrototypeOf(instance)) : [];
      for (const method of methods) {
        if (method === "constructor" || typeof instance[method] !== "function") continue;
        found.push([`${name}.${exported}#${method}`, (args) => instance[method](...args), Math.max(instance[method].length, 3)]);
      }
    } else if (typeof value === "function") {
      found.push([`${name}.${exported}`, (args) => value(...args), Math.max(value.length, 3)]);
    } else if (value !== null && typeof value === "object") {
      for (const [method, fn] of Object.entries(value)) {
        if (typeof fn !== "function") continue;
        found.push([`${name}.${exported}.${method}`, (args) => fn(...args), Math.max(fn.length, 3)]);
      }
    }
  }
  return found;
}

/** What a call did: "returned", or the error it threw or rejected with. */
async function outcome(call, args) {
  let result;
  try {
    result = call(args);
  } catch (error) {
    return { error };
  }
  if (result === null || typeof result !== "object" || typeof result.then !== "function") return { returned: true };
  let timer;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, 10_000, { pending: true })));
  try {
    return await Promise.race([result.then(() => ({ returned: true }), (error) => ({ error })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function checkError(label, error) {
  assert.ok(error instanceof Error, `${label}: threw a non-Error ${String(error)}`);
  assert.doesNotMatch(error.message, /rust type|Failed to convert JavaScript value|napi/i, label);
  const code = error.code;
  if (code === undefined) {
    assert.ok(error instanceof TypeError, `${label}: an error without a code that is not a TypeError: ${error.message}`);
    return;
  }
  assert.doesNotMatch(String(code), NAPI_STATUS, `${label}: ${error.message}`);
  if (NODE_CODE.test(code)) {
    assert.ok(error instanceof TypeError || error instanceof RangeError, `${label}: ${code} on a ${error.name}`);
  } else {
    assert.ok(PERSIST_ERROR_CODES.includes(code) || /^E[A-Z]+$/.test(code), `${label}: undocumented code ${code}`);
  }
}

for (const [name, entry] of [["root", root], ["v19", v19]]) {
  test(`${name}: every export called with wrong argument types fails with a TypeError or a documented code`, async (t) => {
    const cwd = process.cwd();
    process.chdir(tempDir(t, "argument errors"));
    t.after(() => process.chdir(cwd));
    const list = callables(entry, name);
    assert.ok(list.length > (name === "root" ? 40 : 150), `found ${list.length} callables`);
    let failures = 0;
    for (const [label, call, arity] of list) {
      for (let position = 0; position < arity; position++) {
        for (const [shown, wrong] of WRONG) {
          const args = Array.from({ length: arity }, (_, index) => `arg${index}`);
          args[position] = wrong;
          const result = await outcome(call, args);
          assert.notEqual(result.pending, true, `${label} with ${shown} at ${position} never settled`);
          if (result.error) {
            failures++;
            checkError(`${label} with ${shown} at ${position}`, result.error);
          }
        }
      }
    }
    assert.ok(failures > 100, `only ${failures} calls failed: the walk is not reaching the argument checks`);
  });
}

test("the classes called without `new` throw the engine's TypeError and leave `this` alone", () => {
  for (const entry of [root, v19]) {
    for (const name of ["PersistBase", "PersistSignalUtils", "PersistRiskUtils"]) {
      const receiver = {};
      assert.throws(() => entry[name].call(receiver, "entity", "./store"), {
        name: "TypeError",
        message: entry === root ? `Class constructor ${name} cannot be invoked without 'new'` : /cannot be invoked without 'new'/,
      });
      assert.deepEqual(Object.keys(receiver), []);
    }
  }
  // Not even the exports object itself, which a plain `root.PersistBase()` would pass as `this`.
  assert.throws(() => root.PersistBase("entity"), TypeError);
  assert.ok(new root.PersistBase("entity", "./store") instanceof root.PersistBase);
});

test("a non-string entity name or base directory throws what the reference's path.join throws", () => {
  const path = require("node:path");
  for (const wrong of [123, {}, Symbol("s"), true, [], () => {}]) {
    let expected;
    try {
      path.join("./store", wrong);
    } catch (error) {
      expected = error;
    }
    assert.throws(() => new root.PersistBase(wrong, "./store"), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE", message: expected.message });
    assert.throws(() => new root.PersistBase("entity", wrong), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE", message: expected.message });
  }
});

test("registering adapters: wrong types are TypeErrors and out-of-range timeouts RangeErrors, with Node's codes", () => {
  const use = root.PersistSignalAdapter.usePersistSignalAdapter;
  assert.throws(() => use({}), {
    name: "TypeError",
    code: "ERR_INVALID_ARG_TYPE",
    message: "PersistSignalAdapter.usePersistSignalAdapter: the adapter must be a class or constructor function. Received an instance of Object",
  });
  assert.throws(() => use(root.PersistBase, { timeoutMs: "5" }), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  assert.throws(() => use(root.PersistBase, { timeoutMs: 0 }), { name: "RangeError", code: "ERR_OUT_OF_RANGE" });
  assert.throws(
    () => use(root.PersistBase, { get timeoutMs() { throw new Error("getter"); } }),
    { name: "TypeError", code: "ERR_INVALID_ARG_VALUE", message: "PersistSignalAdapter.usePersistSignalAdapter: reading options.timeoutMs threw getter" },
  );
  use(root.PersistBase);
});

test("_getFilePath with an id that is neither a string nor a number throws INVALID_ENTITY_ID", () => {
  const store = new root.PersistBase("entity", "./store");
  assert.throws(() => store._getFilePath({}), {
    code: "INVALID_ENTITY_ID",
    message: "Invalid entity id for entity: it must be a string or a number, got object",
  });
});

test("isPersistError narrows to this package's errors, and the code list is the one the sources and types use", async (t) => {
  const fs = require("node:fs");
  const path = require("node:path");
  const store = new root.PersistBase("entity", tempDir(t, "guard"));
  const missing = await store.readValue("absent").catch((error) => error);
  assert.equal(isPersistError(missing), true);
  assert.equal(isPersistError(missing, "ENTITY_NOT_FOUND"), true);
  assert.equal(isPersistError(missing, "READ_FAILED"), false);
  const typeError = await root.writeFileAtomic(1, "x").catch((error) => error);
  assert.equal(isPersistError(typeError), false);
  assert.equal(isPersistError({ code: "ENTITY_NOT_FOUND", message: "not an Error" }), false);
  assert.equal(isPersistError(Object.assign(new Error("x"), { code: "ENTITY_NOT_FUOND" })), false);
  assert.equal(isPersistError(new Error("x"), "ENTITY_NOT_FUOND"), false);
  assert.equal(v19.isPersistError, root.isPersistError);
  assert.ok(Object.isFrozen(PERSIST_ERROR_CODES));
  // Every code the sources create is listed, and the type union lists exactly these.
  const here = path.join(import.meta.dirname, "..");
  const read = (file) => fs.readFileSync(path.join(here, file), "utf8");
  const created = new Set();
  for (const [, code] of read("core/src/error.rs").matchAll(/=> "([A-Z_]+)"/g)) created.add(code);
  for (const file of ["v19/utils.js", "v19/instances.js", "v19/bridge.js", "v19/steps.js", "src/js_store.rs", "src/registries.rs"]) {
    for (const [, code] of read(file).matchAll(/"((?:[A-Z]+_)+(?:FAILED|MISSING|FOUND|CONFIG|INTERVAL|ID|NAME|ENTITY))"/g)) created.add(code);
  }
  for (const code of created) assert.ok(PERSIST_ERROR_CODES.includes(code), `${code} is created but not listed`);
  const union = read("index.d.ts").match(/export type PersistErrorCode =([^;]+);/)[1];
  assert.deepEqual([...union.matchAll(/"([A-Z_]+)"/g)].map(([, code]) => code), [...PERSIST_ERROR_CODES]);
});
