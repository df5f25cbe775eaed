#!/usr/bin/env node
// Makes sure this package has a native binary for the running platform: a prebuilt one from
// `@backtest-kit/persist-<platform>` when installed, otherwise one built from the bundled Rust
// sources with cargo (release profile) and copied to `persist.<platform>.node`.
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.join(__dirname, "..");
const crate = "backtest-persist-napi";

function platformSuffix() {
  const { platform, arch } = process;
  if (platform === "linux") return `linux-${arch}-gnu`;
  if (platform === "darwin") return `darwin-${arch}`;
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

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

function main() {
  const suffix = platformSuffix();
  const force = process.argv.includes("--force") || fs.existsSync(path.join(root, ".git"));
  if (!force && hasPrebuilt(suffix)) {
    return;
  }
  // Inside a user's node_modules the build tree goes to a temp folder and is removed after.
  const ownTarget = !process.env.CARGO_TARGET_DIR && !fs.existsSync(path.join(root, ".git"));
  const targetDir = process.env.CARGO_TARGET_DIR || (ownTarget ? fs.mkdtempSync(path.join(os.tmpdir(), "persist-build-")) : path.join(root, "target"));
  try {
    execFileSync("cargo", ["build", "--release", "--locked", "-p", crate], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    });
  } catch (error) {
    const reason = error.code === "ENOENT" ? "cargo was not found on PATH" : `cargo build failed (${error.message})`;
    console.error(`@backtest-kit/persist: no prebuilt binary for ${suffix} and building from source failed: ${reason}.`);
    console.error("Install Rust (https://rustup.rs) and run `npm rebuild @backtest-kit/persist`.");
    process.exit(1);
  }
  fs.copyFileSync(path.join(targetDir, "release", libraryName()), path.join(root, `persist.${suffix}.node`));
  if (ownTarget) {
    fs.rmSync(targetDir, { recursive: true, force: true });
  }
}

main();
