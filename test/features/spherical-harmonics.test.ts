// Real spherical harmonics (featomic convention, no Condon-Shortley phase)
// from the addon's low-level binding: reference values up to l = 25,
// gradients by finite differences, orthonormality by quadrature, errors.
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native/addon.js';
import { derivative, relativeError } from '../support/finite-differences.js';
import { gaussLegendre } from '../support/quadrature.js';
import { rng } from '../support/random-systems.js';
import { loadReference } from '../support/reference.js';

const MAX_L = 25;
const size = (L: number) => (L + 1) * (L + 1);

function harmonics(directions: ArrayLike<number>, maxL: number, gradients = false) {
  return native.sphericalHarmonics(Float64Array.from(directions), maxL, gradients);
}

function normalized(v: ArrayLike<number>): Float64Array {
  const n = Math.hypot(v[0], v[1], v[2]);
  return Float64Array.of(v[0] / n, v[1] / n, v[2] / n);
}

function randomDirections(seed: number, count: number): Float64Array {
  const random = rng(seed);
  const out = new Float64Array(3 * count);
  for (let k = 0; k < count; k++) {
    const z = 2 * random() - 1, phi = 2 * Math.PI * random();
    const s = Math.sqrt(1 - z * z);
    out.set([s * Math.cos(phi), s * Math.sin(phi), z], 3 * k);
  }
  return out;
}

describe('spherical harmonics values', () => {
  const ref = loadReference('featomic/spherical-harmonics.json');
  const directions = (ref.input as unknown as { directions: number[][] }).directions;
  const [nDirections, nL, width] = ref.shape;

  it('reference file has the expected shape', () => {
    expect(nDirections).toBe(7);
    expect(nL).toBe(MAX_L + 1);
    expect(width).toBe(2 * MAX_L + 1);
    expect(ref.values.length).toBe(nDirections * nL * width);
  });

  it('match featomic up to l = 25 (1e-8 of the largest magnitude)', () => {
    const out = harmonics(directions.flat(), MAX_L);
    expect(out.values.length).toBe(nDirections * size(MAX_L));
    // Repack ours to the reference layout [direction][l][m + l] (zero-padded).
    const ours = new Float64Array(ref.values.length);
    for (let d = 0; d < nDirections; d++) {
      for (let l = 0; l <= MAX_L; l++) {
        for (let m = -l; m <= l; m++) ours[(d * nL + l) * width + m + l] = out.values[d * size(MAX_L) + l * l + l + m];
      }
    }
    expect(relativeError(ours, ref.values)).toBeLessThan(1e-8);
    // Per-l check as well, so that high-l blocks are not hidden by large low-l values.
    for (let l = 0; l <= MAX_L; l++) {
      const a: number[] = [], b: number[] = [];
      for (let d = 0; d < nDirections; d++) {
        for (let k = 0; k < 2 * l + 1; k++) {
          a.push(ours[(d * nL + l) * width + k]);
          b.push(ref.values[(d * nL + l) * width + k]);
        }
      }
      expect(relativeError(a, b), `l = ${l}`).toBeLessThan(1e-8);
    }
  });

  it('a smaller max_l gives the leading part of a larger one', () => {
    const dirs = randomDirections(1, 5);
    const big = harmonics(dirs, MAX_L).values;
    const small = harmonics(dirs, 6).values;
    for (let d = 0; d < 5; d++) {
      for (let k = 0; k < size(6); k++) expect(small[d * size(6) + k]).toBe(big[d * size(MAX_L) + k]);
    }
  });

  it('addition theorem: sum_m Y_lm^2 = (2l + 1) / 4 pi for every direction', () => {
    const dirs = randomDirections(2, 20);
    const v = harmonics(dirs, MAX_L).values;
    for (let d = 0; d < 20; d++) {
      for (let l = 0; l <= MAX_L; l++) {
        let s = 0;
        for (let m = -l; m <= l; m++) s += v[d * size(MAX_L) + l * l + l + m] ** 2;
        expect(Math.abs(s - (2 * l + 1) / (4 * Math.PI))).toBeLessThan(1e-12 * (2 * l + 1));
      }
    }
  });

  it('known closed forms for l <= 2 (no Condon-Shortley phase)', () => {
    const [x, y, z] = normalized([0.3, -0.7, 0.5]);
    const v = harmonics([x, y, z], 2).values;
    const c1 = Math.sqrt(3 / (4 * Math.PI));
    const c2 = Math.sqrt(15 / (4 * Math.PI));
    const expected = [
      1 / Math.sqrt(4 * Math.PI),
      c1 * y, c1 * z, c1 * x,
      c2 * x * y, c2 * y * z, Math.sqrt(5 / (16 * Math.PI)) * (3 * z * z - 1), c2 * x * z, (c2 / 2) * (x * x - y * y),
    ];
    expect(relativeError(v, expected)).toBeLessThan(1e-14);
  });
});

describe('spherical harmonics gradients', () => {
  // The gradient of Y_lm(r / |r|) with respect to r, evaluated at |r| = 1,
  // laid out [direction][xyz][lm].
  const check = (direction: ArrayLike<number>, maxL: number) => {
    const L2 = size(maxL);
    const out = harmonics(direction, maxL, true);
    expect(out.gradients.length).toBe(3 * L2);
    const fd = [0, 1, 2].map((xyz) => derivative((r) => harmonics(normalized(r), maxL).values, direction, xyz, 1e-4));
    // Per-l comparison (gradients grow like l, values do not), relative to
    // the largest gradient component of the block over x, y and z.
    for (let l = 0; l <= maxL; l++) {
      let diff = 0, scale = 0;
      for (let xyz = 0; xyz < 3; xyz++) {
        for (let k = l * l; k < (l + 1) * (l + 1); k++) {
          diff = Math.max(diff, Math.abs(out.gradients[xyz * L2 + k] - fd[xyz][k]));
          scale = Math.max(scale, Math.abs(fd[xyz][k]));
        }
      }
      if (l === 0) {
        expect(diff).toBeLessThan(1e-12);
        continue;
      }
      expect(scale).toBeGreaterThan(0.1);
      expect(diff / scale, `direction ${Array.from(direction)} l ${l}`).toBeLessThan(1e-7);
    }
    return out;
  };

  it('match finite differences up to l = 25 at random directions', () => {
    const dirs = randomDirections(3, 4);
    for (let d = 0; d < 4; d++) check(dirs.subarray(3 * d, 3 * d + 3), MAX_L);
  });

  it('match finite differences at the poles and on the axes (no singularity)', () => {
    for (const dir of [[0, 0, 1], [0, 0, -1], [1, 0, 0], [0, 1, 0], normalized([1, 1, 1])]) {
      const out = check(dir, 12);
      expect(out.gradients.every(Number.isFinite)).toBe(true);
    }
  });

  it('are tangential: r . grad Y_lm = 0 at |r| = 1', () => {
    const dirs = randomDirections(4, 10);
    const out = harmonics(dirs, MAX_L, true);
    const L2 = size(MAX_L);
    for (let d = 0; d < 10; d++) {
      let scale = 0, worst = 0;
      for (let k = 0; k < L2; k++) {
        let radial = 0;
        for (let xyz = 0; xyz < 3; xyz++) {
          const g = out.gradients[(3 * d + xyz) * L2 + k];
          radial += dirs[3 * d + xyz] * g;
          scale = Math.max(scale, Math.abs(g));
        }
        worst = Math.max(worst, Math.abs(radial));
      }
      expect(worst).toBeLessThan(1e-12 * scale);
    }
  });

  it('values are the same whether gradients are requested or not', () => {
    const dirs = randomDirections(5, 6);
    expect(harmonics(dirs, MAX_L, true).values).toEqual(harmonics(dirs, MAX_L, false).values);
    expect(harmonics(dirs, MAX_L, false).gradients.length).toBe(0);
  });
});

describe('spherical harmonics orthonormality', () => {
  it('int Y_lm Y_l\'m\' dOmega = delta by Gauss-Legendre x uniform phi quadrature (l <= 8)', () => {
    const maxL = 8;
    // Exact for polynomial degree <= 2 maxL: 2 nTheta - 1 >= 16 in cos(theta),
    // nPhi > 2 maxL for trigonometric polynomials of degree <= 16 in phi.
    const nTheta = 12, nPhi = 24;
    const { nodes, weights } = gaussLegendre(nTheta);
    const dirs = new Float64Array(3 * nTheta * nPhi);
    const w = new Float64Array(nTheta * nPhi);
    for (let t = 0; t < nTheta; t++) {
      const z = nodes[t], s = Math.sqrt(1 - z * z);
      for (let p = 0; p < nPhi; p++) {
        const phi = (2 * Math.PI * (p + 0.37)) / nPhi;
        const k = t * nPhi + p;
        dirs.set([s * Math.cos(phi), s * Math.sin(phi), z], 3 * k);
        w[k] = (weights[t] * 2 * Math.PI) / nPhi;
      }
    }
    const v = harmonics(dirs, maxL).values;
    const L2 = size(maxL);
    let worst = 0;
    for (let a = 0; a < L2; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k] * v[k * L2 + a] * v[k * L2 + b];
        worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });
});

describe('spherical harmonics errors', () => {
  const dir = Float64Array.of(0, 0, 1);

  it('reject l > 25 and l < 0 with a message naming max_angular', () => {
    expect(() => native.sphericalHarmonics(dir, 26, false)).toThrow(/max_angular must be between 0 and 25, got 26/);
    expect(() => native.sphericalHarmonics(dir, -1, false)).toThrow(/max_angular must be between 0 and 25, got -1/);
    // still usable afterwards
    expect(native.sphericalHarmonics(dir, 25, false).values.length).toBe(26 * 26);
  });

  it('reject directions that are not a Float64Array', () => {
    expect(() => native.sphericalHarmonics([0, 0, 1] as unknown as Float64Array, 2, false)).toThrow(/directions: expected a Float64Array/);
    expect(() => native.sphericalHarmonics(new Float32Array([0, 0, 1]) as unknown as Float64Array, 2, false)).toThrow(
      /directions: expected a Float64Array/,
    );
    expect(() => native.sphericalHarmonics(dir, 'two' as unknown as number, false)).toThrow(Error);
    expect(native.sphericalHarmonics(dir, 1, false).values[2]).toBeCloseTo(Math.sqrt(3 / (4 * Math.PI)), 14);
  });
});
