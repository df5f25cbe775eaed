// writeFileAtomic(file, data, options): the reference's signature and results, atomic and durable.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../index.js";
import { tempDir } from "./helpers/tmp.mjs";

/** A target file in a fresh temp dir; `left()` lists what the dir holds. */
function target(t, name = "out.txt") {
  const dir = tempDir(t, "wfa");
  return { dir, file: path.join(dir, name), left: () => fs.readdirSync(dir).sort() };
}

/** Lets the test set the process umask; the original is restored when the test ends. */
function umaskSetter(t) {
  const original = process.umask();
  t.after(() => process.umask(original));
  return (mask) => process.umask(mask);
}

const permissions = (file) => fs.statSync(file).mode & 0o777;

// ---- data and encodings ----

test("string data is written as utf8 by default", async (t) => {
  const { file, left } = target(t);
  const text = "héllo – ключ – 🚀\n";
  await writeFileAtomic(file, text);
  assert.deepEqual(fs.readFileSync(file), Buffer.from(text, "utf8"));
  assert.deepEqual(left(), ["out.txt"]);
});

test("Buffer and Uint8Array data are written byte for byte", async (t) => {
  const { file } = target(t);
  const bytes = Buffer.from([0, 1, 2, 0x80, 0xfe, 0xff]);
  await writeFileAtomic(file, bytes);
  assert.deepEqual(fs.readFileSync(file), bytes);
  await writeFileAtomic(file, new Uint8Array([9, 8, 7, 0]));
  assert.deepEqual(fs.readFileSync(file), Buffer.from([9, 8, 7, 0]));
  // A view writes only its own window of the underlying buffer.
  const window = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 4);
  await writeFileAtomic(file, window);
  assert.deepEqual(fs.readFileSync(file), Buffer.from([2, 3, 4]));
  await writeFileAtomic(file, new Uint8Array(0));
  assert.equal(fs.readFileSync(file).length, 0);
});

test("an encoding string as third argument encodes as Buffer.from(data, encoding)", async (t) => {
  const { file } = target(t, "enc.bin");
  const cases = [
    ["latin1", "héllo wörld ÿ"],
    ["hex", "00ff10abCD"],
    ["base64", "aGVsbG8gd29ybGQ="],
    ["utf16le", "héllo 🚀"],
    ["ascii", "plain é"],
    ["base64url", "aGVsbG8_-w"],
  ];
  for (const [encoding, data] of cases) {
    await writeFileAtomic(file, data, encoding);
    assert.deepEqual(fs.readFileSync(file), Buffer.from(data, encoding), encoding);
    assert.notDeepEqual(Buffer.from(data, encoding), Buffer.from(data, "utf8"), `${encoding} case tells encodings apart`);
  }
});

test("an options object with encoding encodes as Buffer.from(data, encoding)", async (t) => {
  const { file } = target(t, "enc.bin");
  for (const [encoding, data] of [["hex", "deadbeef"], ["latin1", "ÿé"], ["base64", "AAEC"], ["utf16le", "ab"]]) {
    await writeFileAtomic(file, data, { encoding });
    assert.deepEqual(fs.readFileSync(file), Buffer.from(data, encoding), encoding);
  }
  await writeFileAtomic(file, "plain", {});
  assert.equal(fs.readFileSync(file, "utf8"), "plain", "an empty options object means utf8");
});

// ---- mode ----

test("mode sets the permission bits of the new file, under the umask", async (t) => {
  const { dir } = target(t);
  const setUmask = umaskSetter(t);
  for (const mask of [0o022, 0o077]) {
    setUmask(mask);
    for (const mode of [0o600, 0o640, 0o755]) {
      const file = path.join(dir, `m${mode.toString(8)}-u${mask.toString(8)}`);
      await writeFileAtomic(file, "s", { mode });
      assert.equal(permissions(file), mode & ~mask, `mode ${mode.toString(8)} under umask ${mask.toString(8)}`);
    }
  }
});

test("the default mode is 0o666 under the umask", async (t) => {
  const { dir } = target(t);
  const setUmask = umaskSetter(t);
  for (const mask of [0o022, 0o002, 0o077]) {
    setUmask(mask);
    const file = path.join(dir, `default-u${mask.toString(8)}`);
    await writeFileAtomic(file, "s");
    assert.equal(permissions(file), 0o666 & ~mask, `umask ${mask.toString(8)}`);
  }
});

// ---- temp files and failures ----

test("a custom tmpPrefix: a failed rename rejects and leaves no file with that prefix", async (t) => {
  const { dir, left } = target(t);
  const occupied = path.join(dir, "occupied");
  fs.mkdirSync(occupied);
  fs.writeFileSync(path.join(occupied, "inside"), "x");
  for (const tmpPrefix of ["custom-", ".tmp-"]) {
    await assert.rejects(writeFileAtomic(occupied, "data", { tmpPrefix }), (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.syscall, "rename");
      assert.ok(["EISDIR", "ENOTEMPTY", "EEXIST"].includes(error.code), error.code);
      assert.ok(path.basename(error.path).startsWith(`${tmpPrefix}`), `the temp file carried the prefix: ${error.path}`);
      return true;
    });
    assert.deepEqual(left(), ["occupied"]);
    assert.deepEqual(fs.readdirSync(occupied), ["inside"]);
  }
});

test("a missing parent directory rejects with a Node-style ENOENT error", async (t) => {
  const { dir } = target(t);
  const file = path.join(dir, "missing", "file.txt");
  await assert.rejects(writeFileAtomic(file, "x"), (error) => {
    assert.ok(error instanceof Error);
    assert.ok(error.message.startsWith("ENOENT: no such file or directory, open '"), error.message);
    assert.equal(error.code, "ENOENT");
    assert.equal(error.syscall, "open");
    assert.equal(error.errno, -2);
    assert.equal(path.dirname(error.path), path.dirname(file));
    assert.ok(error.message.endsWith(`'${error.path}'`));
    return true;
  });
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("overwriting replaces the content and keeps no temp files", async (t) => {
  const { file, left } = target(t, "state.json");
  fs.writeFileSync(file, "old content that is longer than the new one");
  for (let n = 0; n < 20; n += 1) {
    await writeFileAtomic(file, JSON.stringify({ n }));
    assert.equal(fs.readFileSync(file, "utf8"), JSON.stringify({ n }));
  }
  await writeFileAtomic(file, "x", { tmpPrefix: "custom-" });
  assert.equal(fs.readFileSync(file, "utf8"), "x");
  assert.deepEqual(left(), ["state.json"]);
});

test("100 concurrent writes to one file end with the last one's content", async (t) => {
  const { file, left } = target(t, "race.json");
  const writes = Array.from({ length: 100 }, (_, n) => writeFileAtomic(file, JSON.stringify({ n, pad: "x".repeat(n * 50) })));
  await Promise.all(writes);
  assert.equal(fs.readFileSync(file, "utf8"), JSON.stringify({ n: 99, pad: "x".repeat(99 * 50) }));
  assert.deepEqual(left(), ["race.json"]);
});

// ---- bad arguments ----

test("a tmpPrefix containing a path separator is rejected and nothing is written", async (t) => {
  const { dir, file } = target(t);
  for (const tmpPrefix of ["../escape-", "a/b", "a\\b"]) {
    await assert.rejects(writeFileAtomic(file, "d", { tmpPrefix }), {
      message: `The "tmpPrefix" option must not contain a path separator or NUL, got ${JSON.stringify(tmpPrefix)}`,
    });
  }
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter((name) => name.startsWith("escape-")), []);
});

test("data that is not a string or bytes (a number) rejects and nothing is written", async (t) => {
  const { dir, file } = target(t);
  for (const data of [42, null, { a: 1 }]) {
    const pending = writeFileAtomic(file, data);
    assert.ok(pending instanceof Promise, "bad arguments reject, they do not throw synchronously");
    await assert.rejects(pending, {
      message: /^The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView\. Received/,
    });
  }
  assert.deepEqual(fs.readdirSync(dir), []);
});
