// The 19.5.0 Instances against backtest-kit 19.5.0's own, registry by registry, in one directory:
// each side reads what the other wrote (with backtest-kit's read post-processing), and both
// leave the same files with the same bytes. One row per registry; one loop runs them all.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as bk from "backtest-kit";
import * as ours from "@backtest-kit/persist/v19";
import { filesUnder, tempDir } from "./helpers/tmp.mjs";
import { ROWS } from "./helpers/v19-rows.mjs";

/** A fresh directory as the working directory; the first call also arranges the way back. */
function inDirectory(t, label) {
  if (!t.restoresCwd) {
    const original = process.cwd();
    t.after(() => process.chdir(original)); // before the directories' removal
    t.restoresCwd = true;
  }
  const dir = tempDir(t, label);
  process.chdir(dir);
  return dir;
}

/** The registries backtest-kit 19.5.0 has (all but 20.1.0's Dictionary). */
const BK19_ROWS = ROWS.filter((row) => row.since === undefined);

test("the 19.5.0 surface is here: 16 registries and 20.1.0's Dictionary, each with its Adapter, Instance and Utils", () => {
  assert.equal(BK19_ROWS.length, 16);
  assert.deepEqual(ROWS.filter((row) => row.since !== undefined).map((row) => row.name), ["Dictionary"]);
  for (const { name, since } of ROWS) {
    assert.equal(typeof ours[`Persist${name}Instance`], "function", name);
    assert.ok(ours[`Persist${name}Adapter`] instanceof ours[`Persist${name}Utils`], name);
    assert.equal(typeof bk[`Persist${name}Instance`], since === undefined ? "function" : "undefined", `backtest-kit 19.5.0 has ${name}: ${since === undefined}`);
  }
});

for (const row of BK19_ROWS) {
  test(`${row.name}: backtest-kit 19.5.0's Instance and ours read each other's files, and write the same ones`, async (t) => {
    const dir = inDirectory(t, `v19-${row.name}`);
    const theirs = new bk[`Persist${row.name}Instance`](...row.ctx);
    const mine = new ours[`Persist${row.name}Instance`](...row.ctx);
    await theirs.waitForInit(true);
    await mine.waitForInit(true);

    await row.write(theirs, 0);
    assert.deepEqual(await row.read(mine), await row.read(theirs), "ours reads what backtest-kit wrote");
    const afterTheirs = filesUnder(path.join(dir, "dump"));
    assert.ok(Object.keys(afterTheirs).length > 0, "backtest-kit wrote files");

    await row.write(mine, 1);
    assert.deepEqual(await row.read(theirs), await row.read(mine), "backtest-kit reads what ours wrote");

    // The same write through backtest-kit, in a second directory, gives the same files.
    const twin = inDirectory(t, `v19-${row.name}-twin`);
    const twinTheirs = new bk[`Persist${row.name}Instance`](...row.ctx);
    await twinTheirs.waitForInit(true);
    await row.write(twinTheirs, 0);
    await row.write(twinTheirs, 1);
    assert.deepEqual(filesUnder(path.join(dir, "dump")), filesUnder(path.join(twin, "dump")), "the same files, byte for byte");
  });
}
