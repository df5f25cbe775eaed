// Runs the runtime suite (every *.mjs here but the harness and the worker) on each runtime:
// this Node, and Node 22, 24 and 26, Bun and Deno as scripts/runtimes.js installs them into
// .runtimes/ (from the npm registry). Each suite file is one process with a deadline; a file that
// fails, or does not exit by itself in time, fails the run.
//   node __test__/runtime/run.mjs [runtime ...]    (default: all; names: node, node22, node24,
//                                                    node26, bun, deno)
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..", "..");
const DEADLINE_MS = 5 * 60_000;
const SUITES = fs
  .readdirSync(here)
  .filter((name) => name.endsWith(".mjs") && !["run.mjs", "harness.mjs", "worker-writer.mjs"].includes(name))
  .sort();

const wanted = process.argv.slice(2);
const installed = wanted.length === 1 && wanted[0] === "node" ? {} : createRequire(import.meta.url)("../../scripts/runtimes.js").install();
/** The argv that runs a script on each runtime. Deno: all permissions, node_modules as installed (never fetched). */
const commands = { node: [process.execPath] };
for (const [name, binary] of Object.entries(installed)) commands[name] = name === "deno" ? [binary, "run", "-A", "--node-modules-dir=manual"] : [binary];
const chosen = wanted.length > 0 ? wanted : Object.keys(commands);
const unknown = chosen.filter((name) => !(name in commands));
if (unknown.length > 0) {
  console.error(`runtime suite: unknown runtime ${unknown.join(", ")} (one of ${Object.keys(commands).join(", ")})`);
  process.exit(2);
}

/** Runs one suite file on one runtime; resolves with { code, output, ms }. */
function runSuite(command, file) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command[0], [...command.slice(1), path.join(here, file)], {
      cwd: root,
      env: { ...process.env, PERSIST_RUNTIME: JSON.stringify(command) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\nnot ok - did not exit within ${DEADLINE_MS / 1000} s (a handle kept it alive, or a call never settled)\n`;
      child.kill("SIGKILL");
    }, DEADLINE_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, output, ms: Date.now() - started });
    });
  });
}

let failures = 0;
const summary = [];
for (const name of chosen) {
  const command = commands[name];
  let total = 0;
  for (const file of SUITES) {
    const { code, output, ms } = await runSuite(command, file);
    total += ms;
    console.log(`--- ${name} ${file} (${(ms / 1000).toFixed(1)} s): ${code === 0 ? "pass" : `FAIL (${code})`}`);
    process.stdout.write(output.replace(/^/gm, "    ").replace(/ {4}$/, ""));
    if (code !== 0) failures += 1;
  }
  summary.push(`${name}: ${(total / 1000).toFixed(1)} s`);
}
console.log(`runtime suite: ${summary.join(", ")}; ${failures === 0 ? "all passed" : `${failures} file(s) failed`}`);
process.exitCode = failures === 0 ? 0 : 1;
