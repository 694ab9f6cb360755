// The native core keeps the output buffers of its calculators in a pool for
// reuse by the next call of the same size (MD steps, fit batches): this hands
// them back to the system, e.g. between a large fit and a long MD run.
import { native } from '../native/addon.js';

/** Frees the buffers the native core keeps for reuse; returns the bytes freed. */
export function releaseCachedMemory(): number {
  return native.releaseCachedMemory();
}
