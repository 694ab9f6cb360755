// LODE expansions for feature blocks.
import type { LodeSphericalExpansionHypers } from '../hypers.js';
import type { ExpansionLike } from '../invariants.js';
import { LodeSphericalExpansion } from '../lode-expansion.js';

export type LodeHypersLike = Record<string, unknown>;

/** The LODE expansion of a 'multiscale' or 'lode' feature block (featomic-shaped hypers, validated here). */
export function createLodeExpansion(hypers: LodeHypersLike): ExpansionLike {
  return new LodeSphericalExpansion(hypers as unknown as LodeSphericalExpansionHypers);
}
