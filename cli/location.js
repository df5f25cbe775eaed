// Where documents are: a file tree (a directory, backtest-kit's `./dump`) or a store of a URL
// (`redis://`, `rediss://`, `postgres://`, or a SQLite database file, `sqlite:<path>`). Both answer with the same relative paths,
// `data/signal/<strategy>/<symbol>.json`, so every command works on either and `migrate` moves
// between them. On a server, the tree is every namespace under the prefix (`--prefix`, by
// default `dump`: where a bot with backtest-kit's default `./dump/...` directories keeps its
// documents, whatever its working directory), a document `<namespace>/<id>` being the path
// `<namespace minus prefix>/<id>.json`.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { ancestorsOf, checkDestinationRoot, checkRoot, readDocument, scan, usage } = require("./tree.js");
const { apply } = require("./plan.js");

/** Documents written to a server store at once. */
const WRITE_CHUNK = 256;
/**
 * Documents written to a SQLite file at once: a local file has no round trip to bound, and each
 * chunk costs a WAL sync, so bigger chunks move a million candles faster (bench/migrate.mjs:
 * 100,000 candles in 8.9 s and 7.8 s with 4,096, 12.6 s and 13.7 s with 256).
 */
const SQLITE_WRITE_CHUNK = 4096;

const SERVER_URL = /^((redis|rediss|redis-sentinel|postgres|postgresql):\/\/|sqlite:)/i;
const ANY_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A URL with its passwords replaced by `***`, by the stores' own redaction (core/src/redact.rs). */
function redact(url) {
  return require("../binding.js").__redactUrl(url);
}

/** A failure of the server (unreachable, wrong password): bad input, exit 2, nothing changed. */
function serverFailure(shown, error) {
  const cause = error.cause instanceof Error ? error.cause : error;
  const message = cause.message.replace(/ \([a-z]+:\/\/[^)]*\)$/i, "");
  return usage(`${shown}: ${message}${cause.code ? ` (${cause.code})` : ""}`);
}

/** A file tree at `root`. */
function fileLocation(root, role, { destination = false } = {}) {
  if (destination) checkDestinationRoot(root, role);
  else checkRoot(root, role);
  const resolved = destination ? path.resolve(root) : fs.realpathSync(root);
  return {
    kind: "files",
    root: resolved,
    shown: resolved,
    async scan() {
      return scan(resolved);
    },
    async read(doc) {
      return readDocument(resolved, doc.path);
    },
    async existing(relative) {
      try {
        return fs.readFileSync(path.join(resolved, relative), "utf8");
      } catch (error) {
        if (error.code === "ENOENT") return null;
        throw error;
      }
    },
    // A file where a directory of the path must go, or a directory where the document must go.
    async occupied(relative) {
      for (const directory of ancestorsOf(relative)) {
        const stat = fs.statSync(path.join(resolved, directory), { throwIfNoEntry: false });
        if (stat === undefined) return null;
        if (!stat.isDirectory()) return { document: directory };
      }
      return fs.statSync(path.join(resolved, relative), { throwIfNoEntry: false })?.isDirectory() ? { directory: true } : null;
    },
    async write(writes, onWritten) {
      await apply(writes, resolved, onWritten);
    },
  };
}

/** The server store at `url`, its tree being the namespaces under `prefix`. */
function serverLocation(url, prefix) {
  const binding = require("../binding.js");
  const shown = redact(url);
  const base = prefix.replace(/\/+$/, "");
  const toNamespace = (relativeDir) => (base && relativeDir ? `${base}/${relativeDir}` : base || relativeDir);
  const fromNamespace = (namespace) => (base === "" ? namespace : namespace === base ? "" : namespace.slice(base.length + 1));
  let cached = null;
  let directories = null;
  const load = async () => {
    if (cached) return cached;
    const documents = new Map();
    let namespaces;
    try {
      namespaces = await binding.__storeNamespaces(url, base);
      for (const namespace of namespaces) {
        const relativeDir = fromNamespace(namespace);
        for (const [id, text] of await binding.__storeDocuments(url, namespace)) {
          documents.set(relativeDir ? `${relativeDir}/${id}.json` : `${id}.json`, text);
        }
      }
    } catch (error) {
      throw serverFailure(shown, error);
    }
    cached = documents;
    return documents;
  };
  return {
    kind: "server",
    root: shown,
    // A SQLite file's own check (PRAGMA integrity_check): "ok", or what it found.
    integrity: /^sqlite:/i.test(url) ? () => binding.__storeIntegrity(url).catch((error) => Promise.reject(serverFailure(shown, error))) : null,
    shown: `${shown}${base ? ` (prefix ${base})` : ""}`,
    async scan() {
      const documents = await load();
      const found = [...documents].map(([relative, text]) => ({ path: relative, bytes: Buffer.byteLength(text), modified: null }));
      found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      return { documents: found, quarantined: [], temp: [], other: [] };
    },
    async read(doc) {
      const text = (await load()).get(doc.path);
      try {
        return { text, value: JSON.parse(text) };
      } catch (error) {
        return { text, error: error.message };
      }
    },
    async existing(relative) {
      return (await load()).get(relative) ?? null;
    },
    // A server holds a namespace `a/x.json` beside the document `x` of the namespace `a`; as no
    // file tree can, neither is written where the other is, so every tree stays exportable to files.
    async occupied(relative) {
      const documents = await load();
      const document = ancestorsOf(relative).find((directory) => documents.has(directory));
      if (document !== undefined) return { document };
      directories ??= new Set([...documents.keys()].flatMap(ancestorsOf));
      return directories.has(relative) ? { directory: true } : null;
    },
    // In chunks issued together, so the store's group commit sends each chunk as one batch; a
    // chunk is written before the next starts, so an interruption leaves whole documents only.
    async write(writes, onWritten) {
      const chunk = /^sqlite:/i.test(url) ? SQLITE_WRITE_CHUNK : WRITE_CHUNK;
      for (let start = 0; start < writes.length; start += chunk) {
        const settled = await Promise.allSettled(
          writes.slice(start, start + chunk).map(async (entry) => {
            const at = entry.to.lastIndexOf("/");
            const relativeDir = at < 0 ? "" : entry.to.slice(0, at);
            const id = entry.to.slice(at + 1).replace(/\.json$/, "");
            await binding.__storeWrite(url, toNamespace(relativeDir), id, entry.text);
            onWritten(entry);
          }),
        );
        const failed = settled.find((outcome) => outcome.status === "rejected");
        if (failed) throw failed.reason;
      }
    },
  };
}

/** The location a command argument names; `role` is how messages call it (`root`, `--to`). */
function locate(spec, role, { destination = false, prefix = "dump" } = {}) {
  // A SQLite file to read from must be there: opening one that is not would create it, and a
  // relative path run from the wrong folder would make an empty backup look like a good one.
  if (!destination && /^sqlite:/i.test(spec)) {
    const file = path.resolve(spec.slice("sqlite:".length).replace(/^\/\//, ""));
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) throw usage(`${role} ${spec}: no database file at sqlite:${file}`);
  }
  if (SERVER_URL.test(spec)) return serverLocation(spec, prefix);
  if (ANY_URL.test(spec)) throw usage(`${role} ${redact(spec)}: not a directory, nor a redis://, rediss://, redis-sentinel://, postgres:// or sqlite: URL`);
  return fileLocation(spec, role, { destination });
}

function checkPrefix(prefix) {
  if (prefix === undefined) return "dump";
  if (/\0/.test(prefix) || prefix.split("/").some((segment) => segment === "." || segment === "..")) {
    throw usage(`--prefix ${JSON.stringify(prefix)} must be a logical directory such as dump (or "" for every namespace)`);
  }
  return prefix;
}

module.exports = { checkPrefix, locate, redact, serverFailure };
