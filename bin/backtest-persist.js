#!/usr/bin/env node
// `npx backtest-persist <command>` in a project that has the package (elsewhere:
// `npx -p @backtest-kit/persist backtest-persist <command>`): see `--help` and the README. The CLI
// loads the native binary only where a command needs it, so a missing one is a one-line error
// (exit 2) from cli/main.js, and --help and --version answer without it.
"use strict";

const { main } = require("../cli/main.js");

// The reader of stdout gone (`export ./dump | head`): stop writing to it and end quietly with
// exit 0, as Unix tools do, instead of crashing on EPIPE. Only reads stop early (export);
// a command that writes a store finishes its writes.
let stdoutClosed = false;
process.stdout.on("error", (error) => {
  if (error.code !== "EPIPE" && !stdoutClosed) throw error;
  stdoutClosed = true;
});

const io = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stdoutClosed: () => stdoutClosed,
  out: (line) => stdoutClosed || process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`backtest-persist: ${error.stack ?? error}\n`);
    process.exitCode = 3;
  },
);
