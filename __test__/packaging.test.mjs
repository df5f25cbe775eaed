// Packaging as a user gets it: `npm pack`, then `npm install <tarball>` in a fresh project
// beside backtest-kit@19.5.0. No prebuilt binary matches there, so the install builds from
// source (sharing this repo's cargo target dir to stay quick); a script then writes through
// this package and reads through backtest-kit's PersistBase, and the other way round.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers/tmp.mjs";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

test("npm pack, npm install <tarball> beside backtest-kit, then write and read through both", { timeout: 15 * 60_000 }, (t) => {
  const work = tempDir(t, "persist-pack");
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" }));
  const tarball = path.join(work, packed[0].filename);
  const shipped = packed[0].files.map((file) => file.path);
  assert.ok(shipped.includes("index.js") && shipped.includes("index.d.ts") && shipped.includes("core/src/lib.rs"));
  assert.ok(!shipped.some((file) => file.endsWith(".node")), "the tarball carries sources, not a binary");

  const project = path.join(work, "app");
  fs.mkdirSync(project);
  const ourPackage = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({
      name: "app",
      private: true,
      type: "module",
      dependencies: {
        "@backtest-kit/persist": `file:${tarball}`,
        "backtest-kit": "19.5.0",
        "di-singleton": `file:${path.join(root, "__test__/fixtures/di-singleton")}`,
      },
      overrides: { ...ourPackage.overrides, "di-singleton": "$di-singleton" },
    }),
  );
  execFileSync(npm, ["install", "--no-audit", "--no-fund"], {
    cwd: project,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CARGO_TARGET_DIR: path.join(root, "target") },
  });

  fs.writeFileSync(
    path.join(project, "main.mjs"),
    `
import { PersistBase, writeFileAtomic } from "@backtest-kit/persist";
import { PersistBase as Reference } from "backtest-kit";
const ours = new PersistBase("signal", "./data");
const theirs = new Reference("signal", "./data");
await ours.waitForInit(true);
await theirs.waitForInit(true);
await ours.writeValue("BTCUSDT", { id: "a", priceOpen: 1.5 });
await theirs.writeValue("ETHUSDT", { id: "b", priceOpen: 2 });
await writeFileAtomic("./data/note.txt", "ok");
console.log(JSON.stringify({
  theirsReadsOurs: await theirs.readValue("BTCUSDT"),
  oursReadsTheirs: await ours.readValue("ETHUSDT"),
  keys: await (async () => { const keys = []; for await (const key of ours.keys()) keys.push(key); return keys; })(),
}));
`,
  );
  const output = execFileSync(process.execPath, ["main.mjs"], { cwd: project, encoding: "utf8" });
  const result = JSON.parse(output.trim().split("\n").at(-1));
  assert.deepEqual(result, {
    theirsReadsOurs: { id: "a", priceOpen: 1.5 },
    oursReadsTheirs: { id: "b", priceOpen: 2 },
    keys: ["BTCUSDT", "ETHUSDT"],
  });
  assert.equal(fs.readFileSync(path.join(project, "data/note.txt"), "utf8"), "ok");
});
