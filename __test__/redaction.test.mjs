// A store URL's password is never shown, whichever form the drivers read it from (the userinfo,
// `?password=` and other parameters named so, percent-encoded names, URLs that do not parse, a
// libpq `key=value` string): not in a store error's message, stack or cause, not in
// util.inspect of it, not in the command line's output (with --json too). No server is needed:
// every URL names a closed loopback port or does not parse.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import util from "node:util";
import { createRequire } from "node:module";
import { PersistBase, PersistSignalAdapter, usePersistStore } from "../index.js";
import { cli } from "./helpers/cli.mjs";
import { freePort } from "./helpers/redis.mjs";
import { tempDir } from "./helpers/tmp.mjs";

const require = createRequire(import.meta.url);
const { redact } = require("../cli/location.js");

const SECRET = "S3CRET-pw";
const closed = await freePort();

/** Every form a password takes in a store URL, on a port where nothing listens. */
const URLS = [
  `postgres://bot@127.0.0.1:${closed}/db?password=${SECRET}`,
  `postgresql://bot@127.0.0.1:${closed}/db?sslmode=disable&password=${SECRET}&application_name=bot`,
  // tokio-postgres and libpq decode parameter names: this is `password`.
  `postgres://bot@127.0.0.1:${closed}/db?pass%77ord=${SECRET}`,
  `postgres://bot@127.0.0.1:${closed}/db?sslPassword=${SECRET}`,
  `postgres://bot:${SECRET}@127.0.0.1:${closed}/db`,
  `postgres://bot:${encodeURIComponent(`${SECRET}/@?`)}@127.0.0.1:${closed}/db`,
  // Not parsed by the url crate: several hosts, a bad port, a raw "/" or "@" in the password.
  `postgres://bot:${SECRET}@127.0.0.1,127.0.0.2:${closed}/db`,
  `postgres://bot:${SECRET}@127.0.0.1:notaport/db`,
  `postgres://bot:${SECRET}/x@127.0.0.1:${closed}/db`,
  `redis://:${SECRET}@127.0.0.1:${closed}/0`,
  `redis://bot:${SECRET}@x@127.0.0.1:${closed}/0`,
  `rediss://:${SECRET}@127.0.0.1:notaport/0`,
  `redis://127.0.0.1:${closed}/0?password=${SECRET}`,
  `POSTGRES://bot@127.0.0.1:${closed}/db?password=${SECRET}`,
];

/** Everything an error shows: message, stack, each cause, and util.inspect of it. */
function shown(error) {
  const parts = [util.inspect(error, { depth: 10 })];
  for (let at = error; at instanceof Error; at = at.cause) parts.push(at.message, at.stack ?? "");
  return parts.join("\n");
}

/** The error a store on `url` fails with: at construction (a URL refused) or at its first call. */
async function storeError(dir, url) {
  const call = async () => new PersistBase("x", dir, { store: url }).readValue("k");
  return call().then(
    () => assert.fail(`${url}: the call succeeded`),
    (error) => error,
  );
}

test("a store on a URL carrying a password fails with errors that never show it", async (t) => {
  const dir = tempDir(t, "redaction store");
  for (const url of URLS) {
    const error = await storeError(dir, url);
    assert.ok(error instanceof Error, url);
    const text = shown(error);
    assert.doesNotMatch(text, new RegExp(SECRET), url);
    assert.match(text, /\*\*\*/, `${url}: the URL is named, its password hidden`);
  }
});

test("usePersistStore with a password in the query or in a libpq key=value string never shows it", async (t) => {
  t.after(() => usePersistStore(null));
  usePersistStore(`postgres://bot@127.0.0.1:${closed}/db?password=${SECRET}`);
  const read = PersistSignalAdapter.readSignalData("redaction", "BTCUSDT");
  await assert.rejects(read, (error) => {
    assert.equal(error.cause.code, "STORE_UNREACHABLE", error.message);
    assert.doesNotMatch(shown(error), new RegExp(SECRET));
    assert.match(error.message, /\?password=\*\*\*\)$/);
    return true;
  });
  assert.throws(
    () => usePersistStore(`host=127.0.0.1 user=bot password='${SECRET} x' sslpassword=${SECRET}`),
    (error) => {
      assert.equal(error.message, "usePersistStore: host=127.0.0.1 user=bot password=*** sslpassword=*** is not a redis://, rediss://, redis-sentinel://, postgres:// or sqlite: URL");
      assert.doesNotMatch(shown(error), new RegExp(SECRET));
      return true;
    },
  );
});

test("the command line never prints a password of a store URL, on stdout or stderr, with --json or not", async (t) => {
  const dir = tempDir(t, "redaction cli");
  const dump = path.join(dir, "dump");
  fs.mkdirSync(path.join(dump, "data"), { recursive: true });
  fs.writeFileSync(path.join(dump, "data/a.json"), "{}");
  const urls = [...URLS, `mysql://bot@127.0.0.1/db?password=${SECRET}`, `ftp://u:${SECRET}@h,k:x/y`];
  for (const url of urls) {
    for (const args of [["inspect", url], ["verify", url, "--json"], ["migrate", "--from", dump, "--to", url, "--apply", "--json"]]) {
      const result = await cli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.doesNotMatch(result.stdout + result.stderr, new RegExp(SECRET), args.join(" "));
      assert.match(result.stdout + result.stderr, /\*\*\*/, `${args.join(" ")}: the URL is named, its password hidden`);
    }
  }
});

test("the command line hides passwords as the stores do: one redaction", () => {
  for (const [url, expected] of [
    ["postgres://bot@h:5432/db?password=pw&sslmode=require", "postgres://bot@h:5432/db?password=***&sslmode=require"],
    ["postgres://bot:p@ss@h1,h2/db?PassWord=x", "postgres://bot:***@h1,h2/db?PassWord=***"],
    ["redis://:pw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"],
    ["redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"],
  ]) {
    assert.equal(redact(url), expected);
  }
});
