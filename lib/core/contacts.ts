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

/** Per species pair (indices into `species`, [a][b] with a <= b): the smallest squared distance and its atoms. */
interface PairMinima {
  species: number[];
  squared: Float64Array;
  atoms: Int32Array; // [a][b][2]
}

/**
 * The closest pair of atoms of every species pair, nearest periodic image
 * by rounding the fractional separation (exact for the pairs that matter
 * here, closer than half the smallest distance between opposite faces).
 * An MD run calls this every few steps: one pass, no allocation in the loop.
 */
function pairMinima(system: NativeSystem): PairMinima {
  const { positions: x, cell } = system;
  const n = system.types.length;
  const species = [...new Set(system.types)];
  const index = new Map(species.map((z, k) => [z, k]));
  const T = species.length;
  const t = Int32Array.from(system.types, (z) => index.get(z)!);
  const squared = new Float64Array(T * T).fill(Infinity);
  const atoms = new Int32Array(2 * T * T).fill(-1);
  // wrap(d) = d minus the lattice vectors nearest to it along the periodic axes
  const h = cell ?? new Float64Array(9);
  const g = cell ? invert3(cell) : new Float64Array(9);
  const [p0, p1, p2] = system.pbc.map((p) => (p && cell !== null ? 1 : 0));
  for (let i = 0; i < n; i++) {
    const xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
    const a = t[i];
    for (let j = i + 1; j < n; j++) {
      let dx = x[3 * j] - xi, dy = x[3 * j + 1] - yi, dz = x[3 * j + 2] - zi;
      const s0 = p0 * Math.floor(dx * g[0] + dy * g[3] + dz * g[6] + 0.5);
      const s1 = p1 * Math.floor(dx * g[1] + dy * g[4] + dz * g[7] + 0.5);
      const s2 = p2 * Math.floor(dx * g[2] + dy * g[5] + dz * g[8] + 0.5);
      dx -= s0 * h[0] + s1 * h[3] + s2 * h[6];
      dy -= s0 * h[1] + s1 * h[4] + s2 * h[7];
      dz -= s0 * h[2] + s1 * h[5] + s2 * h[8];
      const r2 = dx * dx + dy * dy + dz * dz;
      const b = t[j];
      const k = a <= b ? a * T + b : b * T + a;
      if (r2 < squared[k]) {
        squared[k] = r2;
        atoms[2 * k] = i;
        atoms[2 * k + 1] = j;
      }
    }
  }
  return { species, squared, atoms };
}

/** The closest distance of every species pair over `systems` (a pair absent from all of them has no entry). */
export function closestPairs(systems: readonly System[]): ClosestPairs {
  const out: ClosestPairs = {};
  for (const s of systems) {
    const { species, squared } = pairMinima(toNativeSystem(s));
    const T = species.length;
    for (let a = 0; a < T; a++) {
      for (let b = a; b < T; b++) {
        const r = Math.sqrt(squared[a * T + b]);
        const key = pairKey(species[a], species[b]);
        if (r < Infinity && !(r >= out[key])) out[key] = r;
      }
    }
  }
  return out;
}

/** The pair of atoms that is closest relative to `reference` (smallest distance / reference distance), or null when none is covered. */
export function closestToReference(system: NativeSystem, reference: ClosestPairs): { i: number; j: number; distance: number; reference: number } | null {
  const { species, squared, atoms } = pairMinima(system);
  const T = species.length;
  let best: { i: number; j: number; distance: number; reference: number } | null = null;
  for (let a = 0; a < T; a++) {
    for (let b = a; b < T; b++) {
      const r = reference[pairKey(species[a], species[b])];
      const k = a * T + b;
      if (r === undefined || !(r > 0) || atoms[2 * k] < 0) continue;
      const distance = Math.sqrt(squared[k]);
      if (!best || distance / r < best.distance / best.reference) best = { i: atoms[2 * k], j: atoms[2 * k + 1], distance, reference: r };
    }
  }
  return best;
}

/** Default of `factor` below: thermal motion reaches some way below the closest pair of a finite training set. */
export const CONTACT_FACTOR = 0.8;

/**
 * Steps between two checks of `atoms` atoms (each a pass over all pairs,
 * ~20 ns a pair): every step up to 140 atoms, then sparser so that the
 * checks average at most ~1e4 pairs a step (every 3 steps at 216 atoms, 150
 * at 1728), a few % of the step of a local model. A fused pair stays fused,
 * so a late check still stops the run.
 */
export function contactInterval(atoms: number): number {
  return Math.max(1, Math.ceil((atoms * atoms) / 2e4));
}

/**
 * The pair of atoms closest relative to `reference` when it is closer than
 * `factor` times its species pair's reference distance (the model would be
 * extrapolating there); null otherwise.
 */
export function outsideTraining(system: NativeSystem, reference: ClosestPairs, factor = CONTACT_FACTOR): ReturnType<typeof closestToReference> {
  const closest = closestToReference(system, reference);
  return closest && closest.distance < factor * closest.reference ? closest : null;
}
