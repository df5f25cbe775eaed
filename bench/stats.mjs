// Small statistics helpers shared by the benchmarks.

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Median and min–max of repeated measurements. */
export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0], max: sorted.at(-1) };
}

export const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : String(value));
export const range = ({ median, min, max }, digits = 1) => `${fmt(median, digits)} (${fmt(min, digits)}–${fmt(max, digits)})`;

/** Per-call latencies in microseconds of `count` sequential awaits of `fn`. */
export async function latencies(fn, count) {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await fn(i);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return Array.from(samples).sort((a, b) => a - b);
}
