// The main job, `npm run demo`: the simulated bot is SIGKILLed at random moments and every key
// must restore its last acknowledged value (or a write that was in flight at the kill).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const demo = path.join(path.dirname(fileURLToPath(import.meta.url)), "../examples/demo/run.mjs");

test("the crash-and-recover demo recovers every acknowledged write across kill/restart rounds", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [demo, "--rounds", "3"], { timeout: 120_000 });
  assert.equal((stdout.match(/killed with SIGKILL/g) ?? []).length, 3, stdout);
  assert.match(stdout, /all keys recovered their last acknowledged value in 3 kill\/restart rounds/);
  assert.doesNotMatch(stdout, /LOST/);
});
