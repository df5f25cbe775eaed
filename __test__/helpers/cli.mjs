// Runs `backtest-persist` in this process, as bin/backtest-persist.js does, with its output
// captured and stderr not a terminal (no progress bars).
import { PassThrough, Readable } from "node:stream";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { main } = require("../../cli/main.js");

/** Runs the CLI with `args`; resolves to `{ code, stdout, stderr }`. */
export async function cli(args, { cwd, stdin = "" } = {}) {
  const previous = process.cwd();
  if (cwd) process.chdir(cwd);
  let stdout = "";
  let stderr = "";
  const sink = new PassThrough();
  sink.on("data", (chunk) => (stdout += chunk));
  const io = {
    stdin: Readable.from([stdin]),
    stdout: sink,
    stderr: { isTTY: false, write: (text) => (stderr += text) },
    out: (line) => (stdout += `${line}\n`),
    err: (line) => (stderr += `${line}\n`),
  };
  try {
    const code = await main(args, io);
    return { code, stdout, stderr };
  } finally {
    process.chdir(previous);
  }
}
