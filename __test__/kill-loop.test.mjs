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
import { tempDir } from "./helpers/tmp.mjs";

const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "kill-writer.mjs");
const KILLS = 200;

const fileOf = {
  "direct/A": "direct/direct/A.json",
  "direct/B": "direct/direct/B.json",
  "signal/s/BTC": "signal/s/BTC.json",
  "schedule/s/BTC": "schedule/s/BTC.json",
  "risk/r/positions": "risk/r/positions.json",
  "partial/BTC/levels": "partial/BTC/levels.json",
};
const seqOf = (key, value) => (key.startsWith("risk") ? value[0].seq : key.startsWith("partial") ? value.levels.seq : value.seq);

/** Runs the writer until `acks` writes are acknowledged, then SIGKILLs it; returns its log. */
function runUntilKilled(cwd, startSeq, acks) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, String(startSeq)], { cwd, stdio: ["ignore", "pipe", "inherit"] });
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

function allFiles(dir) {
  return fs.readdirSync(dir, { recursive: true }).map((name) => path.join(dir, name)).filter((file) => fs.statSync(file).isFile());
}

test(`${KILLS} SIGKILLs during writes never lose an acknowledged write or tear a document`, { timeout: 20 * 60_000 }, async (t) => {
  const cwd = tempDir(t, "kill");
  const data = path.join(cwd, "dump/data");
  const lastAcked = new Map();
  let seq = 0;
  for (let round = 0; round < KILLS; round += 1) {
    const { events, signal } = await runUntilKilled(cwd, seq, 1 + Math.floor(Math.random() * 40));
    assert.equal(signal, "SIGKILL");
    seq = Math.max(seq, ...events.map((e) => e.seq));
    const issued = new Map();
    for (const { event, key, seq: s } of events) {
      if (event === "issued") issued.set(key, [...(issued.get(key) ?? []), s]);
      if (event === "acked") lastAcked.set(key, Math.max(lastAcked.get(key) ?? 0, s));
    }
    for (const file of allFiles(data)) {
      if (path.basename(file).startsWith(".tmp-")) continue;
      assert.doesNotThrow(() => JSON.parse(fs.readFileSync(file, "utf8")), `round ${round}: ${file} does not parse`);
    }
    for (const [key, acked] of lastAcked) {
      const stored = seqOf(key, JSON.parse(fs.readFileSync(path.join(data, fileOf[key]), "utf8")));
      const inFlight = (issued.get(key) ?? []).filter((s) => s > acked);
      assert.ok(stored === acked || inFlight.includes(stored), `round ${round}: ${key} holds ${stored}, last acknowledged ${acked}`);
      lastAcked.set(key, stored);
    }
  }
  const quarantined = allFiles(data).filter((file) => file.includes(`${path.sep}.quarantine${path.sep}`));
  assert.deepEqual(quarantined, [], "no document was ever quarantined");
});
