// Property tests against the engine itself (fast-check): keys() order against
// Intl.Collator(numeric, base), and the init scan's notion of a valid document against
// JSON.parse. On a failure fast-check's error names the seed, the path and the shrunk
// counterexample; replay it with `fc.assert(property, { seed, path })`.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { PersistBase } from "../index.js";
import { captureConsoleError, collect, tempDir } from "./helpers/tmp.mjs";
import { STORES } from "./helpers/stores.mjs";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** An empty `<baseDir>/<name>` directory, emptied again by each call of the returned function. */
function reusableStore(t, name) {
  const baseDir = tempDir(t);
  const dir = path.join(baseDir, name);
  return {
    baseDir,
    dir,
    clear() {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
    },
  };
}

// --- keys() order ---------------------------------------------------------------------------

const idPiece = fc.oneof(
  fc.stringMatching(/^[0-9]{1,4}$/),
  fc.stringMatching(/^[a-zA-Z]{1,3}$/),
  fc.constantFrom("é", "É", "è", "ü", "Ü", "ñ", "Ñ", "ø", "å", "ß", "œ", "ç"),
  fc.constantFrom("_", "-", ".", "!", "~"),
  fc.constantFrom("ж", "Ж", "я", "Я", "ё", "Ω", "ω", "α", "Σ", "価", "格", "ー", "日", "本", "한"),
);

/** What an id may not be: it could escape the directory or look like a temp file. */
const isSafeId = (id) =>
  id !== "" && id !== "." && id !== ".." && !/[/\\\0]/.test(id) && !id.startsWith(".tmp-");

const ids = fc.uniqueArray(
  fc
    .array(idPiece, { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join(""))
    .filter(isSafeId),
  { minLength: 0, maxLength: 12 },
);

/** `keys` are exactly the `stored` ids, each once, non-decreasing under the collator. */
function assertListed(keys, stored) {
  assert.deepEqual([...keys].sort(), [...stored].sort(), "the same ids, each once");
  for (let i = 1; i < keys.length; i += 1) {
    const [a, b] = [keys[i - 1], keys[i]];
    assert.ok(collator.compare(a, b) <= 0, `${JSON.stringify(a)} listed before ${JSON.stringify(b)}`);
  }
}

test("keys() yields exactly the stored ids, non-decreasing under Intl.Collator(numeric, base)", async (t) => {
  const store = reusableStore(t, "keys");
  const persist = new PersistBase("keys", store.baseDir);
  await fc.assert(
    fc.asyncProperty(ids, async (stored) => {
      store.clear();
      for (const id of stored) fs.writeFileSync(path.join(store.dir, `${id}.json`), "1");
      const keys = await collect(persist.keys());
      assertListed(keys, stored);
    }),
    { numRuns: 200 },
  );
});

// The same property on the server stores, the ids written through the store itself: keys()
// comes back in the file store's collation wherever the documents are.
for (const row of STORES.filter((row) => row.server)) {
  test(`${row.name}: keys() yields exactly the stored ids, non-decreasing under Intl.Collator(numeric, base)`, { skip: row.skip }, async (t) => {
    const url = await row.url(t);
    const base = row.base(t);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(ids, async (stored) => {
        const persist = new PersistBase(`keys-${run++}`, base, { store: url });
        await Promise.all(stored.map((id) => persist.writeValue(id, 1)));
        const keys = await collect(persist.keys());
        assertListed(keys, stored);
      }),
      { numRuns: 100 },
    );
  });
}

// --- one key, many spellings of its directory (issue 29) ------------------------------------

test("per key, the last issued call lands last whatever spelling of the directory each used", { skip: process.platform === "win32" && "symlinks need privileges" }, async (t) => {
  const base = tempDir(t, "spellings");
  fs.mkdirSync(path.join(base, "real"));
  fs.symlinkSync(path.join(base, "real"), path.join(base, "link"), "dir");
  // The real path (initialised), a symlink, a magic link of /proc and a relative path: only
  // the first ever runs waitForInit.
  const spellings = [new PersistBase("real", base), new PersistBase("link", base), new PersistBase("real", path.relative(process.cwd(), base))];
  if (process.platform === "linux") spellings.push(new PersistBase("real", path.join("/proc/self/root", base)));
  await spellings[0].waitForInit(true);
  const call = fc.tuple(fc.nat(spellings.length - 1), fc.constantFrom("k1", "k2"), fc.option(fc.nat(), { freq: 3 }), fc.boolean());
  await fc.assert(
    fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 12 }), async (calls) => {
      await spellings[0].removeAll();
      const last = new Map();
      await Promise.allSettled(
        calls.map(([at, key, value, big]) => {
          last.set(key, value);
          const store = spellings[at];
          return value === null ? store.removeValue(key) : store.writeValue(key, { value, pad: big ? "x".repeat(200_000) : "" });
        }),
      );
      for (const key of ["k1", "k2"]) {
        const file = path.join(base, "real", `${key}.json`);
        const expected = last.has(key) ? last.get(key) : null;
        const held = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")).value : null;
        assert.equal(held, expected, `${key} after ${JSON.stringify(calls)}`);
      }
    }),
    { numRuns: 200 },
  );
});

// --- JSON validity at init ------------------------------------------------------------------

const jsonText = fc.jsonValue().map((value) => JSON.stringify(value));

/** Fragments that sit on the edges of the JSON grammar. */
const troublemaker = fc.constantFrom(
  "", "{", "}", "[", "]", ",", ":", '"', "'", "\\", "\\u", "\\u00", "\\ud800", "\\udc00", "\\x41", "\\/",
  "\n", "\t", "\r", " ", "\u0000", "\u001f", "\u007f", "\u00a0", "\ufeff", "\u2028", "\ud800",
  "0", "01", "-", "+", ".", "e", "E", "1e400", "-0", "NaN", "Infinity", "true", "nul", "/*x*/",
);

/** A valid document with one character deleted, replaced or preceded by a troublemaker. */
const mutatedJson = fc
  .tuple(jsonText, fc.nat(), fc.constantFrom(0, 1), troublemaker)
  .map(([text, at, drop, piece]) => {
    const cut = text.length === 0 ? 0 : at % (text.length + 1);
    return text.slice(0, cut) + piece + text.slice(cut + drop);
  });

/** Deep nesting, balanced or not. */
const nested = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: -1, max: 1 }), fc.constantFrom(["[", "]"], ['{"a":', "}"]))
  .map(([depth, skew, [open, close]]) => open.repeat(depth) + (open === "[" ? "" : "1") + close.repeat(depth + skew));

/** Bytes that are not UTF-8 (decoded to U+FFFD on read), inside or outside a string. */
const badUtf8 = fc
  .tuple(jsonText, fc.nat(), fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xe2, 0x82]))
  .map(([text, at, bytes]) => {
    const raw = Buffer.from(text);
    const cut = at % (raw.length + 1);
    return Buffer.concat([raw.subarray(0, cut), Buffer.from(bytes), raw.subarray(cut)]);
  });

const documentBytes = fc.oneof(
  jsonText.map((text) => Buffer.from(text)),
  mutatedJson.map((text) => Buffer.from(text)),
  fc.string({ maxLength: 12 }).map((text) => Buffer.from(text)),
  fc.string({ unit: "binary", maxLength: 12 }).map((text) => Buffer.from(text)),
  nested.map((text) => Buffer.from(text)),
  badUtf8,
  fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes)),
);

/** Whether the reference's init accepts a file: JSON.parse of it read as utf-8. */
function referenceAccepts(bytes) {
  try {
    JSON.parse(bytes.toString("utf8"));
    return true;
  } catch {
    return false;
  }
}

test("init quarantines a document iff JSON.parse of its utf-8 text throws", async (t) => {
  const store = reusableStore(t, "docs");
  const quarantine = path.join(store.dir, ".quarantine");
  await fc.assert(
    fc.asyncProperty(fc.array(documentBytes, { minLength: 1, maxLength: 40 }), async (docs) => {
      store.clear();
      docs.forEach((bytes, n) => fs.writeFileSync(path.join(store.dir, `d${n}.json`), bytes));
      await captureConsoleError(() => new PersistBase("docs", store.baseDir).waitForInit(true));
      const quarantined = new Set(fs.existsSync(quarantine) ? fs.readdirSync(quarantine) : []);
      docs.forEach((bytes, n) => {
        const name = `d${n}.json`;
        const isQuarantined = quarantined.has(name);
        const label = `document ${JSON.stringify(bytes.toString("latin1"))} (bytes ${bytes.toString("hex")})`;
        assert.equal(isQuarantined, !referenceAccepts(bytes), label);
        assert.equal(fs.existsSync(path.join(store.dir, name)), !isQuarantined, `${label} is in exactly one place`);
        assert.deepEqual(fs.readFileSync(path.join(isQuarantined ? quarantine : store.dir, name)), bytes, `${label} keeps its bytes`);
      });
    }),
    { numRuns: 150 },
  );
});
