// System calls observed with strace: a durable write's fsync(temp) completes before the rename
// starts, and the rename before an fsync of the directory starts; the init scan and keys() make
// theirs on other threads than the JS thread (B7).
// Needs Linux and strace: .ci/run installs strace; where it is missing the tests skip
// ("strace is not installed").
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers/tmp.mjs";

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const haveStrace = process.platform === "linux" && spawnSync("strace", ["-V"]).status === 0;
const SKIP_REASON = "strace is not installed (.ci/run installs it)";

/**
 * Parses an `strace -f` log into calls `{ pid, name, args, result, start, end }`, where `pid` is
 * the thread that made the call, and `start` and `end` are the line indexes where the call began
 * and returned (they differ when another thread's call interleaved: `<unfinished ...>` /
 * `<... name resumed>`).
 */
function parseTrace(text) {
  const calls = [];
  const pending = new Map();
  text.split("\n").forEach((rawLine, index) => {
    const pidMatch = rawLine.match(/^(\d+)\s+/);
    const pid = pidMatch ? pidMatch[1] : "";
    const line = pidMatch ? rawLine.slice(pidMatch[0].length) : rawLine;
    let match;
    if ((match = line.match(/^(\w+)\((.*) <unfinished \.\.\.>$/))) {
      pending.set(pid, { pid, name: match[1], args: match[2], start: index });
    } else if ((match = line.match(/^<\.\.\. (\w+) resumed>(.*)\)\s+= (-?\d+)/))) {
      const begun = pending.get(pid);
      pending.delete(pid);
      if (begun?.name === match[1]) calls.push({ ...begun, args: begun.args + match[2], result: Number(match[3]), end: index });
    } else if ((match = line.match(/^(\w+)\((.*)\)\s+= (-?\d+)/))) {
      calls.push({ pid, name: match[1], args: match[2], result: Number(match[3]), start: index, end: index });
    }
  });
  return calls;
}

/** The quoted strings among a call's arguments (paths here are plain ASCII). */
const quoted = (call) => [...call.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
const fdArg = (call) => Number(call.args.split(",")[0]);
const isSync = (call) => call.name === "fsync" || call.name === "fdatasync";
const isRename = (call) => ["rename", "renameat", "renameat2"].includes(call.name);

/** The first fsync of `fd` after `open` returned and before that fd was closed again. */
function syncOfOpenedFd(calls, open) {
  const fd = open.result;
  const close = calls.find((call) => call.start > open.end && call.name === "close" && fdArg(call) === fd);
  const closedAt = close ? close.start : Infinity;
  return calls.find((call) => call.start > open.end && call.start < closedAt && isSync(call) && fdArg(call) === fd);
}

/** The calls of one durable replace of `target` in `directory`: temp fsync, rename, directory fsync. */
function durableWrite(calls, directory, target) {
  const tempName = new RegExp(`^\\.tmp-[0-9a-f]{12}-${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  const tempOpen = calls.find(
    (call) => call.name === "openat" && call.result >= 0 && path.dirname(quoted(call)[0] ?? "") === directory && tempName.test(path.basename(quoted(call)[0])),
  );
  assert.ok(tempOpen, `no openat of a temp file for ${target} in ${directory}`);
  const tempPath = quoted(tempOpen)[0];
  const tempSync = syncOfOpenedFd(calls, tempOpen);
  assert.ok(tempSync, `no fsync of the temp file's fd ${tempOpen.result} before its close`);

  const targetPath = path.join(directory, target);
  const rename = calls.find((call) => isRename(call) && call.result === 0 && quoted(call)[0] === tempPath && quoted(call)[1] === targetPath);
  assert.ok(rename, `no rename of ${tempPath} to ${targetPath}`);

  const directorySync = calls
    .filter((call) => call.start > rename.end && call.name === "openat" && call.result >= 0 && quoted(call)[0] === directory)
    .map((open) => syncOfOpenedFd(calls, open))
    .find(Boolean);
  assert.ok(directorySync, `no fsync of ${directory} opened after the rename`);
  return { tempSync, rename, directorySync };
}

/**
 * Runs a CommonJS `script` under strace in a fresh dir (made ready by `prepare(dir)`, untraced);
 * returns the dir, the parsed calls and what the script printed.
 */
function traced(t, script, { syscalls = "openat,fsync,fdatasync,rename,renameat,renameat2,close", prepare = () => {} } = {}) {
  const dir = fs.realpathSync(tempDir(t, "strace"));
  prepare(dir);
  const log = path.join(dir, "trace.log");
  const file = path.join(dir, "script.cjs");
  fs.writeFileSync(file, `const addon = require(${JSON.stringify(packageDir)});\n${script}`);
  const stdout = execFileSync("strace", ["-f", "-qq", "-e", `trace=${syscalls}`, "-o", log, process.execPath, file], { cwd: dir, encoding: "utf8" });
  return { dir, calls: parseTrace(fs.readFileSync(log, "utf8")), stdout };
}

function assertDurableOrder({ tempSync, rename, directorySync }) {
  assert.ok(tempSync.end < rename.start, `fsync(temp) returns (line ${tempSync.end}) before the rename starts (line ${rename.start})`);
  assert.ok(rename.end < directorySync.start, `the rename returns (line ${rename.end}) before fsync(directory) starts (line ${directorySync.start})`);
}

test("writeValue: fsync(temp) < rename < fsync(directory)", (t) => {
  if (!haveStrace) return t.skip(SKIP_REASON);
  const { dir, calls } = traced(
    t,
    `const persist = new addon.PersistBase("signal", __dirname);
     persist.waitForInit(true).then(() => persist.writeValue("BTCUSDT", { id: 1 }));`,
  );
  assert.equal(fs.readFileSync(path.join(dir, "signal", "BTCUSDT.json"), "utf8"), '{"id":1}');
  assertDurableOrder(durableWrite(calls, path.join(dir, "signal"), "BTCUSDT.json"));
});

test("writeFileAtomic: fsync(temp) < rename < fsync(directory)", (t) => {
  if (!haveStrace) return t.skip(SKIP_REASON);
  const { dir, calls } = traced(t, `addon.writeFileAtomic(__dirname + "/state.json", "data");`);
  assert.equal(fs.readFileSync(path.join(dir, "state.json"), "utf8"), "data");
  assertDurableOrder(durableWrite(calls, dir, "state.json"));
});

test("the init scan and keys() of 10,000 documents: the JS thread opens none of them and never lists their directory (B7)", (t) => {
  if (!haveStrace) return t.skip(SKIP_REASON);
  const { dir, calls, stdout } = traced(
    t,
    `const persist = new addon.PersistBase("signal", __dirname);
     (async () => {
       await persist.waitForInit(true);
       let count = 0;
       for await (const key of persist.keys()) count += 1;
       console.log(JSON.stringify({ jsThread: String(process.pid), count }));
     })();`,
    {
      syscalls: "openat,getdents64",
      prepare: (at) => {
        fs.mkdirSync(path.join(at, "signal"));
        for (let n = 0; n < 10_000; n += 1) fs.writeFileSync(path.join(at, "signal", `k${n}.json`), "{}");
      },
    },
  );
  const { jsThread, count } = JSON.parse(stdout);
  assert.equal(count, 10_000);
  const entity = path.join(dir, "signal");
  const inEntity = (call) => call.name === "openat" && (quoted(call)[0] ?? "").startsWith(entity);
  const listings = calls.filter((call) => inEntity(call) && quoted(call)[0] === entity && call.args.includes("O_DIRECTORY"));
  const documents = calls.filter((call) => inEntity(call) && quoted(call)[0] !== entity);
  // What the trace saw: the directory listed twice (the scan, keys()) and every document read.
  assert.ok(listings.length >= 2, `${listings.length} listings of ${entity}`);
  assert.ok(documents.length >= 10_000, `${documents.length} documents opened`);
  assert.deepEqual(calls.filter((call) => call.pid === jsThread && inEntity(call)).map((call) => quoted(call)[0]), [], "the JS thread opened these");
  assert.ok(calls.some((call) => call.name === "getdents64" && call.pid !== jsThread), "the listings ran on other threads");
});

test("the trace parser joins calls split across lines by another thread", () => {
  const calls = parseTrace(
    [
      '101 openat(AT_FDCWD, "/d/.tmp-0123456789ab-x.json", O_WRONLY|O_CREAT|O_EXCL, 0666) = 5',
      "101 fsync(5 <unfinished ...>",
      "102 close(9)                        = 0",
      "101 <... fsync resumed>)            = 0",
      "101 close(5)                        = 0",
      '101 renameat2(AT_FDCWD, "/d/.tmp-0123456789ab-x.json", AT_FDCWD, "/d/x.json", 0) = 0',
      '103 openat(AT_FDCWD, "/d", O_RDONLY|O_CLOEXEC) = 5',
      "103 fsync(5)                         = 0",
      "103 +++ exited with 0 +++",
    ].join("\n"),
  );
  const { tempSync, rename, directorySync } = durableWrite(calls, "/d", "x.json");
  assert.deepEqual([tempSync.start, tempSync.end, rename.start, directorySync.start], [1, 3, 5, 7]);
  assertDurableOrder({ tempSync, rename, directorySync });
});
