// Loads the native binary through the loader napi-rs generates (`index.js`), which looks for the
// platform package `@backtest-kit/persist-<platform>` and then for a locally built
// `persist.<platform>.node`. When neither is there, the loader's own message blames an npm bug;
// the usual cause is an install script that never ran (pnpm 10 and bun block them by default,
// `npm install --ignore-scripts`), so this says what is missing and the two ways to fix it.
"use strict";

const { platformSuffix } = require("./platform.js");

function load() {
  try {
    return require("./index.js");
  } catch (error) {
    const suffix = platformSuffix();
    const { version } = require("./package.json");
    const missing = new Error(
      `@backtest-kit/persist: no native binary for ${suffix}. Neither the prebuilt package ` +
        `@backtest-kit/persist-${suffix} nor a locally built persist.${suffix}.node is installed. ` +
        `Install the prebuilt one (npm install @backtest-kit/persist-${suffix}@${version}), or allow this ` +
        "package's install script, which builds it from source with cargo, and reinstall " +
        "(pnpm: `pnpm approve-builds`; bun: add @backtest-kit/persist to trustedDependencies; " +
        "npm: do not pass --ignore-scripts).",
      { cause: error },
    );
    missing.code = "ERR_NATIVE_BINARY_MISSING";
    throw missing;
  }
}

module.exports = load();
