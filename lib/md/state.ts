// Everything a molecular-dynamics run needs to continue: a checkpoint of this
// object reproduces the rest of the run bit for bit (the random generator and
// the forces at the current positions are part of it, so a restart neither
// reseeds nor recomputes anything that could differ in the last bit).
import type { System } from '../core/system.js';
import { Random } from './random.js';

export interface MDState {
  /** A, [atoms][3] row-major; unwrapped unless the run wraps them. */
  positions: Float64Array;
  /** A/fs. */
  velocities: Float64Array;
  /** amu. */
  masses: Float64Array;
  /** Atomic numbers. */
  types: Int32Array;
  /** Rows = lattice vectors (A), or null for a molecule. */
  cell: Float64Array | null;
  pbc: [boolean, boolean, boolean];
  /** Sorted indices of atoms held in place (zero velocity, forces ignored). */
  fixed: Int32Array;
  /** Steps done so far. */
  step: number;
  /** fs. */
  time: number;
  random: Random;
  /** Forces (eV/A) at the current positions; null until first computed. */
  forces: Float64Array | null;
  /** Potential energy (eV) at the current positions; null until first computed. */
  energy: number | null;
  /**
   * Energy (eV) the thermostat has taken out of the system (minus the kinetic
   * energy it put in): E_pot + E_kin + reservoirEnergy is conserved.
   */
  reservoirEnergy: number;
}

export function checkFixed(fixed: ArrayLike<number>, atoms: number, where = 'fixed'): Int32Array {
  const list = Array.from(fixed);
  list.forEach((i, k) => {
    if (!Number.isInteger(i) || i < 0 || i >= atoms) throw new Error(`${where}[${k}]: expected an atom index in [0, ${atoms}), got ${String(i)}`);
  });
  const sorted = list.sort((a, b) => a - b);
  sorted.forEach((i, k) => {
    if (k > 0 && sorted[k - 1] === i) throw new Error(`${where}: atom ${i} is listed twice`);
  });
  return Int32Array.from(sorted);
}

export function zeroFixedVelocities(state: MDState): void {
  for (const i of state.fixed) state.velocities[3 * i] = state.velocities[3 * i + 1] = state.velocities[3 * i + 2] = 0;
}

/** The state's atoms as a System for a force field (arrays shared, not copied). */
export function systemOf(state: MDState): System {
  return { positions: state.positions, types: state.types, cell: state.cell, pbc: state.pbc };
}

/** Deep copy (the random generator included). */
export function cloneState(state: MDState): MDState {
  return {
    ...state,
    positions: Float64Array.from(state.positions),
    velocities: Float64Array.from(state.velocities),
    masses: Float64Array.from(state.masses),
    types: Int32Array.from(state.types),
    cell: state.cell ? Float64Array.from(state.cell) : null,
    pbc: [...state.pbc] as [boolean, boolean, boolean],
    fixed: Int32Array.from(state.fixed),
    random: Random.fromState(state.random.state()),
    forces: state.forces ? Float64Array.from(state.forces) : null,
  };
}
