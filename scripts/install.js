#!/usr/bin/env node
// The install script. Most installs find the prebuilt binary: npm installs the platform package
// `@backtest-kit/persist-<platform>` from optionalDependencies and this script returns at once.
// Only where none fits (another platform, an install without optional dependencies) it builds
// the binary from the bundled Rust sources, after checking that cargo, a recent enough rustc and
// a C linker are there. npm hides an install script's output (unless --foreground-scripts), so
// the build's progress goes to the terminal itself (/dev/tty) when there is one.
//
//   node scripts/install.js [--force]   (--force, or a git checkout: always build)
"use strict";

const { execFileSync, spawn, spawnSync } = require("node:child_process");
const { createInterface } = require("node:readline");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { platformSuffix } = require("../platform.js");

const root = path.join(__dirname, "..");
const crate = "backtest-persist-napi";
const say = (line) => console.error(`@backtest-kit/persist: ${line}`);

function libraryName() {
  const base = crate.replace(/-/g, "_");
  if (process.platform === "win32") return `${base}.dll`;
  if (process.platform === "darwin") return `lib${base}.dylib`;
  return `lib${base}.so`;
}

function hasPrebuilt(suffix) {
  try {
    require.resolve(`@backtest-kit/persist-${suffix}`, { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

/** The `rust-version` the workspace declares (the oldest rustc its dependencies build with). */
function requiredRust() {
  const manifest = fs.readFileSync(path.join(root, "Cargo.toml"), "utf8");
  return manifest.match(/^rust-version\s*=\s*"([\d.]+)"/m)[1];
}

function olderThan(version, required) {
  const [a, b] = [version, required].map((text) => text.split(".").map(Number));
  for (let index = 0; index < 3; index++) {
    if ((a[index] ?? 0) !== (b[index] ?? 0)) return (a[index] ?? 0) < (b[index] ?? 0);
  }
  return false;
}

/** What is missing to build from source, as lines telling what to install; empty when nothing. */
function missingToolchain() {
  const problems = [];
  const rustc = spawnSync("rustc", ["--version"], { encoding: "utf8" });
  const cargo = spawnSync("cargo", ["--version"], { encoding: "utf8" });
  const required = requiredRust();
  if (cargo.error || rustc.error) {
    problems.push(`cargo and rustc >= ${required} are needed and were not found on PATH: install Rust from https://rustup.rs`);
  } else {
    const version = rustc.stdout.match(/rustc (\d+\.\d+\.\d+)/)?.[1];
    if (version && olderThan(version, required)) {
      problems.push(`rustc ${version} is too old: ${required} or later is needed (rustup update stable)`);
    }
  }
  if (process.platform !== "win32") {
    const linker = spawnSync("cc", ["--version"], { encoding: "utf8" });
    if (linker.error) {
      const how = process.platform === "darwin" ? "xcode-select --install" : "apt-get install build-essential, apk add build-base, ...";
      problems.push(`a C linker (cc) is needed and was not found on PATH (${how})`);
    }
  }
  return problems;
}

/** Where progress can be seen: the terminal itself (npm does not capture it), else stderr. */
function progressOutput() {
  try {
    const tty = fs.openSync(process.platform === "win32" ? "\\\\.\\CON" : "/dev/tty", "w");
    return (line) => fs.writeSync(tty, `@backtest-kit/persist: ${line}\n`);
  } catch {
    return say;
  }
}

/**
 * cargo build --release, its output kept (and shown whole if it fails), its progress shown on
 * the terminal: how many crates are compiled, and for how long it has run. From nothing it takes
 * a few minutes on two cores (measured in the README), most of it the dependencies and SQLite's
 * C code.
 */
function buildWithProgress(suffix, targetDir) {
  const show = progressOutput();
  const crates = (fs.readFileSync(path.join(root, "Cargo.lock"), "utf8").match(/^\[\[package\]\]$/gm) ?? []).length;
  const started = Date.now();
  const elapsed = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  };
  show(`building the native binary for ${suffix} from source with cargo (a few minutes on two cores; ${crates} crates)`);
  return new Promise((resolve) => {
    const build = spawn("cargo", ["build", "--release", "--locked", "-p", crate], {
      cwd: root,
      env: { ...process.env, CARGO_TARGET_DIR: targetDir, CARGO_TERM_COLOR: "never", CARGO_TERM_PROGRESS_WHEN: "never" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const output = [];
    let compiled = 0;
    let shownAt = Date.now();
    createInterface({ input: build.stderr }).on("line", (line) => {
      output.push(line);
      if (!/^\s*Compiling /.test(line)) return;
      compiled += 1;
      // A line every 20 crates or 30 s, whichever comes first.
      if (compiled % 20 === 0 || Date.now() - shownAt > 30_000) {
        shownAt = Date.now();
        show(`${compiled} of about ${crates} crates compiled, ${elapsed()}`);
      }
    });
    build.on("error", (error) => {
      say(`cargo could not be started for ${suffix} (${error.message})`);
      process.exit(1);
    });
    build.on("close", (code) => {
      if (code !== 0) {
        process.stderr.write(`${output.join("\n")}\n`);
        say(`cargo build failed for ${suffix} (exit ${code}); the output above says why.`);
        process.exit(1);
      }
      show(`built in ${elapsed()}`);
      resolve();
    });
  });
}

async function main() {
  const suffix = platformSuffix();
  const checkout = fs.existsSync(path.join(root, ".git"));
  const force = process.argv.includes("--force") || checkout;
  if (!force && hasPrebuilt(suffix)) {
    return;
  }
  if (!checkout) {
    say(`no prebuilt binary for ${suffix} (@backtest-kit/persist-${suffix} is not installed); building it from source.`);
  }
  const problems = missingToolchain();
  if (problems.length > 0) {
    say(`cannot build the native binary for ${suffix} from source:`);
    for (const problem of problems) say(`  - ${problem}`);
    say(`or install the prebuilt package instead: npm install @backtest-kit/persist-${suffix}`);
    process.exit(1);
  }
  // Inside a user's node_modules the build tree goes to a temp folder and is removed after.
  const ownTarget = !process.env.CARGO_TARGET_DIR && !checkout;
  const targetDir = process.env.CARGO_TARGET_DIR || (ownTarget ? fs.mkdtempSync(path.join(os.tmpdir(), "persist-build-")) : path.join(root, "target"));
  if (checkout) {
    try {
      execFileSync("cargo", ["build", "--release", "--locked", "-p", crate], { cwd: root, stdio: "inherit", env: { ...process.env, CARGO_TARGET_DIR: targetDir } });
    } catch (error) {
      say(`cargo build failed for ${suffix} (${error.message}); the output above says why.`);
      process.exit(1);
    }
  } else {
    await buildWithProgress(suffix, targetDir);
  }
  fs.copyFileSync(path.join(targetDir, "release", libraryName()), path.join(root, `persist.${suffix}.node`));
  if (ownTarget) {
    fs.rmSync(targetDir, { recursive: true, force: true });
  }
}

main();
