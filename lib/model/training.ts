// Fitting a linear potential on energies and forces: normal equations
// accumulated frame by frame (memory independent of the data set size),
// regularisation chosen on a validation split, then a refit on everything.
import { createHash } from 'node:crypto';
import { native, type NativeNormalEquations } from '../native/addon.js';
import { toNativeSystem, type System } from '../core/system.js';
import { designRows, parameterCount, type DesignRows } from './design.js';
import { FeatureSet, type FeatureSetSpec } from './feature-set.js';
import { LinearModel } from './linear-model.js';
import type { TrainingFrame } from './training-frame.js';

export type { TrainingFrame } from './training-frame.js';

export interface FitProgress {
  stage: 'scaling' | 'sparse-points' | 'accumulating' | 'regularisation' | 'solving';
  done: number;
  total: number;
}

export interface FitOptions {
  /** Weight of per-atom energy errors (1/(eV/atom)). Default 1. */
  energyWeight?: number;
  /** Weight of force-component errors (1/(eV/A)). Default 0.1 (0 disables force training). */
  forceWeight?: number;
  /** Fraction of frames held out to choose the regularisation. Default 0.1. */
  validationFraction?: number;
  /** Candidate relative regularisations. Default 1e-12 .. 1e-2 by decades. */
  regularizations?: number[];
  /** Seed of the train/validation split. Default 0. */
  seed?: number;
  onProgress?: (progress: FitProgress) => void;
}

export interface ErrorMetrics {
  energyRmsePerAtom: number; // eV/atom
  forceRmse: number; // eV/A
}

export interface FitReport {
  regularization: number;
  /** Validation errors for every candidate regularisation. */
  scan: Array<{ regularization: number } & ErrorMetrics>;
  train: ErrorMetrics;
  validation: ErrorMetrics;
  trainFrames: number;
  validationFrames: number;
  datasetHash: string;
  seconds: number;
}

export function datasetHash(frames: readonly TrainingFrame[]): string {
  const hash = createHash('sha256');
  for (const f of frames) {
    const s = toNativeSystem(f.system);
    hash.update(new Uint8Array(s.positions.buffer, s.positions.byteOffset, s.positions.byteLength));
    hash.update(new Uint8Array(s.types.buffer, s.types.byteOffset, s.types.byteLength));
    if (s.cell) hash.update(new Uint8Array(s.cell.buffer, s.cell.byteOffset, s.cell.byteLength));
    hash.update(new Uint8Array(Float64Array.of(f.energy).buffer));
    if (f.forces) hash.update(new Uint8Array(Float64Array.from(f.forces).buffer));
  }
  return hash.digest('hex');
}

/** Seeded shuffle (mulberry32) for reproducible splits. */
function shuffled(count: number, seed: number): number[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: count }, (_, k) => k);
  for (let k = count - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [order[k], order[j]] = [order[j], order[k]];
  }
  return order;
}

/**
 * Block scales so every block has unit mean squared norm per centre over
 * `frames`; `visit` sees each frame's unscaled block values (so a caller that
 * needs them, e.g. to pick sparse points, does not compute them twice).
 */
export function learnScales(
  features: FeatureSet,
  frames: readonly TrainingFrame[],
  onProgress?: (p: FitProgress) => void,
  visit?: (blocks: Float64Array[], frame: number) => void,
): number[] {
  const sums = features.sizes.map(() => 0);
  let centres = 0;
  frames.forEach((frame, k) => {
    const blocks = features.blockValues(frame.system);
    blocks.forEach((values, b) => {
      for (const v of values) sums[b] += v * v;
    });
    centres += frame.system.types.length;
    visit?.(blocks, k);
    onProgress?.({ stage: 'scaling', done: k + 1, total: frames.length });
  });
  return sums.map((s) => (s > 0 ? Math.sqrt(centres / s) : 1));
}

/**
 * A weighted least-squares problem over frames: how many parameters, the
 * design rows of one frame, and how to solve the accumulated normal equations
 * at one (relative) regularisation. `trace` is trace(A^T W A) of what was
 * accumulated, for problems whose regulariser is not diagonal and need a
 * scale-free lambda.
 */
export interface LeastSquaresProblem {
  parameters: number;
  rows(system: System, withForces: boolean): DesignRows;
  solve(equations: NativeNormalEquations, regularization: number, trace: number): Float64Array;
}

export interface FitSettings {
  energyWeight: number;
  forceWeight: number;
  validationFraction: number;
  regularizations: number[];
  seed: number;
}

const DEFAULT_REGULARIZATIONS = Array.from({ length: 11 }, (_, k) => 10 ** (k - 12));

/** Options with defaults, checked; `grid` is the default regularisation scan. */
export function fitSettings(options: FitOptions, grid: number[] = DEFAULT_REGULARIZATIONS): FitSettings {
  const energyWeight = options.energyWeight ?? 1;
  const forceWeight = options.forceWeight ?? 0.1;
  const fraction = options.validationFraction ?? 0.1;
  const regularizations = options.regularizations ?? grid;
  if (!(energyWeight > 0)) throw new Error('energyWeight: expected a number > 0');
  if (!(forceWeight >= 0)) throw new Error('forceWeight: expected a number >= 0');
  if (!(fraction > 0 && fraction < 1)) throw new Error('validationFraction: expected a number in (0, 1)');
  if (!Array.isArray(regularizations) || regularizations.length === 0 || !regularizations.every((l) => Number.isFinite(l) && l >= 0)) {
    throw new Error('regularizations: expected a non-empty array of finite numbers >= 0');
  }
  return { energyWeight, forceWeight, validationFraction: fraction, regularizations, seed: options.seed ?? 0 };
}

/** Reproducible train/validation split (at least one frame in each). */
export function splitFrames(frames: readonly TrainingFrame[], settings: FitSettings): { train: number[]; validation: number[] } {
  if (frames.length < 2) throw new Error(`frames: expected at least 2 training frames, got ${frames.length}`);
  const order = shuffled(frames.length, settings.seed);
  const nValidation = Math.min(frames.length - 1, Math.max(1, Math.round(settings.validationFraction * frames.length)));
  return { validation: order.slice(0, nValidation), train: order.slice(nValidation) };
}

interface Accumulators {
  energy: NativeNormalEquations;
  forces: NativeNormalEquations;
  frames: number;
  forceComponents: number;
  trace: number;
}

function weightedTrace(rows: Float64Array, weight: number): number {
  let t = 0;
  for (const v of rows) t += v * v;
  return weight * t;
}

function accumulate(
  problem: LeastSquaresProblem,
  frames: readonly TrainingFrame[],
  indices: number[],
  settings: FitSettings,
  progress: () => void,
): Accumulators {
  const n = problem.parameters;
  const { energyWeight, forceWeight } = settings;
  const acc: Accumulators = {
    energy: new native.NormalEquations(n),
    forces: new native.NormalEquations(n),
    frames: 0,
    forceComponents: 0,
    trace: 0,
  };
  for (const k of indices) {
    const frame = frames[k];
    if (!Number.isFinite(frame.energy)) throw new Error(`frames[${k}].energy: expected a finite number (eV)`);
    const useForces = forceWeight > 0 && frame.forces !== undefined;
    const rows = problem.rows(frame.system, useForces);
    const N = rows.atoms;
    const energyRow = rows.energy.map((v) => v / N);
    acc.energy.add(energyRow, Float64Array.of(frame.energy / N), Float64Array.of(energyWeight ** 2));
    acc.trace += weightedTrace(energyRow, energyWeight ** 2);
    if (useForces) {
      const forces = Float64Array.from(frame.forces!);
      if (forces.length !== 3 * N) throw new Error(`frames[${k}].forces: expected ${3 * N} numbers, got ${forces.length}`);
      const bad = forces.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`frames[${k}].forces[${bad}]: expected a finite number (eV/A), got ${forces[bad]}`);
      acc.forces.add(rows.forces!, forces, new Float64Array(3 * N).fill(forceWeight ** 2));
      acc.trace += weightedTrace(rows.forces!, forceWeight ** 2);
      acc.forceComponents += 3 * N;
    }
    acc.frames++;
    progress();
  }
  return acc;
}

function metrics(acc: Accumulators, parameters: Float64Array, settings: FitSettings): ErrorMetrics {
  const { energyWeight, forceWeight } = settings;
  const e = acc.frames ? Math.sqrt(acc.energy.residual(parameters) / energyWeight ** 2 / acc.frames) : NaN;
  const f = acc.forceComponents ? Math.sqrt(acc.forces.residual(parameters) / forceWeight ** 2 / acc.forceComponents) : NaN;
  return { energyRmsePerAtom: e, forceRmse: f };
}

export interface SplitSolution {
  parameters: Float64Array;
  regularization: number;
  scan: FitReport['scan'];
  train: ErrorMetrics;
  validation: ErrorMetrics;
}

/**
 * Accumulates the normal equations of the train and validation frames (one
 * frame in memory at a time), picks the regularisation with the smallest
 * validation loss, then solves train + validation together at that value.
 */
export function solveOnSplit(
  problem: LeastSquaresProblem,
  frames: readonly TrainingFrame[],
  split: { train: number[]; validation: number[] },
  settings: FitSettings,
  onProgress?: (progress: FitProgress) => void,
): SplitSolution {
  let done = 0;
  const total = split.train.length + split.validation.length;
  const tick = () => onProgress?.({ stage: 'accumulating', done: ++done, total });
  const trainAcc = accumulate(problem, frames, split.train, settings, tick);
  const validAcc = accumulate(problem, frames, split.validation, settings, tick);

  const combined = new native.NormalEquations(problem.parameters);
  combined.merge(trainAcc.energy);
  combined.merge(trainAcc.forces);
  const scan: FitReport['scan'] = [];
  let best: { loss: number; regularization: number; parameters?: Float64Array } = { loss: Infinity, regularization: NaN };
  let failure = '';
  settings.regularizations.forEach((lambda, k) => {
    let parameters: Float64Array;
    try {
      parameters = problem.solve(combined, lambda, trainAcc.trace);
    } catch (e) {
      // A too small candidate can leave the system singular; the others may still do.
      failure = (e as Error).message;
      scan.push({ regularization: lambda, energyRmsePerAtom: NaN, forceRmse: NaN });
      onProgress?.({ stage: 'regularisation', done: k + 1, total: settings.regularizations.length });
      return;
    }
    const loss = validAcc.energy.residual(parameters) + validAcc.forces.residual(parameters);
    scan.push({ regularization: lambda, ...metrics(validAcc, parameters, settings) });
    if (loss < best.loss) best = { loss, regularization: lambda, parameters };
    onProgress?.({ stage: 'regularisation', done: k + 1, total: settings.regularizations.length });
  });
  if (!best.parameters) {
    throw new Error(`regularizations: no candidate gives a solvable system (${failure}); try larger regularisations`);
  }

  const trainMetrics = metrics(trainAcc, best.parameters, settings);
  const validationMetrics = metrics(validAcc, best.parameters, settings);
  combined.merge(validAcc.energy);
  combined.merge(validAcc.forces);
  onProgress?.({ stage: 'solving', done: 1, total: 1 });
  const parameters = problem.solve(combined, best.regularization, trainAcc.trace + validAcc.trace);
  return { parameters, regularization: best.regularization, scan, train: trainMetrics, validation: validationMetrics };
}

function toModel(features: FeatureSet, parameters: Float64Array): LinearModel {
  const D = features.dimension;
  const S = features.spec.species.length;
  const weights = new Float64Array(S * D);
  const biases = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    weights.set(parameters.subarray(s * (D + 1), s * (D + 1) + D), s * D);
    biases[s] = parameters[s * (D + 1) + D];
  }
  return new LinearModel(features, { weights, biases });
}

/** Fits a linear multi-scale potential; returns the model and a report of the errors. */
export function fitLinearModel(
  spec: FeatureSetSpec,
  data: readonly TrainingFrame[],
  options: FitOptions = {},
): { model: LinearModel; report: FitReport } {
  const start = Date.now();
  const settings = fitSettings(options);
  const features = new FeatureSet(spec);
  // With a physics baseline the learned part fits what the baseline leaves.
  const frames = features.residualFrames(data);
  const split = splitFrames(frames, settings);
  features.scales = learnScales(features, split.train.map((k) => frames[k]), options.onProgress);
  const problem: LeastSquaresProblem = {
    parameters: parameterCount(features),
    rows: (system, withForces) => designRows(features, system, withForces),
    solve: (equations, lambda) => equations.solve(lambda, true),
  };
  const solution = solveOnSplit(problem, frames, split, settings, options.onProgress);
  return { model: toModel(features, solution.parameters), report: fitReport(solution, split, data, start) };
}

/** The report every fit gives: chosen regularisation, errors, data set and time (`start` from Date.now()). */
export function fitReport(
  solution: SplitSolution,
  split: { train: number[]; validation: number[] },
  data: readonly TrainingFrame[],
  start: number,
): FitReport {
  return {
    regularization: solution.regularization,
    scan: solution.scan,
    train: solution.train,
    validation: solution.validation,
    trainFrames: split.train.length,
    validationFrames: split.validation.length,
    datasetHash: datasetHash(data),
    seconds: (Date.now() - start) / 1000,
  };
}
