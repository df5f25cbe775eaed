// Every code block of the README, run as a reader would run it, so none can go stale: `js` blocks
// as ES modules and `ts` blocks type-checked (strict, nodenext) then run, in a project where
// `@backtest-kit/persist` is this checkout and backtest-kit 19.5.0 is installed; `sh` blocks
// through bash with `npx backtest-persist` being this checkout's command, over a bot's dump
// written first. The addresses of the README's example servers (10.0.0.5, 10.0.0.6) are a
// redis-server and a PostgreSQL cluster this test starts; the registry install of the first
// block is this checkout linked in (the packaging tests install the packed package itself), and
// the contributor's lines run in this checkout (`npm test` aside: it is what runs this). `sql`
// blocks run with psql on a PostgreSQL cluster of their own, as its owner: a block that makes the
// table runs on an empty database; a query runs on the table this package made, holding an open
// signal written in backtest-kit 19.5.0's layout, and must return it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { haveRedis, startRedis } from "./helpers/redis.mjs";
import { binary, havePostgres, startPostgres } from "./helpers/postgres.mjs";
import { runWithDeadline, tempDir } from "./helpers/tmp.mjs";

const root = path.join(import.meta.dirname, "..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");

/** The fenced blocks: `{ lang, code, line }`. */
function blocks(text) {
  const found = [];
  const lines = text.split("\n");
  for (let at = 0; at < lines.length; at += 1) {
    const open = /^```(\w*)\s*$/.exec(lines[at]);
    if (!open) continue;
    const start = at;
    const body = [];
    for (at += 1; at < lines.length && !/^```\s*$/.test(lines[at]); at += 1) body.push(lines[at]);
    found.push({ lang: open[1], code: body.join("\n"), line: start + 1 });
  }
  return found;
}

/** A project directory where `@backtest-kit/persist` is this checkout, with backtest-kit installed. */
function project(t) {
  const dir = tempDir(t, "readme project");
  fs.mkdirSync(path.join(dir, "node_modules", "@backtest-kit"), { recursive: true });
  fs.symlinkSync(root, path.join(dir, "node_modules", "@backtest-kit", "persist"), "dir");
  for (const name of ["backtest-kit", "@types", "typescript"]) {
    fs.symlinkSync(path.join(root, "node_modules", name), path.join(dir, "node_modules", name), "dir");
  }
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "readme-reader", private: true, type: "module" }));
  return dir;
}

/** The README's example servers, made this test's own. */
function withServers(code, servers) {
  return code
    .replace(/redis:\/\/[^\s"'`]*10\.0\.0\.5[^\s"'`]*/g, servers.redis)
    .replace(/postgres:\/\/[^\s"'`]*10\.0\.0\.6[^\s"'`]*/g, servers.postgres);
}

/** A bot's dump in the December-2025 layout under `<dir>/dump`, as the command-line block expects. */
function writeDump(dir) {
  const script = `
    import { PersistSignalAdapter, PersistPartialAdapter } from "@backtest-kit/persist";
    await PersistSignalAdapter.writeSignalData({ id: "sig-1", position: "long", priceOpen: 97250.5 }, "my-strategy", "BTCUSDT");
    await PersistPartialAdapter.writePartialData({ "sig-1": { profitLevels: [10], lossLevels: [] } }, "BTCUSDT");
  `;
  fs.writeFileSync(path.join(dir, "write-dump.mjs"), script);
  execFileSync(process.execPath, ["write-dump.mjs"], { cwd: dir, stdio: "inherit" });
}

const all = blocks(readme);
const needsServers = (code) => /10\.0\.0\.[56]|PERSIST_URL/.test(code);

test("the README has code blocks, each of a language this test runs", () => {
  assert.ok(all.length >= 8, `${all.length} blocks`);
  for (const block of all) assert.ok(["js", "ts", "sh", "sql"].includes(block.lang), `README.md:${block.line}: a block of language "${block.lang}"`);
});

for (const block of all) {
  const where = `README.md:${block.line}`;
  const servers = needsServers(block.code);
  const skip =
    (servers && !(haveRedis && havePostgres) && "redis-server and postgresql are needed (apt-get install redis-server postgresql)") ||
    (block.lang === "sql" && !havePostgres && "postgresql is needed (apt-get install postgresql)");
  test(`${where}: the ${block.lang} block runs as written`, { skip, timeout: 180_000 }, async (t) => {
    const dir = project(t);
    const env = { ...process.env };
    let code = block.code;
    if (block.lang === "sql") {
      const postgres = await startPostgres(t);
      const psql = (file) =>
        execFileSync(binary("psql"), ["-X", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-h", "127.0.0.1", "-p", String(postgres.port), "-U", "bot", "-d", "postgres", "-f", file], {
          env: { ...process.env, PGPASSWORD: "bot-password" },
          encoding: "utf8",
        });
      fs.writeFileSync(path.join(dir, "roles.sql"), "CREATE ROLE backup;\n");
      psql(path.join(dir, "roles.sql"));
      const makesTable = /CREATE TABLE/i.test(code);
      if (!makesTable) {
        const { PersistBase } = await import("../index.js");
        const signals = new PersistBase("BTCUSDT_trend-a_binance", "./dump/data/signal/", { store: postgres.url });
        await signals.writeValue("BTCUSDT", { id: "s1", strategyName: "trend-a", symbol: "BTCUSDT", position: "long", priceOpen: 42000.5 });
        await new PersistBase("ETHUSDT_trend-b_binance", "./dump/data/signal/", { store: postgres.url }).writeValue("ETHUSDT", null);
      }
      fs.writeFileSync(path.join(dir, "block.sql"), code);
      const out = psql(path.join(dir, "block.sql"));
      if (!makesTable) assert.equal(out.trim(), "trend-a|BTCUSDT|long|42000.5", `${where}: the query's rows`);
      return;
    }
    if (servers) {
      const redis = await startRedis(t, { password: "password" });
      const postgres = await startPostgres(t);
      code = withServers(code, { redis: redis.url, postgres: postgres.url });
      env.PERSIST_URL = redis.url;
    }
    if (block.lang === "sh") {
      writeDump(dir);
      const lines = code
        .split("\n")
        // The registry install of the package: this checkout is linked in already.
        .map((line) => line.replace(/^npm install @backtest-kit\/persist$/, "test -d node_modules/@backtest-kit/persist"))
        // The contributor's first line: this checkout is the clone (the demo runs in it).
        .map((line) => line.replace(/^git clone \S+ persist && cd persist && npm install && npm run demo$/, `cd ${JSON.stringify(root)} && npm run --silent demo`))
        // `npm test` is what runs this test.
        .filter((line) => line.trim() !== "npm test")
        .map((line) => line.replace(/npx backtest-persist/g, `node ${JSON.stringify(path.join(root, "bin", "backtest-persist.js"))}`));
      fs.writeFileSync(path.join(dir, "block.sh"), `set -euo pipefail\n${lines.join("\n")}\n`);
      const result = await runWithDeadline("bash", ["block.sh"], { cwd: dir, limitMs: 150_000, env });
      assert.equal(result.code, 0, `${where}\n${result.stdout}\n${result.stderr}`);
      return;
    }
    const file = path.join(dir, block.lang === "ts" ? "block.mts" : "block.mjs");
    fs.writeFileSync(file, code);
    if (block.lang === "ts") {
      const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
      const options = ["--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", file];
      const checked = await runWithDeadline(process.execPath, [tsc, ...options], { cwd: dir, limitMs: 120_000 });
      assert.equal(checked.code, 0, `${where} does not type-check:\n${checked.stdout}${checked.stderr}`);
      const ts = (await import("typescript")).default;
      const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      fs.writeFileSync(path.join(dir, "block.mjs"), js);
    }
    const result = await runWithDeadline(process.execPath, ["block.mjs"], { cwd: dir, limitMs: 120_000, env });
    assert.equal(result.code, 0, `${where}\n${result.stdout}\n${result.stderr}`);
  });
}
