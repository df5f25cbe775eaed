#!/usr/bin/env node
// `npm test`: the whole suite. Builds the addon if its sources changed, then runs the core's
// cargo tests, the TypeScript type test and the node tests.
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: "inherit" });

run(process.execPath, [path.join(__dirname, "install.js"), "--force"]);
// --show-output: the crash and fault-injection tests print how many states they explored.
// --features: the store behaviour suite also runs on a redis-server and a PostgreSQL cluster the
// tests start themselves.
run("cargo", ["test", "--locked", "-p", "backtest-persist-core", "--features", "redis,postgres,sqlite", "--", "--show-output"]);
// The type tests: nodenext (the default), bundler resolution, and the 19.5.0 types without
// backtest-kit installed (its row types then fall back to structural ones).
const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
for (const config of ["tsconfig.json", "tsconfig.bundler.json", "tsconfig.no-backtest-kit.json"]) {
  run(process.execPath, [tsc, "-p", `__test__/types/${config}`]);
}
const tests = fs
  .readdirSync(path.join(root, "__test__"))
  .filter((name) => name.endsWith(".test.mjs"))
  .map((name) => path.join("__test__", name));
run(process.execPath, ["--test", "--test-concurrency=1", ...tests]);
