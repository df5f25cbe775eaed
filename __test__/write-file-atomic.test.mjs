// writeFileAtomic(file, data, options): the reference's signature, atomic and durable.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../index.js";
import { tempDir } from "./helpers/tmp.mjs";

test("strings default to utf8; bytes are written as they are", async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "out.txt");
  await writeFileAtomic(file, "héllo – 🚀");
  assert.equal(fs.readFileSync(file, "utf8"), "héllo – 🚀");
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  await writeFileAtomic(file, bytes);
  assert.deepEqual(fs.readFileSync(file), bytes);
  await writeFileAtomic(file, new Uint8Array([9, 8, 7]));
  assert.deepEqual([...fs.readFileSync(file)], [9, 8, 7]);
  await writeFileAtomic(file, new Uint16Array([0x0102]));
  assert.deepEqual(fs.readFileSync(file), Buffer.from(new Uint16Array([0x0102]).buffer));
  assert.deepEqual(fs.readdirSync(dir), ["out.txt"]);
});

test("an encoding string or an options object encodes as Buffer.from does", async (t) => {
  const file = path.join(tempDir(t), "enc.bin");
  const text = "héllo wörld 0123";
  for (const encoding of ["latin1", "utf16le", "ascii", "binary", "ucs2"]) {
    await writeFileAtomic(file, text, encoding);
    assert.deepEqual(fs.readFileSync(file), Buffer.from(text, encoding), encoding);
  }
  for (const [encoding, data] of [["hex", "00ff10"], ["base64", "aGVsbG8="], ["base64url", "aGVsbG8"]]) {
    await writeFileAtomic(file, data, { encoding });
    assert.deepEqual(fs.readFileSync(file), Buffer.from(data, encoding), encoding);
  }
  await assert.rejects(writeFileAtomic(file, "x", "klingon"), /Unknown encoding: klingon/);
});

test("mode applies to the new file, under the umask", async (t) => {
  const dir = tempDir(t);
  const umask = process.umask();
  await writeFileAtomic(path.join(dir, "private"), "s", { mode: 0o600 });
  assert.equal(fs.statSync(path.join(dir, "private")).mode & 0o777, 0o600 & ~umask);
  await writeFileAtomic(path.join(dir, "default"), "s");
  assert.equal(fs.statSync(path.join(dir, "default")).mode & 0o777, 0o666 & ~umask);
});

test("a failed rename rejects and leaves no temp file with the custom prefix", async (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, "occupied");
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, "inside"), "x");
  await assert.rejects(writeFileAtomic(target, "data", { tmpPrefix: "custom-" }), (error) => {
    assert.equal(error.syscall, "rename");
    assert.ok(["EISDIR", "ENOTEMPTY", "EEXIST"].includes(error.code), error.code);
    return true;
  });
  assert.deepEqual(fs.readdirSync(dir), ["occupied"]);
});

test("a missing directory rejects with a Node-style ENOENT error", async (t) => {
  const file = path.join(tempDir(t), "missing", "file.txt");
  await assert.rejects(writeFileAtomic(file, "x"), (error) => {
    assert.match(error.message, /^ENOENT: no such file or directory, open '/);
    assert.equal(error.code, "ENOENT");
    assert.equal(error.errno, -2);
    assert.equal(error.syscall, "open");
    assert.ok(error.path.startsWith(path.dirname(file)));
    return true;
  });
});

test("100 concurrent writes to one file end with the last one", async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "race.json");
  await Promise.all(Array.from({ length: 100 }, (_, n) => writeFileAtomic(file, JSON.stringify({ n }))));
  assert.equal(fs.readFileSync(file, "utf8"), '{"n":99}');
  assert.deepEqual(fs.readdirSync(dir), ["race.json"]);
});

test("bad arguments are refused, as rejections", async (t) => {
  const dir = tempDir(t);
  await assert.rejects(writeFileAtomic(path.join(dir, "x"), "d", { tmpPrefix: "../escape-" }), /tmpPrefix/);
  await assert.rejects(writeFileAtomic(path.join(dir, "x"), 42), /"data" argument must be of type string/);
  await assert.rejects(writeFileAtomic(path.join(dir, "x"), "d", { mode: -1 }), /"mode" option/);
  assert.deepEqual(fs.readdirSync(dir), []);
});
