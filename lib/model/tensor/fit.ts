// Fitting linear equivariant models of tensor targets: per order lambda,
// one row per spherical component and frame (per atom, like energies, so
// large and small systems weigh alike), ridge regression with the
// regularisation chosen by k-fold cross-validation over frames or groups.
import { native } from '../../native/addon.js';
import { toNativeSystem, type System } from '../../core/system.js';
import { FeatureSet, smallestChannels } from '../feature-set.js';
import { assignFolds, chooseCandidate, decades, DEFAULT_FOLDS, type FitProgress } from '../training.js';
import { baselineTarget, checkBaseline, checkIsotropic, OrderFeatures, TensorModel, type TensorModelSpec, type TensorOrderParameters } from './model.js';
import { cartesianLength, checkTarget, targetOrders, toSpherical } from './target.js';
import { kernelInputs, kernelRows, selectEnvironments, type KernelInputs } from './kernel.js';
import { checkZeta, DEFAULT_ZETA } from '../sparse-kernel.js';

/** One reference structure and its tensor: a dipole (x, y, z; e A) or a polarizability (3x3 row-major, A^3). */
export interface TensorFrame {
  system: System;
  target: ArrayLike<number>;
  /** Frames of one group (one binding curve, one cluster family) share a cross-validation fold. */
  group?: string | number;
  /** Reference partial charges (e), one per atom: what a 'charges' baseline learns from. */
  charges?: ArrayLike<number>;
}

export interface TensorFitOptions {
  /** Cross-validation folds. Default 5. */
  folds?: number;
  /** Candidate relative regularisations. Default 1e-12 .. 1 by decades. */
  regularizations?: number[];
  seed?: number;
  onProgress?: (progress: FitProgress) => void;
}

export interface TensorOrderReport {
  lambda: number;
  regularization: number;
  /** Cross-validation RMSE of this order's spherical components per atom, for every candidate. */
  scan: Array<{ regularization: number; rmsePerAtom: number }>;
  /** With spec.kernel: the kernel stage's choice (Infinity: no kernel validated better) and scan. */
  kernel?: { regularization: number; scan: Array<{ regularization: number; rmsePerAtom: number }> };
}

export interface TensorFitReport {
  target: string;
  orders: TensorOrderReport[];
  /** RMSE per atom of the Cartesian components (target units per atom): training frames, and cross-validated. */
  train: { rmsePerAtom: number };
  validation: { rmsePerAtom: number };
  frames: number;
  folds: number;
  parameters: number;
  seconds: number;
}

/**
 * Design rows of every frame for one order, each block scaled to unit mean
 * squared norm per centre (all components), as energy models scale theirs.
 */
function scaledRows(
  order: OrderFeatures,
  features: FeatureSet,
  systems: readonly System[],
  onFrame: (values: Float64Array[], frame: number) => void,
): { rows: Float64Array[]; scales: number[] } {
  const sums = order.sizes.map(() => 0);
  let centres = 0;
  const ones = order.sizes.map(() => 1);
  const rows = systems.map((system, k) => {
    const values = order.values(system, features.spec.species);
    values.forEach((v, b) => {
      for (const x of v) sums[b] += x * x;
    });
    centres += system.types.length;
    onFrame(values, k);
    return order.rows(system, features, ones, values);
  });
  const scales = sums.map((s) => (s > 0 ? Math.sqrt(centres / s) : 1));
  // Rows are linear in the scales: scale each block's columns afterwards.
  const S = features.spec.species.length;
  const P = order.parameterCount(S);
  const columnScale = new Float64Array(P).fill(1);
  for (let s = 0; s < S; s++) {
    let offset = s * order.dimension;
    order.sizes.forEach((size, b) => {
      columnScale.fill(scales[b], offset, offset + size);
      offset += size;
    });
  }
  for (const r of rows) for (let k = 0; k < r.length; k++) r[k] *= columnScale[k % P];
  return { rows, scales };
}

/** Squared error of `rows` (count x P) times x against targets. */
function squaredError(rows: Float64Array, targets: Float64Array, x: Float64Array): number {
  const P = x.length;
  let sum = 0;
  for (let r = 0; r < targets.length; r++) {
    let e = -targets[r];
    for (let j = 0; j < P; j++) e += rows[r * P + j] * x[j];
    sum += e * e;
  }
  return sum;
}

/** Rows and targets of the frames in `indices`, stacked. */
function stack(rows: Float64Array[], targets: Float64Array[], indices: number[]): { rows: Float64Array; targets: Float64Array } {
  const P = rows[0].length / targets[0].length;
  const count = indices.reduce((n, k) => n + targets[k].length, 0);
  const out = { rows: new Float64Array(count * P), targets: new Float64Array(count) };
  let r = 0;
  for (const k of indices) {
    out.rows.set(rows[k], r * P);
    out.targets.set(targets[k], r);
    r += targets[k].length;
  }
  return out;
}

/** Design rows and targets of every frame. */
interface Design {
  rows: Float64Array[];
  targets: Float64Array[];
}

/** Rows and targets divided by the frame's atom count: large and small systems weigh alike. */
function perAtom(rows: Float64Array[], targets: Float64Array[], atoms: number[]): Design {
  return { rows: rows.map((r, k) => r.map((v) => v / atoms[k])), targets: targets.map((t, k) => t.map((v) => v / atoms[k])) };
}

/** Targets minus rows . x, frame by frame. */
function residuals(design: Design, x: Float64Array): Float64Array[] {
  const P = x.length;
  return design.targets.map((t, k) =>
    t.map((v, r) => {
      let e = v;
      for (let j = 0; j < P; j++) e -= design.rows[k][r * P + j] * x[j];
      return e;
    }),
  );
}

/**
 * k-fold cross-validation of ridge regressions: for every fold, one
 * RidgePath (one eigendecomposition, then every candidate in O(rows x
 * parameters); the same solution as NormalEquations.solve(lambda,
 * 'relative'), in the dual form while there are fewer rows than parameters,
 * as with a few hundred tensors) on the other folds' frames of design(fold),
 * each candidate scored on the fold's own. Infinity stands for no fit at all
 * (the targets themselves are the error), and is kept unless the best
 * candidate beats it by more than the folds' standard error
 * (chooseCandidate). Returns every candidate's summed squared error, the
 * chosen candidate and each fold's solution at it (null for Infinity).
 */
function crossValidate(
  design: (fold: number) => Design,
  assignment: { fold: Int32Array; folds: number },
  candidates: number[],
  progress?: () => void,
): { errors: number[]; best: number; foldSolutions: Array<Float64Array | null> } {
  // Squared error of every candidate on every fold.
  const losses = candidates.map(() => [] as number[]);
  const solutions: Array<Array<Float64Array | null>> = [];
  for (let f = 0; f < assignment.folds; f++) {
    const d = design(f);
    const frames = d.rows.map((_, k) => k);
    const train = stack(d.rows, d.targets, frames.filter((k) => assignment.fold[k] !== f));
    const test = stack(d.rows, d.targets, frames.filter((k) => assignment.fold[k] === f));
    const path = new native.RidgePath(train.rows, train.targets);
    solutions.push(
      candidates.map((lambda, j) => {
        if (lambda === Infinity) {
          losses[j].push(test.targets.reduce((sum, v) => sum + v * v, 0));
          return null;
        }
        const x = path.solve(lambda);
        losses[j].push(squaredError(test.rows, test.targets, x));
        progress?.();
        return x;
      }),
    );
  }
  const { index: best } = chooseCandidate(losses, candidates.indexOf(Infinity));
  const errors = losses.map((l) => l.reduce((a, b) => a + b, 0));
  return { errors, best, foldSolutions: solutions.map((list) => list[best]) };
}

/** The ridge solution on every frame of `design`. */
function solveAll(design: Design, lambda: number): Float64Array {
  const all = stack(design.rows, design.targets, design.rows.map((_, k) => k));
  return new native.RidgePath(all.rows, all.targets).solve(lambda);
}

/** Cross-validated RMSE per atom of every candidate. */
function scanOf(candidates: number[], errors: number[], components: number): Array<{ regularization: number; rmsePerAtom: number }> {
  return candidates.map((regularization, j) => ({ regularization, rmsePerAtom: Math.sqrt(errors[j] / components) }));
}

/** Fits a linear equivariant model of a dipole or polarizability; returns the model and a report of its errors. */
export function fitTensorModel(spec: TensorModelSpec, data: readonly TensorFrame[], options: TensorFitOptions = {}): { model: TensorModel; report: TensorFitReport } {
  const start = Date.now();
  if (typeof spec !== 'object' || spec === null) throw new Error('spec: expected {target, features}');
  const target = checkTarget(spec.target, 'spec.target');
  if (!Array.isArray(data) || data.length === 0) throw new Error('frames: expected a non-empty array of {system, target}');
  // Up to 1: a few hundred rows of tensor components often want more than an energy fit's 1e-2.
  const regularizations = options.regularizations ?? decades(13);
  if (!Array.isArray(regularizations) || regularizations.length === 0 || !regularizations.every((l) => Number.isFinite(l) && l >= 0)) {
    throw new Error('regularizations: expected a non-empty array of finite numbers >= 0');
  }
  const folds = options.folds ?? DEFAULT_FOLDS;
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`folds: expected an integer >= 2, got ${String(folds)}`);
  const features = new FeatureSet(smallestChannels(spec.features));
  checkBaseline(target, features);
  const isotropic = checkIsotropic(spec.isotropic ?? 'local');
  const systems = data.map((f, k) => toNativeSystem(f.system, `frames[${k}].system`));
  systems.forEach((s, k) => features.checkSpecies(s, `frames[${k}].system`));
  const frames = data.map((f) => ({ system: f.system, energy: 0, group: f.group, charges: f.charges }));
  features.baseline?.learn(frames, systems, false);
  // With a baseline the equivariant part fits what the baseline leaves.
  const spherical = data.map((f, k) => {
    const t = Float64Array.from(f.target);
    const baseline = baselineTarget(features, systems[k]);
    if (baseline && t.length === baseline.length) for (let x = 0; x < t.length; x++) t[x] -= baseline[x];
    return toSpherical(target, t, `frames[${k}].target`);
  });
  const assignment = assignFolds(data, { folds, seed: options.seed ?? 0 });
  if (features.spec.contraction) {
    const count = Math.min(data.length, 200);
    const subset = Array.from({ length: count }, (_, k) => ({ system: systems[Math.floor((k * data.length) / count)], energy: 0 }));
    features.learnContractions(subset, (done) => options.onProgress?.({ stage: 'contraction', done, total: count }));
  }
  const lambdas = targetOrders(target);
  const sparsePoints = spec.kernel?.sparsePoints ?? 100;
  if (!Number.isInteger(sparsePoints) || sparsePoints < 1) throw new Error(`kernel.sparsePoints: expected an integer >= 1 (per species), got ${sparsePoints}`);
  const zeta = checkZeta(spec.kernel?.zeta ?? DEFAULT_ZETA, 'kernel.zeta');
  const atoms = systems.map((s) => s.types.length);
  const S = features.spec.species.length;
  const total = lambdas.length * (data.length + regularizations.length * assignment.folds);
  let step = 0;
  const parameters: TensorOrderParameters[] = [];
  const reports: TensorOrderReport[] = [];
  let validation = 0;
  lambdas.forEach((lambda, o) => {
    const order = new OrderFeatures(features, lambda, isotropic);
    const inputs: KernelInputs[] = [];
    const { rows, scales } = scaledRows(order, features, systems, (values, k) => {
      if (spec.kernel) inputs[k] = kernelInputs(order, features, systems[k], values);
      options.onProgress?.({ stage: 'accumulating', done: ++step, total });
    });
    const linear = perAtom(rows, spherical.map((t) => t[o]), atoms);
    const components = linear.targets.reduce((n, t) => n + t.length, 0);
    const cv = crossValidate(() => linear, assignment, regularizations, () => options.onProgress?.({ stage: 'regularisation', done: ++step, total }));
    const x = solveAll(linear, regularizations[cv.best]);
    const SD = S * order.dimension;
    const orderParameters: TensorOrderParameters = { lambda, scales, weights: x.slice(0, SD), biases: lambda === 0 ? x.slice(SD) : new Float64Array(S) };
    const report: TensorOrderReport = { lambda, regularization: regularizations[cv.best], scan: scanOf(regularizations, cv.errors, components) };
    let validated = cv.errors[cv.best];
    if (spec.kernel) {
      // The kernel fits what the linear part leaves: in each fold, what that fold's own linear solution leaves.
      const kernel = selectEnvironments(order, features, inputs, sparsePoints, zeta);
      const kernelDesign = systems.map((_, k) => kernelRows(kernel, inputs[k], lambda).map((v) => v / atoms[k]));
      const leftBy = (solution: Float64Array): Design => ({ rows: kernelDesign, targets: residuals(linear, solution) });
      const candidates = [...regularizations, Infinity];
      const stage = crossValidate((f) => leftBy(cv.foldSolutions[f]!), assignment, candidates);
      report.kernel = { regularization: candidates[stage.best], scan: scanOf(candidates, stage.errors, components) };
      if (candidates[stage.best] !== Infinity) {
        orderParameters.kernel = { ...kernel, weights: solveAll(leftBy(x), candidates[stage.best]) };
        validated = stage.errors[stage.best];
      }
    }
    parameters.push(orderParameters);
    reports.push(report);
    validation += validated;
  });
  const model = new TensorModel(target, features, parameters, isotropic);
  const entries = data.length * cartesianLength(target);
  // Training error of the whole model (kernel parts included), per atom.
  let train = 0;
  systems.forEach((system, k) => {
    const predicted = model.spherical(system);
    predicted.forEach((part, o) => part.forEach((v, m) => (train += ((v - spherical[k][o][m]) / atoms[k]) ** 2)));
  });
  return {
    model,
    report: {
      target,
      orders: reports,
      train: { rmsePerAtom: Math.sqrt(train / entries) },
      validation: { rmsePerAtom: Math.sqrt(validation / entries) },
      frames: data.length,
      folds: assignment.folds,
      parameters: parameters.reduce((n, p) => n + p.weights.length + (p.lambda === 0 ? p.biases.length : 0), 0),
      seconds: (Date.now() - start) / 1000,
    },
  };
}
