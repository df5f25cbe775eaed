// Property tests against the engine itself: key order against Intl.Collator, and the init
// scan's notion of a valid document against JSON.parse. fast-check prints the seed and the
// shrunk counterexample of a failure; rerun it with `fc.assert(..., { seed, path })`.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { PersistBase } from "../index.js";
import { captureConsoleError, collect, tempDir } from "./helpers/tmp.mjs";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

const pieces = fc.oneof(
  fc.stringMatching(/^[0-9]{1,4}$/),
  fc.stringMatching(/^[a-zA-Z]{1,3}$/),
  fc.constantFrom("é", "É", "ü", "Ü", "ñ", "ø", "å", "ß", "œ"),
  fc.constantFrom("_", "-", ".", "!", "~", " "),
  fc.constantFrom("ж", "Ж", "я", "Ω", "α", "価", "格", "ー", "한"),
);
const id = fc
  .array(pieces, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join(""))
  .filter((candidate) => candidate !== "." && candidate !== ".." && !candidate.startsWith(".tmp-"));

test("keys() order agrees with Intl.Collator(numeric, base) on generated ids", async (t) => {
  const dir = tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(id, { minLength: 2, maxLength: 25 }), async (ids) => {
      const baseDir = path.join(dir, String(run++));
      const entity = path.join(baseDir, "keys");
      fs.mkdirSync(entity, { recursive: true });
      for (const key of ids) fs.writeFileSync(path.join(entity, `${key}.json`), "1");
      const keys = await collect(new PersistBase("keys", baseDir).keys());
      fs.rmSync(baseDir, { recursive: true });
      assert.deepEqual([...keys].sort(), [...ids].sort());
      for (let i = 1; i < keys.length; i += 1) {
        assert.ok(collator.compare(keys[i - 1], keys[i]) <= 0, `${JSON.stringify(keys[i - 1])} sorted before ${JSON.stringify(keys[i])}`);
      }
    }),
    { numRuns: 200 },
  );
});

/** Near-JSON text: valid documents, then some with one character changed, cut or inserted. */
const document = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .tuple(fc.jsonValue().map((value) => JSON.stringify(value)), fc.nat(), fc.constantFrom("", "{", "}", ",", '"', "\\", "\n", "0", "-", "e", " ", "\u0000", "\ud800"))
    .map(([text, at, piece]) => {
      const cut = text.length === 0 ? 0 : at % text.length;
      return text.slice(0, cut) + piece + text.slice(cut + (at % 2));
    }),
  fc.string({ maxLength: 12 }),
);

const parses = (text) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

test("init quarantines exactly the documents JSON.parse rejects", async (t) => {
  const dir = tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(document, { minLength: 1, maxLength: 40 }), async (texts) => {
      const baseDir = path.join(dir, String(run++));
      const entity = path.join(baseDir, "docs");
      fs.mkdirSync(entity, { recursive: true });
      texts.forEach((text, n) => fs.writeFileSync(path.join(entity, `d${n}.json`), text));
      await captureConsoleError(() => new PersistBase("docs", baseDir).waitForInit(true));
      const quarantined = new Set(fs.existsSync(path.join(entity, ".quarantine")) ? fs.readdirSync(path.join(entity, ".quarantine")) : []);
      texts.forEach((text, n) => {
        // Files are read back as Node's readFile(path, "utf-8") would decode them.
        const stored = fs.readFileSync(path.join(quarantined.has(`d${n}.json`) ? path.join(entity, ".quarantine") : entity, `d${n}.json`), "utf8");
        assert.equal(quarantined.has(`d${n}.json`), !parses(stored), `document ${JSON.stringify(text)}`);
      });
      fs.rmSync(baseDir, { recursive: true });
    }),
    { numRuns: 150 },
  );
});
