// The native 3D real FFT (native/src/math/fft.cpp) against a naive DFT
// written here, for sizes hitting every code path: radices 2, 3, 4, 5, 7, the
// generic odd-prime butterfly (11, 13, 17), Bluestein (67, 97), odd and even
// last axes; plus round trip, Parseval, phase of a shifted delta,
// goodFftSize and error handling.
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native/addon.js';
import { setNumThreads } from '../../lib/core/threads.js';
import { rng } from '../support/random-systems.js';

type Shape = [number, number, number];

function randomGrid(shape: Shape, seed: number): Float64Array {
  const random = rng(seed);
  const x = new Float64Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < x.length; i++) x[i] = 2 * random() - 1;
  return x;
}

/** Naive O(n^2) forward DFT along one axis of a complex grid (split re/im), in place. */
function dftAxis(re: Float64Array, im: Float64Array, shape: Shape, axis: number): void {
  const n = shape[axis];
  const stride = axis === 0 ? shape[1] * shape[2] : axis === 1 ? shape[2] : 1;
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    cos[q] = Math.cos((2 * Math.PI * q) / n);
    sin[q] = -Math.sin((2 * Math.PI * q) / n);
  }
  const lr = new Float64Array(n);
  const li = new Float64Array(n);
  const total = re.length;
  for (let start = 0; start < total; start++) {
    // Visit each line once, from its first element.
    if (Math.floor(start / stride) % n !== 0) continue;
    for (let j = 0; j < n; j++) {
      lr[j] = re[start + j * stride];
      li[j] = im[start + j * stride];
    }
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let j = 0, q = 0; j < n; j++, q = (q + k) % n) {
        sr += lr[j] * cos[q] - li[j] * sin[q];
        si += lr[j] * sin[q] + li[j] * cos[q];
      }
      re[start + k * stride] = sr;
      im[start + k * stride] = si;
    }
  }
}

/** Full naive forward DFT of a real grid: the separable product of 1D DFTs. */
function naiveDft(x: Float64Array, shape: Shape): { re: Float64Array; im: Float64Array } {
  const re = Float64Array.from(x);
  const im = new Float64Array(x.length);
  for (let axis = 0; axis < 3; axis++) dftAxis(re, im, shape, axis);
  return { re, im };
}

function forward(x: Float64Array, shape: Shape): Float64Array {
  return native.fft3dRealForward(x, shape[0], shape[1], shape[2]);
}

function inverse(spectrum: Float64Array, shape: Shape): Float64Array {
  return native.fft3dRealInverse(spectrum, shape[0], shape[1], shape[2]);
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

function checkAgainstNaive(shape: Shape, seed: number): void {
  const [n0, n1, n2] = shape;
  const h = Math.floor(n2 / 2) + 1;
  const x = randomGrid(shape, seed);
  const spectrum = forward(x, shape);
  expect(spectrum.length).toBe(2 * n0 * n1 * h);
  const ref = naiveDft(x, shape);
  const scale = Math.max(maxAbs(ref.re), maxAbs(ref.im));
  let err = 0;
  for (let l = 0; l < n0 * n1; l++) {
    for (let k = 0; k < h; k++) {
      const s = 2 * (l * h + k);
      err = Math.max(err, Math.abs(spectrum[s] - ref.re[l * n2 + k]), Math.abs(spectrum[s + 1] - ref.im[l * n2 + k]));
    }
  }
  expect(err / scale, `forward ${shape.join('x')}`).toBeLessThan(1e-13);
  const back = inverse(spectrum, shape);
  const N = n0 * n1 * n2;
  let roundTrip = 0;
  for (let i = 0; i < N; i++) roundTrip = Math.max(roundTrip, Math.abs(back[i] / N - x[i]));
  expect(roundTrip, `round trip ${shape.join('x')}`).toBeLessThan(1e-13);
}

// Per-axis sizes: powers of two, primes with dedicated and generic
// butterflies, mixed products, and Bluestein primes (> 61).
const AXIS_SIZES = [
  1, 2, 4, 8, 16, 32, 64, 3, 5, 7, 11, 13, 17, 61, 6, 9, 10, 12, 14, 15, 22, 30, 33, 35, 42, 49, 60, 67, 97, 134,
];

describe('fft3dRealForward / fft3dRealInverse against a naive DFT', () => {
  it('every size on every axis (small companions)', () => {
    let seed = 1;
    for (const n of AXIS_SIZES) {
      checkAgainstNaive([n, 3, 4], seed++);
      checkAgainstNaive([2, n, 5], seed++);
      checkAgainstNaive([3, 2, n], seed++);
    }
  });

  it('non-cubic and cubic grids', () => {
    const shapes: Shape[] = [
      [12, 7, 10],
      [7, 11, 13],
      [13, 17, 11],
      [6, 10, 15],
      [30, 14, 35],
      [60, 49, 42],
      [16, 16, 16],
      [32, 32, 32],
      [64, 64, 64],
      [1, 1, 1],
      [1, 1, 2],
      [5, 1, 1],
      [1, 67, 1],
    ];
    shapes.forEach((shape, k) => checkAgainstNaive(shape, 100 + k));
  });

  it('round trip c2r(r2c(x)) / N = x on larger grids', () => {
    for (const shape of [
      [96, 100, 105],
      [128, 64, 33],
      [50, 97, 64],
    ] as Shape[]) {
      const x = randomGrid(shape, 7);
      const back = inverse(forward(x, shape), shape);
      const N = x.length;
      let err = 0;
      for (let i = 0; i < N; i++) err = Math.max(err, Math.abs(back[i] / N - x[i]));
      expect(err, shape.join('x')).toBeLessThan(1e-13);
    }
  });

  it('Parseval: sum |x|^2 = sum |X|^2 / N over the full spectrum', () => {
    for (const shape of [
      [12, 7, 10],
      [9, 8, 11],
      [32, 30, 28],
    ] as Shape[]) {
      const [n0, n1, n2] = shape;
      const h = Math.floor(n2 / 2) + 1;
      const x = randomGrid(shape, 11);
      const X = forward(x, shape);
      let real = 0;
      for (const v of x) real += v * v;
      let spectral = 0;
      for (let l = 0; l < n0 * n1; l++) {
        for (let k = 0; k < h; k++) {
          // Columns 1..ceil(n2/2)-1 stand for themselves and their mirror image.
          const weight = k === 0 || 2 * k === n2 ? 1 : 2;
          const s = 2 * (l * h + k);
          spectral += weight * (X[s] * X[s] + X[s + 1] * X[s + 1]);
        }
      }
      expect(Math.abs(spectral / x.length - real) / real, shape.join('x')).toBeLessThan(1e-13);
    }
  });

  it('a shifted delta transforms to a phase ramp', () => {
    const shape: Shape = [12, 7, 10];
    const [n0, n1, n2] = shape;
    const h = Math.floor(n2 / 2) + 1;
    const [a, b, c] = [5, 3, 7];
    const x = new Float64Array(n0 * n1 * n2);
    x[(a * n1 + b) * n2 + c] = 1;
    const X = forward(x, shape);
    let err = 0;
    for (let k0 = 0; k0 < n0; k0++) {
      for (let k1 = 0; k1 < n1; k1++) {
        for (let k2 = 0; k2 < h; k2++) {
          // Reduced angles: an unreduced phase near 2 pi * 13 would itself be off by 1e-14.
          const turns = (((a * k0) % n0) / n0 + ((b * k1) % n1) / n1 + ((c * k2) % n2) / n2) % 1;
          const phase = -2 * Math.PI * turns;
          const s = 2 * ((k0 * n1 + k1) * h + k2);
          err = Math.max(err, Math.abs(X[s] - Math.cos(phase)), Math.abs(X[s + 1] - Math.sin(phase)));
        }
      }
    }
    expect(err).toBeLessThan(5e-15);
    // And back: the inverse of the ramp is N times the delta.
    const back = inverse(X, shape);
    for (let i = 0; i < back.length; i++) back[i] /= back.length;
    expect(back[(a * n1 + b) * n2 + c]).toBeCloseTo(1, 14);
    back[(a * n1 + b) * n2 + c] = 0;
    expect(maxAbs(back)).toBeLessThan(1e-15);
  });

  it('ignores the imaginary parts a real grid forces to zero', () => {
    // k = 0 and the Nyquist column (even n2) of a 1 x 1 x n2 grid are real.
    const shape: Shape = [1, 1, 8];
    const x = randomGrid(shape, 3);
    const X = forward(x, shape);
    expect(X[1]).toBe(0);
    expect(X[2 * 4 + 1]).toBe(0);
    const perturbed = Float64Array.from(X);
    perturbed[1] = 0.7;
    perturbed[2 * 4 + 1] = -0.3;
    expect(Array.from(inverse(perturbed, shape))).toEqual(Array.from(inverse(X, shape)));
  });

  describe('band-limited transforms', () => {
    // signed frequency of index m on an axis of n points
    const signed = (m: number, n: number) => (2 * m <= n ? m : m - n);
    const inBand = (shape: Shape, band: Shape, i0: number, i1: number, i2: number) =>
      Math.abs(signed(i0, shape[0])) <= band[0] && Math.abs(signed(i1, shape[1])) <= band[1] && i2 <= band[2];
    // shapes with one plane, fewer planes than threads (1 x 130 x 128 is big
    // enough to run threaded, so its passes are not fused), odd/even axes;
    // bands narrower than, equal to and wider than the spectrum
    const cases: Array<[Shape, Shape]> = [
      [[12, 10, 16], [3, 2, 4]],
      [[1, 130, 128], [0, 20, 30]],
      [[1, 9, 14], [0, 4, 7]],
      [[30, 28, 27], [9, 0, 5]],
      [[36, 36, 36], [10, 10, 10]],
      [[8, 6, 10], [8, 6, 10]],
    ];
    for (const [shape, band] of cases) {
      const [n0, n1, n2] = shape;
      const h = Math.floor(n2 / 2) + 1;
      it(`forward keeps the band exact for ${shape.join('x')}, band ${band.join(',')}`, () => {
        const x = randomGrid(shape, 11);
        const full = forward(x, shape);
        const banded = native.fft3dRealForward(x, n0, n1, n2, band);
        let worst = 0;
        let kept = 0;
        for (let i0 = 0; i0 < n0; i0++)
          for (let i1 = 0; i1 < n1; i1++)
            for (let i2 = 0; i2 < h; i2++) {
              if (!inBand(shape, band, i0, i1, i2)) continue;
              kept++;
              const at = 2 * ((i0 * n1 + i1) * h + i2);
              worst = Math.max(worst, Math.abs(banded[at] - full[at]), Math.abs(banded[at + 1] - full[at + 1]));
            }
        expect(kept).toBeGreaterThan(0);
        expect(worst).toBeLessThan(1e-12 * maxAbs(full));
      });
      it(`inverse of a spectrum inside the band is exact for ${shape.join('x')}, band ${band.join(',')}`, () => {
        const X = forward(randomGrid(shape, 12), shape);
        for (let i0 = 0; i0 < n0; i0++)
          for (let i1 = 0; i1 < n1; i1++)
            for (let i2 = 0; i2 < h; i2++) {
              if (inBand(shape, band, i0, i1, i2)) continue;
              const at = 2 * ((i0 * n1 + i1) * h + i2);
              X[at] = X[at + 1] = 0;
            }
        const full = inverse(X, shape);
        const banded = native.fft3dRealInverse(X, n0, n1, n2, band);
        let worst = 0;
        for (let i = 0; i < full.length; i++) worst = Math.max(worst, Math.abs(banded[i] - full[i]));
        expect(worst).toBeLessThan(1e-12 * maxAbs(full));
      });
    }
    it('rejects a malformed band', () => {
      const x = new Float64Array(8);
      expect(() => native.fft3dRealForward(x, 2, 2, 2, [1, 1] as unknown as [number, number, number])).toThrow(/band/);
      expect(() => native.fft3dRealInverse(new Float64Array(16), 2, 2, 2, [1, 0.5, 1])).toThrow(/integer/);
    });
  });

  it('gives the same bits for 1 and 2 threads', () => {
    const shape: Shape = [40, 42, 45];
    const x = randomGrid(shape, 5);
    try {
      setNumThreads(1);
      const one = forward(x, shape);
      const oneBack = inverse(one, shape);
      setNumThreads(2);
      const two = forward(x, shape);
      expect(two).toEqual(one);
      expect(inverse(two, shape)).toEqual(oneBack);
    } finally {
      setNumThreads(2);
    }
  });

  it('rejects bad sizes with errors', () => {
    const x = new Float64Array(8);
    expect(() => native.fft3dRealForward(x, 0, 2, 4)).toThrow(/out of range/);
    expect(() => native.fft3dRealForward(x, -2, -1, 4)).toThrow(/out of range/);
    expect(() => native.fft3dRealForward(x, 2 ** 30, 1, 1)).toThrow(/out of range/);
    expect(() => native.fft3dRealForward(x, 2 ** 16, 2 ** 16, 2 ** 16)).toThrow(/too large/);
    expect(() => native.fft3dRealForward(x, 2 ** 16 + 1, 1, 1)).toThrow(/out of range/);
    expect(() => native.fft3dRealForward(x, 2, 2, 3)).toThrow(/expected 12/);
    expect(() => native.fft3dRealForward(x, 2.5, 2, 2)).toThrow(/integer/);
    expect(() => native.fft3dRealInverse(new Float64Array(10), 2, 2, 2)).toThrow(/expected 16/);
  });
});

describe('goodFftSize', () => {
  it('is the smallest 7-smooth size not below n', () => {
    const expected: [number, number][] = [
      [1, 1],
      [2, 2],
      [11, 12],
      [13, 14],
      [17, 18],
      [19, 20],
      [23, 24],
      [29, 30],
      [31, 32],
      [97, 98],
      [101, 105],
      [127, 128],
      [1000, 1000],
      [1001, 1008],
      [65535, 65536],
      [2 ** 16, 2 ** 16],
    ];
    for (const [n, m] of expected) expect(native.goodFftSize(n), `n = ${n}`).toBe(m);
    // Exhaustive check of the definition for small n.
    const smooth = (m: number) => {
      for (const p of [2, 3, 5, 7]) while (m % p === 0) m /= p;
      return m === 1;
    };
    for (let n = 1; n <= 2000; n++) {
      const m = native.goodFftSize(n);
      expect(m >= n && smooth(m)).toBe(true);
      for (let k = n; k < m; k++) expect(smooth(k)).toBe(false);
    }
  });

  it('rejects sizes out of range', () => {
    expect(() => native.goodFftSize(0)).toThrow(/out of range/);
    expect(() => native.goodFftSize(-5)).toThrow(/out of range/);
    expect(() => native.goodFftSize(2 ** 16 + 1)).toThrow(/out of range/);
  });
});
