// Real processes killed: a child writes through PersistBase and the four registries in a tight
// loop (several writes in flight), the parent SIGKILLs it at random moments, 200 times, and
// after each kill checks the directory: every file parses, no temp file is an entity, each key
// holds its last acknowledged value or a later one that was in flight, and nothing was ever
// quarantined (an atomic write never leaves a torn document).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PersistBase } from "../index.js";
import binding from "../binding.js";
import { tempDir } from "./helpers/tmp.mjs";

const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "kill-writer.mjs");
const sharedWriter = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "shared-dir-writer.mjs");
const KILLS = 200;

const fileOf = {
  "direct/A": "direct/direct/A.json",
  "direct/B": "direct/direct/B.json",
  "signal/s/BTC": "signal/s/BTC.json",
  "schedule/s/BTC": "schedule/s/BTC.json",
  "risk/r/positions": "risk/r/positions.json",
  "partial/BTC/levels": "partial/BTC/levels.json",
  // The batch's last document, renamed last: every one of the batch's ten is checked below too.
  "storage/live": "storage/live/r9.json",
};
const seqOf = (key, value) => (key.startsWith("risk") ? value[0].seq : key.startsWith("partial") ? value.levels.seq : value.seq);

/** Runs the writer until `acks` writes are acknowledged, then SIGKILLs it; returns its log. */
function runUntilKilled(cwd, startSeq, acks, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, String(startSeq)], { cwd, env, stdio: ["ignore", "pipe", "inherit"] });
    const events = [];
    let acked = 0;
    createInterface({ input: child.stdout }).on("line", (line) => {
      const [event, key, seq] = line.split(" ");
      events.push({ event, key, seq: Number(seq) });
      if (event === "acked" && ++acked >= acks) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ events, signal }));
  });
}

/**
 * One round: the writer run from `seq` until killed after a random number of acknowledged
 * writes; `lastAcked` learns what it acknowledged. Resolves with the writes issued per key and
 * the last sequence number used.
 */
async function killedRound(cwd, seq, lastAcked, env) {
  const { events, signal } = await runUntilKilled(cwd, seq, 1 + Math.floor(Math.random() * 40), env);
  assert.equal(signal, "SIGKILL");
  const issued = new Map();
  for (const { event, key, seq: s } of events) {
    if (event === "issued") issued.set(key, [...(issued.get(key) ?? []), s]);
    if (event === "acked") lastAcked.set(key, Math.max(lastAcked.get(key) ?? 0, s));
  }
  return { issued, last: Math.max(seq, ...events.map((e) => e.seq)) };
}

function allFiles(dir) {
  return fs.readdirSync(dir, { recursive: true }).map((name) => path.join(dir, name)).filter((file) => fs.statSync(file).isFile());
}

test(`${KILLS} SIGKILLs during writes never lose an acknowledged write or tear a document`, { timeout: 20 * 60_000 }, async (t) => {
  const cwd = tempDir(t, "kill");
  const data = path.join(cwd, "dump/data");
  const lastAcked = new Map();
  const rowsSeen = new Map();
  let seq = 0;
  for (let round = 0; round < KILLS; round += 1) {
    const { issued, last } = await killedRound(cwd, seq, lastAcked);
    seq = last;
    for (const file of allFiles(data)) {
      if (path.basename(file).startsWith(".tmp-")) continue;
      assert.doesNotThrow(() => JSON.parse(fs.readFileSync(file, "utf8")), `round ${round}: ${file} does not parse`);
    }
    for (const [key, acked] of lastAcked) {
      const stored = seqOf(key, JSON.parse(fs.readFileSync(path.join(data, fileOf[key]), "utf8")));
      const inFlight = (issued.get(key) ?? []).filter((s) => s > acked);
      assert.ok(stored === acked || inFlight.includes(stored), `round ${round}: ${key} holds ${stored}, last acknowledged ${acked}`);
      lastAcked.set(key, stored);
      if (key === "storage/live") {
        // Each of the batch's documents is whole and holds the last acknowledged batch or a later
        // one that was in flight (this round, or an earlier one that no write has replaced since).
        for (let i = 0; i < 10; i += 1) {
          const row = JSON.parse(fs.readFileSync(path.join(data, `storage/live/r${i}.json`), "utf8")).seq;
          const known = rowsSeen.get(i);
          assert.ok(row === acked || inFlight.includes(row) || (row === known && known >= acked), `round ${round}: storage row r${i} holds ${row}, last acknowledged ${acked}`);
          rowsSeen.set(i, row);
        }
      }
    }
  }
  const quarantined = allFiles(data).filter((file) => file.includes(`${path.sep}.quarantine${path.sep}`));
  assert.deepEqual(quarantined, [], "no document was ever quarantined");
});

test("a second process's init never sweeps the temp files of a writer in flight", async (t) => {
  const cwd = tempDir(t, "two");
  const writerProcess = spawn(process.execPath, [writer, "0"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise((resolve) => writerProcess.on("close", (code, signal) => resolve({ code, signal })));
  let stderr = "";
  writerProcess.stderr.on("data", (chunk) => (stderr += chunk));
  // Wait until the writer has acknowledged writes on every key.
  await new Promise((resolve) => {
    const seen = new Set();
    createInterface({ input: writerProcess.stdout }).on("line", (line) => {
      const [event, key] = line.split(" ");
      if (event === "acked") seen.add(key);
      if (seen.size === Object.keys(fileOf).length) resolve();
    });
  });
  // Meanwhile another process initializes the same stores again and again.
  const scanner = `
    import { PersistBase } from ${JSON.stringify(new URL("../index.js", import.meta.url).href)};
    for (let n = 0; n < 50; n += 1) {
      for (const [name, base] of [["direct", "./dump/data/direct"], ["s", "./dump/data/signal/"], ["r", "./dump/data/risk/"], ["BTC", "./dump/data/partial/"]]) {
        await new PersistBase(name, base).waitForInit(true);
      }
    }`;
  const scan = spawn(process.execPath, ["--input-type=module", "-e", scanner], { cwd, stdio: ["ignore", "inherit", "inherit"] });
  const scanExit = await new Promise((resolve) => scan.on("close", resolve));
  assert.equal(scanExit, 0);
  writerProcess.kill("SIGKILL");
  const { signal } = await exited;
  assert.equal(signal, "SIGKILL", `the writer failed while the other process scanned: ${stderr}`);
  for (const file of allFiles(path.join(cwd, "dump/data"))) {
    assert.ok(!file.includes(".quarantine"), `${file} was quarantined`);
    if (!path.basename(file).startsWith(".tmp-")) JSON.parse(fs.readFileSync(file, "utf8"));
  }
});

test("two processes writing the same keys at once: every write lands, and each key ends with one of the two last writes", async (t) => {
  const cwd = tempDir(t, "shared");
  const run = (label) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [sharedWriter, label, "300"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`writer ${label} exited ${code}: ${stderr}`))));
    });
  const [first, second] = await Promise.all([run("first"), run("second")]);
  for (const [dir, file] of [["dump/data/shared/shared", (key) => `${key}.json`], ["dump/data/signal/shared", (key) => `${key}.json`]]) {
    const names = fs.readdirSync(path.join(cwd, dir));
    assert.deepEqual(names.filter((name) => name.startsWith(".tmp-") || name === ".quarantine"), [], `${dir}: no temp file left, nothing quarantined`);
    for (const key of ["A", "B", "C"]) {
      const stored = JSON.parse(fs.readFileSync(path.join(cwd, dir, file(key)), "utf8"));
      assert.ok(
        [first[key], second[key]].some((last) => JSON.stringify(last) === JSON.stringify(stored)),
        `${dir}/${key} holds ${JSON.stringify(stored).slice(0, 60)}, not the last write of either process`,
      );
    }
  }
});

// Where each key of the writer lives as a store sees it: PersistBase(entity, baseDir) and the id.
const documentOf = {
  "direct/A": ["direct", "./dump/data/direct", "A"],
  "direct/B": ["direct", "./dump/data/direct", "B"],
  "signal/s/BTC": ["s", "./dump/data/signal/", "BTC"],
  "schedule/s/BTC": ["s", "./dump/data/schedule/", "BTC"],
  "risk/r/positions": ["r", "./dump/data/risk/", "positions"],
  "partial/BTC/levels": ["BTC", "./dump/data/partial/", "levels"],
  "storage/live": ["live", "./dump/data/storage/", "r9"],
};

test("100 SIGKILLs during writes to a SQLite file never lose an acknowledged write, and leave the database intact", { timeout: 20 * 60_000 }, async (t) => {
  const cwd = tempDir(t, "kill sqlite");
  const url = `sqlite:${path.join(cwd, "state.db")}`;
  const env = { ...process.env, PERSIST_URL: url };
  const read = (entity, base, id) => new PersistBase(entity, base, { store: url }).readValue(id);
  const lastAcked = new Map();
  let seq = 0;
  for (let round = 0; round < 100; round += 1) {
    const { issued, last } = await killedRound(cwd, seq, lastAcked, env);
    seq = last;
    assert.equal(await binding.__storeIntegrity(url), "ok", `round ${round}: PRAGMA integrity_check`);
    for (const [key, acked] of lastAcked) {
      const [entity, base, id] = documentOf[key];
      const stored = seqOf(key, await read(entity, base, id));
      const inFlight = (issued.get(key) ?? []).filter((s) => s > acked);
      assert.ok(stored === acked || inFlight.includes(stored), `round ${round}: ${key} holds ${stored}, last acknowledged ${acked}`);
      lastAcked.set(key, stored);
      if (key === "storage/live") {
        // The batch is one transaction: its ten rows hold the same write.
        for (let i = 0; i < 10; i += 1) assert.equal((await read("live", "./dump/data/storage/", `r${i}`)).seq, stored, `round ${round}: row r${i}`);
      }
    }
  }
  assert.ok(lastAcked.size >= 5, "writes were acknowledged on most keys");
});
