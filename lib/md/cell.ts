// Cell geometry shared by wrapping and the radial distribution function.
import { cellVolume, invert3 } from '../core/system.js';
import type { MDState } from './state.js';

/** Wraps positions of periodic axes into the cell (fractional coordinates in [0, 1)). */
export function wrapPositions(state: MDState): void {
  if (!state.cell || !state.pbc.some((b) => b)) return;
  const inv = invert3(state.cell);
  const c = state.cell;
  const r = state.positions;
  for (let i = 0; i < state.types.length; i++) {
    const x = r[3 * i], y = r[3 * i + 1], z = r[3 * i + 2];
    const f = [0, 1, 2].map((a) => x * inv[a] + y * inv[3 + a] + z * inv[6 + a]);
    for (let a = 0; a < 3; a++) f[a] = state.pbc[a] ? Math.floor(f[a]) : 0;
    if (f[0] === 0 && f[1] === 0 && f[2] === 0) continue;
    for (let x3 = 0; x3 < 3; x3++) r[3 * i + x3] -= f[0] * c[x3] + f[1] * c[3 + x3] + f[2] * c[6 + x3];
  }
}

/** Distances between opposite faces (A): the largest sphere radius that fits is half the smallest. */
export function faceDistances(c: ArrayLike<number>): [number, number, number] {
  const V = cellVolume(c);
  const row = (k: number) => [c[3 * k], c[3 * k + 1], c[3 * k + 2]];
  const cross = (u: number[], v: number[]) => Math.hypot(u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]);
  return [V / cross(row(1), row(2)), V / cross(row(2), row(0)), V / cross(row(0), row(1))];
}
