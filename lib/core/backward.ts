// Results of the backward (vector-Jacobian) pass shared by expansions and invariants.

export interface Backward {
  /** dL/dr for every atom of every system, in input order: [atoms][3] (per A). */
  positions: Float64Array;
  /** dL/d(strain) per system: [systems][3][3]; the stress of an energy is this / volume. */
  strain: Float64Array;
}

/** What a backward pass can return: dL/dr and dL/dstrain. */
export type BackwardGradient = 'positions' | 'strain';

/**
 * The derivatives a force-field request needs from the backward passes:
 * the strain only for a stress (MD without a barostat asks none). Forces
 * are always computed, since the energy comes out of the same pass.
 */
export function backwardGradients(request: { stress?: boolean }): BackwardGradient[] {
  return request.stress ? ['positions', 'strain'] : ['positions'];
}

export function toAdjoint(value: ArrayLike<number>, where = 'dL/dx'): Float64Array {
  if (value instanceof Float64Array) return value;
  if (!value || typeof value.length !== 'number') throw new Error(`${where}: expected a Float64Array or array of numbers`);
  return Float64Array.from(value);
}
