// Parent side of the JS boundary tests: runs a fixture from fixtures/ in a child `node` (in a
// temp directory of its own, killed after `limitMs`) and checks the report the fixture's
// harness (fixtures/boundary-harness.mjs) prints at exit. A crash, a hang or an uncaught
// exception in the child fails the test instead of taking the runner down.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./tmp.mjs";

export const packagePath = fileURLToPath(new URL("../../index.js", import.meta.url));
const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** `node [nodeArgs] fixtures/<fixture> <package path> <scenario>`, synchronously. */
export function runFixture(t, fixture, scenario, { nodeArgs = [], limitMs = 60_000 } = {}) {
  const cwd = tempDir(t, "boundary");
  const result = spawnSync(process.execPath, [...nodeArgs, path.join(fixtures, fixture), packagePath, scenario], {
    cwd,
    encoding: "utf8",
    timeout: limitMs,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ...result, limitMs };
}

/** The report line the harness printed at exit, or null. */
function reportOf(stdout) {
  const line = stdout.trim().split("\n").filter(Boolean).at(-1);
  if (!line) return null;
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/**
 * The child exited by itself with code 0 and nothing on stderr, and its report shows the
 * scenario finished with no failure, no uncaught exception, no unhandled rejection, and the
 * expected summary. Returns the report.
 */
export function assertChildReport(result, summary) {
  const output = `\n--- stdout\n${result.stdout?.slice(-4000)}\n--- stderr\n${result.stderr?.slice(-4000)}`;
  assert.equal(result.error?.code, undefined, `the child did not exit by itself within ${result.limitMs} ms${output}`);
  assert.equal(result.signal, null, `the child died of ${result.signal}${output}`);
  const report = reportOf(result.stdout);
  assert.ok(report, `the child printed no report${output}`);
  assert.deepEqual(
    { done: report.done, failures: report.failures, uncaught: report.uncaught, unhandled: report.unhandled },
    { done: true, failures: [], uncaught: [], unhandled: [] },
    `the child's report\n--- stderr\n${result.stderr?.slice(-4000)}`,
  );
  assert.equal(report.summary, summary);
  assert.equal(report.fulfilled + report.rejected, report.calls, "every call settled, exactly once");
  assert.equal(result.stderr, "", "nothing on the child's stderr");
  assert.equal(result.status, 0, `the child's exit code${output}`);
  return report;
}
