// What a persisted tree holds, read without changing anything: the JSON documents of every entity
// directory, the documents quarantined in `.quarantine/` folders, and the temp files of writes
// (`.tmp-*`), each with its size and modification time. Symlinks are not followed.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

/** Temp files younger than this may belong to a write in progress (the store's init agrees). */
const STALE_TEMP_MS = 120_000;

/** Refuses what is not an existing directory, with the message the CLI prints. */
function checkRoot(root, role = "root") {
  let stat;
  try {
    stat = fs.statSync(root);
  } catch (error) {
    throw usage(`${role} ${root}: ${error.code === "ENOENT" ? "no such directory" : error.message}`);
  }
  if (!stat.isDirectory()) throw usage(`${role} ${root}: not a directory`);
}

/** A destination root: a directory, or a path where one can be created (not under a file). */
function checkDestinationRoot(root, role = "--to") {
  if (fs.existsSync(root)) return checkRoot(root, role);
  let parent = path.dirname(path.resolve(root));
  while (!fs.existsSync(parent)) parent = path.dirname(parent);
  if (!fs.statSync(parent).isDirectory()) throw usage(`${role} ${root}: ${parent} is not a directory`);
}

function usage(message) {
  const error = new Error(message);
  error.exitCode = 2;
  return error;
}

/** Every file under `root`: `{ documents, quarantined, temp, other }`, paths relative, `/`-separated. */
function scan(root) {
  const found = { documents: [], quarantined: [], temp: [], other: [] };
  const now = Date.now();
  const walk = (relative, inQuarantine) => {
    const entries = fs.readdirSync(path.join(root, relative), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walk(rel, inQuarantine || entry.name === ".quarantine");
        continue;
      }
      if (!entry.isFile()) {
        found.other.push({ path: rel });
        continue;
      }
      const stat = fs.statSync(path.join(root, rel));
      const file = { path: rel, bytes: stat.size, modified: stat.mtimeMs };
      if (inQuarantine) found.quarantined.push(file);
      else if (entry.name.startsWith(".tmp-")) found.temp.push({ ...file, stale: now - stat.mtimeMs > STALE_TEMP_MS });
      else if (entry.name.endsWith(".json")) found.documents.push(file);
      else found.other.push(file);
    }
  };
  walk("", false);
  return found;
}

/** The directory of a relative path (`""` for the root). */
function dirOf(relative) {
  const at = relative.lastIndexOf("/");
  return at < 0 ? "" : relative.slice(0, at);
}

/** The directories a relative path is in, outermost first: `a/b/c.json` is in `a` and `a/b`. */
function ancestorsOf(relative) {
  const segments = relative.split("/");
  return segments.slice(1).map((_, index) => segments.slice(0, index + 1).join("/"));
}

/** Reads and parses one document: `{ text, value }` or `{ text, error }`. */
function readDocument(root, relative) {
  const text = fs.readFileSync(path.join(root, relative), "utf8");
  try {
    return { text, value: JSON.parse(text) };
  } catch (error) {
    return { text, error: error.message };
  }
}

module.exports = { STALE_TEMP_MS, ancestorsOf, checkDestinationRoot, checkRoot, dirOf, readDocument, scan, usage };
