// LODE expansions for feature blocks.
import type { ExpansionLike } from '../invariants.js';

export type LodeHypersLike = Record<string, unknown>;

export function createLodeExpansion(_hypers: LodeHypersLike): ExpansionLike {
  throw new Error('LODE feature blocks need the LODE expansion, which is not built yet');
}
