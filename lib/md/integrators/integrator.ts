// The integrator contract and the kick/drift pieces every splitting shares.
// A step is split around its single force evaluation, so the same integrator
// drives a synchronous loop and one that awaits an asynchronous force field.
import type { MDState } from '../state.js';
import { ACCELERATION_UNIT } from '../../io/units.js';

export type IntegratorSpec =
  | { type: 'verlet'; dt: number }
  | { type: 'langevin'; dt: number; temperature: number; friction: number }
  | { type: 'csvr'; dt: number; temperature: number; tau: number };

export interface Integrator {
  /** Time step (fs). */
  readonly dt: number;
  /** Whether the dynamics keep the total momentum constant (decides the degrees of freedom). */
  readonly conservesMomentum: boolean;
  /** Everything up to the new positions; `state.forces` still holds the old forces. */
  beforeForces(state: MDState): void;
  /** Everything after `state.forces` was updated to the new positions. */
  afterForces(state: MDState): void;
  /** Parameters, for checkpoints and logs. */
  spec(): IntegratorSpec;
}

export function checkPositive(value: unknown, where: string, unit: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new Error(`${where}: expected a positive number (${unit}), got ${String(value)}`);
  }
  return value;
}

export function checkTemperature(value: unknown, where: string): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new Error(`${where}: expected a non-negative temperature (K), got ${String(value)}`);
  }
  return value;
}

/** v += h F / m for moving atoms (h in fs); fixed atoms keep zero velocity. */
export function kick(state: MDState, h: number): void {
  const f = state.forces;
  if (!f) throw new Error(`step ${state.step}: forces have not been computed (use runMD)`);
  const v = state.velocities;
  for (let i = 0; i < state.masses.length; i++) {
    const c = (h * ACCELERATION_UNIT) / state.masses[i];
    v[3 * i] += c * f[3 * i];
    v[3 * i + 1] += c * f[3 * i + 1];
    v[3 * i + 2] += c * f[3 * i + 2];
  }
  for (const i of state.fixed) v[3 * i] = v[3 * i + 1] = v[3 * i + 2] = 0;
}

/** r += h v (fixed atoms have zero velocity, so they stay put exactly). */
export function drift(state: MDState, h: number): void {
  const r = state.positions, v = state.velocities;
  for (let k = 0; k < r.length; k++) r[k] += h * v[k];
}
