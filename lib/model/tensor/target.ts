// Cartesian tensor targets and their irreducible (spherical) parts in the
// real basis of the features' spherical harmonics, so that an equivariant
// model of order lambda predicts components that rotate as Y_lambda.
//
// The maps are orthonormal: the squared error summed over the spherical
// components equals the squared Frobenius error of the Cartesian tensor, so
// a least-squares fit in either basis minimises the same loss.

export const TENSOR_TARGETS = ['dipole', 'polarizability'] as const;
/** 'dipole': a vector (e A, lambda = 1); 'polarizability': a symmetric 3x3 tensor (A^3, lambda = 0 and 2). */
export type TensorTarget = (typeof TENSOR_TARGETS)[number];

/** Cartesian length of each target: a vector, or a 3x3 tensor row-major. */
export function cartesianLength(target: TensorTarget): number {
  return target === 'dipole' ? 3 : 9;
}

/** The orders lambda a target is made of. */
export function targetOrders(target: TensorTarget): number[] {
  return target === 'dipole' ? [1] : [0, 2];
}

export function checkTarget(target: unknown, where = 'target'): TensorTarget {
  if (!(TENSOR_TARGETS as readonly unknown[]).includes(target)) {
    throw new Error(`${where}: expected one of ${TENSOR_TARGETS.join(', ')}, got ${JSON.stringify(target)}`);
  }
  return target as TensorTarget;
}

const R2 = Math.SQRT2;
const R3 = Math.sqrt(3);
const R6 = Math.sqrt(6);

/**
 * Spherical components of a Cartesian target, one array of 2 lambda + 1 per
 * order of targetOrders(). Real Y_1m (m = -1, 0, 1) go as (y, z, x); real
 * Y_2m as (xy, yz, 3z^2 - r^2, xz, x^2 - y^2) with positive factors, which
 * fixes the lambda = 2 signs. A polarizability must be symmetric: an
 * antisymmetric part has no place in lambda = 0 + 2.
 */
export function toSpherical(target: TensorTarget, t: ArrayLike<number>, where = 'target'): Float64Array[] {
  const n = cartesianLength(target);
  if (t.length !== n) throw new Error(`${where}: expected ${n} numbers (${target === 'dipole' ? 'x y z' : '3x3 row-major'}), got ${t.length}`);
  for (let k = 0; k < n; k++) {
    if (!Number.isFinite(t[k])) throw new Error(`${where}[${k}]: expected a finite number, got ${t[k]}`);
  }
  if (target === 'dipole') return [Float64Array.of(t[1], t[2], t[0])];
  const [xx, xy, xz, yx, yy, yz, zx, zy, zz] = Array.from(t);
  const scale = Math.max(Math.abs(xx), Math.abs(yy), Math.abs(zz), Math.abs(xy), Math.abs(xz), Math.abs(yz), 1e-300);
  for (const [a, b, name] of [[xy, yx, 'xy'], [xz, zx, 'xz'], [yz, zy, 'yz']] as const) {
    if (Math.abs(a - b) > 1e-8 * scale) throw new Error(`${where}: expected a symmetric tensor, the ${name} and transposed entries differ (${a} and ${b})`);
  }
  return [
    Float64Array.of((xx + yy + zz) / R3),
    Float64Array.of(R2 * xy, R2 * yz, (2 * zz - xx - yy) / R6, R2 * xz, (xx - yy) / R2),
  ];
}

/** The Cartesian target from its spherical components (inverse of toSpherical). */
export function toCartesian(target: TensorTarget, parts: readonly ArrayLike<number>[]): Float64Array {
  if (target === 'dipole') {
    const [y, z, x] = Array.from(parts[0]);
    return Float64Array.of(x, y, z);
  }
  const iso = parts[0][0] / R3;
  const [a, b, c, d, e] = Array.from(parts[1]);
  const xy = a / R2;
  const yz = b / R2;
  const xz = d / R2;
  const xx = iso - c / R6 + e / R2;
  const yy = iso - c / R6 - e / R2;
  const zz = iso + (2 * c) / R6;
  return Float64Array.of(xx, xy, xz, xy, yy, yz, xz, yz, zz);
}
