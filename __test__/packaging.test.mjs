// Packaging as a user gets it, both ways a binary arrives:
// - `npm pack`, then `npm install <tarball> --omit=optional --strict-peer-deps` in a fresh project
//   beside backtest-kit@19.5.0 (the peer range must take it): no platform package, so the install script builds from source (sharing
//   this repo's cargo target dir to stay quick); a script then writes through this package and
//   reads through backtest-kit's PersistBase, and the other way round.
// - the packed main and platform tarballs (`scripts/pack-platform.js`) installed with cargo and
//   rustc hidden from PATH: the prebuilt binary loads and nothing is compiled; and with neither
//   the platform package nor the install script, loading says what to install.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import semver from "semver";
import { tempDir } from "./helpers/tmp.mjs";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const { platformSuffix } = createRequire(import.meta.url)("../platform.js");

test("the backtest-kit peer range takes the two release lines the package matches, 19.5+ and 20.1+, and nothing else", () => {
  const range = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).peerDependencies["backtest-kit"];
  for (const version of ["19.5.0", "19.9.1", "20.1.0", "20.4.2"]) assert.ok(semver.satisfies(version, range), `${range} takes ${version}`);
  for (const version of ["19.4.9", "20.0.0", "21.0.0", "20.1.0-beta.1"]) assert.ok(!semver.satisfies(version, range), `${range} refuses ${version}`);
});

test("npm pack, npm install <tarball> beside backtest-kit 19.5.0 with strict peer resolution, then write and read through both", { timeout: 15 * 60_000 }, (t) => {
  const work = tempDir(t, "persist-pack");
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" }));
  const tarball = path.join(work, packed[0].filename);
  const shipped = packed[0].files.map((file) => file.path);
  for (const file of ["index.js", "index.d.ts", "binding.js", "platform.js", "errors.js", "core/src/lib.rs", "LICENSE", "CHANGELOG.md", "examples/quick-start.mjs", "examples/demo/run.mjs"]) {
    assert.ok(shipped.includes(file), `${file} is shipped`);
  }
  assert.ok(!shipped.some((file) => file.endsWith(".node")), "the tarball carries sources, not a binary");

  const project = path.join(work, "app");
  fs.mkdirSync(project);
  const ourPackage = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({
      name: "app",
      private: true,
      type: "module",
      dependencies: {
        "@backtest-kit/persist": `file:${tarball}`,
        "backtest-kit": "19.5.0",
        "di-singleton": `file:${path.join(root, "__test__/fixtures/di-singleton")}`,
      },
      overrides: { ...ourPackage.overrides, "di-singleton": "$di-singleton" },
    }),
  );
  // --strict-peer-deps: a peer range that does not take 19.5.0 fails the install (ERESOLVE).
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--omit=optional", "--strict-peer-deps"], {
    cwd: project,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CARGO_TARGET_DIR: path.join(root, "target") },
  });

  fs.writeFileSync(
    path.join(project, "main.mjs"),
    `
import { PersistBase, writeFileAtomic } from "@backtest-kit/persist";
import { PersistBase as Reference } from "backtest-kit";
const ours = new PersistBase("signal", "./data");
const theirs = new Reference("signal", "./data");
await ours.waitForInit(true);
await theirs.waitForInit(true);
await ours.writeValue("BTCUSDT", { id: "a", priceOpen: 1.5 });
await theirs.writeValue("ETHUSDT", { id: "b", priceOpen: 2 });
await writeFileAtomic("./data/note.txt", "ok");
console.log(JSON.stringify({
  theirsReadsOurs: await theirs.readValue("BTCUSDT"),
  oursReadsTheirs: await ours.readValue("ETHUSDT"),
  keys: await (async () => { const keys = []; for await (const key of ours.keys()) keys.push(key); return keys; })(),
}));
`,
  );
  const output = execFileSync(process.execPath, ["main.mjs"], { cwd: project, encoding: "utf8" });
  const result = JSON.parse(output.trim().split("\n").at(-1));
  assert.deepEqual(result, {
    theirsReadsOurs: { id: "a", priceOpen: 1.5 },
    oursReadsTheirs: { id: "b", priceOpen: 2 },
    keys: ["BTCUSDT", "ETHUSDT"],
  });
  assert.equal(fs.readFileSync(path.join(project, "data/note.txt"), "utf8"), "ok");
});

/** PATH without the directories that hold cargo or rustc. */
function pathWithoutRust() {
  return process.env.PATH.split(path.delimiter)
    .filter((dir) => !["cargo", "rustc"].some((tool) => fs.existsSync(path.join(dir, tool))))
    .join(path.delimiter);
}

test("the packed main and platform tarballs install with cargo hidden, load the prebuilt binary and compile nothing", { timeout: 5 * 60_000 }, (t) => {
  const suffix = platformSuffix();
  if (!fs.existsSync(path.join(root, "npm", suffix))) {
    t.skip(`no platform package is defined for ${suffix}`);
    return;
  }
  const work = tempDir(t, "persist prebuilt");
  const platformTarball = execFileSync(process.execPath, [path.join(root, "scripts/pack-platform.js"), "--out", work], { cwd: root, encoding: "utf8" }).trim();
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" }));
  const mainTarball = path.join(work, packed[0].filename);
  const platformFiles = execFileSync("tar", ["-tzf", platformTarball], { encoding: "utf8" }).trim().split("\n").sort();
  assert.deepEqual(platformFiles, ["package/README.md", `package/persist.${suffix}.node`, "package/package.json"].sort());

  const project = path.join(work, "app");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  const env = { ...process.env, PATH: pathWithoutRust(), CARGO_TARGET_DIR: path.join(work, "must-stay-absent") };
  assert.throws(() => execFileSync("cargo", ["--version"], { env, stdio: "ignore" }), "cargo is hidden");
  const started = process.hrtime.bigint();
  execFileSync(npm, ["install", "--no-audit", "--no-fund", mainTarball, platformTarball], { cwd: project, env, stdio: ["ignore", "ignore", "inherit"] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  t.diagnostic(`npm install of the two tarballs took ${seconds.toFixed(1)} s`);

  const installed = path.join(project, "node_modules/@backtest-kit/persist");
  assert.deepEqual(fs.readdirSync(installed).filter((name) => name.endsWith(".node")), [], "no binary was built into the package");
  assert.equal(fs.existsSync(env.CARGO_TARGET_DIR), false, "cargo never ran");
  fs.writeFileSync(
    path.join(project, "main.mjs"),
    `
import { createRequire } from "node:module";
import { PersistBase, isPersistError } from "@backtest-kit/persist";
import { usePersistNative } from "@backtest-kit/persist/v19";
const store = new PersistBase("signal", "./data");
await store.waitForInit(true);
await store.writeValue("BTCUSDT", { id: "a" });
const missing = await store.readValue("ETHUSDT").catch((error) => error);
console.log(JSON.stringify({
  read: await store.readValue("BTCUSDT"),
  guard: isPersistError(missing, "ENTITY_NOT_FOUND"),
  v19: typeof usePersistNative,
  binary: createRequire(import.meta.url).resolve("@backtest-kit/persist-${suffix}"),
}));
`,
  );
  const result = JSON.parse(execFileSync(process.execPath, ["main.mjs"], { cwd: project, env, encoding: "utf8" }).trim());
  assert.deepEqual(result.read, { id: "a" });
  assert.equal(result.guard, true);
  assert.equal(result.v19, "function");
  assert.ok(result.binary.includes(path.join("node_modules", "@backtest-kit", `persist-${suffix}`)), result.binary);

  // The examples the README offers run from the installed copy.
  execFileSync(process.execPath, [path.join(installed, "examples/quick-start.mjs")], { cwd: project, env, stdio: "ignore" });

  // Install scripts blocked and no platform package: loading says what to do, not "npm has a bug".
  const bare = path.join(work, "bare");
  fs.mkdirSync(bare);
  fs.writeFileSync(path.join(bare, "package.json"), JSON.stringify({ name: "bare", private: true }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=optional", mainTarball], { cwd: bare, env, stdio: ["ignore", "ignore", "inherit"] });
  const script = `try { require("@backtest-kit/persist"); } catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }`;
  const failure = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: bare, env, encoding: "utf8" }).trim());
  assert.equal(failure.code, "ERR_NATIVE_BINARY_MISSING");
  assert.ok(failure.message.includes(`npm install @backtest-kit/persist-${suffix}@${packed[0].version}`), failure.message);
  assert.ok(failure.message.includes("pnpm approve-builds"), failure.message);
  assert.doesNotMatch(failure.message, /npm has a bug/);
});

test("the install script refuses to build without a toolchain, and says what is missing", (t) => {
  const work = tempDir(t, "persist no toolchain");
  // A copy of the package without .git, so the script behaves as in a user's node_modules.
  for (const file of ["package.json", "platform.js", "Cargo.toml"]) fs.copyFileSync(path.join(root, file), path.join(work, file));
  fs.mkdirSync(path.join(work, "scripts"));
  fs.copyFileSync(path.join(root, "scripts/install.js"), path.join(work, "scripts/install.js"));
  let failure;
  try {
    execFileSync(process.execPath, [path.join(work, "scripts/install.js")], { cwd: work, env: { ...process.env, PATH: pathWithoutRust() }, encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    failure = error;
  }
  assert.ok(failure, "the script failed");
  assert.equal(failure.status, 1);
  assert.match(failure.stderr, /cargo and rustc >= 1\.88 are needed and were not found on PATH: install Rust from https:\/\/rustup\.rs/);
  assert.match(failure.stderr, new RegExp(`or install the prebuilt package instead: npm install @backtest-kit/persist-${platformSuffix()}`));
});

test("a build from source shows its progress where npm cannot hide it: the terminal, else stderr", { skip: process.platform === "win32" && "a POSIX shell script stands in for cargo" }, (t) => {
  const work = tempDir(t, "persist build progress");
  for (const file of ["package.json", "platform.js", "Cargo.toml", "Cargo.lock"]) fs.copyFileSync(path.join(root, file), path.join(work, file));
  fs.mkdirSync(path.join(work, "scripts"));
  fs.copyFileSync(path.join(root, "scripts/install.js"), path.join(work, "scripts/install.js"));
  // A cargo that compiles 45 crates in no time and leaves the library where cargo would.
  const bin = path.join(work, "fake-bin");
  fs.mkdirSync(bin);
  const rustc = `#!/bin/sh\necho "rustc 1.95.0 (fake)"\n`;
  const cargo = `#!/bin/sh
if [ "$1" = "--version" ]; then echo "cargo 1.95.0 (fake)"; exit 0; fi
i=0; while [ $i -lt 45 ]; do echo "   Compiling crate-$i v1.0.0" >&2; i=$((i+1)); done
mkdir -p "$CARGO_TARGET_DIR/release" && echo binary > "$CARGO_TARGET_DIR/release/libbacktest_persist_napi.so"
`;
  fs.writeFileSync(path.join(bin, "rustc"), rustc, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "cargo"), cargo, { mode: 0o755 });
  // setsid: no controlling terminal, as under CI, so the lines come on stderr.
  const result = spawnSync("setsid", ["-w", process.execPath, path.join(work, "scripts/install.js")], { cwd: work, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stderr.trim().split("\n");
  const crates = (fs.readFileSync(path.join(root, "Cargo.lock"), "utf8").match(/^\[\[package\]\]$/gm) ?? []).length;
  assert.match(lines[1], new RegExp(`^@backtest-kit/persist: building the native binary for ${platformSuffix()} from source with cargo \\(a few minutes on two cores; ${crates} crates\\)$`));
  assert.deepEqual(lines.filter((line) => /crates compiled/.test(line)).map((line) => line.replace(/, \d+ min \d+ s$/, "")), [
    `@backtest-kit/persist: 20 of about ${crates} crates compiled`,
    `@backtest-kit/persist: 40 of about ${crates} crates compiled`,
  ]);
  assert.match(lines.at(-1), /^@backtest-kit\/persist: built in 0 min \d\d s$/);
  assert.equal(fs.readFileSync(path.join(work, `persist.${platformSuffix()}.node`), "utf8"), "binary\n");
});

test("every platform package is an optional dependency at the package's version, and the libc named matches the loader's", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const platforms = fs.readdirSync(path.join(root, "npm")).sort();
  assert.deepEqual(platforms, ["darwin-arm64", "darwin-x64", "linux-arm64-gnu", "linux-arm64-musl", "linux-x64-gnu", "linux-x64-musl", "win32-x64-msvc"]);
  assert.deepEqual(Object.keys(manifest.optionalDependencies).sort(), platforms.map((platform) => `@backtest-kit/persist-${platform}`));
  const loader = fs.readFileSync(path.join(root, "index.js"), "utf8");
  for (const platform of platforms) {
    const own = JSON.parse(fs.readFileSync(path.join(root, "npm", platform, "package.json"), "utf8"));
    assert.equal(own.name, `@backtest-kit/persist-${platform}`);
    assert.equal(own.version, manifest.version, platform);
    assert.equal(manifest.optionalDependencies[own.name], manifest.version, platform);
    assert.deepEqual(own.files, [`persist.${platform}.node`]);
    if (platform.startsWith("linux-")) assert.deepEqual(own.libc, [platform.endsWith("-musl") ? "musl" : "glibc"]);
    assert.ok(loader.includes(`require('${own.name}')`), `the generated loader looks for ${own.name}`);
  }
  // This machine's suffix is one the loader knows.
  assert.ok(platforms.includes(platformSuffix()) || process.platform === "freebsd");
});

test("the declarations' doc comments are clean text (no raw-string residue of the Rust macros)", () => {
  const declarations = fs.readFileSync(path.join(root, "index.d.ts"), "utf8");
  assert.doesNotMatch(declarations, /\/\*\*\s*r"/);
  assert.match(declarations, /\/\*\* Registry of open signals: /);
});

test("the libc is detected: a process report without a glibc version names the musl binary", () => {
  const probe = (glibc) => `
    process.report.getReport = () => ({ header: ${glibc ? '{ glibcVersionRuntime: "2.36" }' : "{}"} });
    Object.defineProperty(process, "platform", { value: "linux" });
    console.log(require(${JSON.stringify(path.join(root, "platform.js"))}).platformSuffix());
  `;
  const run = (glibc) => execFileSync(process.execPath, ["-e", probe(glibc)], { encoding: "utf8" }).trim();
  assert.equal(run(false), `linux-${process.arch}-musl`);
  assert.equal(run(true), `linux-${process.arch}-gnu`);
});

/** A copy of the package's JavaScript without any binary, where no platform package resolves. */
function copyWithoutBinary(t) {
  const work = tempDir(t, "persist no binary");
  const copy = path.join(work, "persist");
  fs.mkdirSync(copy);
  for (const entry of ["package.json", "main.js", "errors.js", "binding.js", "platform.js", "index.js", "bin", "cli", "v19"]) {
    fs.cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
  }
  assert.deepEqual(fs.readdirSync(copy).filter((name) => name.endsWith(".node")), []);
  const env = { ...process.env };
  for (const name of ["NODE_PATH", "NODE_OPTIONS", "NAPI_RS_NATIVE_LIBRARY_PATH", "NAPI_RS_FORCE_WASI"]) delete env[name];
  return { work, copy, env };
}

test("no binary at all: loading throws one short error naming every way out, its cause chain kept off the printed error", (t) => {
  const { work, copy, env } = copyWithoutBinary(t);
  const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const suffix = platformSuffix();
  const ways = [
    `npm install @backtest-kit/persist-${suffix}@${version}`,
    "npm rebuild @backtest-kit/persist",
    "npm install-scripts approve @backtest-kit/persist",
    "pnpm approve-builds",
    "bun pm trust @backtest-kit/persist",
    "trustedDependencies",
  ];
  // Uncaught, as a user's script would meet it: required from CommonJS, imported from ESM.
  for (const args of [["-e", `require(${JSON.stringify(copy)})`], ["--input-type=module", "-e", `import ${JSON.stringify(path.join(copy, "main.js"))};`]]) {
    const run = spawnSync(process.execPath, args, { cwd: work, env, encoding: "utf8" });
    assert.equal(run.status, 1);
    const lines = run.stderr.trimEnd().split("\n");
    assert.ok(lines.length < 15, `${lines.length} lines:\n${run.stderr}`);
    assert.match(run.stderr, /ERR_NATIVE_BINARY_MISSING/);
    assert.match(run.stderr, new RegExp(`no native binary for ${suffix}: neither the prebuilt package @backtest-kit/persist-${suffix} nor`));
    for (const way of ways) assert.ok(run.stderr.includes(way), `names ${way}:\n${run.stderr}`);
    assert.doesNotMatch(run.stderr, /npm has a bug|wasm32-wasi|\[cause\]|Require stack/);
  }
  // The require site is the stack's first frame.
  const script = path.join(work, "app.cjs");
  fs.writeFileSync(script, `require(${JSON.stringify(copy)});\n`);
  assert.match(spawnSync(process.execPath, [script], { cwd: work, env, encoding: "utf8" }).stderr, new RegExp(`^Error: [^]*\\n    at .*${script.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1:1`, "m"));

  // Caught: the code, no enumerable cause, the loader's own error on the non-enumerable loadError.
  const probe = `try { require(${JSON.stringify(copy)}); } catch (error) {
    console.log(JSON.stringify({ code: error.code, keys: Object.keys(error), cause: "cause" in error, loadError: error.loadError.message }));
  }`;
  const caught = JSON.parse(execFileSync(process.execPath, ["-e", probe], { cwd: work, env, encoding: "utf8" }));
  assert.equal(caught.code, "ERR_NATIVE_BINARY_MISSING");
  assert.deepEqual(caught.keys, ["code"]);
  assert.equal(caught.cause, false);
  assert.match(caught.loadError, /^Cannot find native binding/);

  // A binary that is there but does not load (truncated, another libc): the reason is named.
  fs.writeFileSync(path.join(copy, `persist.${suffix}.node`), "not a binary");
  const broken = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(copy)})`], { cwd: work, env, encoding: "utf8" });
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, new RegExp(`the native binary for ${suffix} did not load \\(.*persist\\.${suffix}\\.node`));
  assert.ok(broken.stderr.trimEnd().split("\n").length < 15, broken.stderr);
});

test("no binary at all: the CLI prints one line and exits 2 (one JSON object under --json); --version and --help still answer", (t) => {
  const { work, copy, env } = copyWithoutBinary(t);
  const bin = path.join(copy, "bin/backtest-persist.js");
  const from = path.join(work, "dump");
  fs.mkdirSync(path.join(from, "data/signal/trend"), { recursive: true });
  fs.writeFileSync(path.join(from, "data/signal/trend/BTCUSDT.json"), '{"id":"a"}');
  const to = path.join(work, "copy");
  for (const args of [["migrate", "--from", from, "--to", to, "--apply"], ["verify", "redis://127.0.0.1:1/0"]]) {
    const run = spawnSync(process.execPath, [bin, ...args], { cwd: work, env, encoding: "utf8" });
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^@backtest-kit\/persist: no native binary for .*npm install @backtest-kit\/persist-.*pnpm approve-builds.*\(ERR_NATIVE_BINARY_MISSING\)$/);
    const json = spawnSync(process.execPath, [bin, ...args, "--json"], { cwd: work, env, encoding: "utf8" });
    assert.equal(json.status, 2);
    const report = JSON.parse(json.stdout);
    assert.equal(report.exitCode, 2);
    assert.equal(report.kind, "binary-missing");
    assert.match(report.error, /no native binary/);
    assert.equal(json.stderr.trimEnd().split("\n").length, 1);
  }
  assert.equal(fs.existsSync(to), false);
  const version = spawnSync(process.execPath, [bin, "--version"], { cwd: work, env, encoding: "utf8" });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version);
  assert.equal(spawnSync(process.execPath, [bin, "migrate", "--help"], { cwd: work, env, encoding: "utf8" }).status, 0);
});
