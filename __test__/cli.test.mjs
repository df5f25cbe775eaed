// `backtest-persist`: inspect, verify, migrate, export and import on real trees written by this
// package (and read back by backtest-kit 19.5.0 after a migration), bad input included. Every
// refusal is checked to leave both trees exactly as they were.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cli } from "./helpers/cli.mjs";
import { filesUnder, runWithDeadline, tempDir } from "./helpers/tmp.mjs";

const root = path.join(import.meta.dirname, "..");
const bin = path.join(root, "bin/backtest-persist.js");

/** Runs the CLI in this process; resolves to `{ code, stdout, stderr }`. */
/** A December-2025 tree, written through this package's four registries, under `<dir>/dump`. */
function writeDec2025Tree(dir) {
  const script = `
    import { PersistSignalAdapter, PersistScheduleAdapter, PersistRiskAdapter, PersistPartialAdapter } from ${JSON.stringify(new URL("../main.js", import.meta.url).href)};
    await PersistSignalAdapter.writeSignalData({ id: "sig-1", position: "long", priceOpen: 97250.5, minuteEstimatedTime: 60 }, "trend", "BTCUSDT");
    await PersistScheduleAdapter.writeScheduleData(null, "trend", "ETHUSDT");
    await PersistRiskAdapter.writePositionData([["trend:BTCUSDT", { strategyName: "trend", exchangeName: "binance", openTimestamp: 1 }]], "main-risk");
    await PersistPartialAdapter.writePartialData({ "sig-1": { profitLevels: [10, 20], lossLevels: [] }, "sig-2": { profitLevels: [], lossLevels: [10] } }, "BTCUSDT");
  `;
  execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, stdio: "inherit" });
}

/** Every file under `dir` with its bytes and mtime: what "nothing changed" compares. */
function snapshot(dir) {
  const files = filesUnder(dir);
  return Object.fromEntries(Object.entries(files).map(([file, text]) => [file, [text, fs.statSync(path.join(dir, file)).mtimeMs]]));
}

test("--help for the tool and each command; unknown commands and options exit 2", async () => {
  const top = await cli(["--help"]);
  assert.equal(top.code, 0);
  for (const command of ["inspect", "verify", "migrate", "export", "import"]) {
    assert.match(top.stdout, new RegExp(`^  ${command} `, "m"));
    const own = await cli([command, "--help"]);
    assert.equal(own.code, 0);
    assert.match(own.stdout, new RegExp(`^usage: backtest-persist ${command}`));
  }
  assert.equal((await cli([])).code, 2);
  const unknown = await cli(["inspct"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "inspct"/);
  const option = await cli(["verify", "--frobnicate"]);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /Unknown option '--frobnicate'/);
});

test("inspect: registries, directories, counts, sizes, newest writes; quarantine and temp leftovers called out", async (t) => {
  const dir = tempDir(t, "cli inspect");
  writeDec2025Tree(dir);
  const dump = path.join(dir, "dump");
  fs.mkdirSync(path.join(dump, "data/signal/trend/.quarantine"));
  fs.writeFileSync(path.join(dump, "data/signal/trend/.quarantine/SOLUSDT.json"), "{garbage");
  fs.writeFileSync(path.join(dump, "data/signal/trend/.tmp-0123456789ab-XRPUSDT.json"), "{");
  const old = new Date(Date.now() - 10 * 60_000);
  fs.utimesSync(path.join(dump, "data/signal/trend/.tmp-0123456789ab-XRPUSDT.json"), old, old);
  const before = snapshot(dump);

  const json = await cli(["inspect", "dump", "--json"], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.documents, 4);
  assert.deepEqual(report.registries.map((r) => [r.name, r.directories, r.documents]), [
    ["data/partial", 1, 1],
    ["data/risk", 1, 1],
    ["data/schedule", 1, 1],
    ["data/signal", 1, 1],
  ]);
  const signal = report.directories.find((d) => d.path === "data/signal/trend");
  assert.equal(signal.bytes, fs.statSync(path.join(dump, "data/signal/trend/BTCUSDT.json")).size);
  assert.equal(signal.newest, new Date(fs.statSync(path.join(dump, "data/signal/trend/BTCUSDT.json")).mtimeMs).toISOString());
  const newest = Math.max(...Object.keys(filesUnder(dump)).filter((file) => !/\.quarantine|\.tmp-/.test(file)).map((file) => fs.statSync(path.join(dump, file)).mtimeMs));
  assert.equal(report.newest, new Date(newest).toISOString(), "the newest write of the whole tree");
  assert.equal(report.newestUnknown, null);
  assert.deepEqual(report.quarantined.map((f) => f.path), ["data/signal/trend/.quarantine/SOLUSDT.json"]);
  assert.deepEqual(report.temp.map((f) => [f.path, f.stale]), [["data/signal/trend/.tmp-0123456789ab-XRPUSDT.json", true]]);

  const text = await cli(["inspect"], { cwd: dir });
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^data\/signal {2}1 directories, 1 documents/m);
  assert.match(text.stdout, /^quarantined: data\/signal\/trend\/\.quarantine\/SOLUSDT\.json/m);
  assert.match(text.stdout, /^temp file of a crashed write: data\/signal\/trend\/\.tmp-0123456789ab-XRPUSDT\.json/m);
  assert.deepEqual(snapshot(dump), before);
});

test("verify: exit 0 on a clean tree; exit 1 listing corrupt, quarantined and stale temp files; never changes anything", async (t) => {
  const dir = tempDir(t, "cli verify");
  writeDec2025Tree(dir);
  const dump = path.join(dir, "dump");
  const clean = await cli(["verify", dump]);
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /ok: 4 documents parse/);

  fs.writeFileSync(path.join(dump, "data/risk/main-risk/positions.json"), '[["trend:BTCUSDT", {');
  fs.writeFileSync(path.join(dump, "data/signal/trend/.tmp-0123456789ab-young.json"), "{");
  const before = snapshot(dump);
  const corrupt = await cli(["verify", dump, "--json"]);
  assert.equal(corrupt.code, 1);
  const report = JSON.parse(corrupt.stdout);
  assert.equal(report.ok, false);
  assert.deepEqual(report.corrupt.map((c) => c.path), ["data/risk/main-risk/positions.json"]);
  assert.deepEqual(report.tempInProgress, ["data/signal/trend/.tmp-0123456789ab-young.json"]);
  assert.deepEqual(report.staleTemp, []);
  assert.deepEqual(snapshot(dump), before, "verify changed nothing");

  fs.writeFileSync(path.join(dump, "data/risk/main-risk/positions.json"), "[]");
  fs.mkdirSync(path.join(dump, "data/risk/main-risk/.quarantine"));
  fs.writeFileSync(path.join(dump, "data/risk/main-risk/.quarantine/positions.json"), "{");
  const quarantined = await cli(["verify", dump]);
  assert.equal(quarantined.code, 1);
  assert.match(quarantined.stdout, /^quarantined: data\/risk\/main-risk\/\.quarantine\/positions\.json$/m);
  assert.match(quarantined.stdout, /^temp file younger than 120 s \(a write in progress\?\): data\/signal\/trend\/\.tmp-0123456789ab-young\.json$/m);
});

test("migrate --layout v19: a dry run writes nothing; --apply writes what backtest-kit 19.5.0 reads back; a rerun writes nothing", async (t) => {
  const dir = tempDir(t, "cli migrate");
  writeDec2025Tree(dir);
  const from = path.join(dir, "dump");
  const app = path.join(dir, "app");
  fs.mkdirSync(app);
  const to = path.join(app, "dump");
  const source = snapshot(from);

  const missing = await cli(["migrate", "--from", from, "--to", to, "--layout", "v19"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /data\/partial\/BTCUSDT\/levels\.json: the December-2025 layout has no exchange or strategy in this path; pass --exchange <name> and --strategy <name>/);
  assert.equal(fs.existsSync(to), false);

  const flags = ["--from", from, "--to", to, "--layout", "v19", "--exchange", "binance", "--strategy", "trend"];
  const dry = await cli(["migrate", ...flags, "--json"]);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout);
  assert.equal(plan.applied, false);
  assert.deepEqual(plan.write.map((w) => w.to).sort(), [
    "data/partial/BTCUSDT_trend_binance/sig-1.json",
    "data/partial/BTCUSDT_trend_binance/sig-2.json",
    "data/risk/main-risk_binance/positions.json",
    "data/schedule/ETHUSDT_trend_binance/ETHUSDT.json",
    "data/signal/BTCUSDT_trend_binance/BTCUSDT.json",
  ]);
  assert.equal(fs.existsSync(to), false, "a dry run writes nothing");

  const applied = await cli(["migrate", ...flags, "--apply"]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /5 written, 0 already there/);
  assert.deepEqual(snapshot(from), source, "the source is never changed");

  // backtest-kit 19.5.0's own registries read the migrated state from the app's ./dump.
  const read = `
    import * as bk from "backtest-kit";
    const when = new Date();
    console.log(JSON.stringify({
      signal: await bk.PersistSignalAdapter.readSignalData("BTCUSDT", "trend", "binance"),
      schedule: await bk.PersistScheduleAdapter.readScheduleData("ETHUSDT", "trend", "binance"),
      risk: await bk.PersistRiskAdapter.readPositionData("main-risk", "binance", when),
      partial: await bk.PersistPartialAdapter.readPartialData("BTCUSDT", "trend", "sig-2", "binance", when),
    }));
  `;
  fs.writeFileSync(path.join(app, "read.mjs"), read);
  fs.symlinkSync(path.join(root, "node_modules"), path.join(app, "node_modules"));
  const state = JSON.parse(execFileSync(process.execPath, ["read.mjs"], { cwd: app, encoding: "utf8" }).trim().split("\n").at(-1));
  assert.equal(state.signal.id, "sig-1");
  assert.equal(state.signal.priceOpen, 97250.5);
  assert.equal(state.schedule, null);
  // backtest-kit back-fills fields of its own on read; the ones written are there as written.
  assert.equal(state.risk.length, 1);
  assert.equal(state.risk[0][0], "trend:BTCUSDT");
  assert.deepEqual([state.risk[0][1].strategyName, state.risk[0][1].exchangeName, state.risk[0][1].openTimestamp], ["trend", "binance", 1]);
  assert.deepEqual(state.partial, { "sig-2": { profitLevels: [], lossLevels: [10] } });

  const again = await cli(["migrate", ...flags, "--apply"]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /0 written, 5 already there/);
});

test("migrate resumes an interrupted run, refuses a different destination value unless --overwrite, and refuses collisions", async (t) => {
  const dir = tempDir(t, "cli resume");
  writeDec2025Tree(dir);
  const from = path.join(dir, "dump");
  const to = path.join(dir, "copy");
  // An interrupted copy: two of the four documents already there.
  for (const file of ["data/signal/trend/BTCUSDT.json", "data/risk/main-risk/positions.json"]) {
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.copyFileSync(path.join(from, file), path.join(to, file));
  }
  const resumed = await cli(["migrate", "--from", from, "--to", to, "--apply"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /2 written, 2 already there/);
  assert.deepEqual(filesUnder(to), filesUnder(from));

  fs.writeFileSync(path.join(to, "data/signal/trend/BTCUSDT.json"), '{"id":"someone else"}');
  const before = snapshot(to);
  const refused = await cli(["migrate", "--from", from, "--to", to, "--apply"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /refused: data\/signal\/trend\/BTCUSDT\.json already holds a different value \(--overwrite replaces it\)/);
  assert.match(refused.stderr, /nothing was written/);
  assert.deepEqual(snapshot(to), before);
  const overwritten = await cli(["migrate", "--from", from, "--to", to, "--apply", "--overwrite"]);
  assert.equal(overwritten.code, 0);
  assert.deepEqual(filesUnder(to), filesUnder(from));

  // A tree mixing both layouts: levels.json splits onto a document that is already in the source.
  fs.mkdirSync(path.join(from, "data/partial/BTCUSDT_trend_binance"));
  fs.writeFileSync(path.join(from, "data/partial/BTCUSDT_trend_binance/sig-1.json"), '{"sig-1":{"profitLevels":[99],"lossLevels":[]}}');
  const target = path.join(dir, "v19");
  const collision = await cli(["migrate", "--from", from, "--to", target, "--layout", "v19", "--exchange", "binance", "--strategy", "trend", "--apply"]);
  assert.equal(collision.code, 1);
  assert.match(collision.stderr, /data\/partial\/BTCUSDT\/levels\.json and data\/partial\/BTCUSDT_trend_binance\/sig-1\.json both map to data\/partial\/BTCUSDT_trend_binance\/sig-1\.json with different values/);
  assert.equal(fs.existsSync(target), false);
});

test("bad input: a missing directory, a URL of no store (its password hidden), nested trees, a corrupt source: exit 2 or 1, nothing written", async (t) => {
  const dir = tempDir(t, "cli bad input");
  writeDec2025Tree(dir);
  const from = path.join(dir, "dump");
  const cases = [
    [["inspect", path.join(dir, "absent")], 2, /absent: no such directory/],
    [["verify", "ftp://bot:s3cret@127.0.0.1/dump"], 2, /root ftp:\/\/bot:\*\*\*@127\.0\.0\.1\/dump: not a directory, nor a redis:\/\/, rediss:\/\/, redis-sentinel:\/\/, postgres:\/\/ or sqlite: URL/],
    [["import", "-", "--to", "sftp://:s3cret@cache/x"], 2, /--to sftp:\/\/:\*\*\*@cache\/x: not a directory/],
    [["migrate", "--from", from, "--to", path.join(from, "inner")], 2, /--from and --to must be separate trees/],
    [["migrate", "--from", from], 2, /migrate needs --from <root \| URL> and --to <root \| URL>/],
    [["migrate", "--from", from, "--to", path.join(dir, "x"), "--layout", "v20"], 2, /--layout v20: the one layout mapping is v19/],
    [["migrate", "--from", from, "--to", path.join(dir, "x"), "--layout", "v19", "--exchange", "../up", "--strategy", "s"], 2, /--exchange must be a plain name/],
  ];
  for (const [args, code, message] of cases) {
    const result = await cli(args);
    assert.equal(result.code, code, args.join(" "));
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /s3cret/);
  }
  fs.writeFileSync(path.join(from, "data/signal/trend/BTCUSDT.json"), "{torn");
  const corrupt = await cli(["migrate", "--from", from, "--to", path.join(dir, "x"), "--apply"]);
  assert.equal(corrupt.code, 1);
  assert.match(corrupt.stderr, /refused: data\/signal\/trend\/BTCUSDT\.json is corrupt/);
  assert.equal(fs.existsSync(path.join(dir, "x")), false);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["dump"]);
});

test("export and import: an NDJSON round trip reproduces the tree; bad lines and escaping paths write nothing", async (t) => {
  const dir = tempDir(t, "cli export");
  writeDec2025Tree(dir);
  const from = path.join(dir, "dump");
  const file = path.join(dir, "backup.ndjson");
  const exported = await cli(["export", from, "--out", file]);
  assert.equal(exported.code, 0, exported.stderr);
  const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((line) => line.path), Object.keys(filesUnder(from)).sort());
  assert.deepEqual(lines.find((line) => line.path === "data/signal/trend/BTCUSDT.json").document.priceOpen, 97250.5);
  assert.equal((await cli(["export", from, "--out", file])).code, 2, "an existing --out is not overwritten");

  const to = path.join(dir, "restored");
  const dry = await cli(["import", file, "--to", to]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(fs.existsSync(to), false);
  const imported = await cli(["import", file, "--to", to, "--apply"]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.deepEqual(filesUnder(to), filesUnder(from));

  // Streamed from stdin, into a fresh tree.
  const piped = await cli(["import", "-", "--to", path.join(dir, "piped"), "--apply"], { stdin: fs.readFileSync(file, "utf8") });
  assert.equal(piped.code, 0, piped.stderr);
  assert.deepEqual(filesUnder(path.join(dir, "piped")), filesUnder(from));

  for (const [bad, message] of [
    ['{"path":"../outside.json","document":1}', /line 2: path "\.\.\/outside\.json" is not a relative path of plain names ending in \.json/],
    ['{"path":"data/x.json"}', /line 2: expected \{"path": "\.\.\.", "document": \.\.\.\}/],
    ["{not json", /line 2: not JSON/],
  ]) {
    const badFile = path.join(dir, "bad.ndjson");
    fs.writeFileSync(badFile, `${JSON.stringify({ path: "data/ok.json", document: { ok: true } })}\n${bad}\n`);
    const result = await cli(["import", badFile, "--to", path.join(dir, "bad-target"), "--apply"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, message);
    assert.equal(fs.existsSync(path.join(dir, "bad-target")), false);
    assert.equal(fs.existsSync(path.join(dir, "outside.json")), false);
  }

  fs.writeFileSync(path.join(from, "data/risk/main-risk/positions.json"), "[");
  const partial = await cli(["export", from, "--out", path.join(dir, "second.ndjson")]);
  assert.equal(partial.code, 1);
  assert.match(partial.stderr, /not exported, corrupt: data\/risk\/main-risk\/positions\.json/);
  assert.equal(fs.readFileSync(path.join(dir, "second.ndjson"), "utf8").trim().split("\n").length, 3);
});

test("a document and a directory of the same name are refused before anything is written (exit 2): in an import, in a migration, against the destination", async (t) => {
  const dir = tempDir(t, "cli collision");
  const ndjson = (rows) => rows.map(([file, document]) => JSON.stringify({ path: file, document })).join("\n");
  const input = path.join(dir, "collides.ndjson");
  fs.writeFileSync(input, ndjson([["data/a.json", 1], ["data/x.json", 2], ["data/x.json/y.json", 3]]));
  const to = path.join(dir, "restored");
  for (const apply of [[], ["--apply"]]) {
    const result = await cli(["import", input, "--to", to, ...apply]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /^refused: data\/x\.json \(line 2\) cannot be a document: data\/x\.json\/y\.json \(line 3\) needs a directory of that name$/m);
    assert.match(result.stderr, /nothing was written/);
    assert.equal(fs.existsSync(to), false);
  }

  // Against what the destination holds: a document where a directory must go, and the reverse.
  const dest = path.join(dir, "dest");
  fs.mkdirSync(path.join(dest, "data/z.json"), { recursive: true });
  fs.writeFileSync(path.join(dest, "data/x.json"), "2");
  fs.writeFileSync(path.join(dest, "data/z.json/w.json"), "4");
  const before = snapshot(dest);
  for (const [rows, message] of [
    [[["data/x.json/y.json", 3]], /^refused: data\/x\.json\/y\.json \(line 2\) needs a directory data\/x\.json, where the destination holds a document$/m],
    [[["data/z.json", 5]], /^refused: data\/z\.json \(line 2\) cannot be a document: the destination holds a directory of that name$/m],
  ]) {
    fs.writeFileSync(input, ndjson([["data/a.json", 1], ...rows]));
    const result = await cli(["import", input, "--to", dest, "--apply"]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, message);
    assert.deepEqual(snapshot(dest), before, "nothing was written");
  }
  const under = await cli(["import", input, "--to", path.join(dest, "data/x.json/restored"), "--apply"]);
  assert.equal(under.code, 2, under.stdout + under.stderr);
  assert.match(under.stderr, /--to .*restored: .*data\/x\.json is not a directory$/m);
  assert.deepEqual(snapshot(dest), before, "nothing was written");

  // migrate: a source directory named x.json onto a destination document x.json, and the reverse.
  const from = path.join(dir, "from");
  fs.mkdirSync(path.join(from, "data/x.json"), { recursive: true });
  fs.writeFileSync(path.join(from, "data/a.json"), "1");
  fs.writeFileSync(path.join(from, "data/x.json/y.json"), "3");
  fs.writeFileSync(path.join(from, "data/z.json"), "5");
  const migrated = await cli(["migrate", "--from", from, "--to", dest, "--apply"]);
  assert.equal(migrated.code, 2, migrated.stdout + migrated.stderr);
  assert.match(migrated.stderr, /^refused: data\/x\.json\/y\.json \(data\/x\.json\/y\.json\) needs a directory data\/x\.json, where the destination holds a document$/m);
  assert.match(migrated.stderr, /^refused: data\/z\.json \(data\/z\.json\) cannot be a document: the destination holds a directory of that name$/m);
  assert.deepEqual(snapshot(dest), before, "nothing was written");

  // Within one migration plan: --layout v19 maps a signal into a directory named as a document
  // the source holds.
  const layered = path.join(dir, "layered");
  fs.mkdirSync(path.join(layered, "data/signal/trend"), { recursive: true });
  fs.writeFileSync(path.join(layered, "data/signal/trend/BTCUSDT.json"), '{"id":"a"}');
  fs.writeFileSync(path.join(layered, "data/signal/BTCUSDT_trend_x.json"), "{}");
  const target = path.join(dir, "v19");
  const v19 = await cli(["migrate", "--from", layered, "--to", target, "--layout", "v19", "--exchange", "x.json", "--apply"]);
  assert.equal(v19.code, 2, v19.stdout + v19.stderr);
  assert.match(v19.stderr, /^refused: data\/signal\/BTCUSDT_trend_x\.json \(data\/signal\/BTCUSDT_trend_x\.json\) cannot be a document: data\/signal\/BTCUSDT_trend_x\.json\/BTCUSDT\.json \(data\/signal\/trend\/BTCUSDT\.json\) needs a directory of that name$/m);
  assert.equal(fs.existsSync(target), false);
});

test("--json: every failure prints exactly one JSON object on stdout, with the message and the exit code", async (t) => {
  const dir = tempDir(t, "cli json failures");
  writeDec2025Tree(dir);
  const from = path.join(dir, "dump");
  const lines = (rows) => rows.map((row) => JSON.stringify(row)).join("\n");
  const collides = lines([{ path: "data/x.json", document: 1 }, { path: "data/x.json/y.json", document: 2 }]);
  const conflict = path.join(dir, "conflict");
  fs.mkdirSync(conflict);
  fs.writeFileSync(path.join(conflict, "a.json"), "1");
  // A destination whose data/ is a dangling symlink: planning finds nothing there, the write fails.
  const dangling = path.join(dir, "dangling");
  fs.mkdirSync(dangling);
  fs.symlinkSync(path.join(dir, "absent"), path.join(dangling, "data"));
  const corrupt = path.join(dir, "corrupt");
  fs.mkdirSync(corrupt);
  fs.writeFileSync(path.join(corrupt, "a.json"), "{torn");
  const cases = [
    [["verify", corrupt, "--json"], 1, /^1 corrupt, 0 quarantined, 0 stale temp files$/],
    [["export", corrupt, "--out", path.join(dir, "out.ndjson"), "--json"], 1, /^1 corrupt document not exported: a\.json$/],
    [["inspct", "--json"], 2, /unknown command "inspct"/],
    [["verify", "--frobnicate", "--json"], 2, /Unknown option '--frobnicate'/],
    [["migrate", "--from", from, "--json"], 2, /migrate needs --from <root \| URL> and --to <root \| URL>/],
    [["inspect", path.join(dir, "absent"), "--json"], 2, /absent: no such directory/],
    [["export", from, "--json"], 2, /--json needs --out/],
    [["import", "-", "--to", path.join(dir, "x"), "--json"], 2, /line 1: not JSON/, "{torn"],
    [["import", "-", "--to", path.join(dir, "x"), "--json"], 2, /data\/x\.json \(line 1\) cannot be a document/, collides],
    [["import", "-", "--to", conflict, "--json"], 1, /a\.json already holds a different value/, lines([{ path: "a.json", document: 2 }])],
    [["import", "-", "--to", dangling, "--apply", "--json"], 3, /ENOENT/, lines([{ path: "data/a.json", document: 1 }])],
  ];
  for (const [args, code, message, stdin] of cases) {
    const result = await cli(args, { stdin });
    assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
    const report = JSON.parse(result.stdout);
    assert.equal(report.exitCode, code, args.join(" "));
    assert.match(report.error, message, args.join(" "));
  }
  assert.equal(fs.existsSync(path.join(dir, "x")), false);
  assert.equal(fs.existsSync(path.join(dir, "absent")), false);
});

test("the bin runs as npx would run it, with its exit codes", async (t) => {
  const dir = tempDir(t, "cli bin");
  writeDec2025Tree(dir);
  const ok = await runWithDeadline(process.execPath, [bin, "verify"], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  fs.writeFileSync(path.join(dir, "dump/data/signal/trend/BTCUSDT.json"), "{");
  const bad = await runWithDeadline(process.execPath, [bin, "verify", "--json"], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.stdout).corrupt.length, 1);
  const usage = await runWithDeadline(process.execPath, [bin, "migrate"], { cwd: dir });
  assert.equal(usage.code, 2);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  assert.equal(manifest.bin["backtest-persist"], "bin/backtest-persist.js");
});

test("progress bars are drawn on a terminal only", async (t) => {
  const dir = tempDir(t, "cli progress");
  const dump = path.join(dir, "dump/data/log/log");
  fs.mkdirSync(dump, { recursive: true });
  for (let index = 0; index < 50; index++) fs.writeFileSync(path.join(dump, `${index}.json`), "{}");
  const piped = await runWithDeadline(process.execPath, [bin, "verify"], { cwd: dir });
  assert.equal(piped.code, 0);
  assert.doesNotMatch(piped.stderr, /verify \[/);
  if (spawnSync("script", ["--version"]).error) {
    t.skip("util-linux's script (to give the CLI a terminal) is not installed");
    return;
  }
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} verify`;
  const terminal = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: dir, encoding: "utf8" });
  assert.equal(terminal.status, 0, terminal.stderr);
  assert.match(terminal.stdout, /verify \[[^\]]*\] \d+\/50/);
});

test("migrate killed mid-apply leaves only whole documents, and running it again completes the copy", async (t) => {
  const dir = tempDir(t, "cli kill");
  const from = path.join(dir, "dump");
  const to = path.join(dir, "copy");
  const logs = path.join(from, "data/log/log");
  fs.mkdirSync(logs, { recursive: true });
  for (let index = 0; index < 400; index++) fs.writeFileSync(path.join(logs, `${index}.json`), JSON.stringify({ id: index, text: "x".repeat(200) }));
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [bin, "migrate", "--from", from, "--to", to, "--apply"], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // Kill it once some documents, not all, are written.
  for (let waited = 0; ; waited += 5) {
    const written = fs.existsSync(path.join(to, "data/log/log")) ? fs.readdirSync(path.join(to, "data/log/log")).length : 0;
    if (written >= 20 || waited > 60_000) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill("SIGKILL");
  const { signal } = await exited;
  const partial = filesUnder(to);
  const count = Object.keys(partial).filter((file) => !path.basename(file).startsWith(".tmp-")).length;
  t.diagnostic(`killed (${signal}) after ${count} of 400 documents`);
  for (const [file, text] of Object.entries(partial)) {
    if (path.basename(file).startsWith(".tmp-")) continue;
    assert.deepEqual(JSON.parse(text), JSON.parse(fs.readFileSync(path.join(from, file), "utf8")), file);
  }
  assert.ok(signal === "SIGKILL" ? count < 400 : true);
  const resumed = await cli(["migrate", "--from", from, "--to", to, "--apply"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`${400 - count} written, ${count} already there`));
  const copied = Object.fromEntries(Object.entries(filesUnder(to)).filter(([file]) => !path.basename(file).startsWith(".tmp-")));
  assert.deepEqual(copied, filesUnder(from));
});

test("--version prints the package version and exits 0, in process and through the bin", async () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const own = await cli(["--version"]);
  assert.equal(own.code, 0);
  assert.equal(own.stdout, `${version}\n`);
  assert.equal(own.stderr, "");
  const bin_ = await runWithDeadline(process.execPath, [bin, "--version"]);
  assert.equal(bin_.code, 0, bin_.stderr);
  assert.equal(bin_.stdout, `${version}\n`);
  assert.match((await cli(["--help"])).stdout, /--version/);
});

test("migrate and import print a summary by default, one line per document with --verbose, nothing but errors with --quiet", async (t) => {
  const dir = tempDir(t, "cli output levels");
  const from = path.join(dir, "dump");
  const logs = path.join(from, "data/log/log");
  fs.mkdirSync(logs, { recursive: true });
  for (let index = 0; index < 30; index++) fs.writeFileSync(path.join(logs, `${index}.json`), JSON.stringify({ id: index }));
  const to = path.join(dir, "copy");
  const lines = (text) => text.split("\n").filter((line) => line !== "");

  const dry = await cli(["migrate", "--from", from, "--to", to]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(lines(dry.stdout), ["30 to write, 0 already there; dry run: pass --apply to write (--verbose lists each document)"]);
  const dryVerbose = await cli(["migrate", "--from", from, "--to", to, "--verbose"]);
  assert.equal(lines(dryVerbose.stdout).length, 31);
  assert.match(dryVerbose.stdout, /^would write data\/log\/log\/0\.json$/m);
  assert.equal(fs.existsSync(to), false);

  const applied = await cli(["migrate", "--from", from, "--to", to, "--apply"]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.deepEqual(lines(applied.stdout), ["30 written, 0 already there"]);
  assert.equal(applied.stderr, "");
  assert.deepEqual(filesUnder(to), filesUnder(from));

  // Export, then import: the same three levels.
  const file = path.join(dir, "backup.ndjson");
  const quietExport = await cli(["export", from, "--out", file, "--quiet"]);
  assert.equal(quietExport.code, 0, quietExport.stderr);
  assert.equal(quietExport.stdout + quietExport.stderr, "", "export --quiet prints nothing");
  const restored = path.join(dir, "restored");
  const imported = await cli(["import", file, "--to", restored, "--apply", "--verbose"]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(lines(imported.stdout).length, 31);
  assert.match(imported.stdout, /^wrote data\/log\/log\/0\.json \(from line 1\)$/m);
  assert.match(imported.stdout, /^30 written, 0 already there$/m);
  const again = await cli(["import", file, "--to", restored, "--apply"]);
  assert.deepEqual(lines(again.stdout), ["0 written, 30 already there"]);

  for (const args of [
    ["migrate", "--from", from, "--to", path.join(dir, "quiet"), "--apply", "--quiet"],
    ["import", file, "--to", path.join(dir, "quiet-import"), "--apply", "-q"],
    ["verify", from, "--quiet"],
    ["inspect", from, "--quiet"],
  ]) {
    const quiet = await cli(args);
    assert.equal(quiet.code, 0, `${args.join(" ")}: ${quiet.stderr}`);
    assert.equal(quiet.stdout + quiet.stderr, "", `${args.join(" ")} prints nothing`);
  }
  assert.deepEqual(filesUnder(path.join(dir, "quiet")), filesUnder(from), "--quiet still writes");

  // Errors still print under --quiet, with the same exit codes; --json still prints its object.
  fs.writeFileSync(path.join(to, "data/log/log/0.json"), '{"id":"someone else"}');
  const refused = await cli(["migrate", "--from", from, "--to", to, "--apply", "--quiet"]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, "");
  assert.match(refused.stderr, /^refused: data\/log\/log\/0\.json already holds a different value/m);
  fs.writeFileSync(path.join(from, "data/log/log/1.json"), "{torn");
  const corrupt = await cli(["verify", from, "--quiet"]);
  assert.equal(corrupt.code, 1);
  assert.match(corrupt.stdout, /^corrupt: data\/log\/log\/1\.json: /m);
  const json = await cli(["verify", from, "--quiet", "--json"]);
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.stdout).corrupt.length, 1);

  const both = await cli(["migrate", "--from", from, "--to", to, "--quiet", "--verbose"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--quiet and --verbose/);
});

test("every command's --help names --quiet; migrate's and import's name --verbose", async () => {
  for (const command of ["inspect", "verify", "migrate", "export", "import"]) {
    const help = (await cli([command, "--help"])).stdout;
    assert.match(help, /--quiet/, command);
    if (command === "migrate" || command === "import") assert.match(help, /--verbose/, command);
  }
});
