// What `migrate` and `import` would write, and writing it. A plan is a list of
// `{ from, to, text }` (a source path or NDJSON line, a destination path relative to the
// destination root, the exact document text). Planning checks everything before anything is
// written: collisions between sources, a document and a directory of the same name (in the plan,
// or between the plan and the destination: no tree can hold both), destination documents holding
// a different value, corrupt sources. Applying writes each document durably (this package's
// writeFileAtomic: temp file, fsync, rename, directory fsync; new directories fsynced into their
// parents), never deletes, and skips documents already holding the planned text, so an
// interrupted run is resumed by running it again.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { ancestorsOf } = require("./tree.js");

/** Checks a destination path: relative, `/`-separated plain names, ending in `.json`. */
function checkDestination(relative) {
  const segments = relative.split("/");
  const bad = segments.find((segment) => segment === "" || segment === "." || segment === ".." || /[\\\0]/.test(segment) || segment.startsWith(".tmp-") || segment === ".quarantine");
  if (bad !== undefined || !relative.endsWith(".json") || path.isAbsolute(relative)) {
    return `path ${JSON.stringify(relative)} is not a relative path of plain names ending in .json`;
  }
  return null;
}

/**
 * Sorts `entries` into what to write, what is already there, and what is refused:
 * `{ writes, same, conflicts, collisions }`. A conflict is two entries for one destination with
 * different texts, or a destination holding a different text (unless `overwrite`). A collision is
 * a path that would be both a document and a directory: two entries, or an entry and what
 * `destination` holds (`destination.occupied(path)`, see cli/location.js); `--overwrite` never
 * mends one, as nothing is ever deleted. `destination.existing(path)` is the destination's text at
 * a path, or null.
 */
async function classify(entries, destination, { overwrite = false } = {}) {
  const writes = [];
  const same = [];
  const conflicts = [];
  const collisions = [];
  const byDestination = new Map();
  for (const entry of entries) {
    const earlier = byDestination.get(entry.to);
    if (!earlier) byDestination.set(entry.to, entry);
    else if (earlier.text !== entry.text) conflicts.push({ ...entry, reason: `${earlier.from} and ${entry.from} both map to ${entry.to} with different values` });
  }
  for (const entry of byDestination.values()) {
    for (const directory of ancestorsOf(entry.to)) {
      const document = byDestination.get(directory);
      if (document) collisions.push({ ...entry, reason: `${document.to} (${document.from}) cannot be a document: ${entry.to} (${entry.from}) needs a directory of that name` });
    }
    const occupied = await destination.occupied(entry.to);
    if (occupied?.document) {
      collisions.push({ ...entry, reason: `${entry.to} (${entry.from}) needs a directory ${occupied.document}, where the destination holds a document` });
      continue;
    }
    if (occupied?.directory) {
      collisions.push({ ...entry, reason: `${entry.to} (${entry.from}) cannot be a document: the destination holds a directory of that name` });
      continue;
    }
    const there = await destination.existing(entry.to);
    if (there === null) writes.push(entry);
    else if (there === entry.text) same.push(entry);
    else if (overwrite) writes.push({ ...entry, overwrites: true });
    else conflicts.push({ ...entry, reason: `${entry.to} already holds a different value (--overwrite replaces it)` });
  }
  return { writes, same, conflicts, collisions };
}

/** Creates `directory` and its missing parents, each made durable in its parent. */
function makeDirectoryDurably(directory) {
  const missing = [];
  for (let at = directory; !fs.existsSync(at); at = path.dirname(at)) missing.unshift(at);
  for (const dir of missing) {
    try {
      fs.mkdirSync(dir);
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    syncDirectory(path.dirname(dir));
  }
}

function syncDirectory(dir) {
  if (process.platform === "win32") return;
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes every planned document durably; `onWritten()` after each. */
async function apply(writes, destinationRoot, onWritten = () => {}) {
  // Loaded here, not above: the commands that need no native binary run without one.
  const { writeFileAtomic } = require("../main.js");
  for (const entry of writes) {
    const file = path.join(destinationRoot, entry.to);
    makeDirectoryDurably(path.dirname(file));
    await writeFileAtomic(file, entry.text);
    onWritten(entry);
  }
}

module.exports = { apply, checkDestination, classify };
