// Atomic masses (amu) by atomic number: IUPAC/CIAAW conventional standard
// atomic weights; for elements without one (Tc, Pm, Po onwards) the mass of
// the longest-lived isotope, as ASE does, so masses agree with ASE setups.
import { symbolOf } from './elements.js';

// Index = atomic number; index 0 unused.
const MASSES: readonly number[] = [
  0,
  1.008, 4.002602, 6.94, 9.0121831, 10.81, 12.011, 14.007, 15.999, 18.998403163, 20.1797, // H..Ne
  22.98976928, 24.305, 26.9815385, 28.085, 30.973761998, 32.06, 35.45, 39.948, // Na..Ar
  39.0983, 40.078, 44.955908, 47.867, 50.9415, 51.9961, 54.938044, 55.845, 58.933194, 58.6934, // K..Ni
  63.546, 65.38, 69.723, 72.63, 74.921595, 78.971, 79.904, 83.798, // Cu..Kr
  85.4678, 87.62, 88.90584, 91.224, 92.90637, 95.95, 97.90721, 101.07, 102.9055, 106.42, // Rb..Pd
  107.8682, 112.414, 114.818, 118.71, 121.76, 127.6, 126.90447, 131.293, // Ag..Xe
  132.90545196, 137.327, 138.90547, 140.116, 140.90766, 144.242, 144.91276, 150.36, 151.964, 157.25, // Cs..Gd
  158.92535, 162.5, 164.93033, 167.259, 168.93422, 173.045, 174.9668, // Tb..Lu
  178.49, 180.94788, 183.84, 186.207, 190.23, 192.217, 195.084, 196.966569, 200.592, // Hf..Hg
  204.38, 207.2, 208.9804, 208.98243, 209.98715, 222.01758, // Tl..Rn
  223.01974, 226.02541, 227.02775, 232.0377, 231.03588, 238.02891, 237.04817, 244.06421, // Fr..Pu
];

/** Mass (amu) of atomic number z; throws for elements without a tabulated mass. */
export function atomicMass(z: number): number {
  const m = Number.isInteger(z) && z >= 1 ? MASSES[z] : undefined;
  if (m === undefined) {
    let name = String(z);
    try {
      name = `${symbolOf(z)} (Z = ${z})`;
    } catch {
      // not an element at all: keep the number
    }
    throw new Error(`masses: no standard mass for atomic number ${name}; pass masses explicitly (amu)`);
  }
  return m;
}

/** Largest atomic number with a tabulated mass. */
export const MAX_TABULATED_Z = MASSES.length - 1;

/**
 * Per-atom masses (amu): `overrides` maps atomic numbers to masses (e.g.
 * deuterium {1: 2.014}), everything else comes from the table.
 */
export function massesFor(types: ArrayLike<number>, overrides: Readonly<Record<number, number>> = {}): Float64Array {
  for (const [z, m] of Object.entries(overrides)) {
    if (!(typeof m === 'number' && m > 0 && Number.isFinite(m))) {
      throw new Error(`masses[${z}]: expected a positive mass in amu, got ${String(m)}`);
    }
  }
  const out = new Float64Array(types.length);
  for (let i = 0; i < types.length; i++) {
    const z = types[i];
    out[i] = overrides[z] ?? atomicMass(z);
  }
  return out;
}
