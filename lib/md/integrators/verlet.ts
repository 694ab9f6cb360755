// Velocity Verlet (NVE): kick dt/2, drift dt, new forces, kick dt/2.
import { checkPositive, drift, kick, type Integrator, type IntegratorSpec } from './integrator.js';
import type { MDState } from '../state.js';

export class VelocityVerlet implements Integrator {
  readonly dt: number;
  readonly conservesMomentum = true;

  /** `dt`: time step (fs). */
  constructor(options: { dt: number }) {
    this.dt = checkPositive(options?.dt, 'VelocityVerlet: dt', 'fs');
  }

  beforeForces(state: MDState): void {
    kick(state, this.dt / 2);
    drift(state, this.dt);
  }

  afterForces(state: MDState): void {
    kick(state, this.dt / 2);
  }

  spec(): IntegratorSpec {
    return { type: 'verlet', dt: this.dt };
  }
}
