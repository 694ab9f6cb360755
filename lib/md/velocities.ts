// Maxwell-Boltzmann initial velocities.
import { instantaneousTemperature, zeroMomentum as removeMomentum } from './kinetics.js';
import type { MDState } from './state.js';
import { ACCELERATION_UNIT, BOLTZMANN } from '../io/units.js';

export interface MaxwellBoltzmannOptions {
  /** Remove the centre-of-mass velocity. Default: true when no atom is fixed. */
  zeroMomentum?: boolean;
  /** Rescale so the reported temperature (instantaneousTemperature) is exactly the target. Default true. */
  exact?: boolean;
}

/**
 * Draws velocities (A/fs) from the Maxwell-Boltzmann distribution at
 * `temperature` (K) with the state's random generator; fixed atoms stay at rest.
 */
export function maxwellBoltzmann(state: MDState, temperature: number, options: MaxwellBoltzmannOptions = {}): void {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new Error(`maxwellBoltzmann: temperature: expected a non-negative number of K, got ${temperature}`);
  }
  const zeroMomentum = options.zeroMomentum ?? state.fixed.length === 0;
  const N = state.masses.length;
  const v = state.velocities;
  const moving = new Uint8Array(N).fill(1);
  for (const i of state.fixed) moving[i] = 0;
  for (let i = 0; i < N; i++) {
    // sigma^2 = kT/m in eV/amu, times ACCELERATION_UNIT for A^2/fs^2.
    const sigma = Math.sqrt((BOLTZMANN * temperature * ACCELERATION_UNIT) / state.masses[i]);
    for (let x = 0; x < 3; x++) v[3 * i + x] = moving[i] ? sigma * state.random.normal() : 0;
  }
  if (zeroMomentum) removeMomentum(state);
  if (options.exact ?? true) {
    const current = instantaneousTemperature(state);
    if (current > 0) {
      const scale = Math.sqrt(temperature / current);
      for (let k = 0; k < v.length; k++) v[k] *= scale;
    }
  }
}
