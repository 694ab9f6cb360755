import { loadModel, trainingClosestPairs } from '../../model/index.js';
import { checkpointObserver, readCheckpoint } from '../../md/checkpoint.js';
import type { IntegratorSpec } from '../../md/integrators/integrator.js';
import { createIntegrator } from '../../md/integrators/factory.js';
import { runMDAsync, type Observer } from '../../md/run.js';
import { MDDivergenceError } from '../../md/watchdog.js';
import { createState } from '../../md/create-state.js';
import type { MDState } from '../../md/state.js';
import { thermoObserver } from '../../md/thermo.js';
import { trajectoryObserver, truncateTrajectoryAfter } from '../../md/trajectory.js';
import { maxwellBoltzmann } from '../../md/velocities.js';
import { setNumThreads } from '../../core/threads.js';
import { helpText, numberOption, parseArgs, stringOption, type CommandSpec, type ParsedArgs } from '../args.js';
import { readFrames } from '../frames.js';
import { readExtxyz } from '../../structures/index.js';
import { Progress } from '../progress.js';

const THERMOSTATS = ['none', 'langevin', 'csvr'] as const;

export const spec: CommandSpec = {
  name: 'md',
  usage: 'lodestone md MODEL START.xyz [options]   |   lodestone md MODEL --restart CHECKPOINT [options]',
  summary: 'Molecular dynamics with a fitted model: NVE (velocity Verlet) or NVT (Langevin BAOAB, CSVR).',
  details:
    'Units: positions A, time fs, energies eV, forces eV/A, masses amu (standard atomic weights), T in K.\n' +
    'Starts from the first frame of START.xyz (as lodestone ipi, LAMMPS and OpenMM do; --frame -1 for the last).\n' +
    'Velocities come from START.xyz when it has ASE\'s "momenta" or a "velocities" column (A/fs; --traj writes\n' +
    'both), otherwise from a Maxwell-Boltzmann distribution at --temperature (zero total momentum; T counts\n' +
    '3N - 3 degrees of freedom, and the thermo T is exact at step 0).\n' +
    'Thermo columns: step, time/fs, T/K, E_pot, E_kin, E_tot and the conserved quantity (eV;\n' +
    'E_tot plus the energy the thermostat exchanged). --restart continues a checkpoint bit for bit\n' +
    '(same integrator unless options change it; --steps counts additional steps; --traj appends,\n' +
    'first dropping frames written after the checkpoint).\n' +
    'A watchdog stops the run with an error when forces or energies become non-finite, the temperature exceeds\n' +
    '10 x the reference (largest of the initial T, the thermostat target and 1000 K), or the conserved energy\n' +
    'drifts by more than 10 k_B x the reference per atom: signs of a time step too large for the forces; and\n' +
    'when two atoms come closer than 0.8 x the closest pair of their species in the model\'s training data\n' +
    '(models of lodestone fit keep it), where the model extrapolates and its energy may fall instead of rising.',
  options: [
    { name: 'steps', value: 'N', description: 'number of steps to run', default: '1000' },
    { name: 'dt', value: 'FS', description: 'time step (fs)', default: '1' },
    { name: 'thermostat', value: 'NAME', description: `${THERMOSTATS.join(' | ')}`, default: 'none' },
    { name: 'temperature', value: 'K', description: 'thermostat target and initial Maxwell-Boltzmann temperature (K); required with a thermostat' },
    { name: 'friction', value: '1/FS', description: 'Langevin friction (1/fs)', default: '0.01' },
    { name: 'tau', value: 'FS', description: 'CSVR relaxation time (fs)', default: '100' },
    { name: 'seed', value: 'N', description: 'random seed (initial velocities, thermostat noise)', default: '0' },
    { name: 'frame', value: 'INDEX', description: 'frame of START.xyz to start from (negative counts from the end)', default: '0' },
    { name: 'resample-velocities', description: 'draw Maxwell-Boltzmann velocities even if START.xyz has velocities' },
    { name: 'fixed', value: 'LIST', description: 'comma-separated indices (0-based) of atoms held in place' },
    { name: 'wrap', description: 'wrap positions into the cell (default: unwrapped, as diffusion needs)' },
    { name: 'thermo-every', value: 'N', description: 'steps between thermo lines', default: '100' },
    { name: 'traj', value: 'FILE', description: 'extended-XYZ trajectory with energy, forces, velocities' },
    { name: 'traj-every', value: 'N', description: 'steps between trajectory frames', default: '10' },
    { name: 'checkpoint', value: 'FILE', description: 'checkpoint (JSON, exact) written periodically and at the end' },
    { name: 'checkpoint-every', value: 'N', description: 'steps between checkpoints', default: '1000' },
    { name: 'restart', value: 'FILE', description: 'continue from a checkpoint' },
    { name: 'threads', value: 'N', description: 'OpenMP threads for the model', default: 'all cores' },
    { name: 'no-watchdog', description: 'do not stop the run when the temperature or the conserved energy runs away, or atoms come closer than the training data (see above)' },
    { name: 'quiet', description: 'no progress bar' },
    { name: 'help', description: 'show this help' },
  ],
};

const positiveInteger = (v: number) => Number.isInteger(v) && v >= 1;

function integratorSpec(args: ParsedArgs, base: IntegratorSpec | undefined): IntegratorSpec {
  const given = (name: string) => args.options.has(name);
  const baseName = base ? (base.type === 'verlet' ? 'none' : base.type) : 'none';
  const thermostat = stringOption(args, 'thermostat', baseName);
  if (!(THERMOSTATS as readonly string[]).includes(thermostat)) {
    throw new Error(`--thermostat: unknown thermostat ${JSON.stringify(thermostat)}; expected one of ${THERMOSTATS.join(', ')}`);
  }
  const dt = numberOption(args, 'dt', base?.dt ?? 1, (v) => v > 0);
  if (thermostat === 'none') {
    for (const name of ['friction', 'tau']) if (given(name)) throw new Error(`--${name} needs a thermostat (--thermostat langevin or csvr)`);
    return { type: 'verlet', dt };
  }
  const baseT = base && base.type !== 'verlet' ? base.temperature : undefined;
  const temperature = numberOption(args, 'temperature', baseT ?? NaN, (v) => v >= 0);
  if (Number.isNaN(temperature)) throw new Error(`--temperature: required with --thermostat ${thermostat} (K)`);
  if (thermostat === 'langevin') {
    if (given('tau')) throw new Error('--tau is the CSVR time constant; Langevin takes --friction (1/fs)');
    return { type: 'langevin', dt, temperature, friction: numberOption(args, 'friction', base?.type === 'langevin' ? base.friction : 0.01, (v) => v > 0) };
  }
  if (given('friction')) throw new Error('--friction is the Langevin coupling; CSVR takes --tau (fs)');
  return { type: 'csvr', dt, temperature, tau: numberOption(args, 'tau', base?.type === 'csvr' ? base.tau : 100, (v) => v > 0) };
}

function fixedList(args: ParsedArgs): number[] {
  const raw = args.options.get('fixed');
  if (raw === undefined) return [];
  if (raw === true) throw new Error('--fixed: expected comma-separated atom indices');
  return raw.split(',').filter((s) => s.trim() !== '').map((s) => {
    const i = Number(s);
    if (!Number.isInteger(i) || i < 0) throw new Error(`--fixed: ${JSON.stringify(s)} is not an atom index`);
    return i;
  });
}

function startState(args: ParsedArgs, path: string): MDState {
  const frames = readExtxyz(path);
  if (frames.length === 0) throw new Error(`${path}: no frames`);
  const index = numberOption(args, 'frame', 0, Number.isInteger);
  const k = index < 0 ? frames.length + index : index;
  const frame = frames[k];
  if (!frame) throw new Error(`--frame ${index}: ${path} has ${frames.length} frames`);
  const seed = numberOption(args, 'seed', 0, (v) => Number.isInteger(v) && v >= 0);
  const state = createState(frame, { seed, fixed: fixedList(args), ...(frame.masses ? { masses: frame.masses } : {}) });
  const velocities = frame.velocities;
  const temperature = args.options.has('temperature') ? numberOption(args, 'temperature', 0, (v) => v >= 0) : undefined;
  if (velocities && !args.options.has('resample-velocities')) {
    state.velocities.set(velocities);
    for (const i of state.fixed) state.velocities.fill(0, 3 * i, 3 * i + 3);
    console.log(`start: ${path} frame ${k} (${state.types.length} atoms), velocities from the file`);
  } else if (temperature !== undefined) {
    maxwellBoltzmann(state, temperature);
    console.log(`start: ${path} frame ${k} (${state.types.length} atoms), Maxwell-Boltzmann velocities at ${temperature} K (seed ${seed})`);
  } else {
    console.log(`start: ${path} frame ${k} (${state.types.length} atoms), atoms at rest (no --temperature)`);
  }
  return state;
}

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv, spec);
  if (args.options.has('help')) return void console.log(helpText(spec));
  const restart = args.options.get('restart');
  if (restart === true) throw new Error('--restart: expected a checkpoint file');
  const expected = restart === undefined ? 2 : 1;
  if (args.positionals.length !== expected && !(restart !== undefined && args.positionals.length === 2)) {
    throw new Error(`expected a model and a start structure (or a model and --restart CHECKPOINT)\n\n${helpText(spec)}`);
  }
  if (args.options.has('threads')) setNumThreads(numberOption(args, 'threads', 1, positiveInteger));
  const steps = numberOption(args, 'steps', 1000, (v) => Number.isInteger(v) && v >= 0);
  const [modelPath, startPath] = args.positionals;

  let state: MDState;
  let base: IntegratorSpec | undefined;
  if (restart !== undefined) {
    for (const name of ['frame', 'resample-velocities', 'fixed', 'seed']) {
      if (args.options.has(name)) throw new Error(`--${name} cannot change a restarted run (the checkpoint holds it)`);
    }
    const checkpoint = readCheckpoint(restart);
    state = checkpoint.state;
    base = checkpoint.integrator;
    if (startPath !== undefined) {
      const frames = readFrames(startPath);
      const types = frames[frames.length - 1].types;
      if (types.length !== state.types.length || types.some((t, i) => t !== state.types[i])) {
        throw new Error(`--restart ${restart}: its atoms do not match ${startPath}`);
      }
    }
    console.log(`restart: ${restart} at step ${state.step} (${state.time} fs, ${state.types.length} atoms)`);
  } else {
    state = startState(args, startPath);
  }
  const integratorDesc = integratorSpec(args, base);
  const integrator = createIntegrator(integratorDesc);
  const { model, metadata } = loadModel(modelPath);
  // What the model was fitted on (model files of lodestone fit keep it): the watchdog stops where it would extrapolate.
  const closestPairs = trainingClosestPairs(metadata);

  const observers: Observer[] = [];
  const progress = args.options.has('quiet') ? null : new Progress('md', steps, 'steps');
  const clearBar = progress && process.stderr.isTTY ? () => process.stderr.write('\r\x1b[K') : () => {};
  observers.push(thermoObserver({
    every: numberOption(args, 'thermo-every', 100, positiveInteger),
    write: (line) => {
      clearBar();
      console.log(line);
    },
  }));
  const traj = args.options.get('traj');
  if (traj !== undefined) {
    if (traj === true) throw new Error('--traj: expected a file name');
    if (restart !== undefined) {
      const dropped = truncateTrajectoryAfter(traj, state.step);
      if (dropped > 0) console.log(`trajectory: dropped ${dropped} frame(s) after step ${state.step} from ${traj} (written after the checkpoint)`);
    }
    observers.push(trajectoryObserver(traj, { every: numberOption(args, 'traj-every', 10, positiveInteger), append: restart !== undefined }));
  }
  const checkpoint = args.options.get('checkpoint');
  if (checkpoint !== undefined) {
    if (checkpoint === true) throw new Error('--checkpoint: expected a file name');
    observers.push(checkpointObserver(checkpoint, {
      every: numberOption(args, 'checkpoint-every', 1000, positiveInteger),
      metadata: { model: modelPath, start: startPath ?? null },
    }));
  }

  const describe = Object.entries(integratorDesc).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`integrator: ${describe}  (dt fs, temperature K, friction 1/fs, tau fs); ${steps} steps`);
  const started = Date.now();
  const firstStep = state.step;
  // Ctrl-C ends the run after the current step (the checkpoint, if any, is
  // written); a second Ctrl-C exits at once.
  const stop = new AbortController();
  const onInterrupt = () => {
    if (stop.signal.aborted) process.exit(130);
    clearBar();
    console.log(`interrupted: stopping after step ${state.step + 1}`);
    stop.abort();
  };
  process.on('SIGINT', onInterrupt);
  try {
    await runMDAsync({
      forceField: model,
      state,
      integrator,
      steps,
      observers,
      wrap: args.options.has('wrap'),
      signal: stop.signal,
      watchdog: args.options.has('no-watchdog') ? false : { closestPairs },
      onProgress: progress ? (p) => progress.update(p.done) : undefined,
    });
  } catch (error) {
    clearBar();
    if (error instanceof MDDivergenceError) throw new Error(`${error.message} (--dt; --no-watchdog turns this check off)`, { cause: error });
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  const done = state.step - firstStep;
  const seconds = (Date.now() - started) / 1000;
  const rate = seconds > 0 ? done / seconds : Infinity;
  console.log(`done: ${done} steps in ${seconds.toFixed(1)} s (${rate.toFixed(1)} steps/s, ${(rate * state.types.length).toFixed(0)} atom-steps/s), now at step ${state.step}, ${state.time} fs`);
  if (traj !== undefined) console.log(`trajectory: ${traj}`);
  if (checkpoint !== undefined) console.log(`checkpoint: ${checkpoint}`);
}
