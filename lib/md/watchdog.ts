// Stops a run whose dynamics have diverged (a time step too large for the
// forces, a model far outside its training data) instead of letting it reach
// 1e9 K and exit as if nothing happened. The bands are wide: a sane run never
// comes near them, a diverging one leaves them within a few steps.
import { BOLTZMANN } from '../io/units.js';
import type { Integrator } from './integrators/integrator.js';
import { instantaneousTemperature, kineticEnergyOf } from './kinetics.js';
import { CONTACT_FACTOR, contactInterval, outsideTraining, type ClosestPairs, type Contact } from '../core/contacts.js';
import { symbolOf } from '../io/elements.js';
import { toNativeSystem } from '../core/system.js';
import { systemOf, type MDState } from './state.js';

/** What outsideTraining found, in words, the atoms named by index and symbol (`types`: their atomic numbers). */
export function describeContact(contact: Contact, types: ArrayLike<number>, factor = CONTACT_FACTOR): string {
  const name = (i: number) => `${i} (${symbolOf(types[i])})`;
  return (
    `atoms ${name(contact.i)} and ${name(contact.j)} are ${contact.distance.toFixed(3)} A apart, closer than ${factor} x the closest ` +
    `such pair of the model's training data (${contact.reference.toFixed(3)} A): the model is extrapolating there`
  );
}

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
  /**
   * The closest distance (A) of each species pair in the model's training
   * frames (FitReport.closestPairs, kept in the model file's metadata):
   * the run stops when two atoms come closer than `contactFactor` times
   * their pair's, where the model's energy was never fitted. Absent: no check.
   */
  closestPairs?: ClosestPairs;
  /** Default CONTACT_FACTOR (0.8): thermal motion reaches some way below the closest pair of a finite training set. */
  contactFactor?: number;
  /** Steps between two contact checks. Default contactInterval(atoms) (lib/core/contacts.ts). */
  contactEvery?: number;
}

/** Why a run was stopped: the step and the quantity that left its band. */
export class MDDivergenceError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly quantity: 'temperature' | 'conserved energy' | 'kinetic energy' | 'closest pair',
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
  private readonly closestPairs: ClosestPairs | null;
  private readonly contactFactor: number;
  private readonly contactEvery: number;

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
    const pairs = options.closestPairs;
    if (pairs !== undefined && (typeof pairs !== 'object' || pairs === null || !Object.values(pairs).every((r) => typeof r === 'number' && r > 0))) {
      throw new Error(`runMD: watchdog.closestPairs: expected {"Z1-Z2": distance (A)}, got ${JSON.stringify(pairs)}`);
    }
    this.closestPairs = pairs ?? null;
    this.contactFactor = positive(options.contactFactor, CONTACT_FACTOR, 'contactFactor');
    this.contactEvery = positive(options.contactEvery, contactInterval(state.types.length), 'contactEvery');
    if (!Number.isInteger(this.contactEvery)) throw new Error(`runMD: watchdog.contactEvery: expected a whole number of steps, got ${this.contactEvery}`);
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
    if (this.closestPairs && state.step % this.contactEvery === 0) this.checkContacts(state);
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

  private checkContacts(state: MDState): void {
    const closest = outsideTraining(toNativeSystem(systemOf(state)), this.closestPairs!, this.contactFactor);
    if (!closest) return;
    throw new MDDivergenceError(
      `step ${state.step}: ${describeContact(closest, state.types, this.contactFactor)} (its energy was never fitted so close, and may ` +
        `fall instead of rising); fit it on frames that sample these distances (e.g. from MD at the run's temperature), or check the ` +
        `time step (dt is ${this.integrator.dt} fs)`,
      state.step,
      'closest pair',
    );
  }
}
