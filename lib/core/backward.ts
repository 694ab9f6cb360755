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

/**
 * Checks a backward pass's outputs: a non-finite dL/dx would otherwise come
 * back as NaN forces. Scans the outputs (atoms x 3, not dL/dx) and, only
 * when one is not finite, finds the adjoint entry that caused it.
 */
export function finiteBackward<T extends Backward & { dots?: Float64Array[] }>(
  out: T,
  adjoints: readonly Float64Array[],
  where: (k: number) => string,
): T {
  const finite = (a: Float64Array) => {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
    return true;
  };
  if (finite(out.positions) && finite(out.strain) && (out.dots ?? []).every(finite)) return out;
  adjoints.forEach((a, k) => {
    const i = a.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new Error(`${where(k)}[${i}]: expected finite numbers, got ${a[i]}`);
  });
  throw new Error('backward: non-finite gradients from finite inputs (please report this with the system that gave it)');
}
