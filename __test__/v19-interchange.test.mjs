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

const MINUTE = 60_000;
const since = Math.floor((Date.now() - 24 * 3600_000) / MINUTE) * MINUTE;
const candles = (from, count) =>
  Array.from({ length: count }, (_, i) => ({ timestamp: from + i * MINUTE, open: 1 + i, high: 2 + i, low: i, close: 1.5 + i, volume: 10 }));
const signal = (id) => ({ id, symbol: "BTCUSDT", priceOpen: 100, minuteEstimatedTime: null, position: "long" });

/**
 * Per registry: the Instance's constructor arguments, a write and a read (each given an
 * Instance and the round, 0 for backtest-kit's write, 1 for ours), and the files expected.
 */
const ROWS = [
  { name: "Signal", ctx: ["BTCUSDT", "s", "ex"], write: (i, n) => i.writeSignalData(signal(`sig${n}`)), read: (i) => i.readSignalData() },
  { name: "Schedule", ctx: ["BTCUSDT", "s", "ex"], write: (i, n) => i.writeScheduleData(signal(`sch${n}`)), read: (i) => i.readScheduleData() },
  {
    name: "Strategy",
    ctx: ["BTCUSDT", "s", "ex"],
    write: (i, n) => i.writeStrategyData({ pendingSignalId: `p${n}`, closedSignal: signal("c"), createdSignal: { minuteEstimatedTime: null }, commitQueue: [] }),
    read: (i) => i.readStrategyData(),
  },
  {
    name: "Partial",
    ctx: ["BTCUSDT", "s", "ex"],
    write: (i, n) => i.writePartialData({ sig1: { profitLevels: [10, n], lossLevels: [] } }, "sig1", new Date()),
    read: (i) => i.readPartialData("sig1", new Date()),
  },
  {
    name: "Breakeven",
    ctx: ["BTCUSDT", "s", "ex"],
    write: (i, n) => i.writeBreakevenData({ sig1: { reached: n === 1 } }, "sig1", new Date()),
    read: (i) => i.readBreakevenData("sig1", new Date()),
  },
  {
    name: "Risk",
    ctx: ["risk", "ex"],
    write: (i, n) => i.writePositionData([[`s:ex:BTC${n}`, { symbol: "BTCUSDT", minuteEstimatedTime: null }]], new Date()),
    read: (i) => i.readPositionData(new Date()),
  },
  {
    name: "Candle",
    ctx: ["BTCUSDT", "1m", "ex"],
    write: (i, n) => i.writeCandlesData(candles(since + n * 5 * MINUTE, 5)),
    read: (i) => i.readCandlesData(10, since, since + 10 * MINUTE),
  },
  {
    name: "Storage",
    ctx: [false],
    write: (i, n) => i.writeStorageData([signal(`st${n}a`), signal(`st${n}b`)]),
    read: (i) => i.readStorageData(),
  },
  {
    name: "Notification",
    ctx: [true],
    write: (i, n) => i.writeNotificationData([{ id: `n${n}`, cost: 5, minuteEstimatedTime: null }, { id: `plain${n}` }]),
    read: (i) => i.readNotificationData(),
  },
  { name: "Log", ctx: [], write: (i, n) => i.writeLogData([{ id: `log${n}`, type: "info", args: [n] }]), read: (i) => i.readLogData() },
  {
    name: "Measure",
    ctx: ["bucket_1m_0"],
    write: async (i, n) => {
      await i.writeMeasureData({ id: `k${n}`, data: { n }, removed: false }, `k${n}`, new Date());
      await i.writeMeasureData({ id: `gone${n}`, data: {}, removed: false }, `gone${n}`, new Date());
      await i.removeMeasureData(`gone${n}`);
    },
    read: async (i) => {
      const listed = [];
      for await (const key of i.listMeasureData()) listed.push(key);
      return { listed, k0: await i.readMeasureData("k0"), k1: await i.readMeasureData("k1"), gone0: await i.readMeasureData("gone0") };
    },
  },
  {
    name: "Interval",
    ctx: ["bucket_1h_0"],
    write: async (i, n) => {
      await i.writeIntervalData({ id: `k${n}`, data: { n }, when: new Date(0), removed: false }, `k${n}`, new Date());
      await i.removeIntervalData("k0");
    },
    read: async (i) => {
      const listed = [];
      for await (const key of i.listIntervalData()) listed.push(key);
      return { listed, k0: await i.readIntervalData("k0"), k1: await i.readIntervalData("k1") };
    },
  },
  {
    name: "Memory",
    ctx: ["sig1", "notes"],
    write: (i, n) => i.writeMemoryData({ priority: n, data: { n }, removed: false, index: "x", when: n }, `m${n}`, new Date()),
    read: async (i) => {
      const listed = [];
      for await (const entry of i.listMemoryData()) listed.push(entry);
      return { listed, has: await i.hasMemoryData("m0"), m1: await i.readMemoryData("m1") };
    },
  },
  { name: "State", ctx: ["sig1", "bucket"], write: (i, n) => i.writeStateData({ id: "sig1_bucket", data: { n }, when: n }, new Date()), read: (i) => i.readStateData() },
  {
    name: "Session",
    ctx: ["s", "ex", "", "BTCUSDT", false],
    write: (i, n) => i.writeSessionData({ id: "BTCUSDT:s:ex:live", data: { n }, when: n }, new Date()),
    read: (i) => i.readSessionData(),
  },
  {
    name: "Recent",
    ctx: ["BTCUSDT", "s", "ex", "frame", true],
    write: (i, n) => i.writeRecentData(signal(`r${n}`), new Date()),
    read: (i) => i.readRecentData(),
  },
];


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

test("the 19.5.0 surface is here: 16 registries, each with its Adapter, Instance and Utils", () => {
  assert.equal(ROWS.length, 16);
  for (const { name } of ROWS) {
    assert.equal(typeof ours[`Persist${name}Instance`], "function", name);
    assert.ok(ours[`Persist${name}Adapter`] instanceof ours[`Persist${name}Utils`], name);
    assert.equal(typeof bk[`Persist${name}Instance`], "function", `backtest-kit has ${name}`);
  }
});

for (const row of ROWS) {
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
