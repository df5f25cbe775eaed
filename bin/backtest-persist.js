#!/usr/bin/env node
// `npx backtest-persist <command>`: see `backtest-persist --help` and the README.
"use strict";

const { main } = require("../cli/main.js");

const io = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  out: (line) => process.stdout.write(`${line}\n`),
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
