// Loads the native binary through the loader napi-rs generates (`index.js`), which looks for the
// platform package `@backtest-kit/persist-<platform>` and then for a locally built
// `persist.<platform>.node`. When neither loads, the loader throws a chain of causes that blames
// an npm bug; the usual cause is an optional dependency left out or an install script that never
// ran, so this throws one short error instead (`code` ERR_NATIVE_BINARY_MISSING) naming every way
// out, with the loader's own error kept on the non-enumerable `loadError` (not printed).
"use strict";

const path = require("node:path");
const { platformSuffix } = require("./platform.js");

const NAME = "@backtest-kit/persist";

/** The loader's messages when no candidate loaded (anything else it throws is passed on as is). */
const NOT_LOADED = /^(Cannot find native binding|Failed to load native binding)/;

/** Every message in the loader's chain of causes, outermost first. */
function causesOf(error) {
  const messages = [];
  for (let at = error?.cause; at && messages.length < 50; at = at.cause) messages.push(String(at.message));
  return messages;
}

/**
 * The message: what is missing, then one line per way out. A candidate that is there but did
 * not load (a binary for another libc, a truncated file) is named with the reason.
 */
function missingMessage(loadError) {
  const suffix = platformSuffix();
  const { version } = require("./package.json");
  const failed = causesOf(loadError).find((message) => !/^Cannot find module|^Unsupported /.test(message));
  const what = failed
    ? `the native binary for ${suffix} did not load (${failed.split("\n")[0]})`
    : `no native binary for ${suffix}: neither the prebuilt package ${NAME}-${suffix} nor a built persist.${suffix}.node is installed`;
  return [
    `${NAME}: ${what}. Any one of these fixes it:`,
    `  - npm install ${NAME}-${suffix}@${version}   (the prebuilt binary: no script, no compiler)`,
    `  - npm rebuild ${NAME}   (runs the install script skipped by --ignore-scripts: it builds the binary with cargo)`,
    `  - npm 11, which runs no script it has not approved: npm install-scripts approve ${NAME}, then npm rebuild ${NAME}`,
    `  - pnpm approve-builds (and pick ${NAME}); bun: bun pm trust ${NAME} (bun's trustedDependencies)`,
  ].join("\n");
}

/** Package files a stack passes through on the way here; the user's frames are the others. */
const OWN_FILES = ["main.js", "binding.js", "index.js", `v19${path.sep}`, `cli${path.sep}`, `bin${path.sep}`].map((file) => path.join(__dirname, file));

/** A stack line that is a frame of Node's internals or of this package. */
const isInternalFrame = (line) => /[(\s]node:|\[eval\]-wrapper/.test(line) || OWN_FILES.some((file) => line.includes(file));

/**
 * The error for a missing binary, its stack trimmed to where the user's code loaded this package
 * (Node's module internals and this package's own frames left out), at most three frames.
 */
function missingBinary(loadError) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const error = new Error(missingMessage(loadError));
  Error.stackTraceLimit = limit;
  const frames = error.stack.split("\n").filter((line) => /^\s+at /.test(line));
  const user = frames.filter((line) => !isInternalFrame(line)).slice(0, 3);
  // Under `import` the importing module is not on the stack: then it ends at this package's entry.
  const kept = user.length > 0 ? user : frames.filter((line) => !/[(\s]node:/.test(line)).slice(-1);
  Object.defineProperty(error, "stack", { value: [`Error: ${error.message}`, ...kept].join("\n"), writable: true, configurable: true });
  error.code = "ERR_NATIVE_BINARY_MISSING";
  Object.defineProperty(error, "loadError", { value: loadError, writable: true, configurable: true });
  return error;
}

function load() {
  try {
    return require("./index.js");
  } catch (error) {
    if (!NOT_LOADED.test(String(error?.message))) throw error;
    throw missingBinary(error);
  }
}

module.exports = load();

// A SQLite file's acknowledged writes may still be in its write-ahead log (`state.db-wal`): on
// exit they are copied into the file itself, so the one `.db` file is a whole copy to back up.
if (typeof module.exports.__checkpointSqlite === "function") {
  process.once("exit", () => module.exports.__checkpointSqlite());
}
