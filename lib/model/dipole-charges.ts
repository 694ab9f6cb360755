// Reference charges made to carry the reference's atomic dipoles. Why:
// GFN2-xTB's electrostatics has atomic dipoles besides its partial charges
// (its molecular dipole is sum_i q_i r_i + sum_i p_i; the charges alone give
// 65-85 % of it on the polar xtb monomers), so point charges fitted to the
// partial charges draw too weak a field around a polar molecule. Each atomic
// dipole is carried by the least change of the charges on its atom and
// bonded neighbours: local, so it moves with the atom's bonds and the charges
// learned from local environments can follow it. (The least change over the
// whole molecule that gives the molecular dipole, a ramp of charge across
// it, gave binding energies as good and forces worse: README.)
import { symmetricEigen } from './contraction.js';

/**
 * The least charges dq (2-norm) on atoms at `positions` with sum_i dq_i = 0
 * and sum_i dq_i r_i = dipole: dq = A^T (A A^T)^+ b for the constraint rows
 * A (ones, then x, y, z). A component no such charges can give (out of the
 * plane of planar atoms, across a line of them) is left out.
 */
export function neutralChargesWithDipole(positions: ArrayLike<number>, dipole: ArrayLike<number>): Float64Array {
  const N = positions.length / 3;
  // Coordinates about the centroid: the same dipole (dq sums to 0), better conditioned.
  const centre = [0, 1, 2].map((x) => Array.from({ length: N }, (_, i) => positions[3 * i + x]).reduce((a, b) => a + b, 0) / N);
  const row = (r: number, i: number) => (r === 0 ? 1 : positions[3 * i + r - 1] - centre[r - 1]);
  const b = Float64Array.of(0, dipole[0], dipole[1], dipole[2]);
  const M = new Float64Array(16);
  for (let r = 0; r < 4; r++) for (let s = 0; s < 4; s++) for (let i = 0; i < N; i++) M[r * 4 + s] += row(r, i) * row(s, i);
  const lambda = pseudoSolve(M, b, 4);
  return Float64Array.from({ length: N }, (_, i) => row(0, i) * lambda[0] + row(1, i) * lambda[1] + row(2, i) * lambda[2] + row(3, i) * lambda[3]);
}

/**
 * M^+ b for a small symmetric positive semi-definite M (R x R), eigenvalues
 * below 1e-3 of the largest dropped: a direction the atoms span by less than
 * ~3 % of their extent (out of the plane of a nearly planar group) would
 * take charges of its inverse size to carry.
 */
function pseudoSolve(matrix: Float64Array, b: Float64Array, R: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, R);
  const largest = Math.max(...Array.from(values, Math.abs));
  const x = new Float64Array(R);
  for (let e = 0; e < R; e++) {
    if (!(Math.abs(values[e]) > 1e-3 * largest)) continue;
    let proj = 0;
    for (let k = 0; k < R; k++) proj += vectors[k * R + e] * b[k];
    for (let k = 0; k < R; k++) x[k] += (vectors[k * R + e] * proj) / values[e];
  }
  return x;
}

/**
 * `charges` plus each atom's dipole p_a (e A, [atoms][3]) carried by charges
 * on the atom and its bonded neighbours (`neighbours[a]`): the least change
 * on them that sums to 0 and has dipole p_a about atom a. A component no
 * such change can give (across the bond of an atom with one neighbour) is
 * left out.
 */
export function atomicDipoleCharges(positions: ArrayLike<number>, charges: ArrayLike<number>, dipoles: ArrayLike<number>, neighbours: readonly number[][]): Float64Array {
  const out = Float64Array.from(charges);
  neighbours.forEach((list, a) => {
    if (list.length === 0) return;
    const atoms = [a, ...list];
    const local = new Float64Array(3 * atoms.length);
    atoms.forEach((j, k) => {
      for (let x = 0; x < 3; x++) local[3 * k + x] = positions[3 * j + x] - positions[3 * a + x];
    });
    const dq = neutralChargesWithDipole(local, [dipoles[3 * a], dipoles[3 * a + 1], dipoles[3 * a + 2]]);
    atoms.forEach((j, k) => (out[j] += dq[k]));
  });
  return out;
}
