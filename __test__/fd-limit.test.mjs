// Too many open files: 5,000 writes issued at once over 500 keys in a child with a low
// `ulimit -n`. Every write settles (the child exits by itself with all 5,000 outcomes), each
// failure is a clear WRITE_FAILED error whose cause is EMFILE, and the disk is consistent: every
// file parses, no temp file is left, and each key holds a value issued at or after its last
// acknowledged write (a write rejected on the directory fsync may still have landed). With 41
// descriptors spare the bound on concurrent file tasks lets every write through here; with one,
// many fail, which exercises the clean failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers/tmp.mjs";

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "fd-limit-child.mjs");
const WRITES = 5000;
const KEYS = 500;
// The limits are counted from what this runtime holds open once the package is loaded and a
// store initialised (23 descriptors on Node 20, 26 on Node 22 and later): 41 spare, and 1.
const BASE = Number(
  execFileSync(process.execPath, ["--input-type=module", "-e", `import { PersistBase } from ${JSON.stringify(new URL("../index.js", import.meta.url).href)}; import fs from "node:fs"; await new PersistBase("fd", fs.mkdtempSync("/tmp/fd-base-")).waitForInit(true); console.log(fs.readdirSync("/proc/self/fd").length)`], { encoding: "utf8" }).trim(),
);
for (const LIMIT of [BASE + 41, BASE + 1]) test(`${WRITES} concurrent writes under ulimit -n ${LIMIT}: each settles, failures are clean EMFILE errors, the disk is consistent`, async (t) => {
  const dir = tempDir(t, "fd-limit");
  const output = execFileSync("bash", ["-c", `ulimit -n ${LIMIT} && exec "$0" "$@"`, process.execPath, child, dir, String(WRITES), String(KEYS)], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const { outcomes } = JSON.parse(output);
  assert.equal(outcomes.length, WRITES, "every write settled");

  const failures = outcomes.filter(Boolean);
  for (const failure of failures) {
    assert.equal(failure.code, "WRITE_FAILED");
    assert.equal(failure.cause, "EMFILE");
    assert.match(failure.message, /^Failed to write entity fd:k\d+: EMFILE: too many open files, open '.+'$/);
  }
  t.diagnostic(`${WRITES - failures.length} acknowledged, ${failures.length} failed with EMFILE`);
  assert.ok(failures.length < WRITES, "some writes went through");
  if (LIMIT === BASE + 1) assert.ok(failures.length > 0, "the limit was low enough to make writes fail");

  const store = path.join(dir, "fd");
  const names = fs.readdirSync(store);
  assert.deepEqual(names.filter((name) => name.startsWith(".tmp-")), [], "no temp file is left");
  for (let key = 0; key < KEYS; key += 1) {
    const issued = outcomes.map((outcome, n) => ({ outcome, n })).filter(({ n }) => n % KEYS === key);
    const lastAcked = issued.filter(({ outcome }) => outcome === null).at(-1)?.n ?? -1;
    const file = path.join(store, `k${key}.json`);
    if (!fs.existsSync(file)) {
      assert.equal(lastAcked, -1, `k${key} was acknowledged but has no file`);
      continue;
    }
    const { n } = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.equal(n % KEYS, key, `k${key} holds a value of its own`);
    assert.ok(n >= lastAcked, `k${key} holds write ${n}, older than its last acknowledged write ${lastAcked}`);
  }
});
