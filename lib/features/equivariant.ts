// Equivariants of order lambda of two expansions: lambda-SOAP (rho x rho) and
// the multi-scale rho x V of order lambda.
import type { Backward } from '../core/backward.js';
import type { ComputeOptions } from '../core/request.js';
import type { System } from '../core/system.js';
import { makeLabels, type EquivariantBlock } from '../core/labels.js';
import { native, type NativeExpansionResult, type NativeInvariants, type NativeRequest } from '../native/addon.js';
import { backwardWeighted, computeWeighted, LabelledCalculator, toFeatureBlock, type BackwardOptions } from './calculator.js';
import type { ExpansionLike } from './invariants.js';
import { checkOptionKeys, selectionArray } from './selection.js';

export interface EquivariantOptions {
  /** Order of the output tensor, 0..2 max_angular. */
  lambda: number;
  /**
   * +1 (default): keep (l1, l2) with l1 + l2 + lambda even, proper tensors;
   * -1: odd, pseudotensors (which change sign under inversion relative to Y_lambda).
   */
  sigma?: 1 | -1;
  /**
   * Properties to keep, as (neighbor_1_type, neighbor_2_type, l_1, l_2, n_1, n_2);
   * default: all. One expansion twice: (t1, l1, n1) <= (t2, l2, n2).
   */
  selectedProperties?: ReadonlyArray<readonly [number, number, number, number, number, number]>;
}

export const EQUIVARIANT_PROPERTY_NAMES = ['neighbor_1_type', 'neighbor_2_type', 'l_1', 'l_2', 'n_1', 'n_2'] as const;

function toNativeOptions(options: EquivariantOptions) {
  checkOptionKeys(options, ['lambda', 'sigma', 'selectedProperties']);
  if (!Number.isInteger(options.lambda)) throw new Error(`options.lambda: expected an integer 0..2 max_angular, got ${String(options.lambda)}`);
  const sigma = options.sigma ?? 1;
  if (sigma !== 1 && sigma !== -1) throw new Error(`options.sigma: expected 1 or -1, got ${String(sigma)}`);
  const selection = selectionArray(options.selectedProperties, 6, 't1, t2, l1, l2, n1, n2');
  return { lambda: options.lambda, sigma, selection };
}

/**
 * x[i][mu][(t1, t2, l1, l2, n1, n2)] = w sum_{m1 m2} C^{lambda mu}_{l1 m1, l2 m2} a[i][l1 m1 t1 n1] b[i][l2 m2 t2 n2],
 * C the Clebsch-Gordan coefficients in the basis of the expansions' real
 * harmonics, so that x of a rotated system is D^lambda(R) x, with D^lambda
 * the matrix of the real Y_lambda: Y_lambda(R u) = D^lambda(R) Y_lambda(u).
 * Built from two expansions with the same max_angular; the same object twice
 * stores each pair once ((t1, l1, n1) <= (t2, l2, n2), w = sqrt 2 off the
 * diagonal so the squared norm is the full one), else w = 1. compute()
 * returns [samples, 2 lambda + 1, properties] and full gradient tensors;
 * backward() takes dL/dx in that layout and also returns x.
 */
export class EquivariantInvariants extends LabelledCalculator<NativeInvariants, Backward & { values: Float64Array }, EquivariantBlock> {
  readonly lambda: number;
  readonly sigma: 1 | -1;

  constructor(a: ExpansionLike, b: ExpansionLike, options: EquivariantOptions) {
    const parsed = toNativeOptions(options);
    super(new native.EquivariantInvariants(a.calculator, b.calculator, parsed), EQUIVARIANT_PROPERTY_NAMES);
    this.lambda = parsed.lambda;
    this.sigma = parsed.sigma;
  }

  /** A linear model on the values, weights[species[i]] . x_i[mu] per sample and component, computed natively (calculator.ts, computeWeighted). */
  computeWeighted(systems: System | readonly System[], weights: Float64Array, species: Int32Array, options: ComputeOptions = {}): Float64Array {
    return computeWeighted(this.handle, systems, weights, species, options);
  }

  /** Its backward pass from dL/dy. */
  backwardWeighted(systems: System | readonly System[], weights: Float64Array, species: Int32Array, dLdy: ArrayLike<number>, options: BackwardOptions = {}): Backward {
    return backwardWeighted(this.handle, systems, weights, species, dLdy, options);
  }

  protected toBlock(r: NativeExpansionResult, request: NativeRequest): EquivariantBlock {
    const flat = toFeatureBlock(r, request, this.propertyNames);
    const M = 2 * this.lambda + 1, P = r.nProperties;
    const mu = makeLabels(['o3_mu'], Int32Array.from({ length: M }, (_, k) => k - this.lambda));
    const { positions, strain, cell } = flat.gradients;
    if (positions) positions.shape = [positions.samples!.count, 3, M, P];
    if (strain) strain.shape = [r.nSamples, 3, 3, M, P];
    if (cell) cell.shape = [r.nSamples, 3, 3, M, P];
    return { ...flat, shape: [r.nSamples, M, P], components: [mu] };
  }
}
