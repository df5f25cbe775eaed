// Hostile probes: orderings, races, resource exhaustion and odd inputs that a bot's process can
// run into. Each test pins one rule of the contract (README, SPEC B and D):
//  - removeAll() is ordered at the moment it is called, against writes issued after it;
//  - waitForInit never quarantines a document a concurrent acknowledged write produced, and a
//    transient error (EMFILE) during the scan never counts as a corrupt document;
//  - a relative baseDir follows the cwd of each call, and one absolute path orders a file's
//    writes whatever the spelling of the path or the instance used;
//  - a failed registry init, a terminated worker, a FIFO in the store or quarantine retries never
//    leave a key or the runtime blocked;
//  - values()/take() read lazily; keys() order agrees with the running Node's Intl;
//  - errors are clear, coded, and asynchronous.
// A test that would hang on a broken build fails on its `timeout` instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { PersistBase, PersistSignalAdapter, writeFileAtomic } from "../index.js";
import { captureConsoleError, collect, inTempCwd, runWithDeadline, tempDir } from "./helpers/tmp.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name) => path.join(here, "fixtures", name);
const HANG = { timeout: 20_000 };

/** Runs a child, SIGKILLed after `limitMs` so a hung one fails the test (helpers/tmp.mjs). */
const run = runWithDeadline;

/** The child ended by itself with exit code 0; returns its last stdout line as JSON. */
function cleanOutput(result, what) {
  assert.equal(result.killed, false, `${what}: the child did not exit in time\n${result.stderr}`);
  assert.equal(result.signal, null, `${what}: the child died of ${result.signal}\n${result.stderr}`);
  assert.equal(result.code, 0, `${what}: exit code ${result.code}\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1));
}

/**
 * The `result` of a child that prints `{"step"}` lines as it goes and `{"result"}` at the end.
 * A child killed at its deadline fails the test with the step it was stuck at.
 */
function resultOf(result, what) {
  const lines = result.stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
  const last = lines.at(-1);
  assert.equal(result.killed, false, `${what}: still pending at its deadline, stuck at: ${last?.step ?? "start"}\n${result.stderr}`);
  assert.equal(result.signal, null, `${what}: the child died of ${result.signal}\n${result.stderr}`);
  assert.equal(result.code, 0, `${what}: exit code ${result.code}\n${result.stderr}`);
  assert.ok(last && "result" in last, `${what}: no result printed\n${result.stdout}`);
  return last.result;
}

/** Compares by code point (not by UTF-16 unit). */
function codePointCompare(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** The error `fn()` throws (or its returned Promise rejects) with. */
async function failureOf(fn) {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected a failure");
}

// ---------------------------------------------------------------------------------------------
// 1. removeAll is ordered at call time

test("removeAll() removes what was written before it and not a write issued after it", async (t) => {
  const p = new PersistBase("e", tempDir(t, "remove-all"));
  await p.waitForInit(true);
  for (let round = 0; round < 100; round += 1) {
    await p.writeValue("a", { round, before: true });
    await Promise.all([p.removeAll(), p.writeValue("a", { round, after: true })]);
    assert.equal(await p.hasValue("a"), true, `round ${round}: the write issued after removeAll() was removed`);
    assert.deepEqual(await p.readValue("a"), { round, after: true }, `round ${round}`);
  }
});

// ---------------------------------------------------------------------------------------------
// 2. waitForInit racing writes

test("waitForInit racing 2,000 writes never quarantines an acknowledged write", HANG, async (t) => {
  const dir = tempDir(t, "init-race");
  const store = path.join(dir, "e");
  const COUNT = 2000;
  fs.mkdirSync(store);
  for (let i = 0; i < COUNT; i += 1) fs.writeFileSync(path.join(store, `k${i}.json`), "{broken");
  const p = new PersistBase("e", dir);
  await captureConsoleError(async () => {
    const init = p.waitForInit(true);
    const writes = [];
    for (let i = 0; i < COUNT; i += 1) writes.push(p.writeValue(`k${i}`, { ok: i }));
    await Promise.all([...writes, init]);
  });
  const lost = [];
  for (let i = 0; i < COUNT; i += 1) if (!(await p.hasValue(`k${i}`))) lost.push(`k${i}`);
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged writes are gone from the store`);
  for (let i = 0; i < COUNT; i += 1) assert.deepEqual(await p.readValue(`k${i}`), { ok: i }, `k${i}`);
  const quarantine = path.join(store, ".quarantine");
  if (fs.existsSync(quarantine)) {
    for (const name of fs.readdirSync(quarantine)) {
      assert.equal(fs.readFileSync(path.join(quarantine, name), "utf8"), "{broken", `quarantined ${name} is a corrupt document`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// 3. A transient error during init never quarantines

// Three runs, with 2, 3 and 4 descriptors left free while the scan runs.
for (const spare of [2, 3, 4]) {
  test(`EMFILE during init never quarantines valid documents, and a failed init is retried (${spare} descriptors spare)`, { timeout: 120_000 }, async (t) => {
    const dir = tempDir(t, "init-emfile");
    const store = path.join(dir, "e");
    const COUNT = 3000;
    fs.mkdirSync(store);
    for (let n = 0; n < COUNT; n += 1) fs.writeFileSync(path.join(store, `d${n}.json`), JSON.stringify({ v: n }));
    const args = [fixture("hostile-init-emfile.mjs"), dir, String(COUNT), String(spare)];
    const result = await run("bash", ["-c", `ulimit -n 64 && exec "$0" "$@"`, process.execPath, ...args], { limitMs: 100_000 });
    const { init, retry } = cleanOutput(result, "init under ulimit -n 64");
    if (!init.ok) {
      assert.equal(init.code, "INIT_FAILED", `init failed with ${init.message}`);
      assert.ok(["EMFILE", "ENFILE"].includes(init.cause), `init failed with cause ${init.cause}: ${init.message}`);
    }
    t.diagnostic(`first init: ${init.ok ? "resolved" : `${init.code} (${init.cause})`}`);
    assert.deepEqual(retry, { ok: true }, "waitForInit after everything settled resolves");
    const quarantine = path.join(store, ".quarantine");
    const quarantined = fs.existsSync(quarantine) ? fs.readdirSync(quarantine) : [];
    assert.deepEqual(quarantined.slice(0, 10), [], `${quarantined.length} valid documents were quarantined`);
    for (let n = 0; n < COUNT; n += 1) {
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(store, `d${n}.json`), "utf8")), { v: n }, `d${n}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 4. process.chdir: a relative baseDir follows the cwd of each call

test("a relative baseDir is resolved at each call, and that path orders the file's writes with an absolute-path store", HANG, async (t) => {
  const previous = process.cwd();
  t.after(() => process.chdir(previous));
  const A = tempDir(t, "cwd-a");
  const B = tempDir(t, "cwd-b");
  process.chdir(A);
  const rel = new PersistBase("e", "data");
  await rel.waitForInit(true);
  process.chdir(B);
  const abs = new PersistBase("e", path.join(A, "data"));
  await abs.waitForInit(true);
  const absB = new PersistBase("e", path.join(B, "data"));
  await absB.waitForInit(true);
  // The first write of a round is the bigger one, so that without one order it lands last.
  const pad = "x".repeat(2 ** 20);
  const race = async (cwd, other) => {
    process.chdir(cwd);
    const file = path.join(cwd, "data", "e", "k.json");
    for (let n = 0; n < 100; n += 1) {
      const w1 = rel.writeValue("k", { from: "rel", n, pad });
      const w2 = other.writeValue("k", { from: "abs", n });
      await Promise.all([w1, w2]);
      const { from, n: held } = JSON.parse(fs.readFileSync(file, "utf8"));
      assert.deepEqual({ from, n: held }, { from: "abs", n }, `cwd ${cwd}, round ${n}: the last issued write stays`);
    }
  };
  // In the cwd of construction, against a store naming the same directory absolutely.
  await race(A, abs);
  // After a chdir, the relative store's writes go under the new cwd, ordered with the store
  // naming that directory absolutely.
  await race(B, absB);

  process.chdir(B);
  await rel.writeValue("k2", 1);
  assert.equal(fs.readFileSync(path.join(B, "data", "e", "k2.json"), "utf8"), "1", "the write went under the cwd of the call");
  assert.equal(fs.existsSync(path.join(A, "data", "e", "k2.json")), false, "not under the cwd at construction");
});

// ---------------------------------------------------------------------------------------------
// 5. Spellings of one file are ordered

for (const [label, spelling] of [
  ["real/../real/k.json", (dir) => `${dir}/real/../real/k.json`],
  ["real//k.json", (dir) => `${dir}/real//k.json`],
  ["real/./k.json", (dir) => `${dir}/real/./k.json`],
]) {
  test(`writeFileAtomic('${label}') and the store's writeValue('k') are ordered as one file`, HANG, async (t) => {
    const dir = tempDir(t, "spelling");
    const store = new PersistBase("real", dir);
    await store.waitForInit(true);
    const file = path.join(dir, "real", "k.json");
    // The first write of a round is the bigger one, so that without one order it lands last.
    const pad = "x".repeat(2 ** 20);
    for (let round = 0; round < 300; round += 1) {
      const a = writeFileAtomic(spelling(dir), JSON.stringify({ round, by: "atomic", pad }));
      const b = store.writeValue("k", { round, by: "store" });
      await Promise.all([a, b]);
      const { round: held, by } = JSON.parse(fs.readFileSync(file, "utf8"));
      assert.deepEqual({ round: held, by }, { round, by: "store" }, `round ${round}: the last issued write stays`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 8. A registry write whose init failed does not block the key

test("a registry write whose init failed leaves the key free for the next write", { timeout: 30_000 }, async (t) => {
  const cwd = tempDir(t, "registry-init");
  const result = await run(process.execPath, [fixture("hostile-registry-init.mjs")], { cwd, limitMs: 20_000 });
  const { first, second, read } = resultOf(result, "registry writes");
  assert.equal(first.ok, false, "the write whose init was blocked by a file failed");
  assert.equal(first.code, "INIT_FAILED", first.message);
  assert.deepEqual(second, { ok: true, value: null }, "the next write on the key resolves");
  assert.deepEqual(read, { ok: true, value: { id: 2 } });
  assert.equal(fs.readFileSync(path.join(cwd, "dump", "data", "signal", "s8", "BTC.json"), "utf8"), '{"id":2}');
});

// ---------------------------------------------------------------------------------------------
// 9. Terminated workers never leave a key blocked

test("workers terminated while writing never leave a key blocked for the main thread", { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "workers");
  const result = await run(process.execPath, [fixture("hostile-workers.mjs"), dir, "10"], { limitMs: 40_000 });
  const rounds = resultOf(result, "main thread after terminated workers");
  assert.equal(rounds.length, 10);
  for (const [round, read] of rounds.entries()) {
    assert.deepEqual(read, Array.from({ length: 20 }, (_, i) => ({ main: i, round })), `round ${round}`);
  }
});

// ---------------------------------------------------------------------------------------------
// 10. Blocking I/O never stalls the runtime

test("reads of a FIFO in the store reject as not a regular file and never stall other stores", HANG, async (t) => {
  const previous = process.cwd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fifo-"));
  const store = path.join(dir, "dump", "data", "signal", "s10");
  fs.mkdirSync(store, { recursive: true });
  const fifo = path.join(store, "PIPE.json");
  execFileSync("mkfifo", [fifo]);
  process.chdir(dir);
  // One hook, in this order: unblock any reader of the FIFO, then leave and remove the dir.
  t.after(() => {
    try {
      // O_RDWR on a FIFO never blocks: a reader stuck in open(2) gets its writer, the path
      // then names a regular file for later opens, and closing the writer gives every
      // reader of the FIFO end of file, so no thread stays blocked and the process can exit.
      const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      fs.writeFileSync(`${fifo}.plain`, "null");
      fs.renameSync(`${fifo}.plain`, fifo);
      fs.closeSync(fd);
    } catch {
      // Cleanup only: the assertions above decide the outcome.
    }
    process.chdir(previous);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const reads = [PersistSignalAdapter.readSignalData("s10", "PIPE"), PersistSignalAdapter.readSignalData("s10", "PIPE")];
  for (const read of reads) read.catch(() => {});
  const other = new PersistBase("other", tempDir(t, "fifo-other"));
  await other.waitForInit();
  assert.equal(await other.getCount(), 0);
  t.diagnostic("the unrelated store settled while the FIFO reads were pending");
  for (const read of reads) {
    await assert.rejects(read, (error) => {
      assert.equal(error.code, "READ_FAILED");
      assert.match(error.message, /not a regular file/);
      return true;
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 11. Quarantine retries do not stall other stores

test("stores retrying quarantine moves do not stall a healthy store; each init resolves and logs as the reference", { timeout: 90_000 }, async (t) => {
  const dir = tempDir(t, "quarantine-stall");
  const healthy = new PersistBase("healthy", dir);
  await healthy.waitForInit(true);
  const names = Array.from({ length: 8 }, (_, n) => `q${n}`);
  const corrupt = (name, d) => path.join(dir, name, `bad${d}.json`);
  for (const name of names) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, ".quarantine"), "a file where the quarantine folder should be");
    for (let d = 0; d < 3; d += 1) fs.writeFileSync(corrupt(name, d), `{corrupt ${name} ${d}`);
  }
  const [, lines] = await captureConsoleError(async () => {
    let settled = 0;
    const inits = names.map((name) =>
      new PersistBase(name, dir).waitForInit().finally(() => {
        settled += 1;
      }),
    );
    for (const init of inits) init.catch(() => {});
    // Several writes in a row: the first may take a file-task slot before the inits start.
    for (let n = 1; n <= 10; n += 1) {
      await healthy.writeValue("x", n);
      assert.equal(settled, 0, `healthy write ${n} resolved before any init settled`);
    }
    await Promise.all(inits);
  });
  assert.deepEqual(await healthy.readValue("x"), 10);
  for (const name of names) {
    for (let d = 0; d < 3; d += 1) {
      const file = corrupt(name, d);
      assert.ok(lines.includes(`backtest-kit PersistBase found invalid document for filePath=${file} entityName=${name}`), `found line for ${file}`);
      assert.ok(lines.includes(`backtest-kit PersistBase failed to remove invalid document for filePath=${file} entityName=${name}`), `failed line for ${file}`);
      assert.equal(fs.readFileSync(file, "utf8"), `{corrupt ${name} ${d}`, `${file} is still in place`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// 12. values()/take() read lazily

test("values() reads each document when it is reached, not all up front", async (t) => {
  const dir = tempDir(t, "lazy-values");
  const p = new PersistBase("v", dir);
  await p.waitForInit(true);
  const ids = Array.from({ length: 300 }, (_, n) => `k${String(n + 1).padStart(3, "0")}`);
  for (const [n, id] of ids.entries()) await p.writeValue(id, { n });
  const it = p.values()[Symbol.asyncIterator]();
  const first = await it.next();
  assert.deepEqual(first, { value: { n: 0 }, done: false });
  for (const id of ids.slice(2)) fs.rmSync(path.join(dir, "v", `${id}.json`));
  await assert.rejects(
    async () => {
      for (let r = await it.next(); !r.done; r = await it.next());
    },
    (error) => {
      assert.ok(error.message.startsWith("Failed to read values for "), error.message);
      assert.match(error.message, /^Failed to read values for v: Entity v:k\d{3} not found$/);
      return true;
    },
    "the documents not read yet are gone",
  );
});

test("take(1) over 100 documents of 2 MB reads one, not all 200 MB", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "lazy-take");
  const store = path.join(dir, "big");
  fs.mkdirSync(store);
  const doc = JSON.stringify("a".repeat(2 * 1024 * 1024));
  for (let n = 0; n < 100; n += 1) fs.writeFileSync(path.join(store, `d${String(n).padStart(3, "0")}.json`), doc);
  const result = await run(process.execPath, ["--expose-gc", fixture("hostile-take-rss.mjs"), dir], { limitMs: 100_000 });
  const { count, length, growth } = cleanOutput(result, "take(1) child");
  assert.equal(count, 1);
  assert.equal(length, 2 * 1024 * 1024);
  t.diagnostic(`rss growth ${(growth / 2 ** 20).toFixed(1)} MB`);
  assert.ok(growth < 64 * 2 ** 20, `rss grew by ${(growth / 2 ** 20).toFixed(1)} MB around take(1)`);
});

// ---------------------------------------------------------------------------------------------
// 13. keys() order agrees with the running Node's Intl

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
const nodeOrder = (ids) => [...ids].sort((a, b) => collator.compare(a, b) || codePointCompare(a, b));

/** An empty `<baseDir>/<name>` store directory, emptied again by each `fill(ids)`. */
function reusableStore(t, name) {
  const baseDir = tempDir(t, "intl-keys");
  const dir = path.join(baseDir, name);
  return {
    persist: new PersistBase(name, baseDir),
    fill(ids) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      for (const id of ids) fs.writeFileSync(path.join(dir, `${id}.json`), "1");
    },
  };
}

test("keys() orders emoji and CJK ids as this Node's Intl does: 🫟 丗 世 中 丬 🫝", async (t) => {
  const store = reusableStore(t, "fixed");
  const ids = ["🫝", "🫟", "世", "丗", "丬", "中"];
  assert.deepEqual(nodeOrder(ids), ["🫟", "丗", "世", "中", "丬", "🫝"], "this Node's own order");
  store.fill(ids);
  assert.deepEqual(await collect(store.persist.keys()), nodeOrder(ids));
});

const char = (min, max) => fc.integer({ min, max }).map((cp) => String.fromCodePoint(cp));
const idChar = fc.oneof(
  char(0x4e00, 0x9fff), // CJK Unified Ideographs
  char(0x1f300, 0x1faff), // emoji
  char(0x20000, 0x2a6df), // CJK Extension B
  fc.constantFrom(..."abcxyzABCXYZéÉüÜñøåßç"), // Latin
  char(0x0391, 0x03c9), // Greek
  char(0x0410, 0x044f), // Cyrillic
  char(0x0621, 0x064a), // Arabic
  char(0xac00, 0xd7a3), // Hangul
  fc.constantFrom(..."0123456789"), // digits (numeric ordering)
);
const intlIds = fc.uniqueArray(
  fc.array(idChar, { minLength: 1, maxLength: 4 }).map((chars) => chars.join("")),
  { minLength: 1, maxLength: 30 },
);

test("keys() equals the ids sorted by this Node's Intl.Collator (numeric, base), ties by code point", async (t) => {
  const store = reusableStore(t, "prop");
  await fc.assert(
    fc.asyncProperty(intlIds, async (ids) => {
      store.fill(ids);
      assert.deepEqual(await collect(store.persist.keys()), nodeOrder(ids));
    }),
    { numRuns: 50 },
  );
});

// ---------------------------------------------------------------------------------------------
// 15. Clear errors with codes

test("a registry read of a document corrupted after init rejects READ_FAILED with JSON.parse's message", async (t) => {
  inTempCwd(t, "corrupt-read");
  const strategy = "strat15";
  await PersistSignalAdapter.writeSignalData({ id: 1 }, strategy, "BTC");
  fs.writeFileSync(path.join("dump", "data", "signal", strategy, "BTC.json"), "{bad");
  const parseMessage = (await failureOf(() => JSON.parse("{bad"))).message;
  await assert.rejects(PersistSignalAdapter.readSignalData(strategy, "BTC"), {
    code: "READ_FAILED",
    message: `Failed to read entity ${strategy}:BTC: ${parseMessage}`,
  });
});

test("a 600 MB document rejects READ_FAILED with Node's string-length error as the cause", { timeout: 180_000 }, async (t) => {
  const dir = tempDir(t, "huge");
  const { bavail, bsize } = fs.statfsSync(dir);
  if (bavail * bsize < 2 * 2 ** 30) {
    t.skip(`needs 2 GB free on ${dir}, has ${Math.round((bavail * bsize) / 2 ** 20)} MB`);
    return;
  }
  const p = new PersistBase("e", dir);
  await p.waitForInit(true);
  const file = path.join(dir, "e", "huge.json");
  t.after(() => fs.rmSync(file, { force: true }));
  const fd = fs.openSync(file, "w");
  const chunk = Buffer.alloc(16 * 2 ** 20, "a");
  fs.writeSync(fd, '"');
  for (let n = 0; n < 600 / 16; n += 1) fs.writeSync(fd, chunk);
  fs.writeSync(fd, '"');
  fs.closeSync(fd);
  // Node's fs.readFile (and readFileSync) fail so for this size; on Node 20 fs.promises.readFile
  // says "Invalid string length" with no code instead.
  const nodeError = await failureOf(() => promisify(fs.readFile)(file, "utf8"));
  assert.equal(nodeError.code, "ERR_STRING_TOO_LONG");
  assert.equal(nodeError.message, "Cannot create a string longer than 0x1fffffe8 characters");
  await assert.rejects(p.readValue("huge"), (error) => {
    assert.equal(error.message, `Failed to read entity e:huge: ${nodeError.message}`);
    assert.equal(error.code, "READ_FAILED");
    assert.equal(error.cause?.code, "ERR_STRING_TOO_LONG");
    return true;
  });
});

test("writeFileAtomic('' | '.' | '/') rejects with the error fs.promises.writeFile gives", async (t) => {
  inTempCwd(t, "atomic-odd-path");
  const expected = {
    "": { code: "ENOENT", message: "ENOENT: no such file or directory, open ''" },
    ".": { code: "EISDIR", message: "EISDIR: illegal operation on a directory, open '.'" },
    "/": { code: "EISDIR", message: "EISDIR: illegal operation on a directory, open '/'" },
  };
  for (const [file, { code, message }] of Object.entries(expected)) {
    const nodeError = await failureOf(() => fs.promises.writeFile(file, "x"));
    assert.deepEqual({ code: nodeError.code, message: nodeError.message }, { code, message }, `fs.promises.writeFile(${JSON.stringify(file)})`);
    await assert.rejects(writeFileAtomic(file, "x"), { code, message }, `writeFileAtomic(${JSON.stringify(file)})`);
  }
  assert.deepEqual(fs.readdirSync("."), [], "nothing was written");
  assert.deepEqual(fs.readdirSync("/").filter((name) => name.startsWith(".tmp-")), [], "no temp file is left in /");
});

for (const [label, make] of [
  ["toJSON throwing Object.create(null)", () => ({ toJSON() { throw Object.create(null); } })],
  ["a getter throwing Object.create(null)", () => ({ get price() { throw Object.create(null); } })],
]) {
  test(`writeValue of an entity with ${label} returns a Promise rejecting INVALID_ENTITY, writing nothing`, async (t) => {
    const dir = tempDir(t, "invalid-entity");
    const p = new PersistBase("e", dir);
    await p.waitForInit(true);
    const value = make();
    const call = () => p.writeValue("k", value);
    let pending;
    assert.doesNotThrow(() => {
      pending = call();
    }, "writeValue does not throw synchronously");
    assert.ok(pending instanceof Promise, "writeValue returns a Promise");
    await assert.rejects(pending, { code: "INVALID_ENTITY" });
    assert.deepEqual(fs.readdirSync(path.join(dir, "e")), [], "nothing was written");
  });
}

test("writeFileAtomic with an options getter that throws returns a Promise rejecting with the thrown value", async (t) => {
  const dir = tempDir(t, "atomic-options");
  const thrown = new Error("encoding getter refused");
  const options = {
    get encoding() {
      throw thrown;
    },
  };
  let pending;
  assert.doesNotThrow(() => {
    pending = writeFileAtomic(path.join(dir, "f.json"), "x", options);
  }, "writeFileAtomic does not throw synchronously");
  assert.ok(pending instanceof Promise, "writeFileAtomic returns a Promise");
  await assert.rejects(pending, (error) => error === thrown);
  assert.deepEqual(fs.readdirSync(dir), [], "nothing was written");
});
