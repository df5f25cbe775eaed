// Waiting for a condition a test cannot be told about (a server taking sessions, a failover
// done): poll it, and fail naming what never happened. The deadline is generous (a busy CI
// machine), and reaching it is a failure, never a pass.
export async function until(condition, what, { timeoutMs = 120_000, everyMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Sends `signal` to `child` and resolves once it exited (at once if it already had). */
export async function stop(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
}
