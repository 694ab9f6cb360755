// The MD loop. One generator holds the loop and yields whenever it needs
// forces, so the synchronous and the asynchronous drivers cannot drift apart.
import type { ForceField, ForceFieldResult } from '../core/forcefield.js';
import type { System } from '../core/system.js';
import { wrapPositions } from './cell.js';
import type { Integrator } from './integrators/integrator.js';
import { instantaneousTemperature, kineticEnergyOf } from './kinetics.js';
import type { MDState } from './state.js';
import { systemOf } from './state.js';
import { Random } from './random.js';
import { Watchdog, type WatchdogOptions } from './watchdog.js';

/** What observers see: the state after a step, with derived energies. */
export interface MDFrame {
  state: MDState;
  integrator: Integrator;
  /** eV */
  potentialEnergy: number;
  /** eV */
  kineticEnergy: number;
  /** K: kinetic energy relative to the centre of mass over 3N - 3 degrees of freedom (instantaneousTemperature) */
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
  /**
   * Stops the run with an MDDivergenceError (naming the step and the
   * quantity) when the temperature or the conserved energy leaves a wide
   * band around the start (see WatchdogOptions). Default on; false turns it off.
   */
  watchdog?: WatchdogOptions | false;
}

function checkOptions(options: RunOptions): void {
  if (typeof options !== 'object' || options === null) throw new Error('runMD: expected options {forceField, state, integrator, steps}');
  if (!options.forceField || typeof options.forceField.compute !== 'function') {
    throw new Error('runMD: forceField: expected an object with compute(system, request)');
  }
  const s = options.state;
  if (!s || !(s.positions instanceof Float64Array) || !(s.velocities instanceof Float64Array) || !(s.masses instanceof Float64Array) || !s.types || !s.random) {
    throw new Error('runMD: state: expected an MDState (createState)');
  }
  if (!options.integrator || typeof options.integrator.beforeForces !== 'function') {
    throw new Error('runMD: integrator: expected an integrator (VelocityVerlet, Langevin, StochasticVelocityRescaling)');
  }
  const w = options.watchdog;
  if (w !== undefined && w !== false && (typeof w !== 'object' || w === null)) {
    throw new Error(`runMD: watchdog: expected false or options {temperatureFactor?, driftFactor?, floorTemperature?, closestPairs?, contactFactor?, contactEvery?}, got ${String(w)}`);
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
function accept(state: MDState, result: ForceFieldResult, step: number, hint = ''): void {
  const N = state.types.length;
  const where = `step ${step}: force field`;
  if (!result || typeof result.energy !== 'number') throw new Error(`${where} returned no energy`);
  if (!Number.isFinite(result.energy)) throw new Error(`${where} returned a non-finite energy (${result.energy}); the run stops here${hint}`);
  const f = result.forces;
  if (!f || f.length !== 3 * N) throw new Error(`${where} returned ${f ? f.length : 'no'} force components, expected ${3 * N}`);
  for (let k = 0; k < f.length; k++) {
    if (!Number.isFinite(f[k])) {
      throw new Error(`${where} returned a non-finite force on atom ${Math.floor(k / 3)} (${f[k]}); the run stops here${hint}`);
    }
  }
  state.energy = result.energy;
  if (!state.forces || state.forces.length !== f.length) state.forces = new Float64Array(f.length);
  state.forces.set(f);
}

interface Snapshot {
  positions: Float64Array;
  velocities: Float64Array;
  random: ReturnType<MDState['random']['state']>;
  reservoirEnergy: number;
}

function snapshot(state: MDState): Snapshot {
  return {
    positions: Float64Array.from(state.positions),
    velocities: Float64Array.from(state.velocities),
    random: state.random.state(),
    reservoirEnergy: state.reservoirEnergy,
  };
}

function restore(state: MDState, saved: Snapshot): void {
  state.positions.set(saved.positions);
  state.velocities.set(saved.velocities);
  state.random = Random.fromState(saved.random);
  state.reservoirEnergy = saved.reservoirEnergy;
}

/** Errors from accept() already name the step; anything else a force field throws gets it prepended. */
function stepError(error: unknown, step: number, rolledBack = true): Error {
  if (error instanceof Error && error.message.startsWith(`step ${step}:`)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const left = rolledBack ? `; the state is left at step ${step - 1}` : '';
  return new Error(`step ${step}: force field failed: ${message}${left}`, { cause: error });
}

function frameOf(state: MDState, integrator: Integrator): MDFrame {
  const kinetic = kineticEnergyOf(state);
  const potential = state.energy as number;
  return {
    state,
    integrator,
    potentialEnergy: potential,
    kineticEnergy: kinetic,
    temperature: instantaneousTemperature(state),
    conserved: potential + kinetic + state.reservoirEnergy,
  };
}

function* loop(options: RunOptions): Generator<System, MDState, ForceFieldResult> {
  checkOptions(options);
  const { state, integrator, steps } = options;
  const observers = options.observers ?? [];
  if (!state.forces || state.energy === null) {
    try {
      accept(state, yield systemOf(state), state.step);
    } catch (error) {
      throw stepError(error, state.step, false);
    }
  }
  const notify = (force: boolean) => {
    const due = observers.filter((o) => force || state.step % o.every === 0);
    if (due.length === 0) return;
    const frame = frameOf(state, integrator);
    for (const o of due) o.observe(frame);
  };
  if (state.step === 0) notify(false);
  const watchdog = options.watchdog === false ? null : new Watchdog(state, integrator, options.watchdog ?? {});
  for (let done = 0; done < steps; done++) {
    if (options.signal?.aborted) break;
    // A failed force evaluation (NaN, an exception) leaves the state at the
    // last completed step, so the run can continue (e.g. with a fixed force
    // field) exactly as if the failed step had never been attempted.
    const saved = snapshot(state);
    integrator.beforeForces(state);
    try {
      accept(state, yield systemOf(state), state.step + 1, ` (the dynamics may have diverged: try a smaller time step than ${integrator.dt} fs)`);
    } catch (error) {
      restore(state, saved);
      throw stepError(error, state.step + 1);
    }
    integrator.afterForces(state);
    state.step += 1;
    state.time += integrator.dt;
    watchdog?.check(state);
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
  while (!next.done) {
    let result: ForceFieldResult;
    try {
      result = options.forceField.compute(next.value, { forces: true });
    } catch (error) {
      next = run.throw(error); // the loop restores the state and rethrows, naming the step
      continue;
    }
    next = run.next(result);
  }
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
  let next = run.next(); // checks the options first
  const ff = options.forceField;
  while (!next.done) {
    let result: ForceFieldResult;
    try {
      if (typeof ff.computeAsync === 'function') result = await ff.computeAsync(next.value, { forces: true });
      else {
        await tick();
        result = ff.compute(next.value, { forces: true });
      }
    } catch (error) {
      next = run.throw(error); // the loop restores the state and rethrows, naming the step
      continue;
    }
    next = run.next(result);
  }
  return next.value;
}
