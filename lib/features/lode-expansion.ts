// The long-distance equivariant (LODE) expansion v[i][(l, m, neighbor_type, n)].
import { toAdjoint, type Backward } from '../core/backward.js';
import { parseLodeHypers, type LodeSphericalExpansionHypers, type ParsedLodeHypers } from '../core/hypers.js';
import type { FeatureBlock } from '../core/labels.js';
import { native, type LodeParameters, type NativeLodeExpansion } from '../native/addon.js';
import { prepare, type ComputeOptions } from '../core/request.js';
import { toFeatureBlock } from './spherical-expansion.js';
import { toNativeSystem, type System } from '../core/system.js';

export type { LodeParameters } from '../native/types.js';

const PROPERTY_NAMES = ['l', 'm', 'neighbor_type', 'n'] as const;


/**
 * Expansion of the long-range field that every atom of each neighbour type
 * generates (smeared 1/r^p, p = 0..6), around each centre, on the GTO x real
 * spherical harmonics basis (featomic's LodeSphericalExpansion; Grisafi &
 * Ceriotti 2019). Periodic systems (pbc on all axes) are summed in k-space
 * over |k| < k_cutoff; molecules (no pbc) use the same band-limited field
 * summed over pairs in real space. Columns are (l, m, neighbor_type, n)
 * row-major, like SphericalExpansion, so `new Invariants(density, lode)`
 * gives the multi-scale rho x V features.
 *
 * Gradients: positions (every atom moves every centre: the full tensor has
 * N x N rows, prefer `backward` for forces), strain and cell.
 *
 * `method: 'mesh'` (or 'auto') evaluates the periodic k sum on a particle
 * mesh (B-spline assignment + FFT, O(N) per channel at fixed density
 * instead of O(N^2)) to the requested `accuracy`; it gives values and
 * backward() (forces, stress) but no gradient tensors: compute() with
 * `gradients` throws for 'mesh' (use backward() or method 'direct').
 * `parameters(system)` tells which method and mesh are used.
 */
export class LodeSphericalExpansion {
  readonly hypers: LodeSphericalExpansionHypers;
  /** @internal the addon object, shared with invariants built on this expansion. */
  readonly calculator: NativeLodeExpansion;
  /** @internal */
  readonly parsed: ParsedLodeHypers;

  constructor(hypers: LodeSphericalExpansionHypers) {
    this.parsed = parseLodeHypers(hypers);
    this.hypers = structuredClone(hypers);
    this.calculator = new native.LodeSphericalExpansion(this.parsed);
  }

  /** k-space cutoff in use (1/A): the given one or 1.2 pi / smearing. */
  get kCutoff(): number {
    return this.parsed.kCutoff;
  }

  /**
   * Method and mesh that compute() (and backward()) use for this system;
   * `gradients`: compute() is asked for positions/strain/cell gradients,
   * which 'auto' then answers with 'direct' (and 'mesh' refuses).
   */
  parameters(system: System, options: { gradients?: boolean } = {}): LodeParameters {
    return this.calculator.parameters(toNativeSystem(system), options.gradients === true);
  }

  compute(systems: System | readonly System[], options: ComputeOptions = {}): FeatureBlock {
    const { systems: s, request } = prepare(systems, options);
    return toFeatureBlock(this.calculator.compute(s, request), request, PROPERTY_NAMES);
  }

  /** Same as compute, off the main thread. */
  async computeAsync(systems: System | readonly System[], options: ComputeOptions = {}): Promise<FeatureBlock> {
    const { systems: s, request } = prepare(systems, options);
    return toFeatureBlock(await this.calculator.computeAsync(s, request), request, PROPERTY_NAMES);
  }

  /**
   * Vector-Jacobian product: given dL/dv for every row of compute()'s values
   * (same systems and options), returns dL/dr per atom and dL/dstrain per
   * system, in O(N N_k P) without forming the N x N gradient tensor (on the
   * mesh: one FFT per channel when compute() of the same positions came
   * first and this expansion has run a backward pass before, as in MD; two
   * otherwise).
   */
  backward(systems: System | readonly System[], dLdv: ArrayLike<number>, options: Omit<ComputeOptions, 'gradients'> = {}): Backward {
    const { systems: s, request } = prepare(systems, { ...options, gradients: ['positions', 'strain'] });
    return this.calculator.backward(s, request, toAdjoint(dLdv, 'dL/dv'));
  }
}
