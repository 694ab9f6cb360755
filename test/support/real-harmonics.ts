// Real spherical harmonics written for the tests, independently of the
// addon: featomic's convention (no Condon-Shortley phase), component m at
// index m + l. From them, the matrix D^l(R) of a rotation (or any orthogonal
// matrix) in that basis, Y_l(R u) = D^l(R) Y_l(u), by least squares.
import { rng } from './random-systems.js';

function factorial(n: number): number {
  let f = 1;
  for (let k = 2; k <= n; k++) f *= k;
  return f;
}

/** Associated Legendre P_l^m(z), m >= 0, without the Condon-Shortley phase. */
function legendre(l: number, m: number, z: number): number {
  const s = Math.sqrt(Math.max(0, 1 - z * z));
  let pmm = 1;
  for (let k = 1; k <= m; k++) pmm *= (2 * k - 1) * s;
  if (l === m) return pmm;
  let pm1 = z * (2 * m + 1) * pmm;
  if (l === m + 1) return pm1;
  let pl = 0;
  for (let ll = m + 2; ll <= l; ll++) {
    pl = ((2 * ll - 1) * z * pm1 - (ll + m - 1) * pmm) / (ll - m);
    pmm = pm1;
    pm1 = pl;
  }
  return pl;
}

/** Y_lm(u) for m = -l..l of a unit vector u. */
export function realHarmonics(l: number, u: readonly number[]): Float64Array {
  const [x, y, z] = u;
  const phi = Math.atan2(y, x);
  const out = new Float64Array(2 * l + 1);
  for (let m = -l; m <= l; m++) {
    const k = Math.abs(m);
    const norm = Math.sqrt(((2 * l + 1) / (4 * Math.PI)) * (factorial(l - k) / factorial(l + k)));
    const p = norm * legendre(l, k, z);
    out[m + l] = m === 0 ? p : Math.SQRT2 * p * (m > 0 ? Math.cos(k * phi) : Math.sin(k * phi));
  }
  return out;
}

function applyMatrix(R: ArrayLike<number>, u: readonly number[]): number[] {
  return [0, 1, 2].map((a) => R[3 * a] * u[0] + R[3 * a + 1] * u[1] + R[3 * a + 2] * u[2]);
}

/** Solves A X = B for square A (n x n) and B (n x k), row-major, by Gaussian elimination with pivoting. */
function solve(A: number[][], B: number[][]): number[][] {
  const n = A.length;
  const a = A.map((row, i) => [...row, ...B[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k < a[r].length; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row.slice(n).map((v) => v / row[i]));
}

/**
 * D^l(R), row-major (2l+1)^2, from Y_l at 2l + 9 random unit vectors u and
 * at R u: D = argmin sum |Y(R u) - D Y(u)|^2 (exact: the system is consistent).
 */
export function wignerReal(l: number, R: ArrayLike<number>, seed = 1): Float64Array {
  const random = rng(seed);
  const n = 2 * l + 1;
  const A: number[][] = [], B: number[][] = [];
  for (let k = 0; k < n + 8; k++) {
    const z = 2 * random() - 1, phi = 2 * Math.PI * random(), s = Math.sqrt(1 - z * z);
    const u = [s * Math.cos(phi), s * Math.sin(phi), z];
    A.push(Array.from(realHarmonics(l, u)));
    B.push(Array.from(realHarmonics(l, applyMatrix(R, u))));
  }
  // normal equations of D^T: (A^T A) D^T = A^T B
  const AtA = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => A.reduce((s, row) => s + row[i] * row[j], 0)));
  const AtB = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => A.reduce((s, row, k) => s + row[i] * B[k][j], 0)));
  const Dt = solve(AtA, AtB);
  return Float64Array.from({ length: n * n }, (_, k) => Dt[k % n][Math.floor(k / n)]);
}
