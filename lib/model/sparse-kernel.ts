// Sparse kernel potential (SOAP-GAP style, as in Grisafi, Nigam & Ceriotti
// 2021): atomic energy e_i = sum_m alpha[Z,m] k(x_i, y[Z,m]) + b[Z] over M
// sparse environments per species, with the normalised polynomial kernel
// k(x, y) = (x^ . y^)^zeta, x^ = x/|x|. Forces and stress go by
// backpropagation: dE/dx_i in closed form, then the feature blocks' backward
// pass (never through dX/dr).
//
// Why this kernel: normalising removes the dependence on the number of
// neighbours' overall density scale so the kernel compares environment
// shapes; an integer zeta keeps k a polynomial of the features (a Gram matrix
// raised element-wise to an integer power stays positive semi-definite, and
// its gradient has a closed form); zeta = 2 is the usual SOAP-GAP choice: it
// already couples pairs of power-spectrum components (higher body order) at
// little cost, larger zeta sharpens the kernel and needs more data.
import type { ForceField, ForceFieldRequest, ForceFieldResult } from '../core/forcefield.js';
import { toNativeSystem, type System } from '../core/system.js';
import { native } from '../native/addon.js';
import type { NativeSparseKernel } from '../native/types.js';
import type { FeatureSet } from './feature-set.js';
import { fromBackward, linearBlockAdjoint } from './linear-model.js';
import { speciesIndices } from './species.js';

export const DEFAULT_ZETA = 2;

export interface SparseKernelParameters {
  /** Kernel exponent, an integer >= 1. */
  zeta: number;
  /** Number of sparse points of each species (order of features.spec.species). */
  counts: number[];
  /** Sparse points [sum(counts)][dimension], unit norm, grouped by species. */
  points: Float64Array;
  /** Kernel weights alpha [sum(counts)], same order as points. */
  weights: Float64Array;
  /** Per-species energy offset b [species] (eV). */
  biases: Float64Array;
  /**
   * Linear weights on the same (scaled, unnormalised) features, [species][dimension]:
   * the model is then a linear model plus a kernel correction, so it can
   * represent whatever the linear model can (the energy linear in the
   * long-range potential, as electrostatics is) and adds many-body terms.
   */
  linear?: Float64Array;
  /**
   * Feature blocks the kernel compares (indices into the feature set's
   * blocks, ascending; default all). The points then span only their columns.
   */
  kernelBlocks?: number[];
}

/** The columns the kernel compares: some of the feature blocks, in order. */
export interface KernelView {
  blocks: number[];
  /** Offset of each of `blocks` in the kernel's own columns. */
  offsets: number[];
  dimension: number;
  /** The concatenated feature column of every kernel column. */
  columns: Int32Array;
}

export function kernelView(features: FeatureSet, blocks: readonly number[] = features.sizes.map((_, b) => b)): KernelView {
  const count = features.sizes.length;
  if (!Array.isArray(blocks) || blocks.length === 0 || !blocks.every((b, k) => Number.isInteger(b) && b >= 0 && b < count && (k === 0 || b > blocks[k - 1]))) {
    throw new Error(`kernelBlocks: expected ascending block indices in 0..${count - 1}, got ${JSON.stringify(blocks)}`);
  }
  const offsets: number[] = [];
  const columns: number[] = [];
  for (const b of blocks) {
    offsets.push(columns.length);
    for (let k = 0; k < features.sizes[b]; k++) columns.push(features.offsets[b] + k);
  }
  return { blocks: [...blocks], offsets, dimension: columns.length, columns: Int32Array.from(columns) };
}

/** [atoms][view.dimension]: the view's columns of concatenated features [atoms][D]. */
export function viewColumns(values: Float64Array, D: number, view: KernelView): Float64Array {
  const atoms = D ? values.length / D : 0;
  const K = view.dimension;
  const out = new Float64Array(atoms * K);
  for (let i = 0; i < atoms; i++) for (let k = 0; k < K; k++) out[i * K + k] = values[i * D + view.columns[k]];
  return out;
}

export function checkZeta(zeta: unknown, where = 'zeta'): number {
  if (typeof zeta !== 'number' || !Number.isInteger(zeta) || zeta < 1) {
    throw new Error(`${where}: expected an integer >= 1 (kernel exponent), got ${String(zeta)}`);
  }
  return zeta;
}

/** First sparse point of every species in a points/weights array. */
export function speciesStarts(counts: readonly number[]): number[] {
  const starts: number[] = [];
  let total = 0;
  for (const c of counts) {
    starts.push(total);
    total += c;
  }
  return starts;
}

/** Unit-norm copy of every row ([rows][dimension]); all-zero rows stay zero. Also returns the norms. */
export function normalizeRows(values: Float64Array, dimension: number): { unit: Float64Array; norms: Float64Array } {
  const rows = dimension ? values.length / dimension : 0;
  const unit = new Float64Array(values.length);
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let n2 = 0;
    for (let k = 0; k < dimension; k++) n2 += values[i * dimension + k] ** 2;
    const n = Math.sqrt(n2);
    norms[i] = n;
    if (n > 0) for (let k = 0; k < dimension; k++) unit[i * dimension + k] = values[i * dimension + k] / n;
  }
  return { unit, norms };
}

/**
 * Farthest-point sampling of unit rows: starts from the row farthest from the
 * mean (ties: lowest index, so the choice does not depend on chance), then
 * repeatedly takes the row farthest from everything taken so far. Stops early
 * when every remaining row duplicates a chosen one, so the result holds
 * distinct rows only (at most `wanted`).
 */
export function farthestPointSampling(points: Float64Array, dimension: number, wanted: number): number[] {
  if (!Number.isInteger(wanted) || wanted < 1) throw new Error(`sparsePoints: expected an integer >= 1, got ${wanted}`);
  const rows = dimension ? points.length / dimension : 0;
  if (rows === 0) return [];
  const distance2 = (a: number, b: Float64Array, bo: number) => {
    let d = 0;
    for (let k = 0; k < dimension; k++) {
      const t = points[a * dimension + k] - b[bo + k];
      d += t * t;
    }
    return d;
  };
  const mean = new Float64Array(dimension);
  for (let i = 0; i < rows; i++) for (let k = 0; k < dimension; k++) mean[k] += points[i * dimension + k] / rows;
  let first = 0;
  let farthest = -1;
  for (let i = 0; i < rows; i++) {
    const d = distance2(i, mean, 0);
    if (d > farthest) [first, farthest] = [i, d];
  }
  const selected = [first];
  const nearest = new Float64Array(rows).fill(Infinity);
  // Rows closer than this (in squared distance on the unit sphere) are the same environment up to round-off.
  const duplicate = 1e-20;
  while (selected.length < wanted) {
    const last = selected[selected.length - 1];
    let next = -1;
    let best = duplicate;
    for (let i = 0; i < rows; i++) {
      const d = distance2(i, points, last * dimension);
      if (d < nearest[i]) nearest[i] = d;
      if (nearest[i] > best) [next, best] = [i, nearest[i]];
    }
    if (next < 0) break;
    selected.push(next);
  }
  return selected;
}

/** K[m][n] = (y_m . y_n)^zeta for unit rows y. */
export function kernelMatrix(points: Float64Array, count: number, dimension: number, zeta: number): Float64Array {
  const K = new Float64Array(count * count);
  for (let m = 0; m < count; m++) {
    for (let n = m; n < count; n++) {
      let c = 0;
      for (let k = 0; k < dimension; k++) c += points[m * dimension + k] * points[n * dimension + k];
      K[m * count + n] = K[n * count + m] = c ** zeta;
    }
  }
  return K;
}

export class SparseKernelModel implements ForceField {
  readonly features: FeatureSet;
  readonly zeta: number;
  readonly counts: number[];
  readonly points: Float64Array;
  readonly weights: Float64Array;
  readonly biases: Float64Array;
  readonly linear: Float64Array | null;
  readonly starts: number[];
  readonly view: KernelView;
  /** The kernel sums (two matrix products per species), native. */
  private readonly kernel: NativeSparseKernel;

  constructor(features: FeatureSet, parameters: SparseKernelParameters) {
    const S = features.spec.species.length;
    const D = features.dimension;
    this.view = kernelView(features, parameters.kernelBlocks);
    const KD = this.view.dimension;
    this.zeta = checkZeta(parameters.zeta, 'sparse-kernel model: zeta');
    const counts = parameters.counts;
    if (!Array.isArray(counts) || counts.length !== S || !counts.every((c) => Number.isInteger(c) && c >= 0)) {
      throw new Error(`sparse-kernel model: counts: expected ${S} integers >= 0 (sparse points per species)`);
    }
    const M = counts.reduce((a, b) => a + b, 0);
    if (parameters.points.length !== M * KD) {
      throw new Error(`sparse-kernel model: points: expected ${M} x ${KD} numbers, got ${parameters.points.length}`);
    }
    if (parameters.weights.length !== M) throw new Error(`sparse-kernel model: weights: expected ${M} numbers, got ${parameters.weights.length}`);
    if (parameters.biases.length !== S) throw new Error(`sparse-kernel model: biases: expected ${S} numbers, got ${parameters.biases.length}`);
    if (parameters.linear && parameters.linear.length !== S * D) {
      throw new Error(`sparse-kernel model: linear: expected ${S} x ${D} numbers, got ${parameters.linear.length}`);
    }
    this.linear = parameters.linear ?? null;
    this.features = features;
    this.counts = [...counts];
    this.points = parameters.points;
    this.weights = parameters.weights;
    this.biases = parameters.biases;
    this.starts = speciesStarts(counts);
    this.kernel = new native.SparseKernel(this.points, this.weights, Int32Array.from(counts), KD, this.zeta);
  }

  /**
   * dE/d(unscaled block values) per block: the linear weights w[Z] (when the
   * model has a linear part) plus, on the kernel's blocks, the kernel's
   * gradient, with c_m = x^ . y_m and a_m = alpha_m zeta c_m^(zeta-1),
   * (sum_m a_m y_m - (sum_m a_m c_m) x^) / |x| (native: two matrix products
   * per species), times the block's scale. A centre whose kernel features
   * vanish (nothing within the cutoff) has no direction: no kernel terms.
   */
  private adjoints(kernelGradient: Float64Array, species: Int32Array): Float64Array[] {
    const KD = this.view.dimension;
    const N = species.length;
    const { sizes, scales } = this.features;
    return sizes.map((size, b) => {
      const out = this.linear ? linearBlockAdjoint(this.features, this.linear, b, species) : new Float64Array(N * size);
      const k = this.view.blocks.indexOf(b);
      if (k >= 0) {
        const from = this.view.offsets[k];
        const scale = scales[b];
        for (let i = 0; i < N; i++) for (let j = 0; j < size; j++) out[i * size + j] += scale * kernelGradient[i * KD + from + j];
      }
      return out;
    });
  }

  /**
   * Atomic energies: bias, kernel and linear part. The backward pass returns
   * each block's adjoint . values per centre; the kernel is homogeneous of
   * degree 0 in x, so its gradient is orthogonal to x and those dots sum
   * to the linear part w[Z] . x alone.
   */
  private energies(kernelEnergies: Float64Array, species: Int32Array, dots: readonly Float64Array[]): Float64Array {
    const energies = Float64Array.from(species, (s, i) => this.biases[s] + kernelEnergies[i]);
    if (this.linear) for (const d of dots) for (let i = 0; i < energies.length; i++) energies[i] += d[i];
    return energies;
  }

  compute(system: System, request: ForceFieldRequest = {}): ForceFieldResult {
    const frame = toNativeSystem(system);
    this.features.checkSpecies(frame);
    const species = speciesIndices(this.features.spec.species, frame.types);
    const options = this.features.options();
    const blocks = this.features.invariants.map((inv) => inv.compute(frame, options).values);
    const kernel = this.kernel.evaluate(this.features.concatenate(blocks, species.length, this.view.blocks), species);
    // the blocks together: one pass over a density that several share
    const out = this.features.backwardDots(frame, this.adjoints(kernel.gradient, species), request);
    return fromBackward(this.features, frame, this.energies(kernel.energies, species, out.dots), out, request);
  }

  async computeAsync(system: System, request: ForceFieldRequest = {}): Promise<ForceFieldResult> {
    const frame = toNativeSystem(system);
    this.features.checkSpecies(frame);
    const species = speciesIndices(this.features.spec.species, frame.types);
    const options = this.features.options();
    const blocks = await Promise.all(this.features.invariants.map(async (inv) => (await inv.computeAsync(frame, options)).values));
    const kernel = await this.kernel.evaluateAsync(this.features.concatenate(blocks, species.length, this.view.blocks), species);
    const out = await this.features.backwardDotsAsync(frame, this.adjoints(kernel.gradient, species), request);
    return fromBackward(this.features, frame, this.energies(kernel.energies, species, out.dots), out, request);
  }
}
