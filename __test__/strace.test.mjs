// The durable write's system calls, observed with strace: fsync(temp) < rename(temp, target)
// < fsync(directory). Needs Linux and strace; .ci/run installs strace, and the test skips only
// where it is missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers/tmp.mjs";

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const haveStrace = process.platform === "linux" && spawnSync("strace", ["-V"]).status === 0;
const skip = !haveStrace && "strace is not installed (.ci/run installs it)";

/** Runs `script` under strace and returns its file-related system calls, one per line. */
function trace(t, script) {
  const dir = tempDir(t, "strace");
  const log = path.join(dir, "trace.log");
  const file = path.join(dir, "script.js");
  fs.writeFileSync(file, script);
  execFileSync("strace", ["-f", "-qq", "-e", "trace=openat,fsync,fdatasync,rename,renameat,renameat2,close", "-o", log, process.execPath, file], {
    cwd: dir,
  });
  // Strip the pid prefix -f adds.
  return { dir, calls: fs.readFileSync(log, "utf8").split("\n").map((line) => line.replace(/^\d+\s+/, "")) };
}

/** Line indexes of: the temp file's fsync, the rename onto the target, the directory's fsync. */
function durableWriteOrder(calls, directory, target) {
  const escaped = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const tempOpen = calls.findIndex((line) => new RegExp(`openat\\(.*"${escaped(directory)}/\\.tmp-[0-9a-f]{12}-${escaped(target)}".*= (\\d+)$`).test(line));
  assert.notEqual(tempOpen, -1, "the temp file is opened");
  const tempFd = calls[tempOpen].match(/= (\d+)$/)[1];
  const tempSync = calls.findIndex((line, i) => i > tempOpen && new RegExp(`^f(data)?sync\\(${tempFd}\\)`).test(line));
  const rename = calls.findIndex((line, i) => i > tempOpen && /^rename(at2?)?\(/.test(line) && line.includes(`/${target}"`) && line.includes(".tmp-"));
  const dirOpen = calls.findIndex((line, i) => i > rename && new RegExp(`openat\\(.*"${escaped(directory)}".*= (\\d+)$`).test(line));
  assert.notEqual(dirOpen, -1, "the directory is opened after the rename");
  const dirFd = calls[dirOpen].match(/= (\d+)$/)[1];
  const dirSync = calls.findIndex((line, i) => i > dirOpen && new RegExp(`^f(data)?sync\\(${dirFd}\\)`).test(line));
  return { tempSync, rename, dirSync };
}

function assertDurableOrder({ tempSync, rename, dirSync }) {
  assert.ok(tempSync !== -1 && rename !== -1 && dirSync !== -1, JSON.stringify({ tempSync, rename, dirSync }));
  assert.ok(tempSync < rename, "fsync(temp) before rename");
  assert.ok(rename < dirSync, "rename before fsync(directory)");
}

test("writeValue: fsync(temp) < rename < fsync(directory)", { skip }, (t) => {
  const { dir, calls } = trace(
    t,
    `const { PersistBase } = require(${JSON.stringify(packageDir)});
     const persist = new PersistBase("signal", __dirname);
     persist.waitForInit(true).then(() => persist.writeValue("BTCUSDT", { id: 1 }));`,
  );
  assertDurableOrder(durableWriteOrder(calls, path.join(dir, "signal"), "BTCUSDT.json"));
});

test("writeFileAtomic: fsync(temp) < rename < fsync(directory)", { skip }, (t) => {
  const { dir, calls } = trace(
    t,
    `const { writeFileAtomic } = require(${JSON.stringify(packageDir)});
     writeFileAtomic(__dirname + "/out.txt", "data");`,
  );
  assertDurableOrder(durableWriteOrder(calls, dir, "out.txt"));
});
