// First coordination shell of a pair of species, frame by frame: the mean
// a-b distance within a cutoff (the first minimum of g(r)) and the mean number
// of b neighbours of an a atom. Unlike the g(r) peak bin, both average over
// every pair in the shell, so they are stable at short run lengths; their
// statistical error comes from block averages over the frames.
import { toNativeSystem, type System } from '../../lib/core/system.js';

export interface ShellFrame {
  /** A: mean a-b distance over pairs closer than the cutoff. */
  distance: number;
  /** b neighbours per a atom within the cutoff. */
  coordination: number;
}

/** Minimum-image a-b pairs within `cutoff` (A), which must be below half the smallest face distance of the cell. */
export function firstShell(system: System, a: number, b: number, cutoff: number): ShellFrame {
  const s = toNativeSystem(system);
  if (!s.cell) throw new Error('firstShell: needs a periodic cell');
  const c = s.cell;
  // Inverse of the row-major cell, for fractional coordinates.
  const det = c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]);
  const inv = [
    (c[4] * c[8] - c[5] * c[7]) / det, (c[2] * c[7] - c[1] * c[8]) / det, (c[1] * c[5] - c[2] * c[4]) / det,
    (c[5] * c[6] - c[3] * c[8]) / det, (c[0] * c[8] - c[2] * c[6]) / det, (c[2] * c[3] - c[0] * c[5]) / det,
    (c[3] * c[7] - c[4] * c[6]) / det, (c[1] * c[6] - c[0] * c[7]) / det, (c[0] * c[4] - c[1] * c[3]) / det,
  ];
  const rows = [0, 1, 2].map((k) => [c[3 * k], c[3 * k + 1], c[3 * k + 2]]);
  const cross = (u: number[], v: number[]) => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const faces = [0, 1, 2].map((k) => Math.abs(det) / Math.hypot(...cross(rows[(k + 1) % 3], rows[(k + 2) % 3])));
  if (cutoff >= Math.min(...faces) / 2) throw new Error(`firstShell: cutoff ${cutoff} A is not below half the smallest face distance (${(Math.min(...faces) / 2).toFixed(3)} A)`);
  const p = s.positions;
  let pairs = 0, sum = 0, centres = 0;
  for (let i = 0; i < s.types.length; i++) {
    if (s.types[i] !== a) continue;
    centres++;
    for (let j = 0; j < s.types.length; j++) {
      if (j === i || s.types[j] !== b) continue;
      const d = [p[3 * j] - p[3 * i], p[3 * j + 1] - p[3 * i + 1], p[3 * j + 2] - p[3 * i + 2]];
      // Fractional displacement, wrapped to the nearest image.
      const f = [0, 1, 2].map((k) => d[0] * inv[k] + d[1] * inv[3 + k] + d[2] * inv[6 + k]).map((x) => x - Math.round(x));
      const r = Math.hypot(...[0, 1, 2].map((x) => f[0] * c[x] + f[1] * c[3 + x] + f[2] * c[6 + x]));
      if (r < cutoff) {
        pairs++;
        sum += r;
      }
    }
  }
  if (centres === 0) throw new Error(`firstShell: no atom of type ${a}`);
  return { distance: pairs ? sum / pairs : NaN, coordination: pairs / centres };
}

/** Mean and standard error from `blocks` contiguous block means (correlated samples: blocks much longer than the correlation time). */
export function blockAverage(values: readonly number[], blocks = 10): { mean: number; error: number } {
  if (values.length < 2 * blocks) throw new Error(`blockAverage: ${values.length} values are too few for ${blocks} blocks`);
  const size = Math.floor(values.length / blocks);
  const means = Array.from({ length: blocks }, (_, k) => values.slice(k * size, (k + 1) * size).reduce((s, v) => s + v, 0) / size);
  const mean = means.reduce((s, v) => s + v, 0) / blocks;
  const variance = means.reduce((s, v) => s + (v - mean) ** 2, 0) / (blocks - 1);
  return { mean, error: Math.sqrt(variance / blocks) };
}
