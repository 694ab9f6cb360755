// The local atom-density (SOAP) expansion c[i][(l, m, neighbor_type, n)].
import { parseSphericalExpansionHypers, type SphericalExpansionHypers } from '../core/hypers.js';
import { native, type NativeExpansion } from '../native/addon.js';
import { Calculator } from './calculator.js';

/** Columns of the spherical and LODE expansions, (l, m, neighbor_type, n) row-major. */
export const EXPANSION_PROPERTY_NAMES = ['l', 'm', 'neighbor_type', 'n'] as const;

/**
 * Spherical expansion of the smooth Gaussian atom density around each centre
 * on a GTO x real-spherical-harmonics basis (featomic's SphericalExpansion).
 * Columns are (l, m, neighbor_type, n) row-major. Lengths in A.
 */
export class SphericalExpansion extends Calculator<NativeExpansion> {
  readonly hypers: SphericalExpansionHypers;

  constructor(hypers: SphericalExpansionHypers) {
    const parsed = parseSphericalExpansionHypers(hypers);
    super(new native.SphericalExpansion(parsed), EXPANSION_PROPERTY_NAMES);
    this.hypers = structuredClone(hypers);
  }

  /** @internal the addon object, shared with invariants built on this expansion. */
  get calculator(): NativeExpansion {
    return this.handle;
  }
}
