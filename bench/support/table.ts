// Markdown tables for benchmark output; every benchmark also returns its rows
// as JSON (bench/results/*.json).
export type Row = Record<string, string | number>;

function format(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

export function markdownTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]);
  const cells = rows.map((r) => columns.map((c) => format(r[c] ?? '')));
  const widths = columns.map((c, k) => Math.max(c.length, ...cells.map((row) => row[k].length)));
  const line = (values: string[]) => `| ${values.map((v, k) => v.padEnd(widths[k])).join(' | ')} |`;
  return [line(columns), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
