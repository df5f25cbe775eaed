// The package as the reference and Node present themselves: the root exports exactly the
// documented names; each registry singleton is an instance of its class, as `new PersistXUtils()`
// is in the reference, with its functions still working detached; and errors read as Node's
// own for the same call (libuv's texts, `rename`'s `-> '<dest>'` and `dest`, TypeErrors with
// `ERR_INVALID_ARG_TYPE`), compared here with what `node:fs` and `node:path` throw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { tempDir } from "./helpers/tmp.mjs";

const require = createRequire(import.meta.url);
const DOCUMENTED = [
  "PERSIST_ERROR_CODES",
  "PersistBase",
  "PersistPartialAdapter",
  "PersistPartialUtils",
  "PersistRiskAdapter",
  "PersistRiskUtils",
  "PersistScheduleAdapter",
  "PersistScheduleUtils",
  "PersistSignalAdapter",
  "PersistSignalUtils",
  "isPersistError",
  "usePersistStore",
  "writeFileAtomic",
];

test("the package root exports exactly the documented names, to require and to import", async () => {
  const exported = require("@backtest-kit/persist");
  assert.deepEqual(Object.keys(exported).sort(), DOCUMENTED);
  const namespace = await import("@backtest-kit/persist");
  // Node's own names on `import *` of CommonJS: `default`, and since Node 23 `module.exports`,
  // each the module's exports object itself.
  const nodes = Object.keys(namespace).filter((name) => name === "default" || name === "module.exports");
  for (const name of nodes) assert.equal(namespace[name], exported, `${name} is the exports object`);
  assert.ok(nodes.includes("default"));
  assert.deepEqual(Object.keys(namespace).filter((name) => !nodes.includes(name)).sort(), DOCUMENTED);
  assert.equal("__napiBindingTarget" in namespace, false);
});

test("each singleton is an instance of its class, and its functions still work detached", async (t) => {
  const persist = await import("@backtest-kit/persist");
  for (const [singleton, className, read] of [
    ["PersistSignalAdapter", "PersistSignalUtils", "readSignalData"],
    ["PersistScheduleAdapter", "PersistScheduleUtils", "readScheduleData"],
    ["PersistRiskAdapter", "PersistRiskUtils", "readPositionData"],
    ["PersistPartialAdapter", "PersistPartialUtils", "readPartialData"],
  ]) {
    assert.ok(persist[singleton] instanceof persist[className], `${singleton} instanceof ${className}`);
    assert.equal(Object.getPrototypeOf(persist[singleton]), persist[className].prototype);
    assert.equal(persist[singleton].constructor, persist[className]);
    assert.ok(Object.hasOwn(persist[singleton], read), `${singleton}.${read} is its own`);
  }
  const previous = process.cwd();
  process.chdir(tempDir(t, "fidelity"));
  t.after(() => process.chdir(previous));
  const { readSignalData, writeSignalData } = persist.PersistSignalAdapter;
  await writeSignalData({ id: "detached" }, "fidelity-strategy", "BTCUSDT");
  assert.deepEqual(await readSignalData("fidelity-strategy", "BTCUSDT"), { id: "detached" });
});

/** What `call` throws or rejects with. */
async function failureOf(call) {
  try {
    await call();
  } catch (error) {
    return error;
  }
  assert.fail("expected a failure");
}

const { PersistBase, writeFileAtomic } = await import("@backtest-kit/persist");

test("reading a directory: the cause is what fs.readFile says, 'EISDIR: illegal operation on a directory, read'", async (t) => {
  const dir = tempDir(t, "fidelity");
  const store = new PersistBase("e", dir);
  await store.waitForInit(true);
  fs.mkdirSync(path.join(dir, "e", "x.json"));
  const node = await failureOf(() => fs.promises.readFile(path.join(dir, "e", "x.json"), "utf8"));
  const ours = await failureOf(() => store.readValue("x"));
  assert.equal(ours.message, `Failed to read entity e:x: ${node.message}`);
  assert.equal(ours.code, "READ_FAILED");
  for (const field of ["message", "code", "errno", "syscall", "path"]) {
    assert.equal(ours.cause[field], node[field], `cause.${field}`);
  }
});

test("writeFileAtomic's failed rename reads as fs.rename's: '-> <dest>' and a dest property", async (t) => {
  const dir = tempDir(t, "fidelity");
  const target = path.join(dir, "target.json");
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, "inside"), "");
  const source = path.join(dir, "source");
  fs.writeFileSync(source, "");
  const node = await failureOf(() => fs.promises.rename(source, target));
  const ours = await failureOf(() => writeFileAtomic(target, "data"));
  const [, temp] = ours.message.match(/ rename '(.+)' -> '/) ?? assert.fail(ours.message);
  assert.equal(ours.message, node.message.replace(source, temp));
  assert.equal(ours.dest, target);
  assert.equal(ours.path, temp);
  for (const field of ["code", "errno", "syscall"]) assert.equal(ours[field], node[field], field);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["source", "target.json"], "the temp file is gone");
});

test("writeFileAtomic's argument errors are the TypeErrors Node gives for the same values", async (t) => {
  const file = path.join(tempDir(t, "fidelity"), "f.json");
  for (const bad of [123, undefined, null, {}, Symbol("s")]) {
    const node = await failureOf(() => path.dirname(bad));
    const ours = await failureOf(() => writeFileAtomic(bad, "x"));
    assert.ok(ours instanceof TypeError, String(ours));
    assert.equal(ours.code, "ERR_INVALID_ARG_TYPE");
    assert.equal(ours.code, node.code);
    assert.equal(ours.message, node.message);
  }
  for (const bad of [123, undefined, null, {}, true]) {
    const node = await failureOf(() => fs.promises.writeFile(file, bad));
    const ours = await failureOf(() => writeFileAtomic(file, bad));
    assert.ok(ours instanceof TypeError, String(ours));
    assert.equal(ours.code, node.code);
    assert.equal(ours.message, node.message);
  }
  assert.equal(fs.existsSync(file), false);
});
