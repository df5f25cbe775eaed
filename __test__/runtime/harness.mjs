// The runtime suite's own small harness (node:test is not the same on every runtime): checks run
// one after another, each in a fresh working directory; `ok`/`not ok` lines; a failure sets the
// exit code. Nothing calls process.exit on success, so a handle left open keeps the process
// alive and the runner (run.mjs) fails it at its deadline: each file also proves it exits by itself.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import * as persist from "@backtest-kit/persist";
import * as v19 from "@backtest-kit/persist/v19";

const require = createRequire(import.meta.url);
const checks = [];

/** This package's two entry points, as a user imports them (through its exports map). */
export { persist, v19 };
/**
 * backtest-kit 19.5.0: its CommonJS build on Deno, whose loader refuses the ES build's import of
 * this repository's di-singleton stand-in (see fixtures/v19-bot.mjs); its ES build elsewhere.
 */
export const loadBacktestKit = () => (globalThis.Deno ? require("backtest-kit") : import("backtest-kit"));

/** The command that runs a script on this runtime (argv before the script), from run.mjs. */
export const runtime = JSON.parse(process.env.PERSIST_RUNTIME ?? JSON.stringify([process.execPath]));

export function check(name, fn) {
  checks.push([name, fn]);
}

/** A fresh temp directory, removed at the end of the file. */
export function tempDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `persist runtime ${label}-`));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const cleanups = [];

/** Runs the checks; call once, at the end of a suite file. */
export async function run() {
  const home = process.cwd();
  let failed = 0;
  for (const [name, fn] of checks) {
    process.chdir(tempDir("check"));
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (error) {
      failed += 1;
      console.log(`not ok - ${name}`);
      console.log(String(error?.stack ?? error).replace(/^/gm, "  # "));
    } finally {
      process.chdir(home);
    }
  }
  for (const cleanup of cleanups) cleanup();
  console.log(`# ${checks.length - failed} of ${checks.length} passed`);
  if (failed > 0) process.exitCode = 1;
}
