// The closest approach of every pair of species: what a model's training
// frames covered (FitReport.closestPairs), and what an MD run compares its
// atoms against (lib/md/watchdog.ts). Closer than any pair the model was
// fitted on, its energy was never learned: a model of local features has no
// repulsive core and can fall into the gap (two bonded atoms fusing within
// a few fs), which no thermostat or energy check notices in time.
import { native } from '../native/addon.js';
import { type System, toNativeSystem } from './system.js';
import type { NativeSystem } from '../native/types.js';

/** The closest distance (A) of each species pair, keyed "Z1-Z2" with Z1 <= Z2. */
export type ClosestPairs = Record<string, number>;

/** The key of a species pair in ClosestPairs. */
export function pairKey(a: number, b: number): string {
  return a <= b ? `${a}-${b}` : `${b}-${a}`;
}

/**
 * Pairs farther apart than this (A) are not looked at: a model's training
 * frames hold every species pair it knows well inside it, and beyond it
 * nothing is learned about close contact anyway.
 */
export const CONTACT_RANGE = 5;

/** The closest pair of atoms of every species pair within CONTACT_RANGE, periodic images included (native linked cells). */
function pairMinima(system: NativeSystem): Array<{ key: string; distance: number; i: number; j: number }> {
  const { types, atoms, distances } = native.closestPairs(system, CONTACT_RANGE);
  return Array.from(distances, (distance, p) => ({ key: pairKey(types[2 * p], types[2 * p + 1]), distance, i: atoms[2 * p], j: atoms[2 * p + 1] }));
}

/** The closest distance of every species pair over `systems` (a pair never within CONTACT_RANGE has no entry). */
export function closestPairs(systems: readonly System[]): ClosestPairs {
  const out: ClosestPairs = {};
  for (const s of systems) {
    for (const { key, distance } of pairMinima(toNativeSystem(s))) if (!(distance >= out[key])) out[key] = distance;
  }
  return out;
}

/** Two atoms, their distance (A) and the closest distance of their species pair in the training data (A). */
export interface Contact {
  i: number;
  j: number;
  distance: number;
  reference: number;
}

/** The pair of atoms that is closest relative to `reference` (smallest distance / reference distance), or null when none is covered. */
export function closestToReference(system: NativeSystem, reference: ClosestPairs): Contact | null {
  let best: Contact | null = null;
  for (const { key, distance, i, j } of pairMinima(system)) {
    const r = reference[key];
    if (r === undefined || !(r > 0)) continue;
    if (!best || distance / r < best.distance / best.reference) best = { i, j, distance, reference: r };
  }
  return best;
}

/** Default of `factor` below: thermal motion reaches some way below the closest pair of a finite training set. */
export const CONTACT_FACTOR = 0.8;

/**
 * Steps between two checks of `atoms` atoms: every step up to ~2000 atoms,
 * then sparser (each check builds a neighbour list, ~1 us per atom, a few %
 * of the cheapest model step; a fused pair stays fused, so a late check
 * still stops the run).
 */
export function contactInterval(atoms: number): number {
  return Math.max(1, Math.ceil(atoms / 2000));
}

/**
 * The pair of atoms closest relative to `reference` when it is closer than
 * `factor` times its species pair's reference distance (the model would be
 * extrapolating there); null otherwise.
 */
export function outsideTraining(system: NativeSystem, reference: ClosestPairs, factor = CONTACT_FACTOR): Contact | null {
  const closest = closestToReference(system, reference);
  return closest && closest.distance < factor * closest.reference ? closest : null;
}
