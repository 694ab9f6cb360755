// Results of the backward (vector-Jacobian) pass shared by expansions and invariants.

export interface Backward {
  /** dL/dr for every atom of every system, in input order: [atoms][3] (per A). */
  positions: Float64Array;
  /** dL/d(strain) per system: [systems][3][3]; the stress of an energy is this / volume. */
  strain: Float64Array;
}

export function toAdjoint(value: ArrayLike<number>, where = 'dL/dx'): Float64Array {
  if (value instanceof Float64Array) return value;
  if (!value || typeof value.length !== 'number') throw new Error(`${where}: expected a Float64Array or array of numbers`);
  return Float64Array.from(value);
}
