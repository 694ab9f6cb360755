// Fitting a linear potential on energies and forces: normal equations
// accumulated frame by frame (memory independent of the data set size),
// regularisation chosen on a validation split, then a refit on everything.
import { createHash } from 'node:crypto';
import { native, type NativeNormalEquations } from '../native.js';
import { toNativeSystem, type System } from '../system.js';
import { designRows, parameterCount } from './design.js';
import { FeatureSet, type FeatureSetSpec } from './feature-set.js';
import { LinearModel } from './linear-model.js';

export interface TrainingFrame {
  system: System;
  /** Total potential energy (eV). */
  energy: number;
  /** Forces (eV/A), [atoms][3] row-major; frames without forces train on energies only. */
  forces?: ArrayLike<number>;
}

export interface FitProgress {
  stage: 'scaling' | 'accumulating' | 'regularisation' | 'solving';
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

/** Block scales so every block has unit mean squared norm per centre over `frames`. */
export function learnScales(features: FeatureSet, frames: readonly TrainingFrame[], onProgress?: (p: FitProgress) => void): number[] {
  const sums = features.sizes.map(() => 0);
  let centres = 0;
  frames.forEach((frame, k) => {
    const blocks = features.blockValues(frame.system);
    blocks.forEach((values, b) => {
      for (const v of values) sums[b] += v * v;
    });
    centres += frame.system.types.length;
    onProgress?.({ stage: 'scaling', done: k + 1, total: frames.length });
  });
  return sums.map((s) => (s > 0 ? Math.sqrt(centres / s) : 1));
}

interface Accumulators {
  energy: NativeNormalEquations;
  forces: NativeNormalEquations;
  frames: number;
  forceComponents: number;
}

function accumulate(
  features: FeatureSet,
  frames: readonly TrainingFrame[],
  indices: number[],
  energyWeight: number,
  forceWeight: number,
  progress: () => void,
): Accumulators {
  const n = parameterCount(features);
  const acc: Accumulators = { energy: new native.NormalEquations(n), forces: new native.NormalEquations(n), frames: 0, forceComponents: 0 };
  for (const k of indices) {
    const frame = frames[k];
    const useForces = forceWeight > 0 && frame.forces !== undefined;
    const rows = designRows(features, frame.system, useForces);
    const N = rows.atoms;
    if (!Number.isFinite(frame.energy)) throw new Error(`frames[${k}].energy: expected a finite number (eV)`);
    acc.energy.add(rows.energy.map((v) => v / N), Float64Array.of(frame.energy / N), Float64Array.of(energyWeight ** 2));
    if (useForces) {
      const forces = Float64Array.from(frame.forces!);
      if (forces.length !== 3 * N) throw new Error(`frames[${k}].forces: expected ${3 * N} numbers, got ${forces.length}`);
      acc.forces.add(rows.forces!, forces, new Float64Array(3 * N).fill(forceWeight ** 2));
      acc.forceComponents += 3 * N;
    }
    acc.frames++;
    progress();
  }
  return acc;
}

function metrics(acc: Accumulators, parameters: Float64Array, energyWeight: number, forceWeight: number): ErrorMetrics {
  const e = acc.frames ? Math.sqrt(acc.energy.residual(parameters) / energyWeight ** 2 / acc.frames) : NaN;
  const f = acc.forceComponents ? Math.sqrt(acc.forces.residual(parameters) / forceWeight ** 2 / acc.forceComponents) : NaN;
  return { energyRmsePerAtom: e, forceRmse: f };
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
  frames: readonly TrainingFrame[],
  options: FitOptions = {},
): { model: LinearModel; report: FitReport } {
  const start = Date.now();
  const energyWeight = options.energyWeight ?? 1;
  const forceWeight = options.forceWeight ?? 0.1;
  const fraction = options.validationFraction ?? 0.1;
  const grid = options.regularizations ?? Array.from({ length: 11 }, (_, k) => 10 ** (k - 12));
  if (!(energyWeight > 0)) throw new Error('energyWeight: expected a number > 0');
  if (!(forceWeight >= 0)) throw new Error('forceWeight: expected a number >= 0');
  if (!(fraction > 0 && fraction < 1)) throw new Error('validationFraction: expected a number in (0, 1)');
  if (frames.length < 2) throw new Error(`frames: expected at least 2 training frames, got ${frames.length}`);

  const features = new FeatureSet(spec);
  const order = shuffled(frames.length, options.seed ?? 0);
  const nValidation = Math.max(1, Math.round(fraction * frames.length));
  const validation = order.slice(0, nValidation);
  const train = order.slice(nValidation);
  features.scales = learnScales(features, train.map((k) => frames[k]), options.onProgress);

  let done = 0;
  const tick = () => options.onProgress?.({ stage: 'accumulating', done: ++done, total: frames.length });
  const trainAcc = accumulate(features, frames, train, energyWeight, forceWeight, tick);
  const validAcc = accumulate(features, frames, validation, energyWeight, forceWeight, tick);

  const combined = new native.NormalEquations(parameterCount(features));
  combined.merge(trainAcc.energy);
  combined.merge(trainAcc.forces);
  const scan: FitReport['scan'] = [];
  let best = { loss: Infinity, regularization: grid[0] };
  grid.forEach((lambda, k) => {
    const parameters = combined.solve(lambda, true);
    const loss = validAcc.energy.residual(parameters) + validAcc.forces.residual(parameters);
    scan.push({ regularization: lambda, ...metrics(validAcc, parameters, energyWeight, forceWeight) });
    if (loss < best.loss) best = { loss, regularization: lambda };
    options.onProgress?.({ stage: 'regularisation', done: k + 1, total: grid.length });
  });

  const chosen = combined.solve(best.regularization, true);
  const trainMetrics = metrics(trainAcc, chosen, energyWeight, forceWeight);
  const validationMetrics = metrics(validAcc, chosen, energyWeight, forceWeight);
  // Final model: train + validation together at the chosen regularisation.
  combined.merge(validAcc.energy);
  combined.merge(validAcc.forces);
  options.onProgress?.({ stage: 'solving', done: 1, total: 1 });
  const model = toModel(features, combined.solve(best.regularization, true));
  return {
    model,
    report: {
      regularization: best.regularization,
      scan,
      train: trainMetrics,
      validation: validationMetrics,
      trainFrames: train.length,
      validationFrames: validation.length,
      datasetHash: datasetHash(frames),
      seconds: (Date.now() - start) / 1000,
    },
  };
}
