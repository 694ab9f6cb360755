// A fresh MD state from a system: masses, the random generator and the
// initial velocities (given, or drawn at a temperature).
import { toNativeSystem, type System } from '../core/system.js';
import { massesFor } from '../io/masses.js';
import { Random } from './random.js';
import { checkFixed, zeroFixedVelocities, type MDState } from './state.js';
import { maxwellBoltzmann } from './velocities.js';

export interface StateOptions {
  /** Per-atom masses (amu), or overrides by atomic number ({1: 2.014}); default: standard atomic weights. */
  masses?: ArrayLike<number> | Readonly<Record<number, number>>;
  /** Initial velocities (A/fs), [atoms][3]; default zero (or Maxwell-Boltzmann when `temperature` is set). */
  velocities?: ArrayLike<number>;
  /** Draw Maxwell-Boltzmann velocities at this temperature (K). */
  temperature?: number;
  /** Seed of the state's random generator (thermostats, initial velocities). Default 0. */
  seed?: number;
  /** Indices of atoms that do not move. */
  fixed?: ArrayLike<number>;
}

function isArrayLike(value: unknown): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) || Array.isArray(value);
}

/** A fresh state at step 0 from a system (positions copied; fields other than positions, types, cell, pbc are ignored). */
export function createState(system: System, options: StateOptions = {}): MDState {
  // Only the four System fields: an extxyz Frame or a named benchmark structure works as is.
  const { positions, types, cell, pbc } = system ?? ({} as System);
  const s = toNativeSystem({ positions, types, cell, pbc }, 'createState: system');
  const N = s.types.length;
  const bad = s.positions.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`createState: system.positions[${Math.floor(bad / 3)}][${bad % 3}]: expected a finite number (A), got ${s.positions[bad]}`);
  if (s.cell && !s.cell.every(Number.isFinite)) throw new Error('createState: system.cell: expected finite numbers (A)');
  let masses: Float64Array;
  if (options.masses === undefined) masses = massesFor(s.types);
  else if (isArrayLike(options.masses)) {
    if (options.masses.length !== N) throw new Error(`createState: masses: expected ${N} values (one per atom), got ${options.masses.length}`);
    masses = Float64Array.from(options.masses);
    masses.forEach((m, i) => {
      if (!(m > 0 && Number.isFinite(m))) throw new Error(`createState: masses[${i}]: expected a positive mass in amu, got ${m}`);
    });
  } else masses = massesFor(s.types, options.masses);

  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`createState: seed: expected an integer, got ${String(seed)}`);
  const state: MDState = {
    positions: Float64Array.from(s.positions),
    velocities: new Float64Array(3 * N),
    masses,
    types: Int32Array.from(s.types),
    cell: s.cell ? Float64Array.from(s.cell) : null,
    pbc: [...s.pbc] as [boolean, boolean, boolean],
    fixed: checkFixed(options.fixed ?? [], N, 'createState: fixed'),
    step: 0,
    time: 0,
    random: new Random(seed),
    forces: null,
    energy: null,
    reservoirEnergy: 0,
  };
  if (options.velocities !== undefined && options.temperature !== undefined) {
    throw new Error('createState: give either velocities or temperature, not both');
  }
  if (options.velocities !== undefined) {
    if (options.velocities.length !== 3 * N) {
      throw new Error(`createState: velocities: expected ${3 * N} numbers (A/fs), got ${options.velocities.length}`);
    }
    for (let k = 0; k < 3 * N; k++) {
      const v = options.velocities[k];
      if (!Number.isFinite(v)) throw new Error(`createState: velocities[${k}]: expected a finite number (A/fs), got ${v}`);
      state.velocities[k] = v;
    }
    zeroFixedVelocities(state);
  } else if (options.temperature !== undefined) {
    maxwellBoltzmann(state, options.temperature);
  }
  return state;
}
