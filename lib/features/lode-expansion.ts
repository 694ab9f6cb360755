// The long-distance equivariant (LODE) expansion v[i][(l, m, neighbor_type, n)].
import { parseLodeHypers, type LodeSphericalExpansionHypers, type ParsedLodeHypers } from '../core/hypers.js';
import { toNativeSystem, type System } from '../core/system.js';
import { native, type LodeParameters, type NativeLodeExpansion } from '../native/addon.js';
import { Calculator } from './calculator.js';
import { EXPANSION_PROPERTY_NAMES } from './spherical-expansion.js';

export type { LodeParameters } from '../native/types.js';


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
 * mesh (window assignment + FFT, O(N) per channel at fixed density
 * instead of O(N^2)) to the requested `accuracy`; it gives values and
 * backward() (forces, stress) but no gradient tensors: compute() with
 * `gradients` throws for 'mesh' (use backward() or method 'direct').
 * `method: 'split'` separates the field as Ewald sums do (a k sum of a
 * larger smearing plus real-space pairs of the short-ranged difference,
 * tuned for `accuracy`) and converges to the field without the band limit
 * |k| < k_cutoff, as 'direct' does when k_cutoff grows; values, all
 * gradients and backward().
 * `parameters(system)` tells which method, mesh or split are used.
 *
 * backward() costs O(N N_k P) without forming the N x N gradient tensor; on
 * the mesh it takes one FFT per channel when compute() of the same positions
 * came first and this expansion has run a backward pass before, as in MD,
 * two otherwise.
 */
export class LodeSphericalExpansion extends Calculator<NativeLodeExpansion> {
  readonly hypers: LodeSphericalExpansionHypers;
  /** @internal */
  readonly parsed: ParsedLodeHypers;

  constructor(hypers: LodeSphericalExpansionHypers) {
    const parsed = parseLodeHypers(hypers);
    super(new native.LodeSphericalExpansion(parsed), EXPANSION_PROPERTY_NAMES, 'dL/dv');
    this.parsed = parsed;
    this.hypers = structuredClone(hypers);
  }

  /** @internal the addon object, shared with invariants built on this expansion. */
  get calculator(): NativeLodeExpansion {
    return this.handle;
  }

  /** k-space cutoff in use (1/A): the given one or 1.2 pi / smearing ('split': 9 / smearing, the converged field). */
  get kCutoff(): number {
    return this.parsed.kCutoff;
  }

  /**
   * Method and mesh that compute() (and backward()) use for this system;
   * `gradients`: compute() is asked for positions/strain/cell gradients,
   * which 'auto' then answers with 'direct' (and 'mesh' refuses).
   */
  parameters(system: System, options: { gradients?: boolean } = {}): LodeParameters {
    return this.handle.parameters(toNativeSystem(system), options.gradients === true);
  }
}
