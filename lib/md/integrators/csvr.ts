// Stochastic velocity rescaling (Bussi, Donadio & Parrinello, J. Chem. Phys.
// 126, 014101 (2007)): a global thermostat that samples the canonical
// ensemble and barely perturbs the dynamics (no per-atom noise, momentum kept).
// Here it acts for dt/2 before and after a velocity Verlet step, so the step
// stays time-symmetric; the kinetic energy it adds is booked to the reservoir.
import { degreesOfFreedom, kineticEnergyOf } from '../kinetics.js';
import { checkPositive, checkTemperature, drift, kick, type Integrator, type IntegratorSpec } from './integrator.js';
import type { MDState } from '../state.js';
import { BOLTZMANN } from '../../io/units.js';

export interface CsvrOptions {
  /** Time step (fs). */
  dt: number;
  /** Target temperature (K). */
  temperature: number;
  /** Relaxation time of the kinetic energy (fs); about 100 dt is typical. */
  tau: number;
}

export class StochasticVelocityRescaling implements Integrator {
  readonly dt: number;
  readonly temperature: number;
  readonly tau: number;
  readonly conservesMomentum = true;

  constructor(options: CsvrOptions) {
    this.dt = checkPositive(options?.dt, 'StochasticVelocityRescaling: dt', 'fs');
    this.temperature = checkTemperature(options.temperature, 'StochasticVelocityRescaling: temperature');
    this.tau = checkPositive(options.tau, 'StochasticVelocityRescaling: tau', 'fs');
  }

  beforeForces(state: MDState): void {
    this.rescale(state, this.dt / 2);
    kick(state, this.dt / 2);
    drift(state, this.dt);
  }

  afterForces(state: MDState): void {
    kick(state, this.dt / 2);
    this.rescale(state, this.dt / 2);
  }

  /**
   * Draws the new kinetic energy K' from the exact solution of the kinetic
   * energy's stochastic differential equation over time h (Bussi et al., eq. A7):
   * K' = K c + K0/Nf (1 - c) (R1^2 + sum_{i=2}^{Nf} Ri^2) + 2 R1 sqrt(c (1 - c) K K0 / Nf),
   * c = exp(-h / tau), K0 = Nf kT / 2, and scales all velocities by sqrt(K'/K).
   */
  private rescale(state: MDState, h: number): void {
    const dof = degreesOfFreedom(state, this.conservesMomentum);
    if (dof === 0) return;
    const K = kineticEnergyOf(state);
    if (K === 0) {
      throw new Error(
        `step ${state.step}: stochastic velocity rescaling cannot heat a system at rest (all velocities zero); start from Maxwell-Boltzmann velocities`,
      );
    }
    const K0 = 0.5 * dof * BOLTZMANN * this.temperature;
    const c = Math.exp(-h / this.tau);
    const r1 = state.random.normal();
    const rest = state.random.chiSquared(dof - 1);
    const target = K * c + (K0 / dof) * (1 - c) * (r1 * r1 + rest) + 2 * r1 * Math.sqrt((c * (1 - c) * K * K0) / dof);
    const scale = Math.sqrt(Math.max(target, 0) / K);
    const v = state.velocities;
    for (let k = 0; k < v.length; k++) v[k] *= scale;
    state.reservoirEnergy -= scale * scale * K - K;
  }

  spec(): IntegratorSpec {
    return { type: 'csvr', dt: this.dt, temperature: this.temperature, tau: this.tau };
  }
}
