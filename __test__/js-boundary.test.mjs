// The JS boundary of the registries and writeFileAtomic: what adapters (and callers) can hand
// the addon, and what must come back. Each case runs in a child `node` (fixtures/boundary-*.mjs,
// through helpers/boundary.mjs) that records uncaught exceptions and unhandled rejections and
// prints a report at exit, so a crash, a hang or an uncaught exception fails the test here
// instead of taking the runner down. A registry call always returns a Promise; it settles
// exactly once; a call that never settles fails at the child's deadline.
//   A  adapter methods failing with exotic values       F  rejections after settling not kept
//   B  thenables fulfilling with rejections / thenables  G  late rejections after a timeout not kept
//   C  an absolute path as the entity id (item 1)         H  setTimeout returning a primitive (item 5)
//   D  throwing getters and proxies (item 2)              I  writeFileAtomic's arguments (item 6)
//   E  resolve()/reject() with no argument (item 3)
import { test } from "node:test";
import { assertChildReport, runFixture } from "./helpers/boundary.mjs";

// ---------------------------------------------------------------------------------------------
// A. An adapter method throwing, rejecting, or returning a rejecting thenable, with a Symbol,
// Object.create(null), an object whose toString throws, an Error whose cause is a Symbol, a
// Proxy whose every trap throws, undefined, null, a number or a string: the call rejects (the
// Error itself, or an ADAPTER_FAILED Error whose cause is the value) and the process survives.

for (const [scenario, path] of [
  ["waitForInit", "read"],
  ["waitForInit:write", "write"],
  ["hasValue", "read"],
  ["readValue", "read"],
  ["writeValue", "write"],
]) {
  const method = scenario.split(":")[0];
  test(`A: ${method} failing with exotic values (${path}): the call rejects with the Error, or an ADAPTER_FAILED Error caused by the value`, (t) => {
    assertChildReport(runFixture(t, "boundary-rejections.mjs", scenario), `40 failing ${method} calls (${path}) rejected`);
  });
}

// ---------------------------------------------------------------------------------------------
// B. Thenables are adopted as `await` adopts them.

test("B: a thenable fulfilling with a rejected Promise rejects the call with its Error; nested thenables resolve to their value", (t) => {
  assertChildReport(runFixture(t, "boundary-thenables.mjs", "adoption"), "17 adoption cases settled");
});

// ---------------------------------------------------------------------------------------------
// C. An absolute path as the id (issue item 1): the JS adapter's writes do not share a queue
// with writeFileAtomic's writes of that path, so neither wedges the other.

test("C: an absolute path as the id, on a fresh registry: writes are not wedged behind writeFileAtomic, 20 rounds", (t) => {
  assertChildReport(runFixture(t, "boundary-absolute-id.mjs", "fresh"), "20 of 20 rounds completed");
});

test("C: an absolute path as the id, on the singleton PersistSignalAdapter: 20 rounds", (t) => {
  assertChildReport(runFixture(t, "boundary-absolute-id.mjs", "singleton"), "20 of 20 rounds completed");
});

test("C: two worker threads whose adapters write the same absolute id: both complete", (t) => {
  assertChildReport(runFixture(t, "boundary-absolute-id.mjs", "workers"), "workers completed 20 and 20 of 20 rounds");
});

// ---------------------------------------------------------------------------------------------
// D. Throwing getters and proxies where the addon reads properties (issue item 2); each
// throws in turn an Error, a Symbol, undefined and Object.create(null).

test("D: an adapter method that is a throwing getter: the call rejects with its Error (or an Error caused by it)", (t) => {
  assertChildReport(runFixture(t, "boundary-getters.mjs", "method-getter"), "25 method-getter cases settled");
});

test("D: an adapter instance that is a Proxy whose get trap throws: the call rejects", (t) => {
  assertChildReport(runFixture(t, "boundary-getters.mjs", "proxy-instance"), "16 proxy-instance cases settled");
});

test('D: a constructor whose name getter throws: nothing uncaught, and messages call it "(anonymous)"', (t) => {
  assertChildReport(runFixture(t, "boundary-getters.mjs", "constructor-name"), "4 constructor-name cases settled");
});

test("D: a method returning a value whose then getter throws: the call rejects", (t) => {
  assertChildReport(runFixture(t, "boundary-getters.mjs", "then-getter"), "32 then-getter cases settled");
});

// ---------------------------------------------------------------------------------------------
// E. resolve() and reject() with no argument (issue item 3).

test("E: thenables calling resolve() or reject() with no argument, at once, from a microtask or a timer", (t) => {
  assertChildReport(runFixture(t, "boundary-thenables.mjs", "no-argument"), "29 no-argument cases settled");
});

// ---------------------------------------------------------------------------------------------
// F, G. Rejection reasons that arrive after a call settled are released (issue item 4 and
// issue 14 item 14). Each carries 800 kB; the children run with a 1 GB heap so that a leak
// fails quickly instead of filling the machine's memory.

const GC = ["--expose-gc", "--max-old-space-size=1024"];

test("F: a thenable rejecting twice: 3,000 reads reject with the first Error, and the second reasons are not kept", (t) => {
  assertChildReport(
    runFixture(t, "boundary-retention.mjs", "double-reject", { nodeArgs: GC, limitMs: 120_000 }),
    "3000 reads rejected, heap growth under 64 MB: true",
  );
});

test("F: a thenable rejecting then throwing: 3,000 reads reject with the first Error, and the thrown values are not kept", (t) => {
  assertChildReport(
    runFixture(t, "boundary-retention.mjs", "reject-then-throw", { nodeArgs: GC, limitMs: 120_000 }),
    "3000 reads rejected, heap growth under 64 MB: true",
  );
});

test("G: with timeoutMs 5, 1,000 reads time out, and the rejections arriving after the timeout are not kept", (t) => {
  assertChildReport(
    runFixture(t, "boundary-retention.mjs", "late-reject", { nodeArgs: GC, limitMs: 120_000 }),
    "1000 reads rejected, heap growth under 64 MB: true",
  );
});

// ---------------------------------------------------------------------------------------------
// H. timeoutMs with a global setTimeout that returns a primitive (issue item 5): prompt calls
// succeed, a hanging call still times out, and the child then exits by itself (its prompt
// calls' 10-minute timers were cleared).

for (const [scenario, what] of [
  ["after-42", "returning 42, installed after the import"],
  ["after-undefined", "returning undefined, installed after the import"],
  ["before-42", "returning 42, installed before the import"],
]) {
  const [when, returned] = scenario.split("-");
  test(`H: setTimeout ${what}: calls settle as they should, and the process exits by itself`, (t) => {
    assertChildReport(
      runFixture(t, "boundary-timers.mjs", scenario, { limitMs: 20_000 }),
      `11 calls settled with setTimeout returning ${returned} (installed ${when} import)`,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// I. writeFileAtomic's arguments (issue item 6).

test("I: writeFileAtomic with throwing getters and wrong argument types returns a Promise that rejects", (t) => {
  assertChildReport(runFixture(t, "boundary-write-file-atomic.mjs", "arguments"), "21 writeFileAtomic calls settled");
});
