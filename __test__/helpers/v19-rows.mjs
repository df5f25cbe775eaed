// One row per backtest-kit 19.5.0 registry (and 20.1.0's Dictionary): the Instance's constructor arguments, a write and
// a read (each given an Instance and the round, 0 or 1). The interchange test runs them against
// backtest-kit's own Instances, the stores test on every server store.
const MINUTE = 60_000;
const since = Math.floor((Date.now() - 24 * 3600_000) / MINUTE) * MINUTE;
const candles = (from, count) =>
  Array.from({ length: count }, (_, i) => ({ timestamp: from + i * MINUTE, open: 1 + i, high: 2 + i, low: i, close: 1.5 + i, volume: 10 }));
const signal = (id) => ({ id, symbol: "BTCUSDT", priceOpen: 100, minuteEstimatedTime: null, position: "long" });

/**
 * Per registry: the Instance's constructor arguments, a write and a read (each given an
 * Instance and the round, 0 for backtest-kit's write, 1 for ours), and the files expected.
 */
export const ROWS = [
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
    // backtest-kit 20.1.0's, not in 19.5.0 (`since`): the interchange test leaves it out.
    name: "Dictionary",
    since: "20.1.0",
    ctx: ["sig1", "levels"],
    write: (i, n) => i.writeDictionaryData({ id: "sig1_levels", data: { [`k${n}`]: { value: n, when: n } }, when: n }, new Date()),
    read: (i) => i.readDictionaryData(),
  },
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
