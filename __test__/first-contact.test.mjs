// Errors a new user meets first, saying what happened: a rejection's stack points at the code
// that made the call (as fs.promises errors do), a redis:// URL at a port where something else
// listens says no Redis server is there, and a PostgreSQL server that never answers says how
// long it was given.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { PersistBase, writeFileAtomic } from "../index.js";
import { PersistCandleInstance } from "../v19/index.js";
import { tempDir } from "./helpers/tmp.mjs";

/** A TCP server on loopback that answers every connection with `reply` (or, without one, never). */
async function listener(t, reply) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    if (reply !== undefined) socket.end(reply);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return server.address().port;
}

test("a rejected call's stack shows the caller's own async frames, not the package's internals", async (t) => {
  const dir = tempDir(t, "stacks");
  const store = new PersistBase("signals", dir);
  await store.waitForInit(true);
  async function readTheSignalOfMyBot() {
    return store.readValue("BTCUSDT");
  }
  async function startMyBot() {
    return await readTheSignalOfMyBot();
  }
  const error = await startMyBot().then(
    () => assert.fail("a missing entity rejects"),
    (error) => error,
  );
  assert.equal(error.code, "ENTITY_NOT_FOUND");
  assert.match(error.stack, /^Error: Entity signals:BTCUSDT not found\n/);
  assert.match(error.stack, /at async startMyBot \(.*first-contact\.test\.mjs/);
  assert.doesNotMatch(error.stack, /boundary\.js/);

  async function writeBadly() {
    await writeFileAtomic(`${dir}/missing/dir/file.json`, "{}");
  }
  const atomic = await writeBadly().then(() => assert.fail("a missing directory rejects"), (e) => e);
  assert.equal(atomic.code, "ENOENT");

  async function readCandlesOfMyBot() {
    const candles = new PersistCandleInstance("BTCUSDT", "1m", "binance");
    candles._storage = new PersistBase("binance/BTCUSDT/1m", dir);
    await candles.writeCandlesData([null]);
  }
  const candle = await readCandlesOfMyBot().then(() => assert.fail("a null candle is refused"), (e) => e);
  assert.equal(candle.code, "INVALID_ENTITY");
  // A user's own value thrown through the package is left as it was.
  const own = new Error("mine");
  const stackBefore = own.stack;
  const store2 = new PersistBase("x", dir);
  await assert.rejects(store2.writeValue("k", { toJSON() { throw own; } }), { code: "INVALID_ENTITY", message: "Failed to write entity x:k: mine" });
  assert.equal(own.stack, stackBefore);
});

test("a redis:// URL at a port where another kind of server listens: no Redis server there (STORE_UNREACHABLE)", async (t) => {
  const port = await listener(t, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  const url = `redis://127.0.0.1:${port}/0`;
  const store = new PersistBase("signals", "/first-contact", { store: url });
  await assert.rejects(store.waitForInit(true), (error) => {
    assert.equal(error.code, "INIT_FAILED");
    assert.equal(error.cause.code, "STORE_UNREACHABLE");
    assert.match(error.cause.message, new RegExp(`^no Redis server at redis://127\\.0\\.0\\.1:${port}/0: what answers there does not speak the Redis protocol`));
    assert.doesNotMatch(error.message, /\n/, "one line");
    return true;
  });
});

test("a PostgreSQL server that accepts and never answers: the error says the time it was given", { timeout: 60_000 }, async (t) => {
  const port = await listener(t);
  const store = new PersistBase("signals", "/first-contact", { store: `postgres://bot:secret@127.0.0.1:${port}/bots` });
  await assert.rejects(store.waitForInit(true), (error) => {
    assert.equal(error.cause.code, "STORE_TIMEOUT");
    assert.match(error.cause.message, /within 5 s/);
    assert.doesNotMatch(error.cause.message, /10 s/);
    assert.doesNotMatch(error.message, /secret/);
    return true;
  });
});
