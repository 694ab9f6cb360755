// Small dependency-free SVG line charts (learning curves, radial distribution
// functions), readable in any browser.
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
  }
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 8) ?? step * 10;
  const out: number[] = [];
  // Multiples of the step, not a running sum, so the tick at zero is exactly 0 (not 7e-18).
  for (let k = Math.ceil(lo / nice); k * nice <= hi + 1e-12 * span; k++) out.push(Number((k * nice).toPrecision(12)));
  return out;
}

function label(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 640, height = options.height ?? 420;
  // The legend sits between the title and the plot, one line per series.
  const m = { left: 70, right: 20, top: 44 + 18 * options.series.length, bottom: 55 };
  const xs: number[] = [], ys: number[] = [];
  for (const s of options.series) {
    for (let k = 0; k < s.x.length; k++) {
      if (Number.isFinite(s.x[k]) && Number.isFinite(s.y[k]) && (!options.logX || s.x[k] > 0) && (!options.logY || s.y[k] > 0)) {
        xs.push(s.x[k]);
        ys.push(s.y[k]);
      }
    }
  }
  if (xs.length === 0) throw new Error(`lineChart "${options.title}": no finite points to plot`);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!options.logY) y0 = Math.min(y0, 0);
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  if (options.logY) [y0, y1] = [y0 / 1.5, y1 * 1.5];
  const tx = (v: number) => options.logX ? Math.log10(v) : v;
  const ty = (v: number) => options.logY ? Math.log10(v) : v;
  const px = (v: number) => m.left + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0))) * (width - m.left - m.right);
  const py = (v: number) => height - m.bottom - ((ty(v) - ty(y0)) / (ty(y1) - ty(y0))) * (height - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escape(options.title)}</text>`,
    `<line x1="${m.left}" y1="${height - m.bottom}" x2="${width - m.right}" y2="${height - m.bottom}" stroke="black"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="black"/>`,
  ];
  for (const t of ticks(x0, x1, Boolean(options.logX))) {
    parts.push(`<line x1="${px(t)}" y1="${height - m.bottom}" x2="${px(t)}" y2="${height - m.bottom + 5}" stroke="black"/>`);
    parts.push(`<text x="${px(t)}" y="${height - m.bottom + 18}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of ticks(y0, y1, Boolean(options.logY))) {
    parts.push(`<line x1="${m.left - 5}" y1="${py(t)}" x2="${m.left}" y2="${py(t)}" stroke="black"/>`);
    parts.push(`<text x="${m.left - 8}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  parts.push(`<text x="${(width + m.left) / 2}" y="${height - 15}" text-anchor="middle">${escape(options.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(18 ${(height - m.bottom + m.top) / 2}) rotate(-90)" text-anchor="middle">${escape(options.yLabel)}</text>`,
  );
  options.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const points: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
      if ((options.logX && s.x[i] <= 0) || (options.logY && s.y[i] <= 0)) continue;
      points.push(`${px(s.x[i]).toFixed(2)},${py(s.y[i]).toFixed(2)}`);
    }
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
    if (s.x.length <= 30) for (const p of points) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${color}"/>`);
  });
  // Right-aligned so long names stay inside the picture (text width
  // estimated at 6.6 px per character at 12 px).
  const legendWidth = 40 + 6.6 * Math.max(...options.series.map((s) => s.name.length));
  const lx = Math.max(m.left, width - m.right - legendWidth);
  options.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const ly = 40 + 18 * k;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 25}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${lx + 32}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
