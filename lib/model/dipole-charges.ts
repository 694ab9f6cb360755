// Reference charges made to carry the reference dipole. Why: partial charges
// from a population analysis leave out the atoms' own dipoles (GFN2-xTB's
// charges give 65-85 % of its molecular dipoles on the xtb monomers), so
// point charges fitted to them draw too weak a field around a polar molecule
// and too small forces on it in the field of another. The charges a
// learned-charge baseline fits to are moved by the least change (in the
// 2-norm) that gives the frame the reference dipole while every group
// (bonded fragment) keeps its total.

/**
 * `charges` + dq with sum_i dq_i r_i = dipole - sum_i q_i r_i and sum of dq
 * over each group 0, |dq| least: dq = A^T (A A^T)^+ b for the constraint
 * rows A (one per group, then x, y, z). A dipole component no change can
 * give (out of the plane of a planar molecule) is left as close as it can be.
 * dipole in e A about the coordinate origin; groups[i] >= 0 numbers atom i's group.
 */
export function dipoleMatchedCharges(positions: ArrayLike<number>, charges: ArrayLike<number>, dipole: ArrayLike<number>, groups: ArrayLike<number>): Float64Array {
  const N = charges.length;
  const G = Math.max(-1, ...Array.from(groups)) + 1;
  const R = G + 3;
  // Coordinates about the centroid: the same dipole (each group's dq sums to 0), better conditioned.
  const centre = [0, 1, 2].map((x) => Array.from({ length: N }, (_, i) => positions[3 * i + x]).reduce((a, b) => a + b, 0) / N);
  const row = (r: number, i: number) => (r < G ? (groups[i] === r ? 1 : 0) : positions[3 * i + r - G] - centre[r - G]);
  const b = new Float64Array(R);
  for (let x = 0; x < 3; x++) {
    let mu = 0;
    for (let i = 0; i < N; i++) mu += charges[i] * positions[3 * i + x];
    b[G + x] = dipole[x] - mu;
  }
  const M = new Float64Array(R * R);
  for (let r = 0; r < R; r++) for (let s = 0; s < R; s++) for (let i = 0; i < N; i++) M[r * R + s] += row(r, i) * row(s, i);
  const lambda = pseudoSolve(M, b, R);
  return Float64Array.from(charges, (q, i) => {
    let dq = 0;
    for (let r = 0; r < R; r++) dq += row(r, i) * lambda[r];
    return q + dq;
  });
}

/**
 * M^+ b for a small symmetric positive semi-definite M (R x R): cyclic
 * Jacobi, eigenvalues below 1e-3 of the largest dropped (a direction the
 * atoms span by less than ~3 % of their extent, as out of the plane of a
 * nearly planar group, would take charges of its inverse size to carry).
 */
function pseudoSolve(matrix: Float64Array, b: Float64Array, R: number): Float64Array {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(R * R);
  for (let r = 0; r < R; r++) v[r * R + r] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < R; p++) for (let q = p + 1; q < R; q++) off += a[p * R + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < R; p++) {
      for (let q = p + 1; q < R; q++) {
        const apq = a[p * R + q];
        if (apq === 0) continue;
        const theta = (a[q * R + q] - a[p * R + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < R; k++) {
          const akp = a[k * R + p], akq = a[k * R + q];
          a[k * R + p] = c * akp - s * akq;
          a[k * R + q] = s * akp + c * akq;
        }
        for (let k = 0; k < R; k++) {
          const apk = a[p * R + k], aqk = a[q * R + k];
          a[p * R + k] = c * apk - s * aqk;
          a[q * R + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < R; k++) {
          const vkp = v[k * R + p], vkq = v[k * R + q];
          v[k * R + p] = c * vkp - s * vkq;
          v[k * R + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const largest = Math.max(...Array.from({ length: R }, (_, r) => Math.abs(a[r * R + r])));
  const x = new Float64Array(R);
  for (let e = 0; e < R; e++) {
    const w = a[e * R + e];
    if (!(Math.abs(w) > 1e-3 * largest)) continue;
    let proj = 0;
    for (let k = 0; k < R; k++) proj += v[k * R + e] * b[k];
    for (let k = 0; k < R; k++) x[k] += (v[k * R + e] * proj) / w;
  }
  return x;
}

/**
 * `charges` plus each atom's dipole p_a (e A, [atoms][3]) carried by charges
 * on the atom and its bonded neighbours (`neighbours[a]`): the least change
 * on them that sums to 0 and has dipole p_a about atom a. Local, unlike
 * dipoleMatchedCharges' ramp across the molecule, so it moves with the
 * atom's bonds. A component no such change can give (across the bond of an
 * atom with one neighbour) is left out.
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
    const dq = dipoleMatchedCharges(local, new Float64Array(atoms.length), [dipoles[3 * a], dipoles[3 * a + 1], dipoles[3 * a + 2]], new Int32Array(atoms.length));
    atoms.forEach((j, k) => (out[j] += dq[k]));
  });
  return out;
}
