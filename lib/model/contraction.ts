// Contraction of an expansion's (neighbour type, radial) channels to a few
// "pseudo-species" channels per angular momentum l, learned from the training
// frames (a principal-component analysis of the coefficients, in the spirit
// of the alchemical compression of Willatt, Musil & Ceriotti 2018 and of
// data-driven radial bases). Without it the invariants grow as the square of
// the species count: with 5 species, rho x V alone has 25 N^2 columns per l.
import type { FeatureBlock } from '../core/labels.js';
import { native, type NativeExpansion } from '../native/addon.js';
import type { ComputeOptions } from '../core/request.js';
import type { System } from '../core/system.js';

export interface ContractionSpec {
  /** Channels per l after the contraction (each a mix of every neighbour type and radial function). */
  channels: number;
  /**
   * Channel counts among which a linear fit chooses by cross-validation,
   * increasing and ending with `channels` (the features the fit computes;
   * fewer channels are a subset of them, see channel-choice.ts). The fitted
   * model keeps the chosen count. None: `channels` as given.
   */
  candidates?: number[];
}

/** An expansion whose values can be computed (for learning the contraction) and handed to invariants. */
export interface ContractibleExpansion {
  readonly calculator: NativeExpansion;
  compute(systems: System | readonly System[], options?: ComputeOptions): FeatureBlock;
}

/** Shape of an expansion's coefficients: (max_angular + 1) l values, T types, N radial functions. */
export interface ChannelShape {
  angular: number;
  types: number;
  radial: number;
}

/** What an expansion's hypers say of its channels. */
export type BasisHypers = { basis: { max_angular: number; radial: { max_radial: number } } };

export function channelShape(hypers: BasisHypers, types: number): ChannelShape {
  return { angular: hypers.basis.max_angular + 1, types, radial: hypers.basis.radial.max_radial + 1 };
}

export function checkContraction(spec: unknown, where = 'features.contraction'): ContractionSpec {
  const channels = (spec as ContractionSpec | null)?.channels;
  if (typeof spec !== 'object' || spec === null || typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1) {
    throw new Error(`${where}: expected {channels: an integer >= 1}, got ${JSON.stringify(spec)}`);
  }
  const candidates = (spec as ContractionSpec).candidates;
  if (candidates === undefined) return { channels };
  const valid =
    Array.isArray(candidates) &&
    candidates.length > 0 &&
    candidates.every((k, i) => Number.isInteger(k) && k >= 1 && (i === 0 || k > candidates[i - 1])) &&
    candidates[candidates.length - 1] === channels;
  if (!valid) {
    throw new Error(`${where}.candidates: expected increasing integers >= 1 ending with channels (${channels}), got ${JSON.stringify(candidates)}`);
  }
  return { channels, candidates: [...candidates] };
}

/** Number of matrix entries of a contraction: one K x (T N) matrix per l. */
export function contractionLength(shape: ChannelShape, channels: number): number {
  return shape.angular * channels * shape.types * shape.radial;
}

/** The contraction that keeps the first K (type, radial) channels: a valid start before anything is learned. */
export function leadingChannels(shape: ChannelShape, channels: number): Float64Array {
  const W = shape.types * shape.radial;
  checkChannels(shape, channels);
  const out = new Float64Array(contractionLength(shape, channels));
  for (let l = 0; l < shape.angular; l++) for (let k = 0; k < channels; k++) out[(l * channels + k) * W + k] = 1;
  return out;
}

/** The first K channels per l of a contraction to `channels` (the K-channel contraction, channels being principal directions in order). */
export function firstChannels(shape: ChannelShape, matrices: Float64Array, channels: number, K: number): Float64Array {
  const W = shape.types * shape.radial;
  if (!(Number.isInteger(K) && K >= 1 && K <= channels)) throw new Error(`channels: expected an integer in [1, ${channels}], got ${K}`);
  const out = new Float64Array(contractionLength(shape, K));
  for (let l = 0; l < shape.angular; l++) out.set(matrices.subarray(l * channels * W, (l * channels + K) * W), l * K * W);
  return out;
}

function checkChannels(shape: ChannelShape, channels: number): void {
  const W = shape.types * shape.radial;
  if (channels > W) {
    throw new Error(
      `features.contraction.channels: expected at most ${W} (${shape.types} species x ${shape.radial} radial functions), got ${channels}`,
    );
  }
}

/** An expansion seen through a contraction; what Invariants are built from. */
export class ContractedExpansion {
  readonly calculator: NativeExpansion;

  constructor(inner: ContractibleExpansion, species: readonly number[], channels: number, matrices: Float64Array) {
    this.calculator = new native.ContractedExpansion(inner.calculator, Int32Array.from(species), channels, matrices);
  }
}

/**
 * Second moments of the coefficients per l, summed over centres and m:
 * M_l[w][w'] = sum_i sum_m c[i][l m][w] c[i][l m][w'], w = (type, radial).
 */
export class ChannelMoments {
  readonly shape: ChannelShape;
  readonly moments: Float64Array[];

  constructor(shape: ChannelShape) {
    this.shape = shape;
    const W = shape.types * shape.radial;
    this.moments = Array.from({ length: shape.angular }, () => new Float64Array(W * W));
  }

  add(values: Float64Array): void {
    const { angular, types, radial } = this.shape;
    const W = types * radial;
    const width = angular * angular * W;
    const samples = values.length / width;
    for (let s = 0; s < samples; s++) {
      for (let l = 0; l < angular; l++) {
        const M = this.moments[l];
        for (let lm = l * l; lm < (l + 1) * (l + 1); lm++) {
          const c = s * width + lm * W;
          for (let a = 0; a < W; a++) {
            const ca = values[c + a];
            if (ca === 0) continue;
            for (let b = a; b < W; b++) M[a * W + b] += ca * values[c + b];
          }
        }
      }
    }
  }

  /**
   * The K leading principal directions per l, after giving every neighbour
   * type the same total weight: otherwise the most abundant species (H in
   * organic molecules) would take every channel and a rare one (Cl, a metal
   * ion) would be lost, though its few atoms matter as much.
   */
  contraction(channels: number): Float64Array {
    const { angular, types, radial } = this.shape;
    checkChannels(this.shape, channels);
    const W = types * radial;
    const typeNorm = new Float64Array(types);
    for (let l = 0; l < angular; l++) for (let w = 0; w < W; w++) typeNorm[Math.floor(w / radial)] += this.moments[l][w * W + w];
    const mean = typeNorm.reduce((a, b) => a + b, 0) / types;
    const typeScale = Array.from(typeNorm, (v) => (v > 0 ? Math.sqrt(mean / v) : 1));
    const scale = (w: number) => typeScale[Math.floor(w / radial)];
    const out = new Float64Array(contractionLength(this.shape, channels));
    for (let l = 0; l < angular; l++) {
      const upper = this.moments[l];
      const A = new Float64Array(W * W);
      for (let a = 0; a < W; a++) {
        for (let b = a; b < W; b++) A[a * W + b] = A[b * W + a] = scale(a) * upper[a * W + b] * scale(b);
      }
      const { values, vectors } = symmetricEigen(A, W);
      const order = Array.from(values.keys()).sort((p, q) => values[q] - values[p] || p - q);
      for (let k = 0; k < channels; k++) {
        const v = order[k];
        // Sign fixed by the largest entry, so the same data gives the same matrices.
        let largest = 0;
        for (let w = 0; w < W; w++) if (Math.abs(vectors[w * W + v]) > Math.abs(vectors[largest * W + v])) largest = w;
        const sign = vectors[largest * W + v] < 0 ? -1 : 1;
        for (let w = 0; w < W; w++) out[(l * channels + k) * W + w] = sign * vectors[w * W + v] * scale(w);
      }
    }
    return out;
  }
}

/** Cyclic Jacobi eigen-decomposition of a small symmetric n x n matrix: values, and vectors as columns. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n * n; i++) total += a[i] * a[i];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    if (off <= 1e-30 * total || total === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}
