// `backtest-persist` on the server stores: inspect, verify, export, import and migrate between a
// file tree, a redis-server and a PostgreSQL cluster of the test's own, each tree read back
// through the same paths. Bad input (a corrupt document on the server, an unreachable server, a
// conflicting value) gives a clear message and a non-zero exit, and changes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cli } from "./helpers/cli.mjs";
import { filesUnder, tempDir } from "./helpers/tmp.mjs";
import { freePort, haveRedis, startRedis } from "./helpers/redis.mjs";
import { havePostgres, startPostgres } from "./helpers/postgres.mjs";

const mainUrl = new URL("../main.js", import.meta.url).href;

const skipRedis = !haveRedis && !process.env.CI && "redis-server is not installed (apt-get install redis-server)";
const skipBoth = skipRedis || (!havePostgres && !process.env.CI && "postgresql is not installed (apt-get install postgresql)");

/** A December-2025 tree under `<dir>/dump`, written by this package's registries (file store). */
function writeTree(dir) {
  const script = `
    import { PersistSignalAdapter, PersistRiskAdapter, PersistPartialAdapter } from ${JSON.stringify(mainUrl)};
    await PersistSignalAdapter.writeSignalData({ id: "sig-1", position: "long", priceOpen: 97250.5 }, "trend", "BTCUSDT");
    await PersistSignalAdapter.writeSignalData(null, "trend", "ETHUSDT");
    await PersistRiskAdapter.writePositionData([["trend:BTCUSDT", { strategyName: "trend", openTimestamp: 1 }]], "main-risk");
    await PersistPartialAdapter.writePartialData({ "sig-1": { profitLevels: [10, 20], lossLevels: [] } }, "BTCUSDT");
  `;
  execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, stdio: "inherit" });
}

test("a tree migrated files → Redis → PostgreSQL → files comes back byte for byte; inspect, verify and export agree on every store", { skip: skipBoth }, async (t) => {
  const redis = await startRedis(t);
  const postgres = await startPostgres(t);
  const dir = tempDir(t, "cli stores");
  writeTree(dir);
  const dump = path.join(dir, "dump");
  const original = filesUnder(dump);
  const paths = Object.keys(original).sort();

  // A dry run writes nothing to the server.
  const dry = await cli(["migrate", "--from", dump, "--to", redis.url]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`${paths.length} to write, 0 already there; dry run`));
  assert.equal(JSON.parse((await cli(["inspect", redis.url, "--json"])).stdout).documents, 0);

  for (const [from, to] of [[dump, redis.url], [redis.url, postgres.url]]) {
    const applied = await cli(["migrate", "--from", from, "--to", to, "--apply"]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, new RegExp(`${paths.length} written, 0 already there`));
    // Resumable: a second run finds everything there.
    const again = await cli(["migrate", "--from", from, "--to", to, "--apply"]);
    assert.match(again.stdout, new RegExp(`0 written, ${paths.length} already there`));
  }
  const back = path.join(dir, "back");
  assert.equal((await cli(["migrate", "--from", postgres.url, "--to", back, "--apply"])).code, 0);
  assert.deepEqual(filesUnder(back), original);

  const fileExport = await cli(["export", dump]);
  for (const url of [redis.url, postgres.url]) {
    const inspected = JSON.parse((await cli(["inspect", url, "--json"])).stdout);
    assert.equal(inspected.documents, paths.length);
    assert.deepEqual(inspected.directories.map((d) => d.path).sort(), [...new Set(paths.map((p) => path.posix.dirname(p)))].sort());
    assert.deepEqual(inspected.registries.map((r) => r.name).sort(), ["data/partial", "data/risk", "data/signal"]);
    const verified = await cli(["verify", url]);
    assert.equal(verified.code, 0);
    assert.match(verified.stdout, new RegExp(`ok: ${paths.length} documents parse`));
    assert.equal((await cli(["export", url])).stdout, fileExport.stdout);
  }
});

test("documents a bot wrote through usePersistStore are the tree under the dump prefix, and migrate to files the file store reads", { skip: skipRedis }, async (t) => {
  const redis = await startRedis(t);
  const dir = tempDir(t, "cli bot on redis");
  const script = `
    import { usePersistStore, PersistSignalAdapter } from ${JSON.stringify(mainUrl)};
    usePersistStore(${JSON.stringify(redis.url)});
    await PersistSignalAdapter.writeSignalData({ id: "from-redis" }, "trend", "BTCUSDT");
  `;
  execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, stdio: "inherit" });
  const inspected = JSON.parse((await cli(["inspect", redis.url, "--json"])).stdout);
  assert.deepEqual(inspected.directories.map((d) => [d.path, d.documents]), [["data/signal/trend", 1]]);
  // Every namespace, whatever its prefix, with --prefix "".
  const all = JSON.parse((await cli(["inspect", redis.url, "--prefix", "", "--json"])).stdout);
  assert.deepEqual(all.directories.map((d) => d.path), ["dump/data/signal/trend"]);

  assert.equal((await cli(["migrate", "--from", redis.url, "--to", path.join(dir, "dump"), "--apply"])).code, 0);
  const read = `
    import { PersistSignalAdapter } from ${JSON.stringify(mainUrl)};
    process.stdout.write(JSON.stringify(await PersistSignalAdapter.readSignalData("trend", "BTCUSDT")));
  `;
  const fromFiles = execFileSync(process.execPath, ["--input-type=module", "-e", read], { cwd: dir, encoding: "utf8" });
  assert.deepEqual(JSON.parse(fromFiles), { id: "from-redis" });
});

test("import into a server store; a corrupt document on the server fails verify and stops a migration; a different value is refused", { skip: skipRedis }, async (t) => {
  const redis = await startRedis(t);
  const dir = tempDir(t, "cli import redis");
  // In path order, as export writes them.
  const lines = [
    { path: "data/risk/main-risk/positions.json", document: [] },
    { path: "data/signal/trend/BTCUSDT.json", document: { id: "a" } },
  ];
  const ndjson = lines.map((line) => JSON.stringify(line)).join("\n");
  const imported = await cli(["import", "-", "--to", redis.url, "--apply"], { stdin: ndjson });
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal((await cli(["export", redis.url])).stdout, `${ndjson}\n`);

  const conflicting = JSON.stringify({ path: "data/signal/trend/BTCUSDT.json", document: { id: "b" } });
  const refused = await cli(["import", "-", "--to", redis.url, "--apply"], { stdin: conflicting });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /data\/signal\/trend\/BTCUSDT\.json already holds a different value/);
  assert.equal((await cli(["export", redis.url])).stdout, `${ndjson}\n`);

  const cli_ = spawnSync("redis-cli", ["-p", String(redis.port), "HSET", "dump/data/signal/trend", "ETHUSDT", "{torn"], { encoding: "utf8" });
  assert.equal(cli_.status, 0, cli_.stderr);
  const verified = await cli(["verify", redis.url]);
  assert.equal(verified.code, 1);
  assert.match(verified.stdout, /corrupt: data\/signal\/trend\/ETHUSDT\.json: /);
  const target = path.join(dir, "out");
  const migrated = await cli(["migrate", "--from", redis.url, "--to", target, "--apply"]);
  assert.equal(migrated.code, 1);
  assert.match(migrated.stderr, /refused: data\/signal\/trend\/ETHUSDT\.json is corrupt/);
  assert.equal(fs.existsSync(target), false);
});

test("an unreachable server or a wrong password: exit 2 naming the URL without its password; nothing written", { skip: skipRedis }, async (t) => {
  const redis = await startRedis(t, { password: "right-one" });
  const dir = tempDir(t, "cli unreachable");
  writeTree(dir);
  const dump = path.join(dir, "dump");
  const before = filesUnder(dump);
  const closed = await freePort();
  const wrong = `redis://:s3cret@127.0.0.1:${redis.port}/0`;
  const cases = [
    [["inspect", `redis://bot:s3cret@127.0.0.1:${closed}/0`], /redis:\/\/bot:\*\*\*@127\.0\.0\.1:\d+\/0: .*\(STORE_UNREACHABLE\)/],
    // A password holding "@" is hidden whole.
    [["inspect", `redis://bot:s3cret@x@127.0.0.1:${closed}/0`], /redis:\/\/bot:\*\*\*@127\.0\.0\.1:\d+\/0: .*\(STORE_UNREACHABLE\)/],
    [["migrate", "--from", dump, "--to", `postgres://bot:s3cret@127.0.0.1:${closed}/bots`, "--apply"], /postgres:\/\/bot:\*\*\*@127\.0\.0\.1:\d+\/bots: .*\(STORE_UNREACHABLE\)/],
    [["migrate", "--from", dump, "--to", wrong, "--apply"], /redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: .*\(STORE_AUTH_FAILED\)/],
    [["verify", "mysql://root:s3cret@127.0.0.1/bots"], /root mysql:\/\/root:\*\*\*@127\.0\.0\.1\/bots: not a directory, nor a redis:\/\/, rediss:\/\/, redis-sentinel:\/\/, postgres:\/\/ or sqlite: URL/],
    [["migrate", "--from", redis.url, "--to", redis.url], /--from and --to are the same store/],
    [["inspect", redis.url, "--prefix", "../up"], /--prefix "\.\.\/up" must be a logical directory/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr + result.stdout, /s3cret|@x@/);
  }
  assert.deepEqual(filesUnder(dump), before);
  assert.equal(JSON.parse((await cli(["inspect", redis.url, "--json"])).stdout).documents, 0);
});

test("a migration larger than one write chunk lands whole on Redis, and exports as the tree does", { skip: skipRedis }, async (t) => {
  const redis = await startRedis(t);
  const dir = tempDir(t, "cli many");
  const tree = path.join(dir, "dump");
  fs.mkdirSync(path.join(tree, "data/measure/bucket"), { recursive: true });
  for (let i = 0; i < 600; i++) fs.writeFileSync(path.join(tree, `data/measure/bucket/k${i}.json`), JSON.stringify({ id: `k${i}`, data: { i } }));
  const applied = await cli(["migrate", "--from", tree, "--to", redis.url, "--apply"]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /600 written, 0 already there/);
  assert.equal(JSON.parse((await cli(["inspect", redis.url, "--json"])).stdout).documents, 600);
  assert.equal((await cli(["export", redis.url])).stdout, (await cli(["export", tree])).stdout);
});

test("a server namespace named like a document (data/x.json) is refused as a file tree would refuse it: migrating it, importing onto it (exit 2, nothing written)", { skip: skipRedis }, async (t) => {
  const redis = await startRedis(t);
  const dir = tempDir(t, "cli server collision");
  const hset = (...args) => {
    const result = spawnSync("redis-cli", ["-p", String(redis.port), "HSET", ...args], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
  };
  // A bot whose entity name ends in .json, beside one holding the document of that name.
  hset("dump/data", "x", '{"a":1}');
  hset("dump/data/x.json", "y", '{"b":2}');
  const target = path.join(dir, "files");
  const migrated = await cli(["migrate", "--from", redis.url, "--to", target, "--apply"]);
  assert.equal(migrated.code, 2, migrated.stdout + migrated.stderr);
  assert.match(migrated.stderr, /^refused: data\/x\.json \(data\/x\.json\) cannot be a document: data\/x\.json\/y\.json \(data\/x\.json\/y\.json\) needs a directory of that name$/m);
  assert.equal(fs.existsSync(target), false);

  hset("other/data", "x", "1");
  hset("other/data/z.json", "w", "4");
  const before = (await cli(["export", redis.url, "--prefix", "other"])).stdout;
  for (const [line, message] of [
    [{ path: "data/x.json/y.json", document: 3 }, /^refused: data\/x\.json\/y\.json \(line 1\) needs a directory data\/x\.json, where the destination holds a document$/m],
    [{ path: "data/z.json", document: 5 }, /^refused: data\/z\.json \(line 1\) cannot be a document: the destination holds a directory of that name$/m],
  ]) {
    const imported = await cli(["import", "-", "--to", redis.url, "--prefix", "other", "--apply"], { stdin: JSON.stringify(line) });
    assert.equal(imported.code, 2, imported.stdout + imported.stderr);
    assert.match(imported.stderr, message);
    assert.equal((await cli(["export", redis.url, "--prefix", "other"])).stdout, before, "nothing was written");
  }
});

test("inspect on a server store says it keeps no modification time: no 1970 dates, newest null with the reason under --json", { skip: skipBoth }, async (t) => {
  const redis = await startRedis(t);
  const postgres = await startPostgres(t);
  const dir = tempDir(t, "cli server newest");
  writeTree(dir);
  for (const url of [redis.url, postgres.url]) {
    assert.equal((await cli(["migrate", "--from", path.join(dir, "dump"), "--to", url, "--apply"])).code, 0);
    const text = await cli(["inspect", url]);
    assert.equal(text.code, 0, text.stderr);
    assert.doesNotMatch(text.stdout, /1970|newest/);
    assert.match(text.stdout.split("\n")[0], /: 4 documents, .* \(servers keep no modification time\)$/);
    const report = JSON.parse((await cli(["inspect", url, "--json"])).stdout);
    assert.equal(report.newest, null);
    assert.equal(report.newestUnknown, "servers keep no modification time");
    assert.ok(report.registries.length > 0 && report.directories.length > 0);
    for (const entry of [...report.registries, ...report.directories]) assert.equal(entry.newest, null, entry.path ?? entry.name);
  }
});

test("sqlite: a 19.5.0 bot's whole dump into one SQLite file and back, byte for byte; inspect, verify, export and import on it", async (t) => {
  const dir = tempDir(t, "cli sqlite");
  // A backtest of backtest-kit 19.5.0 under usePersistNative: candles, and everything else it keeps.
  const bot = path.join(import.meta.dirname, "fixtures", "v19-bot.mjs");
  execFileSync(process.execPath, [bot, "backtest", "native"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  const dump = path.join(dir, "dump");
  const original = filesUnder(dump);
  const count = Object.keys(original).length;
  assert.ok(count > 300, `${count} documents`);
  const url = `sqlite:${path.join(dir, "state.db")}`;

  const applied = await cli(["migrate", "--from", dump, "--to", url, "--apply"]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, new RegExp(`${count} written, 0 already there`));
  assert.deepEqual(fs.readdirSync(dir).filter((name) => name.startsWith("state.db")).sort().slice(0, 1), ["state.db"]);
  const inspected = JSON.parse((await cli(["inspect", url, "--json"])).stdout);
  assert.equal(inspected.documents, count);
  const verified = await cli(["verify", url]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, new RegExp(`ok: ${count} documents parse`));
  assert.equal((await cli(["export", url])).stdout, (await cli(["export", dump])).stdout);

  const back = path.join(dir, "back");
  assert.equal((await cli(["migrate", "--from", url, "--to", back, "--apply"])).code, 0);
  assert.deepEqual(filesUnder(back), original);

  const backup = path.join(dir, "backup.ndjson");
  assert.equal((await cli(["export", url, "--out", backup])).code, 0);
  const other = `sqlite:${path.join(dir, "restored.db")}`;
  assert.equal((await cli(["import", backup, "--to", other, "--apply"])).code, 0);
  assert.equal((await cli(["export", other])).stdout, (await cli(["export", dump])).stdout);
});

test("sqlite: verify reports a damaged database (exit 1, SQLite's own findings) and a file that is not one; neither is changed", async (t) => {
  const dir = tempDir(t, "cli sqlite damaged");
  const notDb = path.join(dir, "notes.db");
  fs.writeFileSync(notDb, "these are notes, not a database\n".repeat(10));
  const before = fs.readFileSync(notDb);
  const refused = await cli(["verify", `sqlite:${notDb}`, "--json"]);
  assert.equal(refused.code, 1, refused.stderr);
  const report = JSON.parse(refused.stdout);
  assert.equal(report.kind, "problems");
  assert.match(report.integrity, /not a SQLite database/);
  assert.deepEqual(fs.readFileSync(notDb), before);
  const missing = await cli(["verify", `sqlite:${path.join(dir, "absent.db")}`]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no database file at sqlite:/);
  assert.equal(fs.existsSync(path.join(dir, "absent.db")), false, "verify creates nothing");
});

test("PostgreSQL: schema shows the document column and converts a text table to json; read-only commands need SELECT only", { skip: skipBoth }, async (t) => {
  const { default: pg } = await import("pg");
  const postgres = await startPostgres(t);
  const owner = new pg.Client({ connectionString: postgres.url });
  await owner.connect();
  const schema = async (...args) => {
    const run = await cli(["schema", postgres.url, "--json", ...args]);
    return { ...run, report: JSON.parse(run.stdout) };
  };
  assert.deepEqual((await schema()).report, { root: postgres.url.replace(":bot-password@", ":***@"), documentType: null, converted: false, wouldConvert: false });

  // A table of the schema earlier versions created, holding a document.
  await owner.query("CREATE TABLE backtest_persist (namespace text NOT NULL, id text NOT NULL, document text NOT NULL, PRIMARY KEY (namespace, id))");
  await owner.query("INSERT INTO backtest_persist VALUES ('dump/data/signal/trend', 'BTCUSDT', $1)", ['{"id":"sig-1", "priceOpen":97250.5}']);
  const dry = await schema();
  assert.equal(dry.code, 0);
  assert.equal(dry.report.documentType, "text");
  assert.equal(dry.report.wouldConvert, true);
  const told = await cli(["schema", postgres.url]);
  assert.match(told.stdout, /the document column is text; --apply converts it to json/);
  assert.doesNotMatch(told.stdout, /bot-password/);

  // One row that is not JSON: refused, nothing changed.
  await owner.query("INSERT INTO backtest_persist VALUES ('dump/data/signal/trend', 'ETHUSDT', '{half')");
  const refused = await cli(["schema", postgres.url, "--apply"]);
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /not converted, nothing changed: .*invalid input syntax for type json/);
  assert.equal((await schema()).report.documentType, "text");
  await owner.query("DELETE FROM backtest_persist WHERE id = 'ETHUSDT'");

  const applied = await schema("--apply");
  assert.equal(applied.code, 0, applied.stderr);
  assert.deepEqual([applied.report.documentType, applied.report.converted], ["json", true]);
  const { rows } = await owner.query("SELECT document::text AS text, document->>'priceOpen' AS price FROM backtest_persist");
  assert.deepEqual(rows, [{ text: '{"id":"sig-1", "priceOpen":97250.5}', price: "97250.5" }], "the exact text kept, queryable as JSON");
  assert.match((await cli(["schema", postgres.url])).stdout, /the document column is json: nothing to convert/);

  // A backup role: SELECT on the table, nothing else.
  await owner.query("CREATE ROLE backtest_reader LOGIN PASSWORD 'reader-pw'; GRANT SELECT ON backtest_persist TO backtest_reader");
  const reader = postgres.url.replace("bot:bot-password", "backtest_reader:reader-pw");
  const inspected = await cli(["inspect", reader, "--json"]);
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.equal(JSON.parse(inspected.stdout).documents, 1);
  assert.equal((await cli(["verify", reader])).code, 0);
  const exported = await cli(["export", reader]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.deepEqual(JSON.parse(exported.stdout.trim()), { path: "data/signal/trend/BTCUSDT.json", document: { id: "sig-1", priceOpen: 97250.5 } });
  const dir = tempDir(t, "cli reader");
  fs.mkdirSync(path.join(dir, "data/signal/trend"), { recursive: true });
  fs.writeFileSync(path.join(dir, "data/signal/trend/SOLUSDT.json"), "{}");
  const denied = await cli(["migrate", "--from", dir, "--to", reader, "--prefix", "dump", "--apply"]);
  assert.equal(denied.code, 3, denied.stderr);
  assert.match(denied.stderr, /permission denied for table backtest_persist/);
  assert.doesNotMatch(denied.stderr, /reader-pw/);

  for (const bad of ["redis://127.0.0.1:6379/0", "./dump"]) {
    const run = await cli(["schema", bad]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /schema takes a postgres:\/\/ URL, not /);
  }
  await owner.end();
});
