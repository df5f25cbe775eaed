// A simulated live trading bot on the default file store. On start it restores its state
// through the four registries and prints it; then it trades forever: opens, updates and
// closes signals, schedules orders, changes risk positions and partial levels. Each write is
// logged as "issued" before it starts and "acked" once its Promise resolved, one JSON line
// each on stdout, so a supervisor that kills it knows what the bot believed was durable.
import {
  PersistPartialAdapter,
  PersistRiskAdapter,
  PersistScheduleAdapter,
  PersistSignalAdapter,
} from "@backtest-kit/persist";

export const STRATEGIES = ["trend", "meanrev"];
export const SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];
export const RISK = "conservative";

/** Every (registry, key, id) the bot writes, with the function that reads it back. */
export function stateKeys() {
  const keys = [];
  for (const strategy of STRATEGIES) {
    for (const symbol of SYMBOLS) {
      keys.push({ name: `signal ${strategy}/${symbol}`, read: () => PersistSignalAdapter.readSignalData(strategy, symbol) });
      keys.push({ name: `schedule ${strategy}/${symbol}`, read: () => PersistScheduleAdapter.readScheduleData(strategy, symbol) });
    }
  }
  keys.push({ name: `risk ${RISK}`, read: () => PersistRiskAdapter.readPositionData(RISK) });
  for (const symbol of SYMBOLS) {
    keys.push({ name: `partial ${symbol}`, read: () => PersistPartialAdapter.readPartialData(symbol) });
  }
  return keys;
}

async function restore() {
  const state = {};
  for (const key of stateKeys()) {
    state[key.name] = await key.read();
  }
  return state;
}

const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const pick = (items) => items[Math.floor(Math.random() * items.length)];

async function trade(state) {
  let rev = Math.max(0, ...Object.values(state).map(maxRev));
  const write = async (name, value, perform) => {
    emit({ event: "issued", name, value });
    await perform(value);
    state[name] = value;
    emit({ event: "acked", name, value });
  };
  for (;;) {
    rev += 1;
    const strategy = pick(STRATEGIES);
    const symbol = pick(SYMBOLS);
    const price = Math.round(1000 + Math.random() * 99_000) / 10;
    const signalName = `signal ${strategy}/${symbol}`;
    switch (pick(["signal", "signal", "schedule", "risk", "partial"])) {
      case "signal": {
        const open = state[signalName];
        const next = open && Math.random() < 0.4 ? null : { id: `sig-${rev}`, rev, position: pick(["long", "short"]), priceOpen: price };
        await write(signalName, next, (value) => PersistSignalAdapter.writeSignalData(value, strategy, symbol));
        break;
      }
      case "schedule": {
        const next = Math.random() < 0.3 ? null : { id: `sch-${rev}`, rev, priceOpen: price, scheduledAt: Date.now() };
        await write(`schedule ${strategy}/${symbol}`, next, (value) => PersistScheduleAdapter.writeScheduleData(value, strategy, symbol));
        break;
      }
      case "risk": {
        const positions = SYMBOLS.flatMap((s) =>
          STRATEGIES.filter((st) => state[`signal ${st}/${s}`]).map((st) => ({ strategyName: st, symbol: s, rev })),
        );
        await write(`risk ${RISK}`, positions, (value) => PersistRiskAdapter.writePositionData(value, RISK));
        break;
      }
      case "partial": {
        const levels = { [`sig-${rev}`]: { rev, profitLevels: [10, 20].slice(0, 1 + (rev % 2)), lossLevels: [] } };
        await write(`partial ${symbol}`, levels, (value) => PersistPartialAdapter.writePartialData(value, symbol));
        break;
      }
    }
  }
}

function maxRev(value) {
  if (value === null || typeof value !== "object") return 0;
  const own = typeof value.rev === "number" ? value.rev : 0;
  return Math.max(own, ...Object.values(value).map(maxRev));
}

const state = await restore();
emit({ event: "restored", state });
if (!process.argv.includes("--restore-only")) {
  await trade(state);
}
