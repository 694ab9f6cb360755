// The contract between potentials and whatever drives them (our MD
// integrators, the i-PI client, any JS simulator).
import type { System } from './system.js';

/** What to compute besides the energy. */
export interface ForceFieldRequest {
  /** Forces -dE/dr (eV/A). Default true. */
  forces?: boolean;
  /** Stress (1/V) dE/d(strain) and virial -dE/d(strain) (periodic systems only). Default false. */
  stress?: boolean;
  /** Per-atom energies (eV), when the potential is a sum of atomic terms. Default false. */
  perAtom?: boolean;
}

/**
 * Units: energy eV, forces eV/A ([atoms][3] row-major), stress eV/A^3 and
 * virial eV ([3][3] row-major). stress = (1/V) dE/d(strain), ASE's sign
 * convention; virial = -dE/d(strain) = -V stress (i-PI's convention).
 */
export interface ForceFieldResult {
  energy: number;
  forces?: Float64Array;
  stress?: Float64Array;
  virial?: Float64Array;
  energies?: Float64Array;
}

/**
 * Anything that maps a system to an energy and its derivatives. Positions in
 * A, cell rows = lattice vectors (A), types = atomic numbers.
 */
export interface ForceField {
  compute(system: System, request?: ForceFieldRequest): ForceFieldResult;
  computeAsync?(system: System, request?: ForceFieldRequest): Promise<ForceFieldResult>;
}
