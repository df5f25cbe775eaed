// A fresh temp directory per test, removed when the test ends.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function tempDir(t, label = "persist") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `fn` with console.error captured; returns [result, lines]. */
export async function captureConsoleError(fn) {
  const lines = [];
  const original = console.error;
  console.error = (...args) => lines.push(args.join(" "));
  try {
    return [await fn(), lines];
  } finally {
    console.error = original;
  }
}

/** Every item of an async iterable, in order. */
export async function collect(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Every file under `dir` (recursively), by path relative to it, with its text. */
export function filesUnder(dir) {
  const found = {};
  const walk = (at) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else found[path.relative(dir, full)] = fs.readFileSync(full, "utf8");
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found;
}

/**
 * Runs `command args` with `cwd`; resolves with `{ code, signal, killed, stdout, stderr }`. A child
 * still running after `limitMs` is SIGKILLed (`killed` is then true), so a hung child fails a test
 * instead of hanging it.
 */
export function runWithDeadline(command, args, { limitMs = 60_000, cwd, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, limitMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, killed, stdout, stderr });
    });
  });
}

/** Runs `fn` with the working directory at `dir` (the 19.5.0 Instances write under ./dump). */
export async function inDirectory(dir, fn) {
  const previous = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(previous);
  }
}

/** Moves the process into a temp directory for the length of test `t`; returns it. */
export function inTempCwd(t, label) {
  const previous = process.cwd();
  const dir = tempDir(t, label);
  process.chdir(dir);
  t.after(() => process.chdir(previous));
  return dir;
}
