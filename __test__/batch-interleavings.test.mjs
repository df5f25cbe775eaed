// Batch writes racing single writes, removes and removeAll from two writers at once, on every
// store: two worker threads of one process, and two processes. Each writer issues rounds of
// random calls at once on shared keys of one namespace (fixtures/batch-writer.mjs); every call
// must settle (a writer still running at its deadline is a deadlock), fail only as the model
// allows (a remove of an absent key), and leave every document whole and some writer's write
// that this writer never overwrote or removed later: a writer's own calls land in its call order
// whatever the other does, through whichever spelling of the directory each call used (files:
// the real path, a symlink and /proc/self/root, two of them never initialised). (One thread's
// calls against an exact model: model-based.test.mjs.)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PersistBase } from "../index.js";
import { KEYS, NAME } from "./fixtures/batch-writer.mjs";
import { STORES } from "./helpers/stores.mjs";
import { runWithDeadline } from "./helpers/tmp.mjs";

const WRITER = path.join(import.meta.dirname, "fixtures", "batch-writer.mjs");
const SEEDS = process.env.BATCH_SEED ? [Number(process.env.BATCH_SEED)] : [1, 2];

/** Runs the fixture with `args`; its last line, once it exited by itself within the deadline. */
async function child(args, what) {
  const result = await runWithDeadline(process.execPath, [WRITER, ...args], { limitMs: 150_000 });
  assert.equal(result.killed, false, `${what}: still running after 150 s (a call that never settles)\n${result.stderr}`);
  assert.equal(result.code, 0, `${what}: exit ${result.code} (${result.signal})\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1));
}

/** What a call of `kind` at `seq` by writer `w` writes under `key`. */
function documentOf(kind, w, seq, key) {
  if (kind === "write") return { w, seq };
  if (kind === "candle") return { timestamp: Number(key), w, seq };
  return { id: key, w, seq };
}

/** Calls that write documents, and calls after which a writer's earlier document cannot stay. */
const WRITES = new Set(["write", "log", "storage", "candle"]);
const OVERWRITES = new Set(["write", "storage", "remove", "removeAll"]);

/** Checks the final documents against what the writers did (`writers[w]` is writer w's calls). */
function check(writers, final) {
  for (const [w, calls] of writers.entries()) {
    for (const call of calls) {
      const allowed = call.ok || (call.kind === "remove" && call.error === "ENTITY_NOT_FOUND");
      assert.ok(allowed, `writer ${w}, call ${call.seq} (${call.kind} ${call.keys}): ${call.error} (${call.detail})`);
    }
  }
  for (const [key, document] of Object.entries(final)) {
    assert.ok(KEYS.includes(key), `an unexpected document ${key}`);
    const { w, seq } = document ?? {};
    const calls = writers[w];
    assert.ok(calls, `${key} holds ${JSON.stringify(document)}, written by no writer`);
    const call = calls.find((c) => c.seq === seq && c.keys.includes(key) && c.ok && WRITES.has(c.kind));
    assert.ok(call, `${key} holds ${JSON.stringify(document)}, which no call of writer ${w} wrote there`);
    assert.deepEqual(document, documentOf(call.kind, w, seq, key), `${key}: the document is whole and as written`);
    const later = calls.find((c) => c.seq > seq && c.keys.includes(key) && OVERWRITES.has(c.kind));
    assert.equal(later, undefined, `${key} holds writer ${w}'s call ${seq}, though its later ${later?.kind} (call ${later?.seq}) lands after it`);
  }
}

/** Files: a symlinked spelling of the base directory, which the writers use for some calls. */
function linkSpelling(t, base, url) {
  if (url || process.platform === "win32") return;
  fs.mkdirSync(base, { recursive: true });
  fs.symlinkSync(base, `${base}-link`, "dir");
  t.after(() => fs.rmSync(`${base}-link`, { force: true }));
}

/** Every document of the namespace, by id. */
async function documents(base, url) {
  const store = new PersistBase(NAME, base, { store: url });
  await store.waitForInit(false);
  const found = {};
  for await (const key of store.keys()) found[key] = await store.readValue(key);
  return found;
}

for (const row of STORES) {
  const rounds = row.server ? 25 : 60;
  for (const seed of SEEDS) {
    test(`${row.name}: batches, writes, removes and removeAll from two worker threads settle and keep each writer's order (seed ${seed})`, { skip: row.skip, timeout: 300_000 }, async (t) => {
      const url = await row.url(t);
      const base = row.base(t);
      linkSpelling(t, base, url);
      const { threads } = await child(["threads", String(seed), String(rounds), base, url ?? ""], "two worker threads");
      const final = await documents(base, url);
      check(threads, final);
      t.diagnostic(`${threads.flat().length} calls, ${Object.keys(final).length} documents left`);
      if (!url) assert.deepEqual(fs.readdirSync(path.join(base, NAME)).filter((name) => name.startsWith(".tmp-")), [], "no temp file left");
    });

    test(`${row.name}: batches, writes, removes and removeAll from two processes settle and keep each writer's order (seed ${seed})`, { skip: row.skip, timeout: 300_000 }, async (t) => {
      const url = await row.url(t);
      const base = row.base(t);
      linkSpelling(t, base, url);
      const writers = await Promise.all(
        [0, 1].map(async (w) => (await child(["writer", String(w), String(seed), String(rounds), base, url ?? ""], `process ${w}`)).calls),
      );
      const final = await documents(base, url);
      check(writers, final);
      t.diagnostic(`${writers.flat().length} calls, ${Object.keys(final).length} documents left`);
    });
  }
}
