// The durable write's system calls, observed with strace: fsync(temp) completes before the
// rename starts, and the rename completes before an fsync of the directory starts.
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
 * Parses an `strace -f` log into calls `{ name, args, result, start, end }`, where `start` and
 * `end` are the line indexes where the call began and returned (they differ when another
 * thread's call interleaved: `<unfinished ...>` / `<... name resumed>`).
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
      pending.set(pid, { name: match[1], args: match[2], start: index });
    } else if ((match = line.match(/^<\.\.\. (\w+) resumed>(.*)\)\s+= (-?\d+)/))) {
      const begun = pending.get(pid);
      pending.delete(pid);
      if (begun?.name === match[1]) calls.push({ ...begun, args: begun.args + match[2], result: Number(match[3]), end: index });
    } else if ((match = line.match(/^(\w+)\((.*)\)\s+= (-?\d+)/))) {
      calls.push({ name: match[1], args: match[2], result: Number(match[3]), start: index, end: index });
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

/** Runs a CommonJS `script` under strace in a fresh dir; returns the dir and the parsed calls. */
function traced(t, script) {
  const dir = fs.realpathSync(tempDir(t, "strace"));
  const log = path.join(dir, "trace.log");
  const file = path.join(dir, "script.cjs");
  fs.writeFileSync(file, `const addon = require(${JSON.stringify(packageDir)});\n${script}`);
  const traceSet = "trace=openat,fsync,fdatasync,rename,renameat,renameat2,close";
  execFileSync("strace", ["-f", "-qq", "-e", traceSet, "-o", log, process.execPath, file], { cwd: dir, stdio: "pipe" });
  return { dir, calls: parseTrace(fs.readFileSync(log, "utf8")) };
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
