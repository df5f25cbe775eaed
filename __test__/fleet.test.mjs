// A fleet of bots on one store: four processes, each writing bursts across three namespaces of
// shared keys with a removeAll one step in 10 (fixtures/fleet-writer.mjs), on every server
// store and topology of helpers/stores.mjs. Every call must succeed: no deadlock the server
// aborts (PostgreSQL: removeAll and batches lock rows in one order), no call that never settles.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { STORES } from "./helpers/stores.mjs";
import { runWithDeadline } from "./helpers/tmp.mjs";

/** Deadlocks the PostgreSQL server behind `url` has detected in its database (retried ones too). */
async function deadlocks(url) {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query("/*NO LOAD BALANCE*/ SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()");
  await client.end();
  return rows[0].n;
}

const WRITER = path.join(import.meta.dirname, "fixtures", "fleet-writer.mjs");
const BOTS = 4;
const CALLS = 2000;

for (const row of STORES.filter((row) => row.server)) {
  test(`${row.name}: ${BOTS} bots mixing bursts of writes over three namespaces with removeAll: every call succeeds`, { skip: row.skip, timeout: 300_000 }, async (t) => {
    const url = await row.url(t);
    const base = row.base(t);
    const postgres = /^postgres/.test(url);
    const before = postgres ? await deadlocks(url) : 0;
    const bots = await Promise.all(
      Array.from({ length: BOTS }, async (_, id) => {
        const result = await runWithDeadline(process.execPath, [WRITER, String(id), String(CALLS), base, url], { limitMs: 240_000 });
        assert.equal(result.killed, false, `bot ${id} still running after 240 s\n${result.stderr}`);
        assert.equal(result.code, 0, `bot ${id}: exit ${result.code}\n${result.stderr}`);
        return JSON.parse(result.stdout.trim().split("\n").at(-1));
      }),
    );
    for (const [id, bot] of bots.entries()) {
      assert.ok(bot.calls >= CALLS, `bot ${id} made ${bot.calls} calls`);
      assert.deepEqual(bot.failed.slice(0, 3), [], `bot ${id}: ${bot.failed.length} of ${bot.calls} calls failed`);
    }
    // Not one deadlock, not even one the store ran again after.
    if (postgres) assert.equal((await deadlocks(url)) - before, 0, "deadlocks the server detected");
  });
}
