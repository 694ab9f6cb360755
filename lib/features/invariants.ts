// Rotational invariants of expansions: the SOAP power spectrum (rho x rho),
// the multi-scale rho x V invariants and V x V.
import { finiteBackward, toAdjoint, type Backward } from '../core/backward.js';
import { prepare, type ComputeOptions } from '../core/request.js';
import type { System } from '../core/system.js';
import { parseSphericalExpansionHypers, type SphericalExpansionHypers } from '../core/hypers.js';
import { native, type NativeExpansion, type NativeInvariants } from '../native/addon.js';
import { backwardOptions, backwardWeighted, Calculator, computeWeighted, type BackwardOptions } from './calculator.js';
import { checkOptionKeys, selectionArray } from './selection.js';
import { SphericalExpansion } from './spherical-expansion.js';

export interface InvariantOptions {
  /**
   * Properties to keep, as (neighbor_1_type, neighbor_2_type, l, n_1, n_2);
   * default: all. Power spectrum: neighbor_1_type <= neighbor_2_type.
   */
  selectedProperties?: ReadonlyArray<readonly [number, number, number, number, number]>;
  /** Scale every centre's feature vector to unit norm (default false). */
  normalize?: boolean;
}

/** Any expansion an invariant can be built from. */
export interface ExpansionLike {
  readonly calculator: NativeExpansion;
}

export const INVARIANT_PROPERTY_NAMES = ['neighbor_1_type', 'neighbor_2_type', 'l', 'n_1', 'n_2'] as const;

function toNativeOptions(options: InvariantOptions) {
  checkOptionKeys(options, ['selectedProperties', 'normalize']);
  const selection = selectionArray(options.selectedProperties, 5, 't1, t2, l, n1, n2');
  if (options.normalize !== undefined && typeof options.normalize !== 'boolean') {
    throw new Error('options.normalize: expected a boolean');
  }
  return { normalize: options.normalize ?? false, selection };
}

/**
 * x[i][(t1, t2, l, n1, n2)] = w (-1)^l / sqrt(2l+1) sum_m a[i][l m t1 n1] b[i][l m t2 n2].
 * Built from two expansions (same max_angular); the same object twice gives
 * the power spectrum (t1 <= t2, w = sqrt 2 for t1 != t2). compute() gives
 * full gradient tensors for the power spectrum only; backward() works for
 * all, costs a small multiple of the values and also returns the values x
 * computed on the way.
 */
export class Invariants extends Calculator<NativeInvariants, Backward & { values: Float64Array }> {
  constructor(a: ExpansionLike, b: ExpansionLike, options: InvariantOptions = {}) {
    super(new native.Invariants(a.calculator, b.calculator, toNativeOptions(options)), INVARIANT_PROPERTY_NAMES);
  }

  /** A linear model on the values, weights[species[i]] . x_i per sample, computed natively (calculator.ts, computeWeighted). */
  computeWeighted(systems: System | readonly System[], weights: Float64Array, species: Int32Array, options: ComputeOptions = {}): Float64Array {
    return computeWeighted(this.handle, systems, weights, species, options);
  }

  /** Its backward pass from dL/dy. */
  backwardWeighted(systems: System | readonly System[], weights: Float64Array, species: Int32Array, dLdy: ArrayLike<number>, options: BackwardOptions = {}): Backward {
    return backwardWeighted(this.handle, systems, weights, species, dLdy, options);
  }

  /**
   * The backward pass of several invariants of the same systems at once,
   * given dL/dx of each: the gradients summed and, per invariant, dL/dx . x
   * per centre (dots[k][i] = sum_p dL/dx_kip x_kip: a linear model's atomic
   * energies) in place of the values. Invariants whose first expansions are
   * the same density expansion (or contractions of it), like a model's
   * rho x rho and rho x V blocks, share one pass over its neighbour pairs.
   */
  static jointBackwardDots(
    list: readonly Invariants[],
    systems: System | readonly System[],
    dLdx: readonly ArrayLike<number>[],
    options: BackwardOptions = {},
  ): Backward & { dots: Float64Array[] } {
    const { systems: s, request } = prepare(systems, backwardOptions(options));
    const a = adjoints(list, dLdx);
    return finiteBackward(native.backwardInvariants(Invariants.handles(list), s, request, a), a, (k) => `dL/dx[${k}]`);
  }

  /** Same as jointBackwardDots, off the main thread. */
  static async jointBackwardDotsAsync(
    list: readonly Invariants[],
    systems: System | readonly System[],
    dLdx: readonly ArrayLike<number>[],
    options: BackwardOptions = {},
  ): Promise<Backward & { dots: Float64Array[] }> {
    const { systems: s, request } = prepare(systems, backwardOptions(options));
    const a = adjoints(list, dLdx);
    return finiteBackward(await native.backwardInvariantsAsync(Invariants.handles(list), s, request, a), a, (k) => `dL/dx[${k}]`);
  }

  /** The addon objects of a list of invariants. */
  private static handles(list: readonly Invariants[]): NativeInvariants[] {
    if (!Array.isArray(list) || list.length === 0) throw new Error('invariants: expected a non-empty array of Invariants');
    return list.map((inv, k) => {
      if (!(inv instanceof Invariants)) throw new Error(`invariants[${k}]: expected an Invariants object`);
      return inv.handle;
    });
  }
}

function adjoints(list: readonly Invariants[], dLdx: readonly ArrayLike<number>[]): Float64Array[] {
  if (!Array.isArray(dLdx) || dLdx.length !== list.length) {
    throw new Error(`dL/dx: expected one array per invariant (${list.length})`);
  }
  return dLdx.map((d, k) => toAdjoint(d, `dL/dx[${k}]`));
}

/** featomic's SoapPowerSpectrum: invariants of one spherical expansion with itself. */
export class SoapPowerSpectrum extends Invariants {
  readonly hypers: SphericalExpansionHypers;
  readonly expansion: SphericalExpansion;

  constructor(hypers: SphericalExpansionHypers, options: InvariantOptions = {}) {
    parseSphericalExpansionHypers(hypers);
    const expansion = new SphericalExpansion(hypers);
    super(expansion, expansion, options);
    this.expansion = expansion;
    this.hypers = expansion.hypers;
  }
}

/** One atom in a box: invariants computed on it have every property (column), whatever the species. */
export function probeSystem(species: readonly number[]): System {
  return { positions: [[0, 0, 0]], types: [species[0]], cell: [[20, 0, 0], [0, 20, 0], [0, 0, 20]] };
}

/**
 * Number of features (per component, for equivariants) of invariants for
 * these neighbour species: computed once on a one-atom probe.
 */
export function featureCount(
  invariants: { compute(system: System, options: { neighborTypes: number[] }): { shape: number[] } },
  species: readonly number[],
): number {
  const { shape } = invariants.compute(probeSystem(species), { neighborTypes: [...species] });
  return shape[shape.length - 1];
}
