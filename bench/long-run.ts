// Long MD run for the reliability report (npm run long-run): 10^5 Langevin
// steps of 64 molten NaCl ions (data/nacl-melt-64.xyz) with a fitted 'local'
// linear model, sampling the process RSS every 1000 steps (no leak per step
// means flat RSS), then a determinism check: two runs with the same seed and
// thread count must end at bit-identical positions.
//
//   npm run long-run -- [--steps 100000] [--every 1000] [--threads 1]
//                       [--determinism-steps 2000] [--cutoff 4 --max-radial 2 --max-angular 2]
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import {
  createState,
  fitLinearModel,
  Langevin,
  presetFeatures,
  runMD,
  setNumThreads,
  type ForceField,
  type MDState,
} from '../lib/index.js';
import { readExtxyz } from '../lib/io/extxyz.js';

export const DATA_FILE = fileURLToPath(new URL('../data/nacl-melt-64.xyz', import.meta.url));

export interface ModelSize {
  cutoff: number;
  maxRadial: number;
  maxAngular: number;
}

/** A 'local' linear model fitted on every 30th frame of the 64-ion melt (a few seconds). */
export function fitSmallModel(size: ModelSize = { cutoff: 4, maxRadial: 2, maxAngular: 2 }): ForceField {
  const frames = readExtxyz(DATA_FILE).filter((_, k) => k % 30 === 0);
  const data = frames.map((f) => ({
    system: { positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc },
    energy: f.info.energy as number,
    forces: f.arrays.forces as Float64Array,
  }));
  return fitLinearModel(presetFeatures('local', [11, 17], size), data, { forceWeight: 1, regularizations: [1e-6] }).model;
}

export interface RssSample {
  step: number;
  /** MB */
  rss: number;
  heapUsed: number;
  external: number;
}

export interface LongRunResult {
  samples: RssSample[];
  state: MDState;
  seconds: number;
}

const MB = 1024 * 1024;

/**
 * Langevin (BAOAB, dt 2 fs, 1100 K, friction 0.01/fs) from the first frame,
 * seeded velocities; RSS sampled every `every` steps. With `yieldEvery` > 0
 * the run is split into synchronous runMD calls of that many steps with one
 * event-loop turn in between (Node-API finalizers of native result buffers
 * only run on an event-loop turn); 0 is a single synchronous runMD call.
 */
export async function longRun(
  model: ForceField,
  steps: number,
  every: number,
  options: { seed?: number; yieldEvery?: number; onSample?: (s: RssSample) => void } = {},
): Promise<LongRunResult> {
  const { seed = 7, yieldEvery = 0, onSample } = options;
  const f = readExtxyz(DATA_FILE)[0];
  const state = createState({ positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc }, { seed, temperature: 1100 });
  const integrator = new Langevin({ dt: 2, temperature: 1100, friction: 0.01 });
  const samples: RssSample[] = [];
  const sample = (step: number) => {
    const m = process.memoryUsage();
    const s = { step, rss: m.rss / MB, heapUsed: m.heapUsed / MB, external: m.external / MB };
    samples.push(s);
    onSample?.(s);
  };
  const started = performance.now();
  const observers = [{ every, observe: (frame: { state: MDState }) => sample(frame.state.step) }];
  const chunk = yieldEvery > 0 ? yieldEvery : steps;
  for (let done = 0; done < steps || (steps === 0 && done === 0); done += chunk) {
    runMD({ forceField: model, state, integrator, steps: Math.min(chunk, steps - done), wrap: true, observers });
    if (yieldEvery > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (steps === 0) break;
  }
  return { samples, state, seconds: (performance.now() - started) / 1000 };
}

/** Least-squares slope of RSS (MB) against step over the samples after `skip` (warm-up), per 10^4 steps. */
export function rssSlopePer1e4(samples: RssSample[], skipFraction = 0.2): number {
  const used = samples.slice(Math.floor(samples.length * skipFraction));
  if (used.length < 2) return 0;
  const n = used.length;
  const mx = used.reduce((a, s) => a + s.step, 0) / n;
  const my = used.reduce((a, s) => a + s.rss, 0) / n;
  let sxy = 0, sxx = 0;
  for (const s of used) {
    sxy += (s.step - mx) * (s.rss - my);
    sxx += (s.step - mx) ** 2;
  }
  return sxx > 0 ? (1e4 * sxy) / sxx : 0;
}

/** Number of position components that differ bitwise. */
export function bitDifferences(a: Float64Array, b: Float64Array): number {
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  let d = a.length === b.length ? 0 : Math.max(a.length, b.length);
  for (let k = 0; k < Math.min(a.length, b.length); k++) if (x[k] !== y[k]) d++;
  return d;
}

function option(argv: string[], name: string, fallback: number): number {
  const k = argv.indexOf(`--${name}`);
  if (k < 0) return fallback;
  const v = Number(argv[k + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name}: expected a number, got ${JSON.stringify(argv[k + 1])}`);
  return v;
}

async function main(argv: string[]): Promise<void> {
  const steps = option(argv, 'steps', 100_000);
  const every = option(argv, 'every', 1000);
  const threads = option(argv, 'threads', 1);
  const detSteps = option(argv, 'determinism-steps', 2000);
  const yieldEvery = option(argv, 'yield-every', 0);
  const size = { cutoff: option(argv, 'cutoff', 4), maxRadial: option(argv, 'max-radial', 2), maxAngular: option(argv, 'max-angular', 2) };
  setNumThreads(threads);
  const fitStart = performance.now();
  const model = fitSmallModel(size);
  console.log(
    `model: local linear, cutoff ${size.cutoff} A, max_radial ${size.maxRadial}, max_angular ${size.maxAngular} ` +
      `(fitted in ${((performance.now() - fitStart) / 1000).toFixed(1)} s); ${threads} thread(s)`,
  );
  console.log(
    `run: ${steps} Langevin steps (dt 2 fs, 1100 K) of 64 NaCl ions, RSS every ${every} steps, ` +
      (yieldEvery > 0 ? `runMD in chunks of ${yieldEvery} steps with an event-loop turn in between\n` : 'one synchronous runMD call\n'),
  );
  console.log('| step | RSS/MB | heapUsed/MB | external/MB |\n|---:|---:|---:|---:|');
  const run = await longRun(model, steps, every, {
    yieldEvery,
    onSample: (s) => console.log(`| ${s.step} | ${s.rss.toFixed(1)} | ${s.heapUsed.toFixed(1)} | ${s.external.toFixed(2)} |`),
  });
  const first = run.samples[0], last = run.samples[run.samples.length - 1];
  const max = Math.max(...run.samples.map((s) => s.rss));
  const afterWarmup = run.samples[Math.floor(run.samples.length * 0.2)];
  console.log(`\n${steps} steps in ${run.seconds.toFixed(0)} s (${((1000 * run.seconds) / Math.max(steps, 1)).toFixed(2)} ms/step)`);
  console.log(`RSS: start ${first.rss.toFixed(1)} MB, max ${max.toFixed(1)} MB, end ${last.rss.toFixed(1)} MB`);
  console.log(
    `RSS growth per 10^4 steps: ${((1e4 * (last.rss - first.rss)) / Math.max(last.step - first.step, 1)).toFixed(3)} MB (first to last), ` +
      `${((1e4 * (last.rss - afterWarmup.rss)) / Math.max(last.step - afterWarmup.step, 1)).toFixed(3)} MB (after the first 20%), ` +
      `least-squares slope after 20% ${rssSlopePer1e4(run.samples).toFixed(3)} MB`,
  );
  const finite = run.state.positions.every(Number.isFinite);
  console.log(`final state: step ${run.state.step}, positions finite: ${finite}`);

  const a = await longRun(model, detSteps, detSteps, { seed: 11, yieldEvery });
  const b = await longRun(model, detSteps, detSteps, { seed: 11, yieldEvery });
  const diff = bitDifferences(a.state.positions, b.state.positions) + bitDifferences(a.state.velocities, b.state.velocities);
  console.log(`determinism: two ${detSteps}-step runs, seed 11, ${threads} thread(s): ${diff === 0 ? 'bit-identical' : `${diff} components differ`} final positions and velocities`);
  if (!finite || diff !== 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
