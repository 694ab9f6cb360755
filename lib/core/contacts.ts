// The closest approach of every pair of species: what a model's training
// frames covered (FitReport.closestPairs), and what an MD run compares its
// atoms against (lib/md/watchdog.ts). Closer than any pair the model was
// fitted on, its energy was never learned: a model of local features has no
// repulsive core and can fall into the gap (two bonded atoms fusing within
// a few fs), which no thermostat or energy check notices in time.
import { invert3, type System, toNativeSystem } from './system.js';
import type { NativeSystem } from '../native/types.js';

/** The closest distance (A) of each species pair, keyed "Z1-Z2" with Z1 <= Z2. */
export type ClosestPairs = Record<string, number>;

/** The key of a species pair in ClosestPairs. */
export function pairKey(a: number, b: number): string {
  return a <= b ? `${a}-${b}` : `${b}-${a}`;
}

/**
 * Distance of every pair of atoms, nearest periodic image by rounding the
 * fractional separation (exact for the pairs that matter here, closer than
 * half the smallest distance between opposite faces); `visit` sees each pair once.
 */
function forEachPair(system: NativeSystem, visit: (i: number, j: number, distance: number) => void): void {
  const { positions: x, cell } = system;
  const n = system.types.length;
  const inverse = cell ? invert3(cell) : null;
  const d = [0, 0, 0], f = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      for (let k = 0; k < 3; k++) d[k] = x[3 * j + k] - x[3 * i + k];
      if (cell && inverse) {
        for (let k = 0; k < 3; k++) f[k] = d[0] * inverse[k] + d[1] * inverse[3 + k] + d[2] * inverse[6 + k];
        for (let k = 0; k < 3; k++) {
          const shift = system.pbc[k] ? Math.round(f[k]) : 0;
          if (shift !== 0) for (let c = 0; c < 3; c++) d[c] -= shift * cell[3 * k + c];
        }
      }
      visit(i, j, Math.hypot(d[0], d[1], d[2]));
    }
  }
}

/** The closest distance of every species pair over `systems` (a pair absent from all of them has no entry). */
export function closestPairs(systems: readonly System[]): ClosestPairs {
  const out: ClosestPairs = {};
  for (const s of systems) {
    const system = toNativeSystem(s);
    forEachPair(system, (i, j, r) => {
      const key = pairKey(system.types[i], system.types[j]);
      if (!(r >= out[key])) out[key] = r;
    });
  }
  return out;
}

/** The pair of atoms that is closest relative to `reference` (smallest distance / reference distance), or null when none is covered. */
export function closestToReference(system: NativeSystem, reference: ClosestPairs): { i: number; j: number; distance: number; reference: number } | null {
  let best: { i: number; j: number; distance: number; reference: number } | null = null;
  forEachPair(system, (i, j, distance) => {
    const r = reference[pairKey(system.types[i], system.types[j])];
    if (r === undefined || !(r > 0)) return;
    if (!best || distance / r < best.distance / best.reference) best = { i, j, distance, reference: r };
  });
  return best;
}
