import { describe, expect, it } from 'vitest';
import { targetOrders, toCartesian, toSpherical } from '../../lib/model/tensor/target.js';

// Real spherical harmonics without the Condon-Shortley phase (the features'
// convention), written out for l = 1 and 2, up to their common factor.
const y1 = ([x, y, z]: number[]) => [y, z, x];
const y2 = ([x, y, z]: number[]) => [x * y, y * z, (3 * z * z - 1) / (2 * Math.sqrt(3)), x * z, (x * x - y * y) / 2];

function randomUnit(seed: number): number[] {
  const v = [Math.sin(12.9898 * seed), Math.cos(78.233 * seed), Math.sin(37.719 * seed + 1)];
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function randomSymmetric(seed: number): number[] {
  const a = Array.from({ length: 9 }, (_, k) => Math.sin(3.1 * seed + 1.7 * k) * 2);
  return [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => (a[k] + a[3 * (k % 3) + Math.floor(k / 3)]) / 2);
}

describe('spherical parts of tensor targets', () => {
  it('a dipole is (y, z, x) in the real basis of Y_1', () => {
    const u = randomUnit(1);
    const [c] = toSpherical('dipole', u);
    const y = y1(u);
    for (let m = 0; m < 3; m++) expect(c[m]).toBe(y[m]);
  });

  it('the lambda = 2 part of u u^T is one common factor times Y_2(u) for every direction', () => {
    const factors = [2, 3, 5, 7].flatMap((seed) => {
      const u = randomUnit(seed);
      const t = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => u[i] * u[j]));
      const [iso, c] = toSpherical('polarizability', t);
      expect(iso[0]).toBeCloseTo(1 / Math.sqrt(3), 14);
      const y = y2(u);
      return Array.from(c, (v, m) => v / y[m]);
    });
    // Same ratio for every m and direction: the components rotate as Y_2 does.
    for (const f of factors) expect(Math.abs(f / factors[0] - 1)).toBeLessThan(1e-12);
  });

  it('round-trips and keeps the Frobenius norm (orthonormal maps)', () => {
    for (const seed of [1, 2, 3]) {
      const t = randomSymmetric(seed);
      const parts = toSpherical('polarizability', t);
      const back = toCartesian('polarizability', parts);
      t.forEach((v, k) => expect(Math.abs(back[k] - v)).toBeLessThan(1e-14));
      const norm = parts.reduce((s, p) => s + p.reduce((a, v) => a + v * v, 0), 0);
      expect(Math.abs(norm - t.reduce((s, v) => s + v * v, 0))).toBeLessThan(1e-12);
    }
    const v = [0.3, -1.2, 2.5];
    expect(Array.from(toCartesian('dipole', toSpherical('dipole', v)))).toEqual(v);
    expect(targetOrders('polarizability')).toEqual([0, 2]);
  });

  it('rejects wrong lengths, non-finite values and non-symmetric tensors', () => {
    expect(() => toSpherical('dipole', [1, 2])).toThrow(/expected 3 numbers/);
    expect(() => toSpherical('dipole', [1, NaN, 2], 'frames[4].dipole')).toThrow(/frames\[4\]\.dipole\[1\]: expected a finite number/);
    expect(() => toSpherical('polarizability', [1, 2, 0, 0, 1, 0, 0, 0, 1])).toThrow(/symmetric.*xy/);
  });
});
