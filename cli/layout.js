// The December-2025 file layout mapped onto backtest-kit 19.5.0's, for `migrate --layout v19`.
// Paths are relative to the root that holds `data/` (backtest-kit's `./dump`). 19.5.0 adds the
// exchange to every path, and partial levels are kept per signal under the strategy too: the
// old layout lacks both, so `--exchange` (and for partial levels `--strategy`) supply them.
"use strict";

const { usage } = require("./tree.js");

const RULES = [
  {
    pattern: /^data\/signal\/([^/]+)\/([^/]+)\.json$/,
    needs: ["exchange"],
    map: ([strategy, symbol], { exchange }) => [`data/signal/${symbol}_${strategy}_${exchange}/${symbol}.json`],
  },
  {
    pattern: /^data\/schedule\/([^/]+)\/([^/]+)\.json$/,
    needs: ["exchange"],
    map: ([strategy, symbol], { exchange }) => [`data/schedule/${symbol}_${strategy}_${exchange}/${symbol}.json`],
  },
  {
    pattern: /^data\/risk\/([^/]+)\/positions\.json$/,
    needs: ["exchange"],
    map: ([riskName], { exchange }) => [`data/risk/${riskName}_${exchange}/positions.json`],
  },
  {
    // One document of levels by signal id becomes one document per signal, as 19.5.0's
    // ClientPartial writes them: `{ "<signalId>": levels }` in `<signalId>.json`.
    pattern: /^data\/partial\/([^/]+)\/levels\.json$/,
    needs: ["exchange", "strategy"],
    split: true,
    map: ([symbol], { exchange, strategy }) => `data/partial/${symbol}_${strategy}_${exchange}`,
  },
];

/**
 * Where a December-2025 document goes in 19.5.0's layout: `[{ to, text }]`, or null when the
 * path is none of the four December-2025 registries (then it is copied as it is).
 */
function toV19(relative, text, value, flags) {
  for (const rule of RULES) {
    const match = relative.match(rule.pattern);
    if (!match) continue;
    const missing = rule.needs.filter((flag) => !flags[flag]);
    if (missing.length > 0) {
      throw usage(`${relative}: the December-2025 layout has no ${missing.join(" or ")} in this path; pass ${missing.map((flag) => `--${flag} <name>`).join(" and ")}`);
    }
    const parts = match.slice(1);
    if (!rule.split) return rule.map(parts, flags).map((to) => ({ to, text }));
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { refused: `${relative}: partial levels must be an object of levels by signal id` };
    }
    const directory = rule.map(parts, flags);
    return Object.keys(value).map((signalId) => ({ to: `${directory}/${signalId}.json`, text: JSON.stringify({ [signalId]: value[signalId] }) }));
  }
  return null;
}

module.exports = { toV19 };
