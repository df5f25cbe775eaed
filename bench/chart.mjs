// bench/results.svg: one horizontal bar per case, the median ratio to the reference (log scale),
// with the case's target marked.
const escape = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function ratioChart(results, report) {
  const row = 34;
  const left = 430;
  const width = 860;
  const plot = width - left - 80;
  const top = 58;
  const height = top + results.length * row + 40;
  const max = Math.max(100, ...results.map((r) => Math.max(r.ratioToReference.max, r.target)));
  const x = (ratio) => left + (Math.log10(Math.max(ratio, 0.1)) + 1) / (Math.log10(max) + 1) * plot;
  const bars = results.map((result, index) => {
    const y = top + index * row;
    const { median } = result.ratioToReference;
    const color = result.met ? "#2e7d32" : "#c62828";
    return [
      `<text x="${left - 10}" y="${y + 18}" text-anchor="end" font-size="12">${escape(result.title)}</text>`,
      `<rect x="${x(0.1)}" y="${y + 6}" width="${Math.max(1, x(median) - x(0.1))}" height="18" fill="${color}"/>`,
      `<line x1="${x(result.target)}" x2="${x(result.target)}" y1="${y + 2}" y2="${y + 28}" stroke="#000" stroke-dasharray="3,2"/>`,
      `<text x="${x(median) + 6}" y="${y + 19}" font-size="12">${median.toFixed(2)}x</text>`,
    ].join("");
  });
  const ticks = [0.1, 1, 10, 100].filter((t) => t <= max).map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${height - 34}" stroke="#ddd"/><text x="${x(t)}" y="${height - 20}" font-size="11" text-anchor="middle">${t}x</text>`);
  const m = report.machine;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" font-size="15" font-weight="bold">@backtest-kit/persist vs backtest-kit 19.5.0 PersistBase (ratio, higher is better; dashed: target)</text>
<text x="12" y="42" font-size="11">${escape(`${report.date.slice(0, 10)} · ${m.cpu}, ${m.cores} cores, ${m.fileSystem}, node ${m.node} · median of ${report.repetitions} runs${report.quick ? " (quick)" : ""}`)}</text>
${ticks.join("\n")}
${bars.join("\n")}
</svg>
`;
}
