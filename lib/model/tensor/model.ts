// Linear equivariant models of tensor targets (dipoles, polarizabilities):
// T^{lambda mu} = sum_i (w[Z_i] . x_i^{lambda mu} + b[Z_i] [lambda = 0]),
// with x^lambda the equivariant invariants of the feature set's blocks
// (rho x rho^lambda local, rho x V^lambda multi-scale). A sum of per-atom
// terms that each rotate as Y_lambda rotates as Y_lambda, so the predicted
// tensor follows any rotation of the system exactly; the bias exists only
// for lambda = 0, the one order with rotation-invariant components.
import { toNativeSystem, type System } from '../../core/system.js';
import type { NativeSystem } from '../../native/types.js';
import { EquivariantInvariants } from '../../features/equivariant.js';
import { featureCount } from '../../features/invariants.js';
import { FeatureSet, type FeatureSetSpec } from '../feature-set.js';
import { speciesIndices } from '../species.js';
import { kernelInputs, kernelRows, localBlock, type TensorKernel, type TensorKernelSpec } from './kernel.js';
import { checkTarget, targetOrders, toCartesian, type TensorTarget } from './target.js';

export interface TensorModelSpec {
  target: TensorTarget;
  /**
   * Species, blocks ('soap' local, 'multiscale' rho x V) and optional
   * contraction, as for energy models. A dipole model may take a 'charges'
   * baseline: the dipole sum_i q_i r_i of charges learned from per-atom
   * reference charges, the part of a dipole that grows with the distance
   * between charged fragments and that no sum of bounded per-atom terms
   * can follow; the equivariant part learns the rest.
   */
  features: FeatureSetSpec;
  /**
   * The blocks of the lambda = 0 (isotropic) part. 'local' (default): the
   * 'soap' blocks only. The isotropic response of neutral matter is set by
   * the local density (Lorentz-Lorenz), while rho x V at lambda = 0 holds
   * the potential itself, sum_j 1/r_ij, which grows without bound with the
   * size of a cluster: weights learned on small systems then extrapolate it
   * wrongly. 'all': every block, as for the other orders.
   */
  isotropic?: Isotropic;
  /** Add a sparse lambda-SOAP kernel part on the local block (fitted after the linear part, on what it leaves). */
  kernel?: TensorKernelSpec;
}

export const ISOTROPIC = ['local', 'all'] as const;
export type Isotropic = (typeof ISOTROPIC)[number];

/** The learned parameters of one order lambda. */
export interface TensorOrderParameters {
  lambda: number;
  /** Scale of every feature block at this order. */
  scales: number[];
  /** [species][dimension]. */
  weights: Float64Array;
  /** [species] (lambda = 0 only; zeros otherwise). */
  biases: Float64Array;
  /** The lambda-SOAP kernel part, when the fit kept one. */
  kernel?: TensorKernel;
}

/** The equivariant blocks of one order and their sizes. */
export class OrderFeatures {
  readonly blocks: EquivariantInvariants[];
  /** The feature set's block of each of these blocks. */
  readonly blockIndex: number[];
  readonly sizes: number[];

  /** `isotropic` chooses the blocks of lambda = 0 (see TensorModelSpec). */
  constructor(features: FeatureSet, readonly lambda: number, isotropic: Isotropic = 'local') {
    const local = lambda === 0 && isotropic === 'local';
    const all = features.blockInputs();
    this.blockIndex = all.map((_, b) => b).filter((b) => !local || features.spec.blocks[b].kind === 'soap');
    if (this.blockIndex.length === 0) throw new Error("isotropic: 'local' takes the 'soap' blocks for lambda = 0, and the features have none; use 'all'");
    this.blocks = this.blockIndex.map((b) => new EquivariantInvariants(all[b][0], all[b][1], { lambda }));
    this.sizes = this.blocks.map((block) => featureCount(block, features.spec.species));
  }

  get dimension(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  /** Unscaled values of every block, [atoms][2 lambda + 1][size]. */
  values(system: System, species: number[]): Float64Array[] {
    return this.blocks.map((block) => block.compute(system, { neighborTypes: species }).values);
  }

  /** Parameters of this order: species x dimension weights, and the per-species biases at lambda = 0. */
  parameterCount(species: number): number {
    return species * this.dimension + (this.lambda === 0 ? species : 0);
  }

  /**
   * Design rows of one system: [2 lambda + 1][parameterCount] (weights of
   * every species, then at lambda = 0 the per-species atom counts that
   * multiply the biases), each block times its scale.
   */
  rows(system: System, features: FeatureSet, scales: readonly number[], blocks = this.values(system, features.spec.species)): Float64Array {
    const S = features.spec.species.length;
    const D = this.dimension;
    const C = 2 * this.lambda + 1;
    const P = this.parameterCount(S);
    const out = new Float64Array(C * P);
    const species = speciesIndices(features.spec.species, system.types);
    let offset = 0;
    blocks.forEach((values, b) => {
      const size = this.sizes[b];
      for (let i = 0; i < species.length; i++) {
        const column = species[i] * D + offset;
        for (let m = 0; m < C; m++) {
          const from = (i * C + m) * size;
          for (let k = 0; k < size; k++) out[m * P + column + k] += scales[b] * values[from + k];
        }
      }
      offset += size;
    });
    if (this.lambda === 0) for (let i = 0; i < species.length; i++) out[S * D + species[i]] += 1;
    return out;
  }
}

export class TensorModel {
  readonly target: TensorTarget;
  readonly features: FeatureSet;
  readonly orders: OrderFeatures[];
  readonly parameters: TensorOrderParameters[];
  readonly isotropic: Isotropic;

  /** `features` carries the learned contraction, if any; parameters one entry per order of the target. */
  constructor(target: TensorTarget, features: FeatureSet, parameters: TensorOrderParameters[], isotropic: Isotropic = 'local') {
    this.target = checkTarget(target);
    this.isotropic = checkIsotropic(isotropic);
    checkBaseline(this.target, features);
    this.features = features;
    const lambdas = targetOrders(this.target);
    if (!Array.isArray(parameters) || parameters.length !== lambdas.length) {
      throw new Error(`parameters: expected ${lambdas.length} order(s) (lambda ${lambdas.join(', ')}) for a ${target} model`);
    }
    this.orders = lambdas.map((lambda) => new OrderFeatures(features, lambda, this.isotropic));
    const S = features.spec.species.length;
    parameters.forEach((p, k) => {
      const order = this.orders[k];
      const where = `parameters[${k}]`;
      if (p.lambda !== order.lambda) throw new Error(`${where}.lambda: expected ${order.lambda}, got ${p.lambda}`);
      if (p.scales.length !== order.sizes.length || !p.scales.every((s) => Number.isFinite(s) && s > 0)) {
        throw new Error(`${where}.scales: expected ${order.sizes.length} positive numbers (one per feature block)`);
      }
      if (p.weights.length !== S * order.dimension || !p.weights.every(Number.isFinite)) {
        throw new Error(`${where}.weights: expected ${S * order.dimension} finite numbers (species x dimension), got ${p.weights.length}`);
      }
      if (p.biases.length !== S || !p.biases.every(Number.isFinite)) throw new Error(`${where}.biases: expected ${S} finite numbers`);
      if (p.kernel) checkKernel(p.kernel, order, features, `${where}.kernel`);
    });
    this.parameters = parameters.map((p) => ({
      lambda: p.lambda,
      scales: [...p.scales],
      weights: Float64Array.from(p.weights),
      biases: Float64Array.from(p.biases),
      ...(p.kernel ? { kernel: { ...p.kernel } } : {}),
    }));
  }

  /** Spherical components of every order for one system. */
  spherical(system: System): Float64Array[] {
    this.features.checkSpecies(system);
    return this.orders.map((order, k) => {
      const p = this.parameters[k];
      const values = order.values(system, this.features.spec.species);
      const rows = order.rows(system, this.features, p.scales, values);
      const C = 2 * order.lambda + 1;
      const P = rows.length / C;
      const SD = p.weights.length;
      const out = new Float64Array(C);
      for (let m = 0; m < C; m++) {
        for (let j = 0; j < SD; j++) out[m] += rows[m * P + j] * p.weights[j];
        // the bias columns (lambda = 0 only) follow the weights
        for (let j = SD; j < P; j++) out[m] += rows[m * P + j] * p.biases[j - SD];
      }
      if (p.kernel) {
        const a = p.kernel.weights;
        const kernel = kernelRows(p.kernel, kernelInputs(order, this.features, system, values), order.lambda);
        for (let m = 0; m < C; m++) for (let j = 0; j < a.length; j++) out[m] += kernel[m * a.length + j] * a[j];
      }
      return out;
    });
  }

  /** The predicted target: a dipole (x, y, z; e A) or a polarizability (3x3 row-major, A^3). */
  predict(system: System): Float64Array {
    const out = toCartesian(this.target, this.spherical(system));
    const baseline = baselineTarget(this.features, toNativeSystem(system));
    if (baseline) for (let k = 0; k < out.length; k++) out[k] += baseline[k];
    return out;
  }
}

function checkKernel(kernel: TensorKernel, order: OrderFeatures, features: FeatureSet, where: string): void {
  const M = kernel.species.length;
  const C = 2 * order.lambda + 1;
  const block = localBlock(order, features);
  const fail = (what: string) => {
    throw new Error(`${where}: ${what}`);
  };
  if (!(Number.isInteger(kernel.zeta) && kernel.zeta >= 1)) fail(`zeta: expected an integer >= 1, got ${kernel.zeta}`);
  if (!kernel.species.every((s) => Number.isInteger(s) && s >= 0 && s < features.spec.species.length)) fail('species: expected species indices');
  if (kernel.points.length !== M * C * order.sizes[block.order]) fail(`points: expected ${M} x ${C} x ${order.sizes[block.order]} numbers`);
  if (kernel.scalars.length !== M * features.sizes[block.features]) fail(`scalars: expected ${M} x ${features.sizes[block.features]} numbers`);
  if (kernel.weights.length !== M * C || !kernel.weights.every(Number.isFinite)) fail(`weights: expected ${M * C} finite numbers`);
}

export function checkIsotropic(value: unknown): Isotropic {
  if (!(ISOTROPIC as readonly unknown[]).includes(value)) throw new Error(`isotropic: expected ${ISOTROPIC.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as Isotropic;
}

export function checkBaseline(target: TensorTarget, features: FeatureSet): void {
  if (features.spec.baseline && !(target === 'dipole' && features.baseline?.charges)) {
    throw new Error("features.baseline: a tensor model takes only a 'charges' baseline, and only for a dipole");
  }
}

/** The baseline's share of the target (the learned charges' dipole sum_i q_i r_i), or null without one. */
export function baselineTarget(features: FeatureSet, system: NativeSystem): Float64Array | null {
  const model = features.baseline?.charges;
  if (!model) return null;
  const { charges } = model.charges(system);
  const dipole = new Float64Array(3);
  charges.forEach((q, i) => {
    for (let x = 0; x < 3; x++) dipole[x] += q * system.positions[3 * i + x];
  });
  return dipole;
}
