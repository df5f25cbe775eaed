// Which prebuilt binary this machine needs: the suffix napi-rs gives it (`linux-x64-gnu`,
// `linux-arm64-musl`, `darwin-arm64`, `win32-x64-msvc`, ...), used by the install script and by
// `binding.js` to name the platform package `@backtest-kit/persist-<suffix>` and the locally
// built file `persist.<suffix>.node`, as the generated loader (`index.js`) looks for them.
"use strict";

const fs = require("node:fs");

/** Whether this Linux runs on musl (Alpine) rather than glibc. */
function isMusl() {
  if (process.platform !== "linux") return false;
  // glibc reports its version in the process report; musl has none to report.
  const header = process.report?.getReport?.()?.header;
  if (header) return !header.glibcVersionRuntime;
  try {
    return fs.readFileSync("/usr/bin/ldd", "utf8").includes("musl");
  } catch {
    return false;
  }
}

function platformSuffix() {
  const { platform, arch } = process;
  if (platform === "linux") return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

module.exports = { isMusl, platformSuffix };
