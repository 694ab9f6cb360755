// Langevin dynamics (NVT) with the BAOAB splitting of Leimkuhler & Matthews
// (Appl. Math. Res. Express 2013): kick dt/2, drift dt/2, exact
// Ornstein-Uhlenbeck velocity update over dt, drift dt/2, new forces, kick dt/2.
// BAOAB samples configurations with an error O(dt^2) far smaller than other
// orderings, which is why it is the default NVT integrator in many codes.
import { checkPositive, checkTemperature, drift, kick, type Integrator, type IntegratorSpec } from './integrator.js';
import type { MDState } from '../state.js';
import { ACCELERATION_UNIT, BOLTZMANN, kineticEnergy } from '../../io/units.js';

export interface LangevinOptions {
  /** Time step (fs). */
  dt: number;
  /** Target temperature (K). */
  temperature: number;
  /** Friction coefficient gamma (1/fs); 0.01 /fs relaxes velocities in ~100 fs. */
  friction: number;
}

export class Langevin implements Integrator {
  readonly dt: number;
  readonly temperature: number;
  readonly friction: number;
  // The noise kicks atoms independently, so the total momentum wanders.
  readonly conservesMomentum = false;

  constructor(options: LangevinOptions) {
    this.dt = checkPositive(options?.dt, 'Langevin: dt', 'fs');
    this.temperature = checkTemperature(options.temperature, 'Langevin: temperature');
    this.friction = checkPositive(options.friction, 'Langevin: friction', '1/fs');
  }

  beforeForces(state: MDState): void {
    kick(state, this.dt / 2);
    drift(state, this.dt / 2);
    this.thermostat(state);
    drift(state, this.dt / 2);
  }

  afterForces(state: MDState): void {
    kick(state, this.dt / 2);
  }

  /** O step: v <- c1 v + sqrt((1 - c1^2) kT/m) xi, with the kinetic energy it adds booked to the reservoir. */
  private thermostat(state: MDState): void {
    const c1 = Math.exp(-this.friction * this.dt);
    const c2 = Math.sqrt(1 - c1 * c1);
    const kT = BOLTZMANN * this.temperature * ACCELERATION_UNIT; // eV/amu -> A^2/fs^2
    const v = state.velocities;
    const moving = new Uint8Array(state.masses.length).fill(1);
    for (const i of state.fixed) moving[i] = 0;
    let before = 0, after = 0;
    for (let i = 0; i < state.masses.length; i++) {
      if (!moving[i]) continue;
      const m = state.masses[i];
      const sigma = c2 * Math.sqrt(kT / m);
      for (let x = 0; x < 3; x++) {
        const old = v[3 * i + x];
        const fresh = c1 * old + sigma * state.random.normal();
        before += m * old * old;
        after += m * fresh * fresh;
        v[3 * i + x] = fresh;
      }
    }
    state.reservoirEnergy -= kineticEnergy(after - before, 1);
  }

  spec(): IntegratorSpec {
    return { type: 'langevin', dt: this.dt, temperature: this.temperature, friction: this.friction };
  }
}
