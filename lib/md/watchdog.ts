// Stops a run whose dynamics have diverged (a time step too large for the
// forces, a model far outside its training data) instead of letting it reach
// 1e9 K and exit as if nothing happened. The bands are wide: a sane run never
// comes near them, a diverging one leaves them within a few steps.
import { BOLTZMANN } from '../io/units.js';
import type { Integrator } from './integrators/integrator.js';
import { instantaneousTemperature, kineticEnergyOf } from './kinetics.js';
import type { MDState } from './state.js';

export interface WatchdogOptions {
  /**
   * The run stops when the temperature exceeds this multiple of the
   * reference temperature: the largest of the initial temperature, the
   * thermostat's target and `floorTemperature`. Default 10.
   */
  temperatureFactor?: number;
  /**
   * The run stops when the conserved quantity (E_pot + E_kin + thermostat
   * reservoir) drifts by more than this many k_B T_reference per atom from its
   * value at the start of the run. Default 10 (about 1 eV/atom at 1200 K).
   */
  driftFactor?: number;
  /** K; the reference temperature of runs started cold. Default 1000. */
  floorTemperature?: number;
}

/** Why a run was stopped: the step and the quantity that left its band. */
export class MDDivergenceError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly quantity: 'temperature' | 'conserved energy' | 'kinetic energy',
  ) {
    super(message);
    this.name = 'MDDivergenceError';
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new Error(`runMD: watchdog.${name}: expected a positive number, got ${String(value)}`);
  }
  return value;
}

export class Watchdog {
  private readonly referenceTemperature: number;
  private readonly maxTemperature: number;
  private readonly maxDrift: number;
  private readonly startConserved: number;
  private readonly temperatureFactor: number;
  private readonly driftFactor: number;

  constructor(state: MDState, private readonly integrator: Integrator, options: WatchdogOptions = {}) {
    const spec = integrator.spec();
    const target = spec.type === 'verlet' ? 0 : spec.temperature;
    const floor = positive(options.floorTemperature, 1000, 'floorTemperature');
    this.referenceTemperature = Math.max(instantaneousTemperature(state), target, floor);
    this.temperatureFactor = positive(options.temperatureFactor, 10, 'temperatureFactor');
    this.driftFactor = positive(options.driftFactor, 10, 'driftFactor');
    this.maxTemperature = this.temperatureFactor * this.referenceTemperature;
    this.maxDrift = this.driftFactor * BOLTZMANN * this.referenceTemperature * state.types.length;
    this.startConserved = this.conserved(state);
  }

  private conserved(state: MDState): number {
    return (state.energy as number) + kineticEnergyOf(state) + state.reservoirEnergy;
  }

  /** Throws MDDivergenceError when the state just reached has left the band. */
  check(state: MDState): void {
    const hint = `the dynamics diverged; try a smaller time step (dt is ${this.integrator.dt} fs) or check the model on these structures`;
    const kinetic = kineticEnergyOf(state);
    if (!Number.isFinite(kinetic)) {
      throw new MDDivergenceError(`step ${state.step}: the kinetic energy is ${kinetic}: ${hint}`, state.step, 'kinetic energy');
    }
    const temperature = instantaneousTemperature(state);
    if (temperature > this.maxTemperature) {
      throw new MDDivergenceError(
        `step ${state.step}: temperature ${temperature.toPrecision(3)} K is above ${this.maxTemperature.toPrecision(3)} K ` +
          `(${this.temperatureFactor} x the reference ${this.referenceTemperature.toPrecision(4)} K): ${hint}`,
        state.step,
        'temperature',
      );
    }
    const drift = this.conserved(state) - this.startConserved;
    if (Math.abs(drift) > this.maxDrift) {
      const N = state.types.length;
      throw new MDDivergenceError(
        `step ${state.step}: the conserved energy drifted by ${(drift / N).toPrecision(3)} eV/atom since the start ` +
          `(limit ${(this.maxDrift / N).toPrecision(3)} eV/atom, ${this.driftFactor} k_B x ${this.referenceTemperature.toPrecision(4)} K): ${hint}`,
        state.step,
        'conserved energy',
      );
    }
  }
}
