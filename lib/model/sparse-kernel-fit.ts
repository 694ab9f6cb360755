// Fitting a sparse kernel potential (subset of regressors / projected
// process): minimise sum_frames w_E^2 |E - E^|^2 / N^2 + w_F^2 |F - F^|^2
// + lambda alpha^T K_MM alpha, i.e. (Phi^T W Phi + lambda K_MM) alpha =
// Phi^T W y, with the same frame-by-frame normal equations, validation scan
// and native Cholesky as the linear model.
import type { System } from '../core/system.js';
import { native } from '../native/addon.js';
import type { NativeSparseKernel } from '../native/types.js';
import { channelChoice } from './channel-choice.js';
import { featurePass, featurePasses, parameterCount, passDesignRows, speciesParameters, type DesignRows, type FramePass } from './design.js';
import { FeatureSet, type FeatureSetSpec } from './feature-set.js';
import {
  checkZeta,
  DEFAULT_ZETA,
  farthestPointSampling,
  kernelMatrix,
  kernelView,
  normalizeRows,
  type KernelView,
  SparseKernelModel,
  speciesStarts,
} from './sparse-kernel.js';
import {
  assignFolds,
  checkMemory,
  decades,
  fitReport,
  fitSettings,
  learnedTargets,
  linearStage,
  memoryPlan,
  prepareFeatures,
  solveCrossValidated,
  type FitOptions,
  type FitReport,
  type LeastSquaresProblem,
  type SolveStage,
  type TrainingFrame,
} from './training.js';

export const DEFAULT_SPARSE_POINTS = 200;

export interface SparseKernelFitOptions extends FitOptions {
  /** Sparse environments per species, chosen by farthest-point sampling. Default 200. */
  sparsePoints?: number;
  /** Kernel exponent (integer >= 1). Default 2. */
  zeta?: number;
  /**
   * Fit linear weights on the features together with the kernel weights
   * (default true): the kernel then corrects a linear model instead of
   * replacing it, so the model is at least as expressive as the linear one.
   */
  linear?: boolean;
  /**
   * Which feature blocks the kernel compares: 'local' (the SOAP blocks; the
   * default with a linear part), 'all' (the default without one) or block
   * indices. With 'local' the long-range blocks enter the model linearly
   * only, as the energy of charges in a field does, and the kernel adds
   * many-body terms of the local environment: a kernel on the long-range
   * blocks would compare environments mostly by the field of distant atoms
   * and extrapolate it non-linearly.
   */
  kernelBlocks?: 'local' | 'all' | number[];
  /**
   * Candidate regularisations of the kernel weights when they correct a
   * linear part (relative to the kernel columns' trace). Default 1e-12 .. 1,
   * and Infinity (no kernel), which cross-validation picks when the kernel
   * does not improve on the linear part.
   */
  kernelRegularizations?: number[];
}

/** The block indices that a kernelBlocks option names. */
export function chooseKernelBlocks(features: FeatureSet, option: SparseKernelFitOptions['kernelBlocks'], linear: boolean): number[] {
  const all = features.spec.blocks.map((_, b) => b);
  const local = all.filter((b) => features.spec.blocks[b].kind === 'soap');
  const choice = option ?? (linear && local.length > 0 ? 'local' : 'all');
  if (choice === 'all') return all;
  if (choice === 'local') {
    if (local.length === 0) throw new Error("kernelBlocks: 'local' needs a 'soap' block in the feature set");
    if (!linear && local.length < all.length) {
      throw new Error("kernelBlocks: 'local' without the linear part would leave the long-range blocks out of the model; use linear: true or 'all'");
    }
    return local;
  }
  if (Array.isArray(choice)) return kernelView(features, choice).blocks;
  throw new Error(`kernelBlocks: expected 'local', 'all' or block indices, got ${JSON.stringify(choice)}`);
}

export interface SparseKernelFitReport extends FitReport {
  zeta: number;
  /** Sparse points actually used per species (order of the feature set's species). */
  sparsePoints: number[];
  /** Remarks such as "fewer distinct environments than asked". */
  notes: string[];
}

/** Sparse points, kernel exponent and the species blocks of the parameter vector. */
export interface KernelLayout {
  features: FeatureSet;
  /** The columns the kernel compares. */
  view: KernelView;
  zeta: number;
  counts: number[];
  /** Unit-norm sparse points [sum(counts)][view.dimension]. */
  points: Float64Array;
}

/** Parameters are laid out [species][alpha (counts[s]), bias]. */
export function kernelParameterCount(layout: KernelLayout): number {
  return layout.counts.reduce((a, c) => a + c + 1, 0);
}

/**
 * Design rows of one frame for the kernel weights: the energy row
 * sum_i k(x_i, y_m) (+ 1 per atom in the bias column) and force rows
 * -sum_i dk(x_i, y_m)/dx_i . dx_i/dr_j from the full feature gradients.
 */
export function kernelDesignRows(layout: KernelLayout, system: System, withForces: boolean): DesignRows {
  return passKernelRows(layout, featurePass(layout.features, system, withForces), withForces);
}

/** The native kernel sums of a layout's sparse points (its weights unused: rows only), one per layout. */
const rowKernels = new WeakMap<KernelLayout, NativeSparseKernel>();
function rowKernel(layout: KernelLayout): NativeSparseKernel {
  let kernel = rowKernels.get(layout);
  if (!kernel) {
    const M = layout.counts.reduce((a, b) => a + b, 0);
    kernel = new native.SparseKernel(layout.points, new Float64Array(M), Int32Array.from(layout.counts), layout.view.dimension, layout.zeta);
    rowKernels.set(layout, kernel);
  }
  return kernel;
}

/**
 * The kernel columns' rows (native: per block and species, one product of
 * the gradient rows with the sparse points, the fit's hot loop).
 */
function passKernelRows(layout: KernelLayout, pass: FramePass, withForces: boolean): DesignRows {
  const { features, view, counts } = layout;
  const N = pass.species.length;
  const starts = speciesStarts(counts);
  const values = features.concatenate(pass.blocks.map((b) => b.block.values), N, view.blocks);
  const blocks = withForces
    ? view.blocks.map((b, k) => {
        const { size, scale, block } = pass.blocks[b];
        const gradient = block.gradients.positions!;
        return { values: gradient.values, samples: gradient.samples!.values, size, offset: view.offsets[k], scale };
      })
    : [];
  const columns = Int32Array.from(starts, (start, s) => start + s);
  const rows = rowKernel(layout).designRows(values, pass.species, blocks, columns, true, kernelParameterCount(layout), withForces);
  return { energy: rows.energy, ...(withForces ? { forces: rows.forces } : {}), atoms: N };
}

/**
 * The regulariser of the kernel weights, blockdiag(K_MM, 1) per species:
 * lambda alpha^T K_MM alpha (the prior of a Gaussian process on the sparse
 * points) plus lambda b^2, so a composition that never varies, as in a melt
 * at fixed stoichiometry, still gives a solvable system.
 */
function regulariserMatrix(layout: KernelLayout, kernels: Float64Array[]): Float64Array {
  const P = kernelParameterCount(layout);
  const R = new Float64Array(P * P);
  const starts = speciesStarts(layout.counts);
  layout.counts.forEach((M, s) => {
    const column = starts[s] + s;
    const K = kernels[s];
    for (let m = 0; m < M; m++) for (let n = 0; n < M; n++) R[(column + m) * P + column + n] = K[m * M + n];
    R[(column + M) * P + column + M] = 1;
  });
  return R;
}

/** K_MM of each species' sparse points: computed once per fit, shared by every fold's regulariser. */
function speciesKernels(layout: KernelLayout): Float64Array[] {
  const { view, zeta, counts, points } = layout;
  const D = view.dimension;
  const starts = speciesStarts(counts);
  return counts.map((M, s) => kernelMatrix(points.subarray(starts[s] * D, (starts[s] + M) * D), M, D, zeta));
}

/**
 * Rows of the linear-plus-kernel problem: the linear model's columns
 * (weights and biases), then the kernel weights alpha without the kernel's
 * own bias columns (the linear part has the biases).
 */
export function linearKernelDesignRows(layout: KernelLayout, system: System, withForces: boolean): DesignRows {
  return linearKernelPasses(layout, [system], [withForces])[0];
}

/**
 * linearKernelDesignRows() of several frames. The linear columns come from
 * the same pass as fitLinearModel's rows (gradients summed over the centres
 * natively), so that the linear stage solves exactly its normal equations:
 * at the small regularisations noise-free data choose, rows that differ in
 * their last bits (summed in another order) move the solution at the
 * fifth digit. The kernel columns need each centre's gradients, of the
 * blocks the kernel compares only (the long-range blocks' per-centre
 * gradients, all pairs of atoms, are not computed unless it compares them).
 */
function linearKernelPasses(layout: KernelLayout, systems: readonly System[], withForces: readonly boolean[]): DesignRows[] {
  const gradients = withForces.some(Boolean);
  const summed = featurePasses(layout.features, systems, gradients, true);
  const perCentre = gradients ? featurePasses(layout.features, systems, true, false, layout.view.blocks) : null;
  return summed.map((pass, k) => {
    const own = perCentre?.[k].blocks;
    const kernelPass = own ? { ...pass, blocks: pass.blocks.map((block) => own.find((o) => o.index === block.index) ?? block) } : pass;
    return passLinearKernelRows(layout, pass, kernelPass, withForces[k]);
  });
}

function passLinearKernelRows(layout: KernelLayout, pass: FramePass, kernelPass: FramePass, withForces: boolean): DesignRows {
  const linear = passDesignRows(layout.features, pass, withForces);
  const kernel = passKernelRows(layout, kernelPass, withForces);
  const PL = parameterCount(layout.features);
  const PK = kernelParameterCount(layout);
  const P = PL + PK - layout.counts.length;
  const starts = speciesStarts(layout.counts);
  const join = (a: Float64Array, b: Float64Array, rows: number) => {
    const out = new Float64Array(rows * P);
    for (let r = 0; r < rows; r++) {
      out.set(a.subarray(r * PL, (r + 1) * PL), r * P);
      layout.counts.forEach((M, s) => {
        const from = r * PK + starts[s] + s;
        out.set(b.subarray(from, from + M), r * P + PL + starts[s]);
      });
    }
    return out;
  };
  return {
    energy: join(linear.energy, kernel.energy, 1),
    forces: withForces ? join(linear.forces!, kernel.forces!, 3 * linear.atoms) : undefined,
    atoms: linear.atoms,
  };
}

/**
 * The prior of the kernel weights that correct a linear part: alpha^T K_MM
 * alpha per species, one scale for every species (the Gaussian-process
 * prior: each species' correction is as smooth as any other's, whatever
 * its share of the data, so a species met in a few frames does not get a
 * freer, larger correction).
 */
function kernelPrior(layout: KernelLayout, kernels: Float64Array[]): Float64Array {
  const M = layout.counts.reduce((a, b) => a + b, 0);
  const R = new Float64Array(M * M);
  const starts = speciesStarts(layout.counts);
  layout.counts.forEach((count, s) => {
    const K = kernels[s];
    const o = starts[s];
    for (let m = 0; m < count; m++) for (let n = 0; n < count; n++) R[(o + m) * M + o + n] = K[m * count + n];
  });
  return R;
}

/** What an ill-conditioned kernel solve says. */
function kernelSolveError(lambda: number, e: unknown): Error {
  return new Error(
    `sparse-kernel: the regularised normal equations are ill-conditioned at regularisation ${lambda} ` +
      `(${(e as Error).message}); use a larger regularisation or fewer sparse points`,
  );
}

/**
 * Regularisations of the kernel stage: the asked ones, checked, then
 * Infinity (no kernel) unless asked otherwise.
 */
function kernelGrid(asked: number[] | undefined): number[] {
  if (asked === undefined) return [...decades(13), Infinity];
  if (!Array.isArray(asked) || asked.length === 0 || !asked.every((l) => l === Infinity || (Number.isFinite(l) && l >= 0))) {
    throw new Error('kernelRegularizations: expected a non-empty array of numbers >= 0 (Infinity: no kernel)');
  }
  return asked;
}

/** Fits a sparse kernel potential; returns the model and a report of the errors. */
export function fitSparseKernelModel(
  spec: FeatureSetSpec,
  data: readonly TrainingFrame[],
  options: SparseKernelFitOptions = {},
): { model: SparseKernelModel; report: SparseKernelFitReport } {
  const start = Date.now();
  const zeta = checkZeta(options.zeta ?? DEFAULT_ZETA);
  const wanted = options.sparsePoints ?? DEFAULT_SPARSE_POINTS;
  if (!Number.isInteger(wanted) || wanted < 1) throw new Error(`sparsePoints: expected an integer >= 1, got ${String(wanted)}`);
  // A kernel alone has its useful range of lambda higher than a linear model's.
  const settings = fitSettings(options, decades(13));
  const linearSettings = fitSettings(options);
  const features = new FeatureSet(spec);
  const { frames, reference } = learnedTargets(features, data, options);
  const assignment = assignFolds(frames, settings);
  const S = features.spec.species.length;
  const P = (options.linear ?? true ? parameterCount(features) : S) + S * wanted;
  const plan = memoryPlan(features, frames, P, assignment.folds);
  const estimatedBytes = checkMemory(plan, settings, options);

  // Candidates are every training environment's features (values only, no
  // gradients): the one part of the fit that grows with the training set.
  const stored: Float64Array[][] = [];
  prepareFeatures(features, frames, options.onProgress, (blocks) => stored.push(blocks));
  const withLinear = options.linear ?? true;
  const view = kernelView(features, chooseKernelBlocks(features, options.kernelBlocks, withLinear));
  const D = view.dimension;
  const candidates: Float64Array[] = features.spec.species.map(() => new Float64Array(0));
  {
    const perSpecies: number[][] = features.spec.species.map(() => []);
    const speciesOf = new Map(features.spec.species.map((z, k) => [z, k]));
    stored.forEach((blocks, f) => {
      const types = Array.from(frames[f].system.types as ArrayLike<number>);
      const { unit, norms } = normalizeRows(features.concatenate(blocks, types.length, view.blocks), D);
      types.forEach((z, i) => {
        if (norms[i] === 0) return;
        const s = speciesOf.get(z)!;
        for (let k = 0; k < D; k++) perSpecies[s].push(unit[i * D + k]);
      });
    });
    stored.length = 0;
    perSpecies.forEach((values, s) => {
      candidates[s] = Float64Array.from(values);
      values.length = 0;
    });
  }

  const notes: string[] = [];
  const chosen = candidates.map((pool, s) => {
    const available = pool.length / D;
    const picked = available ? farthestPointSampling(pool, D, wanted) : [];
    const z = features.spec.species[s];
    if (available === 0) notes.push(`species ${z}: no training environment with neighbours; only a constant energy`);
    else if (picked.length < wanted) {
      notes.push(
        `species ${z}: ${wanted} sparse points asked, the training set has ${available} environments of which ${picked.length} are distinct; using those`,
      );
    }
    options.onProgress?.({ stage: 'sparse-points', done: s + 1, total: S });
    return picked;
  });
  const counts = chosen.map((p) => p.length);
  const points = new Float64Array(counts.reduce((a, b) => a + b, 0) * D);
  let row = 0;
  chosen.forEach((picked, s) => {
    for (const i of picked) points.set(candidates[s].subarray(i * D, (i + 1) * D), D * row++);
  });
  candidates.length = 0;

  // The linear part's contracted channels are chosen among the candidates
  // as fitLinearModel chooses them; the kernel compares all of them.
  const choice = withLinear ? channelChoice(features) : null;
  const layout: KernelLayout = { features, view, zeta, counts, points };
  const kernels = speciesKernels(layout);
  const PL = parameterCount(features);
  const sparse = counts.reduce((a, b) => a + b, 0);
  let stages: SolveStage[];
  if (withLinear) {
    // In two stages: the linear part exactly as fitLinearModel chooses it,
    // then the kernel on what it leaves, its own regularisation chosen by
    // cross-validation among candidates that include no kernel at all. One
    // shared regularisation let the kernel weights trade off against the
    // linear ones and pick a scale suited to neither. No kernel stays unless
    // the folds agree that one helps (SolveStage.fallback).
    const prior = kernelPrior(layout, kernels);
    const kernelRegularizations = kernelGrid(options.kernelRegularizations);
    stages = [
      linearStage(linearSettings.regularizations, choice, PL, PL + sparse),
      {
        name: 'kernel',
        regularizations: kernelRegularizations,
        fallback: Infinity,
        solve: (equations, lambda, previous) => {
          if (lambda === Infinity || sparse === 0) return previous!;
          try {
            return equations.solve(lambda, prior, { begin: PL, end: PL + sparse, fixed: previous! });
          } catch (e) {
            throw kernelSolveError(lambda, e);
          }
        },
      },
    ];
  } else {
    const R = regulariserMatrix(layout, kernels);
    stages = [
      {
        name: 'kernel',
        regularizations: settings.regularizations,
        solve: (equations, lambda) => {
          try {
            return equations.solve(lambda, R);
          } catch (e) {
            throw kernelSolveError(lambda, e);
          }
        },
      },
    ];
  }
  const problem: LeastSquaresProblem = {
    parameters: withLinear ? PL + sparse : kernelParameterCount(layout),
    rows: (systems, withForces) =>
      withLinear
        ? linearKernelPasses(layout, systems, withForces)
        : featurePasses(features, systems, withForces.some(Boolean)).map((pass, k) => passKernelRows(layout, pass, withForces[k])),
    stages,
  };
  const solution = solveCrossValidated(problem, frames, assignment, settings, plan, options.onProgress);

  const weights = new Float64Array(counts.reduce((a, b) => a + b, 0));
  const biases = new Float64Array(S);
  const starts = speciesStarts(counts);
  let linear: Float64Array | undefined;
  if (withLinear) {
    const FD = features.dimension;
    linear = new Float64Array(S * FD);
    for (let s = 0; s < S; s++) {
      const part = speciesParameters(features, solution.parameters, s);
      linear.set(part.weights, s * FD);
      biases[s] = part.bias + reference[s];
    }
    weights.set(solution.parameters.subarray(PL));
  } else {
    counts.forEach((M, s) => {
      weights.set(solution.parameters.subarray(starts[s] + s, starts[s] + s + M), starts[s]);
      biases[s] = solution.parameters[starts[s] + s + M] + reference[s];
    });
  }
  const model = new SparseKernelModel(features, { zeta, counts, points, weights, biases, kernelBlocks: view.blocks, ...(linear ? { linear } : {}) });
  return {
    model,
    report: {
      ...fitReport(solution, data, start, problem.parameters, estimatedBytes, reference),
      zeta,
      sparsePoints: counts,
      notes,
    },
  };
}
