// `backtest-persist <command>`: inspect, verify, migrate, export and import persisted bot state.
// Exit codes: 0 done (nothing wrong); 1 something is wrong or was refused (corrupt documents, a
// conflicting destination), nothing changed; 2 bad usage or input (an unknown option, a missing
// directory, a server URL, a malformed NDJSON line, a document and a directory of one name),
// nothing changed, or the native binary is not installed (writing and server stores need it);
// 3 a write failed while applying (what was written stays; running the command again resumes).
// Under --json every run prints exactly one JSON object on stdout, a failure's with `error`,
// `exitCode` and `kind`. --quiet leaves errors only; --verbose adds a line per document to
// migrate and import, whose output is otherwise the counts.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");
const { parseArgs } = require("node:util");
const { dirOf, usage } = require("./tree.js");
const { checkDestination, classify } = require("./plan.js");
const { checkPrefix, locate, redact, serverFailure } = require("./location.js");
const { toV19 } = require("./layout.js");

const COMMON = {
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
  prefix: { type: "string" },
};

/** The code of binding.js's error when the native binary is not installed (see README, Installing). */
const BINARY_MISSING = "ERR_NATIVE_BINARY_MISSING";

/** binding.js's message (a line, then one line per way out) as the one line the CLI prints. */
function oneLine(error) {
  const [what, ...ways] = error.message.split("\n");
  const line = [what, ways.map((way) => way.replace(/^\s*-\s*/, "")).join("; ")].filter(Boolean).join(" ");
  return `${line.replace(/\s+/g, " ")} (${error.code})`;
}

/** How every command's help ends: what a store URL means. */
const STORES = [
  "root may be a store URL (redis://, rediss://, redis-sentinel://, postgres://, sqlite:<file>): its tree is every document under",
  "--prefix (default dump, where bots with backtest-kit's default ./dump directories keep them;",
  "\"\" for every namespace). The password of a URL is never printed.",
];

const COMMANDS = {
  inspect: {
    summary: "what is stored: registries, entity directories, document counts, sizes, newest writes",
    usage: "backtest-persist inspect [root | URL] [--json] [--quiet]",
    details: [
      "root      the directory backtest-kit persists into (default: ./dump)",
      "--json    one JSON object on stdout instead of the tree",
      "--quiet   prints nothing but errors (so nothing here, bar a failure); exit codes unchanged",
      "Quarantined documents (.quarantine/) and temp files of writes (.tmp-*) are called out.",
      "Servers keep no modification time: on a store URL there are no newest writes (null under --json).",
      ...STORES,
    ],
    options: {},
    run: inspect,
  },
  verify: {
    summary: "checks that every document parses; exit 1 when anything is wrong; changes nothing",
    usage: "backtest-persist verify [root | URL] [--json] [--quiet]",
    details: [
      "--json    one JSON object on stdout",
      "--quiet   prints only the problems found (nothing when there are none)",
      "Lists each corrupt document, each quarantined file and each stale temp file (older than",
      "120 s: a crashed write). Temp files younger than that may be a write in progress and are",
      "listed without failing the check.",
      ...STORES,
    ],
    options: {},
    run: verify,
  },
  migrate: {
    summary: "copies every document from one tree to another; a dry run unless --apply",
    usage: "backtest-persist migrate --from <root | URL> --to <root | URL> [--layout v19 --exchange <name> [--strategy <name>]] [--apply] [--overwrite] [--json] [--quiet | --verbose]",
    details: [
      "--from, --to   the source and destination: directories (the destination may not exist yet)",
      "               or store URLs (redis://, rediss://, redis-sentinel://, postgres://, sqlite:<file>), in any combination",
      "--layout v19   maps the December-2025 layout onto backtest-kit 19.5.0's: signal, schedule,",
      "               risk and partial paths gain the exchange (--exchange), partial levels are split",
      "               per signal under the strategy (--strategy); other documents are copied as they are",
      "--apply        writes (durably); without it, counts what would be written",
      "--overwrite    replaces destination documents holding a different value (refused otherwise)",
      "--verbose      a line per document written (or, without --apply, to write) before the counts",
      "--quiet, -q    prints nothing but errors: refusals, a failed write",
      "--json         one JSON object on stdout, listing every document to write",
      "Never changes the source. Documents already holding the same value are skipped, so an",
      "interrupted run is resumed by running it again. A corrupt source document stops the run;",
      "a path both a document and a directory (x.json beside x.json/y.json, in the plan or",
      "against the destination) is refused, exit 2. Both before anything is written.",
      ...STORES,
    ],
    options: {
      from: { type: "string" },
      to: { type: "string" },
      layout: { type: "string" },
      exchange: { type: "string" },
      strategy: { type: "string" },
      apply: { type: "boolean" },
      overwrite: { type: "boolean" },
      verbose: { type: "boolean" },
    },
    run: migrate,
  },
  export: {
    summary: "writes every document as NDJSON lines {\"path\", \"document\"}",
    usage: "backtest-persist export [root | URL] [--out <file> [--json]] [--quiet]",
    details: [
      "--out    the NDJSON file to write (default: stdout)",
      "--json   one JSON object on stdout when done (needs --out)",
      "--quiet  no count of exported documents on stderr; corrupt documents are still named",
      "Streamed one document at a time. A corrupt document is not exported: it is named on stderr",
      "and the exit code is 1.",
      ...STORES,
    ],
    options: { out: { type: "string" } },
    run: exportCommand,
  },
  import: {
    summary: "writes the documents of an NDJSON export into a tree; a dry run unless --apply",
    usage: "backtest-persist import <file | -> --to <root | URL> [--apply] [--overwrite] [--json] [--quiet | --verbose]",
    details: [
      "file           an NDJSON export (- for stdin)",
      "--to           the destination root (may not exist yet)",
      "--apply, --overwrite, --verbose, --quiet, --json   as for migrate",
      "Every line is checked before anything is written: a path both a document and a directory",
      "(x.json beside x.json/y.json, in the file or against the destination) is refused, exit 2.",
      ...STORES,
    ],
    options: { to: { type: "string" }, apply: { type: "boolean" }, overwrite: { type: "boolean" }, verbose: { type: "boolean" } },
    run: importCommand,
  },
  schema: {
    summary: "the PostgreSQL table's document column: json, or text from before (--apply converts it)",
    usage: "backtest-persist schema <postgres-url> [--apply] [--json] [--quiet]",
    details: [
      "Tables this package creates keep documents in a json column (the exact text, queryable",
      "with SQL's JSON operators); tables created by earlier versions have a text column, which",
      "works as it is. --apply converts text to json in one statement: every row is checked,",
      "one that is not JSON refuses it (exit 1, nothing changed). It rewrites the table under an",
      "exclusive lock (running bots' calls wait for it) and needs the table's owner; looking",
      "needs nothing but a connection.",
      "--apply   converts; without it, says what it would do",
      "--json    one JSON object on stdout",
    ],
    options: { apply: { type: "boolean" } },
    run: schemaCommand,
  },
};

function helpText(name) {
  if (!name) {
    const lines = ["usage: backtest-persist <command> [options]", "", "commands:"];
    for (const [command, spec] of Object.entries(COMMANDS)) lines.push(`  ${command.padEnd(8)} ${spec.summary}`);
    lines.push("", "backtest-persist <command> --help shows a command's options; every command takes --json and --quiet.");
    lines.push("backtest-persist --version prints the version.");
    lines.push("exit codes: 0 done, 1 something wrong or refused, 2 bad usage or input (or no native binary), 3 a write failed");
    return lines.join("\n");
  }
  const spec = COMMANDS[name];
  return [`usage: ${spec.usage}`, "", spec.summary, "", ...spec.details.map((line) => `  ${line}`)].join("\n");
}

/** A progress bar on stderr when it is a terminal (and neither --json nor --quiet is on); otherwise nothing. */
function progress(io, total, label) {
  if (!io.stderr.isTTY || io.json || io.quiet || total < 2) return { tick() {}, stop() {} };
  const { SingleBar, Presets } = require("cli-progress");
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total}`, stream: io.stderr, clearOnComplete: true }, Presets.shades_classic);
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const iso = (ms) => (ms === null ? null : new Date(ms).toISOString());

/** A line of what went well: on stdout, or on stderr where stdout holds data; none under --quiet. */
function say(io, line, { stream = "out" } = {}) {
  if (!io.quiet) io[stream](line);
}

/** What servers answer for the newest write: they keep no modification time. */
const NO_MODIFICATION_TIME = "servers keep no modification time";

/** The later of two modification times, null standing for unknown (a server's documents). */
const later = (a, b) => (a === null ? b : b === null ? a : Math.max(a, b));

/** The registry a path belongs to: `data/signal`, `memory`, ... (the first two segments under `data/`). */
function registryOf(relative) {
  const segments = relative.split("/");
  return segments[0] === "data" && segments.length > 2 ? `data/${segments[1]}` : segments.length > 1 ? segments[0] : ".";
}

function summarize(found) {
  const directories = new Map();
  for (const doc of found.documents) {
    const dir = dirOf(doc.path);
    const entry = directories.get(dir) ?? { path: dir, registry: registryOf(doc.path), documents: 0, bytes: 0, newest: null };
    entry.documents++;
    entry.bytes += doc.bytes;
    entry.newest = later(entry.newest, doc.modified);
    directories.set(dir, entry);
  }
  const registries = new Map();
  for (const dir of directories.values()) {
    const entry = registries.get(dir.registry) ?? { name: dir.registry, directories: 0, documents: 0, bytes: 0, newest: null };
    entry.directories++;
    entry.documents += dir.documents;
    entry.bytes += dir.bytes;
    entry.newest = later(entry.newest, dir.newest);
    registries.set(dir.registry, entry);
  }
  const sorted = (map) => [...map.values()].sort((a, b) => ((a.path ?? a.name) < (b.path ?? b.name) ? -1 : 1));
  return { registries: sorted(registries), directories: sorted(directories) };
}

/** The location a command reads (`root` positional, default ./dump). */
function source(values, positionals) {
  return locate(positionals[0] ?? "dump", "root", { prefix: checkPrefix(values.prefix) });
}

async function inspect(io, values, positionals) {
  const at = source(values, positionals);
  const found = await at.scan();
  const { registries, directories } = summarize(found);
  const newest = registries.reduce((max, registry) => later(max, registry.newest), null);
  const report = {
    root: at.root,
    documents: found.documents.length,
    bytes: found.documents.reduce((sum, doc) => sum + doc.bytes, 0),
    newest: iso(newest),
    newestUnknown: at.kind === "server" ? NO_MODIFICATION_TIME : null,
    registries: registries.map((r) => ({ ...r, newest: iso(r.newest) })),
    directories: directories.map((d) => ({ ...d, newest: iso(d.newest) })),
    quarantined: found.quarantined.map((f) => ({ path: f.path, bytes: f.bytes, modified: iso(f.modified) })),
    temp: found.temp.map((f) => ({ path: f.path, bytes: f.bytes, modified: iso(f.modified), stale: f.stale })),
  };
  if (values.json) return io.out(JSON.stringify(report, null, 2)), 0;
  const newestOf = (entry) => (entry.newest === null ? "" : `, newest ${iso(entry.newest)}`);
  say(io, `${at.shown}: ${report.documents} documents, ${formatBytes(report.bytes)}${report.newestUnknown ? ` (${report.newestUnknown})` : ""}`);
  for (const registry of registries) {
    say(io, `${registry.name}  ${registry.directories} directories, ${registry.documents} documents, ${formatBytes(registry.bytes)}${newestOf(registry)}`);
    for (const dir of directories.filter((d) => d.registry === registry.name)) {
      say(io, `  ${dir.path}  ${dir.documents} documents, ${formatBytes(dir.bytes)}${newestOf(dir)}`);
    }
  }
  for (const file of report.quarantined) say(io, `quarantined: ${file.path} (${formatBytes(file.bytes)}, ${file.modified})`);
  for (const file of report.temp) say(io, `temp file of ${file.stale ? "a crashed write" : "a write in progress"}: ${file.path}`);
  return 0;
}

async function verify(io, values, positionals) {
  const at = source(values, positionals);
  // A SQLite file is checked by SQLite first: a damaged one is a problem found, not bad input.
  const integrity = at.integrity ? await at.integrity() : "ok";
  if (integrity !== "ok") {
    const summary = `the database fails SQLite's integrity check: ${integrity.split("\n")[0]}`;
    if (values.json) return fail(io, 1, "problems", summary, { report: { root: at.root, ok: false, integrity }, stderr: [] });
    io.out(`integrity: ${integrity}`);
    io.out(summary);
    return 1;
  }
  const found = await at.scan();
  const corrupt = [];
  const bar = progress(io, found.documents.length, "verify");
  for (const doc of found.documents) {
    const read = await at.read(doc);
    if (read.error) corrupt.push({ path: doc.path, reason: read.error });
    bar.tick();
  }
  bar.stop();
  const stale = found.temp.filter((f) => f.stale).map((f) => f.path);
  const inProgress = found.temp.filter((f) => !f.stale).map((f) => f.path);
  const quarantined = found.quarantined.map((f) => f.path);
  const ok = corrupt.length === 0 && stale.length === 0 && quarantined.length === 0;
  const summary = ok ? `ok: ${found.documents.length} documents parse` : `${corrupt.length} corrupt, ${quarantined.length} quarantined, ${stale.length} stale temp files`;
  if (values.json) {
    const report = { root: at.root, ok, documents: found.documents.length, corrupt, quarantined, staleTemp: stale, tempInProgress: inProgress };
    if (!ok) return fail(io, 1, "problems", summary, { report, stderr: [] });
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  for (const doc of corrupt) io.out(`corrupt: ${doc.path}: ${doc.reason}`);
  for (const file of quarantined) io.out(`quarantined: ${file}`);
  for (const file of stale) io.out(`stale temp file (a crashed write): ${file}`);
  for (const file of inProgress) say(io, `temp file younger than 120 s (a write in progress?): ${file}`);
  if (ok) say(io, summary);
  else io.out(summary);
  return ok ? 0 : 1;
}

/**
 * Ends a failed run: `stderr` (by default the message) on stderr and, under --json, one object on
 * stdout: `report` with the message as `error`, the exit code and the kind of failure.
 */
function fail(io, exitCode, kind, message, { report = {}, stderr = [message] } = {}) {
  if (io.json) io.out(JSON.stringify({ ...report, error: message, exitCode, kind }, null, 2));
  for (const line of stderr) io.err(line);
  return exitCode;
}

/** Prints a plan (dry run) or applies it; the shared tail of migrate and import. */
async function finish(io, values, destination, entries, refused) {
  const none = { writes: [], same: [], conflicts: [], collisions: [] };
  const { writes, same, conflicts, collisions } = refused.length > 0 ? none : await classify(entries, destination, values);
  const problems = [...refused, ...collisions.map((c) => c.reason), ...conflicts.map((c) => c.reason)];
  const report = {
    to: destination.root,
    applied: false,
    write: writes.map((w) => ({ from: w.from, to: w.to, overwrites: Boolean(w.overwrites) })),
    alreadyThere: same.length,
    refused: problems,
  };
  if (problems.length > 0) {
    // A document and a directory of one name is bad input: no option makes a tree hold both.
    const [exitCode, kind] = collisions.length > 0 ? [2, "collision"] : [1, "refused"];
    const stderr = [...problems.map((problem) => `refused: ${problem}`), "nothing was written"];
    return fail(io, exitCode, kind, `nothing was written: ${problems.join("; ")}`, { report, stderr });
  }
  if (values.apply) {
    const bar = progress(io, writes.length, "write");
    let written = 0;
    try {
      await destination.write(writes, () => (written++, bar.tick()));
    } catch (error) {
      bar.stop();
      if (error.code === BINARY_MISSING) throw error;
      const message = `write failed: ${error.message}; the documents written so far stay, and running the command again resumes`;
      return fail(io, 3, "write-failed", message, { report: { ...report, written } });
    }
    bar.stop();
    report.applied = true;
  }
  if (values.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  if (values.verbose) {
    for (const w of report.write) io.out(`${values.apply ? "wrote" : "would write"} ${w.to}${w.from && w.from !== w.to ? ` (from ${w.from})` : ""}${w.overwrites ? " (replacing a different value)" : ""}`);
  }
  const replacing = report.write.filter((w) => w.overwrites).length;
  const dryRun = `; dry run: pass --apply to write${values.verbose || writes.length === 0 ? "" : " (--verbose lists each document)"}`;
  say(io, `${writes.length} ${values.apply ? "written" : "to write"}${replacing ? ` (${replacing} replacing a different value)` : ""}, ${same.length} already there${values.apply ? "" : dryRun}`);
  return 0;
}

function isInside(child, parent) {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

async function migrate(io, values) {
  if (!values.from || !values.to) throw usage("migrate needs --from <root | URL> and --to <root | URL>");
  if (values.layout !== undefined && values.layout !== "v19") throw usage(`--layout ${values.layout}: the one layout mapping is v19 (December 2025 to backtest-kit 19.5.0)`);
  if ((values.exchange || values.strategy) && values.layout !== "v19") throw usage("--exchange and --strategy apply to --layout v19");
  const prefix = checkPrefix(values.prefix);
  const from = locate(values.from, "--from", { prefix });
  const to = locate(values.to, "--to", { destination: true, prefix });
  if (from.kind === "files" && to.kind === "files" && (isInside(to.root, from.root) || isInside(from.root, to.root))) {
    throw usage("--from and --to must be separate trees (neither inside the other)");
  }
  if (from.kind === "server" && from.root === to.root) throw usage("--from and --to are the same store");
  for (const name of ["exchange", "strategy"]) {
    if (values[name] !== undefined && (values[name] === "" || /[/\\\0]/.test(values[name]))) throw usage(`--${name} must be a plain name`);
  }
  const found = await from.scan();
  const entries = [];
  const refused = [];
  const bar = progress(io, found.documents.length, "read");
  for (const doc of found.documents) {
    const read = await from.read(doc);
    bar.tick();
    if (read.error) {
      refused.push(`${doc.path} is corrupt (${read.error}); fix or remove it at the source first`);
      continue;
    }
    const mapped = values.layout === "v19" ? toV19(doc.path, read.text, read.value, values) : null;
    if (mapped?.refused) {
      refused.push(mapped.refused);
      continue;
    }
    for (const target of mapped ?? [{ to: doc.path, text: read.text }]) {
      const invalid = checkDestination(target.to);
      if (invalid) refused.push(`${doc.path}: ${invalid}`);
      else entries.push({ from: doc.path, to: target.to, text: target.text });
    }
  }
  bar.stop();
  return finish(io, values, to, entries, refused);
}

/** Resolves once `out` takes more, or can take nothing more (closed, failed). */
function drained(out) {
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ["drain", "error", "close"]) out.off(event, done);
      resolve();
    };
    for (const event of ["drain", "error", "close"]) out.on(event, done);
  });
}

async function exportCommand(io, values, positionals) {
  if (values.json && !values.out) throw usage("export --json needs --out <file>: without it, stdout is the NDJSON export");
  const at = source(values, positionals);
  const found = await at.scan();
  const out = values.out ? fs.createWriteStream(values.out, { flags: "wx" }) : io.stdout;
  const opened = values.out ? new Promise((resolve, reject) => out.once("open", resolve).once("error", reject)) : Promise.resolve();
  await opened.catch((error) => {
    throw usage(`--out ${values.out}: ${error.code === "EEXIST" ? "already exists" : error.message}`);
  });
  const corrupt = [];
  const bar = progress(io, found.documents.length, "export");
  for (const doc of found.documents) {
    // The reader closed stdout (`| head`): what it did not want is not read.
    if (!values.out && io.stdoutClosed?.()) {
      bar.stop();
      return 0;
    }
    const read = await at.read(doc);
    bar.tick();
    if (read.error) {
      corrupt.push(doc.path);
      io.err(`not exported, corrupt: ${doc.path}: ${read.error}`);
      continue;
    }
    const line = `${JSON.stringify({ path: doc.path, document: read.value })}\n`;
    if (!out.write(line)) await drained(out);
  }
  bar.stop();
  if (values.out) {
    await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
    const fd = fs.openSync(values.out, "r");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  const exported = found.documents.length - corrupt.length;
  say(io, `exported ${exported} documents${corrupt.length ? `, ${corrupt.length} corrupt left out` : ""}`, { stream: "err" });
  if (!values.json) return corrupt.length ? 1 : 0;
  const report = { out: path.resolve(values.out), exported, corrupt };
  if (corrupt.length) {
    const message = `${corrupt.length} corrupt document${corrupt.length === 1 ? "" : "s"} not exported: ${corrupt.join(", ")}`;
    return fail(io, 1, "corrupt", message, { report, stderr: [] });
  }
  io.out(JSON.stringify(report, null, 2));
  return 0;
}

async function importCommand(io, values, positionals) {
  const source = positionals[0];
  if (!source || !values.to) throw usage("import needs an NDJSON file (or - for stdin) and --to <root | URL>");
  const destination = locate(values.to, "--to", { destination: true, prefix: checkPrefix(values.prefix) });
  let input;
  if (source === "-") input = io.stdin;
  else {
    if (!fs.existsSync(source)) throw usage(`${source}: no such file`);
    input = fs.createReadStream(source, "utf8");
  }
  const entries = [];
  const bad = [];
  let number = 0;
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    number++;
    if (line.trim() === "") continue;
    let row;
    try {
      row = JSON.parse(line);
    } catch (error) {
      bad.push(`line ${number}: not JSON (${error.message})`);
      continue;
    }
    if (row === null || typeof row !== "object" || typeof row.path !== "string" || !("document" in row)) {
      bad.push(`line ${number}: expected {"path": "...", "document": ...}`);
      continue;
    }
    const invalid = checkDestination(row.path);
    if (invalid) bad.push(`line ${number}: ${invalid}`);
    else entries.push({ from: `line ${number}`, to: row.path, text: JSON.stringify(row.document) });
  }
  if (bad.length > 0) {
    const stderr = [...bad.map((problem) => `bad input: ${problem}`), "nothing was written"];
    return fail(io, 2, "bad-input", `nothing was written: ${bad.join("; ")}`, { report: { to: destination.root, applied: false, badInput: bad }, stderr });
  }
  return finish(io, values, destination, entries, []);
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
async function schemaCommand(io, values, positionals) {
  const url = positionals[0];
  if (!url || !/^postgres(ql)?:\/\//i.test(url)) {
    return fail(io, 2, "usage", `schema takes a postgres:// URL${url ? `, not ${redact(url)}` : ""}`);
  }
  const shown = redact(url);
  let schema;
  try {
    schema = await require("../binding.js").__storeSchema(url, false);
  } catch (error) {
    if (error.code === BINARY_MISSING) throw error;
    throw serverFailure(shown, error);
  }
  const wouldConvert = schema.documentType === "text";
  if (values.apply && wouldConvert) {
    try {
      schema = await require("../binding.js").__storeSchema(url, true);
    } catch (error) {
      const cause = error.cause instanceof Error ? error.cause : error;
      const message = `${shown}: not converted, nothing changed: ${cause.message.replace(/ \([a-z]+:\/\/[^)]*\)$/i, "")}`;
      return fail(io, 1, "refused", message, { report: { root: shown, documentType: "text", converted: false } });
    }
  }
  const report = { root: shown, documentType: schema.documentType, converted: schema.converted, wouldConvert: wouldConvert && !schema.converted };
  if (values.json) return io.out(JSON.stringify(report, null, 2)), 0;
  if (schema.documentType === null) say(io, `${shown}: no backtest_persist table yet (the first call creates it, with a json column)`);
  else if (schema.converted) say(io, `${shown}: converted the document column from text to json`);
  else if (wouldConvert) say(io, `${shown}: the document column is text; --apply converts it to json (an exclusive lock while the table is rewritten)`);
  else say(io, `${shown}: the document column is ${schema.documentType}: nothing to convert`);
  return 0;
}

async function main(argv, io) {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(helpText(rest[0] && COMMANDS[rest[0]] ? rest[0] : undefined));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.out(require("../package.json").version);
    return 0;
  }
  // Before the options parse: a run that cannot be parsed still answers in JSON when asked to.
  const end = argv.indexOf("--");
  io.json = (end < 0 ? argv : argv.slice(0, end)).includes("--json");
  const spec = COMMANDS[name];
  if (!spec) {
    const message = `unknown command ${JSON.stringify(name)}`;
    return fail(io, 2, "usage", message, { stderr: [`${message}\n\n${helpText()}`] });
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...COMMON, ...spec.options }, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(io, 2, "usage", error.message, { stderr: [`${error.message}\n\n${helpText(name)}`] });
  }
  if (parsed.values.help) {
    io.out(helpText(name));
    return 0;
  }
  io.json = Boolean(parsed.values.json);
  io.quiet = Boolean(parsed.values.quiet);
  if (parsed.values.quiet && parsed.values.verbose) {
    return fail(io, 2, "usage", "--quiet and --verbose contradict each other: pass one");
  }
  try {
    return await spec.run(io, parsed.values, parsed.positionals);
  } catch (error) {
    if (error.code === BINARY_MISSING) return fail(io, 2, "binary-missing", oneLine(error));
    if (error.exitCode) return fail(io, error.exitCode, "usage", error.message);
    return fail(io, 3, "failed", error.message, { stderr: [`failed: ${error.message}`] });
  }
}

module.exports = { main };
