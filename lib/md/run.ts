// The MD loop. One generator holds the loop and yields whenever it needs
// forces, so the synchronous and the asynchronous drivers cannot drift apart.
import type { ForceField, ForceFieldResult } from '../forcefield.js';
import type { System } from '../system.js';
import { wrapPositions } from './cell.js';
import type { Integrator } from './integrator.js';
import { degreesOfFreedom, kineticEnergyOf, temperatureOf } from './kinetics.js';
import type { MDState } from './state.js';
import { systemOf } from './state.js';

/** What observers see: the state after a step, with derived energies. */
export interface MDFrame {
  state: MDState;
  integrator: Integrator;
  /** eV */
  potentialEnergy: number;
  /** eV */
  kineticEnergy: number;
  /** K, with the integrator's degrees of freedom */
  temperature: number;
  /** E_pot + E_kin + thermostat reservoir (eV): constant up to integration error. */
  conserved: number;
}

export interface Observer {
  /** Called every `every` steps (and for the initial state of a run starting at step 0). */
  every: number;
  observe(frame: MDFrame): void;
  /** Called once when a run ends, with its last frame. */
  finish?(frame: MDFrame): void;
}

export interface MDProgress {
  /** Steps done in this run. */
  done: number;
  /** Steps requested for this run. */
  total: number;
  /** The state's step counter. */
  step: number;
}

export interface RunOptions {
  forceField: ForceField;
  /**
   * Updated in place. Forces and energy already in the state (a checkpoint's)
   * are reused for the first step; set `state.forces = null` after changing
   * the force field or the positions by hand.
   */
  state: MDState;
  integrator: Integrator;
  /** Number of steps to run. */
  steps: number;
  observers?: Observer[];
  onProgress?: (progress: MDProgress) => void;
  /** Wrap positions into the cell after every step. Default false (unwrapped trajectories give diffusion directly). */
  wrap?: boolean;
  /**
   * Stops the run cleanly between two steps (observers still get their final
   * call, so a checkpoint observer saves the last state). Useful with
   * runMDAsync, where a SIGINT handler can run.
   */
  signal?: AbortSignal;
}

function checkOptions(options: RunOptions): void {
  if (typeof options !== 'object' || options === null) throw new Error('runMD: expected options {forceField, state, integrator, steps}');
  if (!options.forceField || typeof options.forceField.compute !== 'function') {
    throw new Error('runMD: forceField: expected an object with compute(system, request)');
  }
  if (!options.state || !(options.state.positions instanceof Float64Array)) throw new Error('runMD: state: expected an MDState (createState)');
  if (!options.integrator || typeof options.integrator.beforeForces !== 'function') {
    throw new Error('runMD: integrator: expected an integrator (VelocityVerlet, Langevin, StochasticVelocityRescaling)');
  }
  if (!Number.isInteger(options.steps) || options.steps < 0) throw new Error(`runMD: steps: expected a non-negative integer, got ${String(options.steps)}`);
  (options.observers ?? []).forEach((o, k) => {
    if (!Number.isInteger(o?.every) || o.every < 1) throw new Error(`runMD: observers[${k}].every: expected a positive integer, got ${String(o?.every)}`);
  });
  const { state } = options;
  const N = state.types.length;
  if (state.velocities.length !== 3 * N || state.positions.length !== 3 * N || state.masses.length !== N) {
    throw new Error(`runMD: state: positions, velocities (3 x ${N}) and masses (${N}) do not match the ${N} atoms`);
  }
}

/** Stores a force-field result in the state, refusing anything non-finite. */
function accept(state: MDState, result: ForceFieldResult, step: number): void {
  const N = state.types.length;
  const where = `step ${step}: force field`;
  if (!result || typeof result.energy !== 'number') throw new Error(`${where} returned no energy`);
  if (!Number.isFinite(result.energy)) throw new Error(`${where} returned a non-finite energy (${result.energy}); the run stops here`);
  const f = result.forces;
  if (!f || f.length !== 3 * N) throw new Error(`${where} returned ${f ? f.length : 'no'} force components, expected ${3 * N}`);
  for (let k = 0; k < f.length; k++) {
    if (!Number.isFinite(f[k])) {
      throw new Error(`${where} returned a non-finite force on atom ${Math.floor(k / 3)} (${f[k]}); the run stops here`);
    }
  }
  state.energy = result.energy;
  if (!state.forces || state.forces.length !== f.length) state.forces = new Float64Array(f.length);
  state.forces.set(f);
}

function frameOf(state: MDState, integrator: Integrator): MDFrame {
  const kinetic = kineticEnergyOf(state);
  const potential = state.energy as number;
  return {
    state,
    integrator,
    potentialEnergy: potential,
    kineticEnergy: kinetic,
    temperature: temperatureOf(kinetic, degreesOfFreedom(state, integrator.conservesMomentum)),
    conserved: potential + kinetic + state.reservoirEnergy,
  };
}

function* loop(options: RunOptions): Generator<System, MDState, ForceFieldResult> {
  checkOptions(options);
  const { state, integrator, steps } = options;
  const observers = options.observers ?? [];
  if (!state.forces || state.energy === null) accept(state, yield systemOf(state), state.step);
  const notify = (force: boolean) => {
    const due = observers.filter((o) => force || state.step % o.every === 0);
    if (due.length === 0) return;
    const frame = frameOf(state, integrator);
    for (const o of due) o.observe(frame);
  };
  if (state.step === 0) notify(false);
  for (let done = 0; done < steps; done++) {
    if (options.signal?.aborted) break;
    integrator.beforeForces(state);
    accept(state, yield systemOf(state), state.step + 1);
    integrator.afterForces(state);
    state.step += 1;
    state.time += integrator.dt;
    if (options.wrap) wrapPositions(state);
    notify(false);
    options.onProgress?.({ done: done + 1, total: steps, step: state.step });
  }
  const last = frameOf(state, integrator);
  for (const o of observers) o.finish?.(last);
  return state;
}

/** Runs `steps` steps with a synchronous force field; the state is updated in place and returned. */
export function runMD(options: RunOptions): MDState {
  const run = loop(options);
  let next = run.next();
  while (!next.done) next = run.next(options.forceField.compute(next.value, { forces: true }));
  return next.value;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * As runMD, awaiting `computeAsync` when the force field has it (so long runs
 * leave the event loop free); with only `compute`, it yields to the event loop
 * between steps instead.
 */
export async function runMDAsync(options: RunOptions): Promise<MDState> {
  const run = loop(options);
  const ff = options.forceField;
  let next = run.next();
  while (!next.done) {
    let result: ForceFieldResult;
    if (typeof ff.computeAsync === 'function') result = await ff.computeAsync(next.value, { forces: true });
    else {
      await tick();
      result = ff.compute(next.value, { forces: true });
    }
    next = run.next(result);
  }
  return next.value;
}
