// One behaviour suite for every store, from JS: the same PersistBase, registry and 19.5.0
// Instance cases run on the file store and on a Redis server the test starts (loopback, free
// port, AOF with appendfsync always); then the Redis faults: the server SIGKILLed and restarted,
// unreachable, a wrong password, two processes writing the same keys. Skipped (saying why) only
// where redis-server is not installed; `.ci/run` installs it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import Redis from "ioredis";
import { PersistBase, PersistSignalUtils, usePersistStore } from "@backtest-kit/persist";
import * as v19 from "@backtest-kit/persist/v19";
import { collect, tempDir } from "./helpers/tmp.mjs";
import { STORES, fresh } from "./helpers/stores.mjs";
import { ROWS as V19_ROWS } from "./helpers/v19-rows.mjs";
import { haveRedis, startRedis } from "./helpers/redis.mjs";
import { havePostgres, startPostgres } from "./helpers/postgres.mjs";
import { haveOpenssl, makeCertificates } from "./helpers/certs.mjs";

const skipRedis = haveRedis ? false : "redis-server is not installed (apt-get install redis-server)";
const skipPostgres = havePostgres ? false : "postgresql is not installed (apt-get install postgresql)";

/** The server stores, for the fault tests. */
const SERVERS = [
  { name: "Redis", skip: skipRedis, start: startRedis, scheme: "redis" },
  { name: "PostgreSQL", skip: skipPostgres, start: startPostgres, scheme: "postgres" },
];

for (const row of STORES) {
  test(`${row.name}: PersistBase round trip, messages and codes as the file store's`, { skip: row.skip }, async (t) => {
    const store = new PersistBase("signal", row.base(t), { store: await row.url(t) });
    await store.waitForInit(true);
    await store.writeValue("BTCUSDT", { id: "s1", priceOpen: 97250.5 });
    await store.writeValue(7, null);
    assert.deepEqual(await store.readValue("BTCUSDT"), { id: "s1", priceOpen: 97250.5 });
    assert.equal(await store.readValue("7"), null);
    assert.equal(await store.hasValue("BTCUSDT"), true);
    assert.equal(await store.hasValue("ETHUSDT"), false);
    await assert.rejects(store.readValue("ETHUSDT"), { code: "ENTITY_NOT_FOUND", message: "Entity signal:ETHUSDT not found" });
    await assert.rejects(store.removeValue("ETHUSDT"), { code: "ENTITY_NOT_FOUND", message: "Entity signal:ETHUSDT not found for deletion" });
    await assert.rejects(store.writeValue("../x", 1), { code: "INVALID_ENTITY_ID" });
    for (const id of ["10", "9", "b", "A"]) await store.writeValue(id, { id });
    assert.deepEqual(await collect(store.keys()), ["7", "9", "10", "A", "b", "BTCUSDT"]);
    assert.deepEqual((await collect(store.values())).length, 6);
    assert.equal(await store.getCount(), 6);
    await store.removeValue("BTCUSDT");
    assert.equal(await store.getCount(), 5);
    await store.removeAll();
    assert.deepEqual(await collect(store.keys()), []);
  });

  test(`${row.name}: 500 writes to one key issued at once end with the last`, { skip: row.skip }, async (t) => {
    const store = new PersistBase("order", row.base(t), { store: await row.url(t) });
    await store.waitForInit(true);
    await Promise.all(Array.from({ length: 500 }, (_, i) => store.writeValue("BTC", { i })));
    assert.deepEqual(await store.readValue("BTC"), { i: 499 });
  });

  test(`${row.name}: usePersistStore moves the registries and the 19.5.0 Instances; null moves them back`, { skip: row.skip }, async (t) => {
    const url = await row.url(t);
    const cwd = process.cwd();
    process.chdir(tempDir(t, "stores cwd"));
    t.after(() => {
      usePersistStore(null);
      process.chdir(cwd);
    });
    usePersistStore(url);
    const strategy = fresh("strategy");
    const registry = new PersistSignalUtils();
    await registry.writeSignalData({ id: "via-registry" }, strategy, "BTCUSDT");
    assert.deepEqual(await registry.readSignalData(strategy, "BTCUSDT"), { id: "via-registry" });
    await v19.PersistSignalAdapter.writeSignalData({ id: "via-v19", priceOpen: 1 }, "BTCUSDT", strategy, "binance");
    assert.equal((await v19.PersistSignalAdapter.readSignalData("BTCUSDT", strategy, "binance")).id, "via-v19");
    // On files exactly when no server store is chosen.
    assert.equal(fs.existsSync(`dump/data/signal/${strategy}/BTCUSDT.json`), url === null);
    assert.equal(fs.existsSync(`dump/data/signal/BTCUSDT_${strategy}_binance/BTCUSDT.json`), url === null);
    const onDisk = new PersistBase(strategy, "./dump/data/signal/", { store: null });
    assert.equal(await onDisk.hasValue("BTCUSDT"), url === null);
    usePersistStore(null);
    const back = new PersistSignalUtils();
    assert.equal(await back.readSignalData(fresh("other"), "BTCUSDT"), null);
  });
}

/** The December-2025 registries: a write and a read of each (on a registry `r`), keyed as a bot would. */
const DEC2025 = [
  { name: "Signal", write: (r, v, k) => r.writeSignalData(v, k, "BTCUSDT"), read: (r, k) => r.readSignalData(k, "BTCUSDT"), value: { id: "s" }, empty: null },
  { name: "Schedule", write: (r, v, k) => r.writeScheduleData(v, k, "BTCUSDT"), read: (r, k) => r.readScheduleData(k, "BTCUSDT"), value: { id: "c" }, empty: null },
  { name: "Risk", write: (r, v, k) => r.writePositionData(v, k), read: (r, k) => r.readPositionData(k), value: [["s:BTC", { n: 1 }]], empty: [] },
  { name: "Partial", write: (r, v, k) => r.writePartialData(v, k), read: (r, k) => r.readPartialData(k), value: { sig: { profitLevels: [10], lossLevels: [] } }, empty: {} },
];

for (const row of STORES.filter((row) => row.server)) {
  test(`${row.name}: every registry, December 2025's four and 19.5.0's sixteen, reads back what it wrote, after a restart too, as on files`, { skip: row.skip }, async (t) => {
    const url = await row.url(t);
    const cwd = process.cwd();
    process.chdir(tempDir(t, "registries on a server"));
    t.after(() => {
      usePersistStore(null);
      process.chdir(cwd);
    });
    const main = await import("@backtest-kit/persist");
    for (const { name, write, read, value, empty } of DEC2025) {
      usePersistStore(url);
      const key = fresh(name);
      assert.deepEqual(await read(main[`Persist${name}Adapter`], key), empty, `${name}: the default first`);
      await write(main[`Persist${name}Adapter`], value, key);
      // A registry of its own, as a restarted bot has.
      assert.deepEqual(await read(new main[`Persist${name}Utils`](), key), value, `${name}: read back after a restart`);
      assert.deepEqual(fs.readdirSync(process.cwd()), [], `${name}: nothing on disk`);
    }
    for (const registry of V19_ROWS) {
      const Instance = v19[`Persist${registry.name}Instance`];
      // What the file store gives for the two writes, in a directory of its own.
      usePersistStore(null);
      process.chdir(tempDir(t, `v19 ${registry.name} on files`));
      const onFiles = new Instance(...registry.ctx);
      await onFiles.waitForInit(true);
      await registry.write(onFiles, 0);
      await registry.write(onFiles, 1);
      const expected = await registry.read(onFiles);
      // The same writes on the server, read by a new Instance (a restart); no file written.
      const dir = tempDir(t, `v19 ${registry.name} on ${row.name}`);
      process.chdir(dir);
      usePersistStore(url);
      const writer = new Instance(...registry.ctx);
      await writer.waitForInit(true);
      await registry.write(writer, 0);
      await registry.write(writer, 1);
      const reader = new Instance(...registry.ctx);
      await reader.waitForInit(false);
      assert.deepEqual(await registry.read(reader), expected, registry.name);
      assert.deepEqual(fs.readdirSync(dir), [], `${registry.name}: nothing on disk`);
    }
  });
}

test("usePersistStore and { store }: wrong types are TypeErrors, unsupported URLs ERR_INVALID_ARG_VALUE", () => {
  assert.throws(() => usePersistStore(123), { name: "TypeError", code: "ERR_INVALID_ARG_TYPE", message: 'The "url" argument must be of type string or null. Received type number (123)' });
  assert.throws(() => usePersistStore("mysql://bot:pw@localhost/bots"), {
    code: "ERR_INVALID_ARG_VALUE",
    message: "usePersistStore: mysql://bot:***@localhost/bots is not a redis://, rediss://, redis-sentinel://, postgres:// or sqlite: URL",
  });
  assert.throws(() => usePersistStore("postgres://bot:pw@localhost:notaport/bots"), {
    code: "ERR_INVALID_ARG_VALUE",
    message: "usePersistStore: postgres://bot:***@localhost:notaport/bots: invalid connection string",
  });
  assert.throws(() => usePersistStore("http://:secret@example.com"), (error) => {
    assert.equal(error.code, "ERR_INVALID_ARG_VALUE");
    assert.doesNotMatch(error.message, /secret/);
    return true;
  });
  assert.throws(() => usePersistStore("redis://127.0.0.1:6379/0?nonsense=1"), { code: "ERR_INVALID_ARG_VALUE" });
  assert.throws(() => new PersistBase("x", "/tmp", { store: 5 }), { code: "ERR_INVALID_ARG_TYPE" });
  assert.throws(() => new PersistSignalUtils().usePersistSignalAdapter(class { waitForInit() {} }, { store: "redis://127.0.0.1:1/0" }), {
    code: "ERR_INVALID_ARG_VALUE",
  });
});

test("Redis keeps each document as its exact JSON text, in a hash named by the file layout", { skip: skipRedis }, async (t) => {
  const { url } = await startRedis(t);
  const base = `./dump/${fresh("layout")}/`;
  const store = new PersistBase("binance/BTCUSDT/1m", base, { store: url });
  await store.waitForInit(true);
  await store.writeValue(1700000000000, { open: 1.5, close: 2 });
  const client = new Redis(url);
  t.after(() => client.disconnect());
  const hash = `${path.posix.normalize(base)}binance/BTCUSDT/1m`;
  assert.equal(await client.hget(hash, "1700000000000"), JSON.stringify({ open: 1.5, close: 2 }));
});

for (const { name, skip, start, scheme } of SERVERS) {
test(`${name} killed with SIGKILL and restarted: acknowledged writes are there, and later calls work in this process`, { skip }, async (t) => {
  const server = await start(t);
  const store = new PersistBase("fault", `/fault/${fresh("k")}`, { store: server.url });
  await store.waitForInit(true);
  const acknowledged = new Map();
  for (let i = 0; i < 100; i++) {
    await store.writeValue(`k${i % 10}`, { i });
    acknowledged.set(`k${i % 10}`, i);
  }
  await server.kill("SIGKILL");
  // A PostgreSQL backend may outlive its killed postmaster for a moment: a call in flight either
  // completes (and must then survive the restart) or fails with a clear error.
  const during = await store.writeValue("k0", { i: 1000 }).then(() => "ok", (error) => error);
  if (during === "ok") acknowledged.set("k0", 1000);
  else {
    assert.equal(during.code, "WRITE_FAILED");
    assert.equal(during.cause.code, "STORE_UNREACHABLE", during.message);
    assert.match(during.message, /127\.0\.0\.1/);
  }
  await server.restart();
  let after;
  for (let attempt = 0; attempt < 100; attempt++) {
    after = await store.writeValue("after", { ok: true }).then(() => "ok", (error) => error);
    if (after === "ok") break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(after, "ok", `reconnected: ${after?.message}`);
  for (const [key, i] of acknowledged) assert.deepEqual(await store.readValue(key), { i }, key);
});

test(`${name}: a wrong password and an unreachable server are clear errors naming the URL without its password`, { skip }, async (t) => {
  const { url, port } = await start(t);
  const wrongUrl = scheme === "redis" ? url : url.replace("bot-password", "wrong-one");
  const authServer = scheme === "redis" ? await startRedis(t, { password: "right-one" }) : null;
  const target = scheme === "redis" ? `redis://:wrong-one@127.0.0.1:${authServer.port}/0` : wrongUrl;
  const error = await new PersistBase("auth", "/auth", { store: target }).waitForInit(true).then(() => null, (e) => e);
  assert.equal(error.code, "INIT_FAILED");
  assert.equal(error.cause.code, "STORE_AUTH_FAILED", error.message);
  assert.match(error.message, /:\*\*\*@127\.0\.0\.1:/);
  assert.doesNotMatch(error.message, /wrong-one/);
  void port;
  const downUrl = scheme === "redis" ? "redis://127.0.0.1:1/0" : "postgres://bot:secret@127.0.0.1:1/postgres";
  const unreachable = new PersistBase("down", "/down", { store: downUrl });
  const down = await unreachable.readValue("x").then(() => null, (e) => e);
  assert.equal(down.code, "READ_FAILED");
  assert.equal(down.cause.code, "STORE_UNREACHABLE", down.message);
  assert.doesNotMatch(down.message, /secret/);
  const retried = await unreachable.waitForInit(true).then(() => null, (e) => e);
  assert.equal(retried.code, "INIT_FAILED", "a failed init is tried again by the next call");
});

test(`two processes writing the same keys through one ${name}: every value parses, each key ends with a last write`, { skip }, async (t) => {
  const { url } = await start(t);
  const base = `/shared/${fresh("two")}`;
  const packageUrl = new URL("../main.js", import.meta.url).href;
  const writer = (who) => `
    import { PersistBase } from ${JSON.stringify(packageUrl)};
    const store = new PersistBase("shared", ${JSON.stringify(base)}, { store: ${JSON.stringify(url)} });
    await store.waitForInit(true);
    for (let round = 0; round < 100; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, k) => store.writeValue("k" + k, { writer: "${"${who}"}", round, pad: "x".repeat(1000) })));
    }
  `;
  const run = promisify(execFile);
  await Promise.all(["a", "b"].map((who) => run(process.execPath, ["--input-type=module", "-e", writer(who).replace("${who}", who)])));
  const store = new PersistBase("shared", base, { store: url });
  for (let k = 0; k < 10; k++) {
    const value = await store.readValue(`k${k}`);
    assert.equal(value.round, 99, `k${k} ends with one of the last writes`);
    assert.ok(value.writer === "a" || value.writer === "b");
  }
});
}

// ---------------------------------------------------------------------------------------------
// TLS: servers that only speak TLS, with a certificate of a CA the client is told to trust.

const skipTls = skipRedis || skipPostgres || (haveOpenssl ? false : "openssl is not installed (apt-get install openssl)");
const mainUrl = new URL("../main.js", import.meta.url).href;

/** Runs a child writing and reading one document on `url` with `env`; resolves to what it printed. */
async function tlsRoundTrip(t, url, env) {
  const script = `
    import { PersistBase } from ${JSON.stringify(mainUrl)};
    const store = new PersistBase("tls", "./dump/data", { store: ${JSON.stringify(url)} });
    try {
      await store.waitForInit(true);
      await store.writeValue("BTCUSDT", { over: "tls" });
      console.log(JSON.stringify({ value: await store.readValue("BTCUSDT") }));
    } catch (error) {
      console.log(JSON.stringify({ code: error.code, cause: error.cause?.code, message: error.message }));
    }`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { cwd: tempDir(t, "tls"), env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

test("TLS: rediss:// and sslmode=require reach TLS-only servers trusting SSL_CERT_FILE's CA; an untrusted certificate is a clear error", { skip: skipTls }, async (t) => {
  const certs = makeCertificates(t);
  const stranger = makeCertificates(t);
  const redis = await startRedis(t, { tls: certs });
  const postgres = await startPostgres(t, { tls: certs });
  for (const url of [redis.url, postgres.url]) {
    assert.deepEqual(await tlsRoundTrip(t, url, { SSL_CERT_FILE: certs.ca }), { value: { over: "tls" } }, url);
    const untrusted = await tlsRoundTrip(t, url, { SSL_CERT_FILE: stranger.ca });
    assert.equal(untrusted.code, "INIT_FAILED", url);
    assert.equal(untrusted.cause, "STORE_TLS_FAILED", url);
    assert.match(untrusted.message, /certificate|UnknownIssuer/i, url);
    assert.doesNotMatch(untrusted.message, /bot-password/);
  }
  // The cluster takes TLS sessions only: without sslmode=require the same URL is refused, so
  // the round trip above went over TLS.
  const plain = await tlsRoundTrip(t, postgres.url.replace("?sslmode=require", ""), { SSL_CERT_FILE: certs.ca });
  assert.equal(plain.code, "INIT_FAILED");
  assert.match(plain.message, /no encryption/);
});

test("Redis ?wait=1: a write resolves once a replica has it; with no replica it fails with STORE_TIMEOUT after wait_timeout_ms", { skip: skipRedis }, async (t) => {
  const primary = await startRedis(t);
  const replica = await startRedis(t, { replicaOf: primary.port });
  const onReplica = new Redis(replica.url);
  t.after(() => onReplica.disconnect());
  // The replica has synced once it reports the link up.
  for (let attempt = 0; attempt < 200 && !/master_link_status:up/.test(await onReplica.info("replication")); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const store = new PersistBase("replicated", `/wait/${fresh("w")}`, { store: `${primary.url}?wait=1&wait_timeout_ms=5000` });
  await store.waitForInit(true);
  for (let i = 0; i < 20; i++) {
    await store.writeValue("BTCUSDT", { i });
    // Resolved means the replica acknowledged it: it is there now, not eventually.
    assert.equal(await onReplica.hget(store._directory.replace(/\\/g, "/"), "BTCUSDT"), JSON.stringify({ i }));
  }

  const alone = await startRedis(t);
  const lonely = new PersistBase("replicated", `/wait/${fresh("w")}`, { store: `${alone.url}?wait=1&wait_timeout_ms=200` });
  await lonely.waitForInit(true);
  const error = await lonely.writeValue("BTCUSDT", { i: 0 }).then(() => null, (rejection) => rejection);
  assert.ok(error, "the write rejected");
  assert.equal(error.code, "WRITE_FAILED");
  assert.equal(error.cause.code, "STORE_TIMEOUT");
  assert.match(error.message, /0 of 1 replicas acknowledged the write within 200 ms/);
});

test("19.5.0 candles on Redis: a range is read with one HMGET, and a batch of candles is written in a few HSETs", { skip: skipRedis }, async (t) => {
  const redis = await startRedis(t);
  const client = new Redis(redis.url);
  t.after(() => client.disconnect());
  const calls = async () => {
    const stats = await client.info("commandstats");
    const count = (command) => Number(stats.match(new RegExp(`cmdstat_${command}:calls=(\\d+)`))?.[1] ?? 0);
    return { hmget: count("hmget"), hget: count("hget"), hexists: count("hexists"), hset: count("hset") };
  };
  const cwd = process.cwd();
  process.chdir(tempDir(t, "candles on redis"));
  t.after(() => {
    usePersistStore(null);
    process.chdir(cwd);
  });
  usePersistStore(redis.url);
  const MINUTE = 60_000;
  const since = Math.floor((Date.now() - 24 * 3600_000) / MINUTE) * MINUTE;
  const candles = Array.from({ length: 300 }, (_, i) => ({ timestamp: since + i * MINUTE, open: i, high: i + 1, low: i - 1, close: i, volume: 1 }));
  const instance = new v19.PersistCandleInstance("BTCUSDT", "1m", fresh("exchange"));
  await instance.waitForInit(true);
  const before = await calls();
  await instance.writeCandlesData(candles);
  const written = await calls();
  assert.ok(written.hset - before.hset <= 5, `${written.hset - before.hset} HSETs for 300 candles`);
  assert.deepEqual(await instance.readCandlesData(300, since, since + 300 * MINUTE), candles);
  const read = await calls();
  assert.deepEqual([read.hmget - written.hmget, read.hget - written.hget], [1, 0]);
  // A range with one candle missing is a miss, as on files.
  assert.equal(await instance.readCandlesData(301, since, since + 301 * MINUTE), null);
});
