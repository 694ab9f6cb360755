// Kinetic energy, temperature and momentum of a state.
import type { MDState } from './state.js';
import { BOLTZMANN, kineticEnergy } from '../io/units.js';

/** Total kinetic energy (eV). */
export function kineticEnergyOf(state: MDState): number {
  const v = state.velocities;
  let sum = 0;
  for (let i = 0; i < state.masses.length; i++) {
    sum += state.masses[i] * (v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2]);
  }
  return kineticEnergy(sum, 1);
}

/**
 * Degrees of freedom for the temperature: 3 per moving atom, minus 3 when
 * the total momentum is zero and stays zero (no fixed atoms, and dynamics that
 * conserve momentum: Verlet and CSVR, not Langevin). Rotations are never removed.
 */
export function degreesOfFreedom(state: MDState, conservesMomentum: boolean): number {
  const moving = state.masses.length - state.fixed.length;
  return 3 * moving - (conservesMomentum && state.fixed.length === 0 && moving > 1 ? 3 : 0);
}

/**
 * The temperature every run reports (K): with no fixed atoms, the kinetic
 * energy relative to the centre of mass over 3N - 3 degrees of freedom, for
 * every integrator. Langevin lets the total momentum wander, but its
 * centre-of-mass motion is one free particle; leaving it out keeps the
 * estimate unbiased and equal to the temperature Maxwell-Boltzmann velocities
 * were drawn at (it used to read 1181 K at step 0 of a 1200 K Langevin run of
 * 64 atoms, 3N - 3 against 3N). With fixed atoms: total kinetic energy over 3
 * per moving atom.
 */
export function instantaneousTemperature(state: MDState): number {
  const kinetic = kineticEnergyOf(state);
  const moving = state.masses.length - state.fixed.length;
  if (state.fixed.length > 0 || moving < 2) return temperatureOf(kinetic, 3 * moving);
  let mass = 0;
  for (const m of state.masses) mass += m;
  const p = totalMomentum(state);
  const centreOfMass = kineticEnergy(1 / mass, p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
  return temperatureOf(Math.max(0, kinetic - centreOfMass), 3 * moving - 3);
}

/** Instantaneous kinetic temperature (K) for `dof` degrees of freedom. */
export function temperatureOf(kinetic: number, dof: number): number {
  return dof > 0 ? (2 * kinetic) / (dof * BOLTZMANN) : 0;
}

/** Total momentum (amu A/fs) of the moving atoms. */
export function totalMomentum(state: MDState): [number, number, number] {
  const p: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < state.masses.length; i++) {
    for (let x = 0; x < 3; x++) p[x] += state.masses[i] * state.velocities[3 * i + x];
  }
  return p;
}

/**
 * Removes the centre-of-mass velocity of the moving atoms. Worth doing before
 * NVE or CSVR after a Langevin run: those keep the momentum, and the
 * temperature then counts 3 fewer degrees of freedom.
 */
export function zeroMomentum(state: MDState): void {
  const moving = new Uint8Array(state.masses.length).fill(1);
  for (const i of state.fixed) moving[i] = 0;
  let mass = 0;
  for (let i = 0; i < state.masses.length; i++) if (moving[i]) mass += state.masses[i];
  if (mass === 0) return;
  const p = totalMomentum(state);
  for (let i = 0; i < state.masses.length; i++) {
    if (!moving[i]) continue;
    for (let x = 0; x < 3; x++) state.velocities[3 * i + x] -= p[x] / mass;
  }
}
