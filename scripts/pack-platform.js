#!/usr/bin/env node
// Builds and packs this machine's platform package, `@backtest-kit/persist-<platform>`: copies the
// release binary `persist.<platform>.node` (built by `npm install` or `npm run build`, and built
// here with cargo when it is missing; stripped by the release profile) into `npm/<platform>/`
// and runs `npm pack` there. Prints the tarball's path.
//
//   node scripts/pack-platform.js [--out <dir>]
//
// The release workflow builds the other platforms' binaries on their own runners.
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { platformSuffix } = require("../platform.js");

const root = path.join(__dirname, "..");

function main() {
  const at = process.argv.indexOf("--out");
  const out = path.resolve(at > 0 ? process.argv[at + 1] : root);
  const suffix = platformSuffix();
  const file = `persist.${suffix}.node`;
  const binary = path.join(root, file);
  const packageDir = path.join(root, "npm", suffix);
  if (!fs.existsSync(packageDir)) {
    console.error(`pack-platform: ${suffix} is not one of the platforms this package ships (npm/*)`);
    process.exit(1);
  }
  if (!fs.existsSync(binary)) {
    execFileSync(process.execPath, [path.join(__dirname, "install.js"), "--force"], { cwd: root, stdio: ["ignore", 2, 2] });
  }
  const { version } = require("../package.json");
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8"));
  if (manifest.version !== version) {
    console.error(`pack-platform: npm/${suffix} is at ${manifest.version}, the package at ${version}`);
    process.exit(1);
  }
  fs.copyFileSync(binary, path.join(packageDir, file));
  fs.mkdirSync(out, { recursive: true });
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", out], { cwd: packageDir, encoding: "utf8" }),
  );
  fs.rmSync(path.join(packageDir, file));
  console.log(path.join(out, packed[0].filename));
}

main();
