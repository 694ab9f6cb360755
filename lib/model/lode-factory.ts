// LODE expansions for feature blocks.
import type { LodeSphericalExpansionHypers } from '../core/hypers.js';
import { LodeSphericalExpansion } from '../features/lode-expansion.js';

/** featomic-shaped LODE hypers (validated by the expansion). */
export type LodeHypersLike = LodeSphericalExpansionHypers;

/** The LODE expansion of a 'multiscale' or 'lode' feature block. */
export function createLodeExpansion(hypers: LodeHypersLike): LodeSphericalExpansion {
  return new LodeSphericalExpansion(hypers);
}
