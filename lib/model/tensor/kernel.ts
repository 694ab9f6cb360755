// The sparse lambda-SOAP kernel part of a tensor model (Grisafi et al.,
// PRL 120, 036002, 2018): T^mu += sum_i sum_m k0(i, m)^(zeta - 1)
// sum_mu' (X_i X_m^T)[mu][mu'] a[m][mu'], over sparse environments m of
// atom i's species. X_i ([2 lambda + 1][features]) are the order-lambda
// equivariants of the local block scaled to unit norm, k0 the cosine of the
// local invariants; the product X_i X_m^T rotates as D(R) on its left index,
// so the kernel part is as equivariant as the linear one, and the scalar
// factor makes it many-body. Like the energy models' kernels it compares
// local environments only; the long range enters linearly.
import type { System } from '../../core/system.js';
import type { FeatureSet } from '../feature-set.js';
import type { EquivariantInvariants } from '../../features/equivariant.js';
import { farthestPointSampling, normalizeRows } from '../sparse-kernel.js';
import { speciesIndices } from '../species.js';

export interface TensorKernelSpec {
  /** Sparse environments per species (default 100), chosen by farthest-point sampling of the local invariants. */
  sparsePoints?: number;
  /** Exponent of the scalar kernel, an integer >= 1 (default 2). */
  zeta?: number;
}

/** The sparse environments of one order and their weights. */
export interface TensorKernel {
  zeta: number;
  /** Species index of every sparse environment. */
  species: Int32Array;
  /** [M][2 lambda + 1][local features], unit Frobenius norm. */
  points: Float64Array;
  /** [M][local invariants], unit norm. */
  scalars: Float64Array;
  /** [M][2 lambda + 1]; empty until fitted. */
  weights: Float64Array;
}

/** What the kernel compares for every atom of a system: unit-norm local equivariants and invariants. */
export interface KernelInputs {
  equivariants: Float64Array;
  scalars: Float64Array;
  species: Int32Array;
}

/** What the kernel needs of an order's features (model.ts's OrderFeatures). */
export interface OrderBlocks {
  lambda: number;
  blocks: EquivariantInvariants[];
  /** The feature set's block of each. */
  blockIndex: number[];
  sizes: number[];
}

/** Index (among the order's blocks) of the local block the kernel compares, and its feature-set block. */
export function localBlock(order: OrderBlocks, features: FeatureSet): { order: number; features: number } {
  const k = order.blockIndex.findIndex((b) => features.spec.blocks[b].kind === 'soap');
  if (k < 0) throw new Error("kernel: a tensor kernel compares the 'soap' block, and the features have none");
  return { order: k, features: order.blockIndex[k] };
}

/**
 * What the kernel compares for every atom of a system, from the order's
 * block values as OrderFeatures.values() gives them: the local block's
 * equivariants and the local invariants, each to unit norm.
 */
export function kernelInputs(order: OrderBlocks, features: FeatureSet, system: System, values: readonly Float64Array[]): KernelInputs {
  const block = localBlock(order, features);
  const scalars = features.invariants[block.features].compute(system, features.options()).values;
  return {
    equivariants: normalizeRows(values[block.order], (2 * order.lambda + 1) * order.sizes[block.order]).unit,
    scalars: normalizeRows(scalars, features.sizes[block.features]).unit,
    species: speciesIndices(features.spec.species, system.types),
  };
}

/**
 * Sparse environments: per species, farthest-point sampling on the unit
 * local invariants of every atom of the training systems' `inputs` (at most
 * `wanted` per species).
 */
export function selectEnvironments(order: OrderBlocks, features: FeatureSet, inputs: readonly KernelInputs[], wanted: number, zeta: number): TensorKernel {
  const block = localBlock(order, features);
  const E = (2 * order.lambda + 1) * order.sizes[block.order];
  const D0 = features.sizes[block.features];
  const species: number[] = [];
  const points: number[] = [];
  const scalars: number[] = [];
  features.spec.species.forEach((_, s) => {
    const atoms: Array<[number, number]> = [];
    inputs.forEach((input, f) => input.species.forEach((t, i) => t === s && atoms.push([f, i])));
    const pool = new Float64Array(atoms.length * D0);
    atoms.forEach(([f, i], a) => pool.set(inputs[f].scalars.subarray(i * D0, (i + 1) * D0), a * D0));
    for (const a of farthestPointSampling(pool, D0, Math.min(wanted, atoms.length || 1))) {
      const [f, i] = atoms[a];
      species.push(s);
      points.push(...inputs[f].equivariants.subarray(i * E, (i + 1) * E));
      scalars.push(...inputs[f].scalars.subarray(i * D0, (i + 1) * D0));
    }
  });
  return { zeta, species: Int32Array.from(species), points: Float64Array.from(points), scalars: Float64Array.from(scalars), weights: new Float64Array(0) };
}

/** Kernel design rows of one system: [2 lambda + 1][M (2 lambda + 1)]. */
export function kernelRows(kernel: TensorKernel, inputs: KernelInputs, lambda: number): Float64Array {
  const C = 2 * lambda + 1;
  const M = kernel.species.length;
  const N = inputs.species.length;
  const E = kernel.points.length / Math.max(1, M);
  const P = E / C;
  const D0 = kernel.scalars.length / Math.max(1, M);
  const out = new Float64Array(C * M * C);
  for (let i = 0; i < N; i++) {
    const xi = i * E;
    for (let m = 0; m < M; m++) {
      if (kernel.species[m] !== inputs.species[i]) continue;
      let k0 = 0;
      for (let d = 0; d < D0; d++) k0 += inputs.scalars[i * D0 + d] * kernel.scalars[m * D0 + d];
      const w = k0 ** (kernel.zeta - 1);
      if (w === 0) continue;
      for (let mu = 0; mu < C; mu++) {
        for (let nu = 0; nu < C; nu++) {
          let g = 0;
          const a = xi + mu * P;
          const b = m * E + nu * P;
          for (let p = 0; p < P; p++) g += inputs.equivariants[a + p] * kernel.points[b + p];
          out[mu * M * C + m * C + nu] += w * g;
        }
      }
    }
  }
  return out;
}
