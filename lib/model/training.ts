// Fitting a linear potential on energies and forces: normal equations
// accumulated frame by frame (memory independent of the data set size), one
// set per cross-validation fold; the regularisation is chosen by k-fold
// cross-validation, then all folds are solved together.
import { closestPairs, type ClosestPairs } from '../core/contacts.js';
import { createHash } from 'node:crypto';
import { totalmem } from 'node:os';
import { native, type NativeNormalEquations } from '../native/addon.js';
import { toNativeSystem, type System } from '../core/system.js';
import { channelChoice, narrowModel, type ChannelChoice } from './channel-choice.js';
import { featurePasses, parameterCount, passDesignRows, speciesParameters, type DesignRows } from './design.js';
import { referenceEnergies, withoutReference } from './composition.js';
import { FeatureSet, type FeatureSetSpec } from './feature-set.js';
import { LinearModel } from './linear-model.js';
import { groupKeys, type ChargeTrainingFrame, type TrainingFrame } from './training-frame.js';

export type { ChargeTrainingFrame, TrainingFrame } from './training-frame.js';

export interface FitProgress {
  /** 'charges': charges read off the energies (a learned-charge baseline without reference charges) */
  stage: 'charges' | 'scaling' | 'contraction' | 'sparse-points' | 'accumulating' | 'regularisation' | 'solving';
  done: number;
  total: number;
}

export interface FitOptions {
  /** Weight of per-atom energy errors (1/(eV/atom)). Default 1. */
  energyWeight?: number;
  /** Weight of force-component errors (1/(eV/A)). Default 0.1 (0 disables force training). */
  forceWeight?: number;
  /** Cross-validation folds (over frames, or over groups) to choose the regularisation. Default 5. */
  folds?: number;
  /** Candidate relative regularisations. Default 1e-12 .. 1e-2 by decades. */
  regularizations?: number[];
  /** Seed of the fold assignment. Default 0. */
  seed?: number;
  /**
   * Refuse to start when the fit's estimated peak memory exceeds this many
   * bytes (the error says what would fit). Default: half the machine's RAM.
   */
  maxMemory?: number;
  /**
   * Extra frames for the learned charges of a 'charges' baseline only: their
   * charges join the training frames' in the charge fit; nothing else is
   * fitted to them. An error for a feature set without such a baseline.
   */
  chargeFrames?: readonly ChargeTrainingFrame[];
  onProgress?: (progress: FitProgress) => void;
  /** Called once before any feature is computed: the parameter count, folds and estimated peak memory (bytes). */
  onPlan?: (plan: { parameters: number; folds: number; bytes: number; maxMemory: number }) => void;
}

export interface ErrorMetrics {
  energyRmsePerAtom: number; // eV/atom
  forceRmse: number; // eV/A
}

/** Per candidate: its regularisation, its contracted channels when the fit chooses those too, and its errors. */
export type RegularizationScan = Array<{ regularization: number; channels?: number } & ErrorMetrics>;

export interface FitReport {
  /** The chosen regularisation (of the last stage when the solve has several). */
  regularization: number;
  /** Cross-validation errors for every candidate regularisation (of the last stage). */
  scan: RegularizationScan;
  /** Every stage of a solve in stages (a kernel model's linear part, then its kernel): name, choice and scan. */
  stages?: Array<{ name: string; regularization: number; channels?: number; scan: RegularizationScan }>;
  /**
   * Contracted channels per l of the linear features, when cross-validation
   * chose them among candidates (features.contraction.candidates).
   */
  channels?: { chosen: number; candidates: number[] };
  /** Errors of the final model on every frame it was fitted on. */
  train: ErrorMetrics;
  /**
   * Per-species reference energies (eV per atom, the feature set's species
   * order): least squares on the compositions alone, fitted first and part
   * of the model's biases (see composition.ts).
   */
  referenceEnergies: number[];
  /** Cross-validation errors at the chosen regularisation (every frame predicted by a model that did not see it). */
  validation: ErrorMetrics;
  frames: number;
  folds: number;
  parameters: number;
  /** Estimated peak memory of the fit (bytes). */
  estimatedBytes: number;
  datasetHash: string;
  /**
   * The closest distance (A) of every species pair in the training frames,
   * "Z1-Z2": closer than that the model extrapolates (lodestone md stops
   * there, lib/md/watchdog.ts).
   */
  closestPairs: ClosestPairs;
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
 * design rows of one frame, and how to solve accumulated normal equations,
 * in one or more stages.
 */
export interface LeastSquaresProblem {
  parameters: number;
  /** Design rows of several frames at once (force rows for those asked). */
  rows(systems: readonly System[], withForces: readonly boolean[]): DesignRows[];
  /**
   * Solved in order, each stage's regularisation chosen by cross-validation
   * with the earlier stages at theirs (one stage: the whole problem at once).
   */
  stages: SolveStage[];
}

/** One step of a solve: some parameters at one (relative, scale-free) regularisation. */
export interface SolveStage {
  /** What the report calls this stage ('linear', 'kernel'). */
  name: string;
  regularizations: number[];
  /** Per candidate (parallel to regularizations), when a candidate is also a number of contracted channels. */
  channels?: number[];
  /**
   * All parameters at candidate `candidate` (an index of regularizations),
   * given the previous stage's solution on the same equations (null for the
   * first stage).
   */
  solve(equations: NativeNormalEquations, regularization: number, previous: Float64Array | null, candidate: number): Float64Array;
  /**
   * The simplest candidate (a kernel stage's Infinity: no kernel). It is kept
   * unless the best one lowers the cross-validated loss by more than one
   * standard error of the per-fold differences: a gain the folds do not
   * agree on is noise, and chasing it costs accuracy on new data. Nor is a
   * candidate kept that is worse than it on energies or on forces alone.
   */
  fallback?: number;
}

export interface FitSettings {
  energyWeight: number;
  forceWeight: number;
  folds: number;
  regularizations: number[];
  seed: number;
  maxMemory: number;
}

/** Powers of ten from 1e-12 as decimal literals: 10 ** -5 would be 0.00009999999999999999 in reports. */
export function decades(count: number): number[] {
  return Array.from({ length: count }, (_, k) => Number(`1e${k - 12}`));
}

const DEFAULT_REGULARIZATIONS = decades(11);
export const DEFAULT_FOLDS = 5;

/** Options with defaults, checked; `grid` is the default regularisation scan. */
export function fitSettings(options: FitOptions, grid: number[] = DEFAULT_REGULARIZATIONS): FitSettings {
  if (typeof options !== 'object' || options === null) throw new Error('options: expected an object');
  if ('validationFraction' in options) {
    throw new Error('validationFraction: no longer used; the regularisation is chosen by cross-validation (option folds, default 5)');
  }
  const energyWeight = options.energyWeight ?? 1;
  const forceWeight = options.forceWeight ?? 0.1;
  const folds = options.folds ?? DEFAULT_FOLDS;
  const regularizations = options.regularizations ?? grid;
  const maxMemory = options.maxMemory ?? totalmem() / 2;
  if (!(energyWeight > 0)) throw new Error('energyWeight: expected a number > 0');
  if (!(forceWeight >= 0)) throw new Error('forceWeight: expected a number >= 0');
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`folds: expected an integer >= 2, got ${String(folds)}`);
  if (!Array.isArray(regularizations) || regularizations.length === 0 || !regularizations.every((l) => Number.isFinite(l) && l >= 0)) {
    throw new Error('regularizations: expected a non-empty array of finite numbers >= 0');
  }
  if (!(maxMemory > 0)) throw new Error(`maxMemory: expected a number of bytes > 0, got ${String(options.maxMemory)}`);
  return { energyWeight, forceWeight, folds, regularizations, seed: options.seed ?? 0, maxMemory };
}

/**
 * Reproducible assignment of frames to cross-validation folds: groups (or
 * single frames without a group) are shuffled and dealt round-robin.
 * Returns the fold of every frame and the number of folds (fewer than asked
 * when there are fewer groups).
 */
export function assignFolds(frames: ReadonlyArray<Pick<TrainingFrame, 'group'>>, settings: Pick<FitSettings, 'folds' | 'seed'>): { fold: Int32Array; folds: number } {
  if (frames.length < 2) throw new Error(`frames: expected at least 2 training frames, got ${frames.length}`);
  const keys = groupKeys(frames);
  const groups = [...new Set(keys)];
  if (groups.length < 2) throw new Error('frames: all frames are in one group; cross-validation needs at least 2 groups');
  const folds = Math.min(settings.folds, groups.length);
  const order = shuffled(groups.length, settings.seed);
  const foldOf = new Map<string, number>();
  order.forEach((g, rank) => foldOf.set(groups[g], rank % folds));
  return { fold: Int32Array.from(keys, (key) => foldOf.get(key)!), folds };
}

/** What a fit's memory depends on: its size, the data and the shape of the feature gradients. */
export interface MemoryPlan {
  parameters: number;
  folds: number;
  frames: number;
  maxAtoms: number;
  /** Columns of the feature gradients kept at once for one frame (all blocks). */
  featureColumns: number;
  /** Whether a block's gradient rows grow as atoms squared (LODE: every atom moves every centre). */
  allPairs: boolean;
}

/**
 * Estimated peak memory (bytes) of a fit: one set of normal equations per
 * fold plus their sum, one factorisation, the energy rows kept for the error
 * report, and one batch of design rows and feature gradients (sized for the
 * largest frame). JavaScript garbage comes on top.
 */
export function fitMemory(plan: MemoryPlan): number {
  const P = plan.parameters;
  const equations = (plan.folds + 1) * native.NormalEquations.storedBytes(P) + native.NormalEquations.solveBytes(P);
  const energyRows = 8 * plan.frames * P;
  const batch = batchSize(plan);
  const designRows = 8 * batch * (3 * plan.maxAtoms + 1) * P;
  return equations + energyRows + designRows + batch * frameGradientBytes(plan);
}

/** Feature gradients of the largest frame (with the native copy on the way out). */
function frameGradientBytes(plan: MemoryPlan): number {
  const gradientRows = plan.allPairs ? plan.maxAtoms * plan.maxAtoms : plan.maxAtoms * Math.min(plan.maxAtoms, 128);
  return 8 * 3 * gradientRows * plan.featureColumns * 2;
}

/** Frames whose features are computed in one native call: up to 32, within about 64 MiB of gradients (larger batches gain little and leave garbage that raises the peak memory: 3.6 GiB against 1.3 GiB on the xtb dimers). */
export function batchSize(plan: MemoryPlan): number {
  return Math.max(1, Math.min(32, Math.floor(2 ** 26 / Math.max(1, frameGradientBytes(plan)))));
}

export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** Throws a clear error, before any work, when a fit would need more than maxMemory. */
export function checkMemory(plan: MemoryPlan, settings: FitSettings, options: FitOptions): number {
  const bytes = fitMemory(plan);
  const maxMemory = settings.maxMemory;
  if (bytes > maxMemory) {
    throw new Error(
      `fit: needs about ${formatBytes(bytes)} for ${plan.parameters} parameters and ${plan.folds} folds, more than the limit of ` +
        `${formatBytes(maxMemory)} (maxMemory / --max-memory). Options that shrink it: speciesWeights 'shared', a contraction ` +
        `with fewer channels (features.contraction.channels / --channels), smaller maxRadial or maxAngular, or fewer folds.`,
    );
  }
  options.onPlan?.({ parameters: plan.parameters, folds: plan.folds, bytes, maxMemory });
  return bytes;
}

/** Normal equations of one fold, and its energy rows (kept: few, and they give the energy errors apart from the forces). */
interface Fold {
  equations: NativeNormalEquations;
  energyRows: Float64Array[];
  energyTargets: number[];
  frames: number;
  forceComponents: number;
}

function accumulate(
  problem: LeastSquaresProblem,
  frames: readonly TrainingFrame[],
  assignment: { fold: Int32Array; folds: number },
  settings: FitSettings,
  batch: number,
  onProgress?: (progress: FitProgress) => void,
): Fold[] {
  const n = problem.parameters;
  const { energyWeight, forceWeight } = settings;
  const folds: Fold[] = Array.from({ length: assignment.folds }, () => ({
    equations: new native.NormalEquations(n),
    energyRows: [],
    energyTargets: [],
    frames: 0,
    forceComponents: 0,
  }));
  const add = (frame: TrainingFrame, k: number, rows: DesignRows, useForces: boolean) => {
    const fold = folds[assignment.fold[k]];
    const N = rows.atoms;
    const energyRow = rows.energy.map((v) => v / N);
    fold.equations.add(energyRow, Float64Array.of(frame.energy / N), Float64Array.of(energyWeight ** 2));
    fold.energyRows.push(energyRow);
    fold.energyTargets.push(frame.energy / N);
    if (useForces) {
      const forces = Float64Array.from(frame.forces!);
      if (forces.length !== 3 * N) throw new Error(`frames[${k}].forces: expected ${3 * N} numbers, got ${forces.length}`);
      const bad = forces.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`frames[${k}].forces[${bad}]: expected a finite number (eV/A), got ${forces[bad]}`);
      fold.equations.add(rows.forces!, forces, new Float64Array(3 * N).fill(forceWeight ** 2));
      fold.forceComponents += 3 * N;
    }
    fold.frames++;
    onProgress?.({ stage: 'accumulating', done: k + 1, total: frames.length });
  };
  for (let start = 0; start < frames.length; start += batch) {
    const indices = Array.from({ length: Math.min(batch, frames.length - start) }, (_, k) => start + k);
    indices.forEach((k) => {
      if (!Number.isFinite(frames[k].energy)) throw new Error(`frames[${k}].energy: expected a finite number (eV)`);
    });
    const useForces = indices.map((k) => forceWeight > 0 && frames[k].forces !== undefined);
    const rows = problem.rows(indices.map((k) => frames[k].system), useForces);
    indices.forEach((k, b) => add(frames[k], k, rows[b], useForces[b]));
  }
  return folds;
}

/** Weighted squared errors of a fold at `parameters`: energies (from the kept rows) and forces (the rest). */
function foldErrors(fold: Fold, parameters: Float64Array, settings: FitSettings): { energy: number; forces: number } {
  let energy = 0;
  fold.energyRows.forEach((row, r) => {
    let e = -fold.energyTargets[r];
    for (let k = 0; k < row.length; k++) e += row[k] * parameters[k];
    energy += e * e;
  });
  energy *= settings.energyWeight ** 2;
  return { energy, forces: Math.max(fold.equations.residual(parameters) - energy, 0) };
}

function metrics(folds: readonly Fold[], errors: Array<{ energy: number; forces: number }>, settings: FitSettings): ErrorMetrics {
  const frames = folds.reduce((n, f) => n + f.frames, 0);
  const components = folds.reduce((n, f) => n + f.forceComponents, 0);
  const energy = errors.reduce((s, e) => s + e.energy, 0);
  const forces = errors.reduce((s, e) => s + e.forces, 0);
  return {
    energyRmsePerAtom: frames ? Math.sqrt(energy / settings.energyWeight ** 2 / frames) : NaN,
    forceRmse: components ? Math.sqrt(forces / settings.forceWeight ** 2 / components) : NaN,
  };
}

export interface CrossValidatedSolution {
  parameters: Float64Array;
  regularization: number;
  scan: RegularizationScan;
  /** Per stage: the chosen candidate (its index, regularisation and channels) and the scan. */
  stages: Array<{ name: string; index: number; regularization: number; channels?: number; scan: RegularizationScan }>;
  train: ErrorMetrics;
  validation: ErrorMetrics;
  folds: number;
}

/**
 * Accumulates one set of normal equations per fold (one frame in memory at a
 * time), scores every candidate regularisation by k-fold cross-validation
 * (fit on all folds but one, predict the one left out), then solves all
 * folds together at the best value. Each candidate costs one Cholesky
 * factorisation per fold: for the 10-20 candidates of a scan that is
 * cheaper than one eigendecomposition per fold (a dense symmetric
 * eigendecomposition costs 30-60 Cholesky factorisations of the same
 * matrix: `npx tsx bench/run.ts fit`). A solve in stages scores each
 * stage's candidates with the earlier stages at their chosen values, fold
 * by fold, so every stage is validated on frames none of them has seen.
 */
export function solveCrossValidated(
  problem: LeastSquaresProblem,
  frames: readonly TrainingFrame[],
  assignment: { fold: Int32Array; folds: number },
  settings: FitSettings,
  plan: MemoryPlan,
  onProgress?: (progress: FitProgress) => void,
): CrossValidatedSolution {
  const folds = accumulate(problem, frames, assignment, settings, batchSize(plan), onProgress);
  const P = problem.parameters;
  // One fold's complement at a time (released when its candidates are solved): the memory plan counts one.
  const rest = (f: number) => {
    const equations = new native.NormalEquations(P);
    folds.forEach((fold, g) => g !== f && equations.merge(fold.equations));
    return equations;
  };
  const total = problem.stages.reduce((n, stage) => n + stage.regularizations.length, 0) * folds.length;
  let step = 0;
  // Per fold, the previous stage's solution at its chosen regularisation.
  let previous: Array<Float64Array | null> = folds.map(() => null);
  const stages: CrossValidatedSolution['stages'] = [];
  let validation: ErrorMetrics = { energyRmsePerAtom: NaN, forceRmse: NaN };
  for (const stage of problem.stages) {
    let failure = '';
    const solutions: Array<Array<Float64Array | null>> = stage.regularizations.map(() => []);
    folds.forEach((_, f) => {
      const equations = rest(f);
      stage.regularizations.forEach((lambda, j) => {
        try {
          solutions[j].push(stage.solve(equations, lambda, previous[f], j));
        } catch (e) {
          // A too small candidate can leave the system singular; the others may still do.
          failure = (e as Error).message;
          solutions[j].push(null);
        }
        onProgress?.({ stage: 'regularisation', done: ++step, total });
      });
      equations.release();
    });
    const scan: RegularizationScan = [];
    // Per candidate, the loss of each fold and of each target (null: a fold could not be solved).
    const targets: Array<number[] | null> = [];
    const losses = stage.regularizations.map((lambda, j) => {
      const channels = stage.channels ? { channels: stage.channels[j] } : {};
      if (solutions[j].some((x) => x === null)) {
        scan.push({ regularization: lambda, ...channels, energyRmsePerAtom: NaN, forceRmse: NaN });
        targets.push(null);
        return null;
      }
      const errors = folds.map((fold, f) => foldErrors(fold, solutions[j][f]!, settings));
      scan.push({ regularization: lambda, ...channels, ...metrics(folds, errors, settings) });
      targets.push([errors.reduce((s, e) => s + e.energy, 0), errors.reduce((s, e) => s + e.forces, 0)]);
      return errors.map((e) => e.energy + e.forces);
    });
    const fallback = stage.fallback === undefined ? -1 : stage.regularizations.indexOf(stage.fallback);
    const best = chooseCandidate(losses, fallback, targets);
    if (best.index < 0) {
      throw new Error(`regularizations: no candidate gives a solvable system (${failure}); try larger regularisations`);
    }
    stages.push({ name: stage.name, index: best.index, regularization: stage.regularizations[best.index], ...(stage.channels ? { channels: stage.channels[best.index] } : {}), scan });
    validation = scan[best.index];
    previous = solutions[best.index];
  }
  onProgress?.({ stage: 'solving', done: 0, total: 1 });
  const all = new native.NormalEquations(P);
  for (const fold of folds) all.merge(fold.equations);
  let parameters: Float64Array | null = null;
  problem.stages.forEach((stage, k) => (parameters = stage.solve(all, stages[k].regularization, parameters, stages[k].index)));
  all.release();
  onProgress?.({ stage: 'solving', done: 1, total: 1 });
  const solved = parameters as unknown as Float64Array;
  const train = metrics(folds, folds.map((fold) => foldErrors(fold, solved, settings)), settings);
  const last = stages[stages.length - 1];
  return { parameters: solved, regularization: last.regularization, scan: last.scan, stages, train, validation, folds: folds.length };
}

/**
 * The candidate of least total loss over the folds, or `fallback` (an index,
 * -1 for none) unless the best beats it by more than one standard error of
 * their paired per-fold differences. `targets` (per candidate, its loss
 * summed over the folds on each target: energies, forces) rules out every
 * candidate that is worse than the fallback on any one of them: a stage
 * that may be left out (a kernel) has to help, not trade force errors for
 * energy errors or the reverse.
 */
export function chooseCandidate(
  losses: ReadonlyArray<readonly number[] | null>,
  fallback: number,
  targets?: ReadonlyArray<readonly number[] | null>,
): { index: number } {
  const total = (l: readonly number[]) => l.reduce((a, b) => a + b, 0);
  const totals = losses.map((l) => (l ? total(l) : Infinity));
  const reference = fallback >= 0 ? targets?.[fallback] : null;
  const admissible = (j: number) => !reference || (targets![j]?.every((t, k) => t <= reference[k]) ?? false);
  let index = -1;
  totals.forEach((t, j) => {
    if (losses[j] && admissible(j) && (index < 0 || t < totals[index])) index = j;
  });
  const kept = fallback >= 0 ? losses[fallback] : null;
  if (index < 0 || !kept || index === fallback) return { index };
  const gains = losses[index]!.map((l, f) => kept[f] - l);
  const F = gains.length;
  const mean = total(gains) / F;
  const variance = F > 1 ? gains.reduce((s, g) => s + (g - mean) ** 2, 0) / (F - 1) : Infinity;
  return { index: mean > Math.sqrt(variance / F) ? index : fallback };
}

function toModel(features: FeatureSet, parameters: Float64Array, reference: Float64Array): LinearModel {
  const D = features.dimension;
  const S = features.spec.species.length;
  const weights = new Float64Array(S * D);
  const biases = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    const { weights: w, bias } = speciesParameters(features, parameters, s);
    weights.set(w, s * D);
    biases[s] = bias + reference[s];
  }
  return new LinearModel(features, { weights, biases });
}

/** The memory plan of a fit with this many parameters over these frames. */
export function memoryPlan(features: FeatureSet, frames: readonly TrainingFrame[], parameters: number, folds: number): MemoryPlan {
  const maxAtoms = frames.reduce((n, f) => Math.max(n, f.system.types.length), 0);
  const allPairs = features.spec.blocks.some((b) => b.kind !== 'soap');
  return { parameters, folds, frames: frames.length, maxAtoms, featureColumns: features.dimension, allPairs };
}

/**
 * Learns what the features need from the training frames before any fit:
 * the channel contraction (when asked) on a spread-out subset of at most
 * 200 frames, then the block scales.
 */
export function prepareFeatures(
  features: FeatureSet,
  frames: readonly TrainingFrame[],
  onProgress?: (p: FitProgress) => void,
  visit?: (blocks: Float64Array[], frame: number) => void,
): void {
  if (features.spec.contraction) {
    const count = Math.min(frames.length, 200);
    const subset = Array.from({ length: count }, (_, k) => frames[Math.floor((k * frames.length) / count)]);
    features.learnContractions(subset, (done) => onProgress?.({ stage: 'contraction', done, total: count }));
  }
  features.scales = learnScales(features, frames, onProgress, visit);
}

/**
 * The linear stage of a fit: its regularisation chosen by cross-validation,
 * and with a channel choice its channel count too (every candidate count at
 * every regularisation). `linear` is how many of the problem's parameters
 * are the linear model's (the first ones; a kernel model has more).
 */
export function linearStage(regularizations: number[], choice: ChannelChoice | null, linear: number, total: number): SolveStage {
  if (!choice) {
    const block = linear < total ? { begin: 0, end: linear } : undefined;
    return { name: 'linear', regularizations, solve: (equations, lambda) => equations.solve(lambda, 'relative', block) };
  }
  const candidate = choice.channels.flatMap((_, c) => regularizations.map(() => c));
  return {
    name: 'linear',
    regularizations: choice.channels.flatMap(() => regularizations),
    channels: candidate.map((c) => choice.channels[c]),
    solve: (equations, lambda, _previous, j) => equations.solve(lambda, 'relative', { columns: choice.columns[candidate[j]] }),
  };
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
  const { frames, reference } = learnedTargets(features, data, options);
  const assignment = assignFolds(frames, settings);
  const P = parameterCount(features);
  const plan = memoryPlan(features, frames, P, assignment.folds);
  const estimatedBytes = checkMemory(plan, settings, options);
  prepareFeatures(features, frames, options.onProgress);
  const choice = channelChoice(features);
  const problem: LeastSquaresProblem = {
    parameters: P,
    rows: (systems, withForces) =>
      featurePasses(features, systems, withForces.some(Boolean), true).map((pass, k) => passDesignRows(features, pass, withForces[k])),
    stages: [linearStage(settings.regularizations, choice, P, P)],
  };
  const solution = solveCrossValidated(problem, frames, assignment, settings, plan, options.onProgress);
  const chosen = solution.stages[0].channels;
  const fitted = choice && chosen !== undefined ? narrowModel(features, choice, chosen, solution.parameters) : { features, parameters: solution.parameters };
  return {
    model: toModel(fitted.features, fitted.parameters, reference),
    report: fitReport(solution, data, start, parameterCount(fitted.features), estimatedBytes, reference),
  };
}

/**
 * What the learned part of a model fits: the energies a physics baseline
 * leaves (when the feature set has one), less the per-species reference
 * energies, which go into the model's biases afterwards.
 */
export function learnedTargets(
  features: FeatureSet,
  data: readonly TrainingFrame[],
  { onProgress, chargeFrames }: Pick<FitOptions, 'onProgress' | 'chargeFrames'> = {},
): { frames: TrainingFrame[]; reference: Float64Array } {
  const residual = features.residualFrames(data, onProgress && ((done, total) => onProgress({ stage: 'charges', done, total })), chargeFrames);
  const reference = referenceEnergies(residual, features.spec.species);
  return { frames: withoutReference(residual, features.spec.species, reference), reference };
}

/** The chosen regularisation of every stage, e.g. "linear 1e-6, kernel none (no kernel validated best)". */
export function regularizationText(report: Pick<FitReport, 'regularization' | 'stages'>): string {
  const chosen = (lambda: number) => (lambda === Infinity ? 'none (no kernel validated best)' : String(lambda));
  return (report.stages ?? [{ name: '', regularization: report.regularization }]).map((s) => `${s.name ? `${s.name} ` : ''}${chosen(s.regularization)}`).join(', ');
}

/** "; contracted channels per l: 16 (cross-validated among 8, 12, 16)" when the fit chose them, else "". */
export function channelsText(report: Pick<FitReport, 'channels'>): string {
  return report.channels ? `; contracted channels per l: ${report.channels.chosen} (cross-validated among ${report.channels.candidates.join(', ')})` : '';
}

/** The report every fit gives: chosen regularisation, errors, data set and time (`start` from Date.now()). */
export function fitReport(
  solution: CrossValidatedSolution,
  data: readonly TrainingFrame[],
  start: number,
  parameters: number,
  estimatedBytes: number,
  reference: Float64Array,
): FitReport {
  // A linear stage that chose the channels too scanned every candidate count.
  const { channels, scan } = solution.stages[0];
  return {
    regularization: solution.regularization,
    scan: solution.scan,
    ...(solution.stages.length > 1 ? { stages: solution.stages.map(({ index: _, ...stage }) => stage) } : {}),
    ...(channels !== undefined ? { channels: { chosen: channels, candidates: [...new Set(scan.map((c) => c.channels!))] } } : {}),
    train: solution.train,
    validation: { energyRmsePerAtom: solution.validation.energyRmsePerAtom, forceRmse: solution.validation.forceRmse },
    frames: data.length,
    folds: solution.folds,
    parameters,
    estimatedBytes,
    datasetHash: datasetHash(data),
    closestPairs: closestPairs(data.map((f) => f.system)),
    referenceEnergies: Array.from(reference),
    seconds: (Date.now() - start) / 1000,
  };
}
