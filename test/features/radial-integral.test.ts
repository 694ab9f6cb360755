// The radial integral of a Gaussian atom density on the orthonormal GTO basis,
//   I_nl(d) = 4 pi (pi w^2)^(-3/4) int x^2 R_n(x) exp(-(x^2 + d^2) / 2 w^2) i_l(x d / w^2) dx,
// checked against quadrature written here: the GTO basis (normalisation,
// overlap, Lowdin S^-1/2) is rebuilt numerically, the modified spherical
// Bessel functions come from their series / Miller's recurrence, and the
// angular reduction itself is checked by a direct 2D integral of
// g(|r - d z|) R_n(r) Y_l0(r) over space.
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native/addon.js';
import { derivative, relativeError } from '../support/finite-differences.js';
import { compositeGaussLegendre, gaussLegendre } from '../support/quadrature.js';
import { rng } from '../support/random-systems.js';

interface Options {
  maxRadial: number;
  radius: number;
  maxAngular: number;
  width: number;
  cutoff: number;
  splineAccuracy: number;
}

function radialIntegral(distances: ArrayLike<number>, options: Options) {
  return native.gaussianRadialIntegral(Float64Array.from(distances), options);
}

/** Symmetric eigen-decomposition by cyclic Jacobi rotations; returns S^(-1/2). */
function inverseSqrtSymmetric(S: number[][]): number[][] {
  const n = S.length;
  const A = S.map((row) => row.slice());
  const V: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(A[p][q]) < 1e-300) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k][p], akq = A[k][q];
          A[k][p] = c * akp - s * akq;
          A[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p][k], aqk = A[q][k];
          A[p][k] = c * apk - s * aqk;
          A[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p], vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += (V[i][k] * V[j][k]) / Math.sqrt(A[k][k]);
      return sum;
    }),
  );
}

/**
 * The orthonormal GTO basis of docs/design.md, built by quadrature: primitive
 * x^n exp(-x^2 / 2 s_n^2), s_n = radius max(sqrt n, 1) / (max_radial + 1),
 * normalised (int x^2 R^2 = 1), then Lowdin-orthonormalised.
 */
function gtoBasis(maxRadial: number, radius: number) {
  const N = maxRadial + 1;
  const widths = Array.from({ length: N }, (_, n) => (radius * Math.max(Math.sqrt(n), 1)) / N);
  const primitive = (n: number, x: number) => x ** n * Math.exp(-(x * x) / (2 * widths[n] ** 2));
  const grid = compositeGaussLegendre(0, 12 * Math.max(...widths) + 4 * radius, 400, 12);
  const norms = widths.map((_, n) => {
    let s = 0;
    for (let k = 0; k < grid.nodes.length; k++) s += grid.weights[k] * (grid.nodes[k] * primitive(n, grid.nodes[k])) ** 2;
    return 1 / Math.sqrt(s);
  });
  const S = Array.from({ length: N }, (_, a) =>
    Array.from({ length: N }, (_, b) => {
      let s = 0;
      for (let k = 0; k < grid.nodes.length; k++) {
        const x = grid.nodes[k];
        s += grid.weights[k] * x * x * norms[a] * primitive(a, x) * norms[b] * primitive(b, x);
      }
      return s;
    }),
  );
  const O = inverseSqrtSymmetric(S);
  /** All orthonormal R_n(x), n = 0..maxRadial. */
  return (x: number): number[] => {
    const p = widths.map((_, n) => norms[n] * primitive(n, x));
    return O.map((row) => row.reduce((sum, o, k) => sum + o * p[k], 0));
  };
}

/** i_l(z) exp(-z) for l = 0..maxL, z >= 0 (series for small z, Miller's downward recurrence otherwise). */
function scaledBesselI(maxL: number, z: number): Float64Array {
  const out = new Float64Array(maxL + 1);
  if (z === 0) {
    out[0] = 1;
    return out;
  }
  if (z < 2) {
    const ez = Math.exp(-z);
    let lead = 1; // z^l / (2l+1)!!
    for (let l = 0; l <= maxL; l++) {
      if (l > 0) lead *= z / (2 * l + 1);
      let term = 1, sum = 1;
      for (let k = 1; k < 200; k++) {
        term *= (z * z) / (2 * k * (2 * l + 2 * k + 1));
        sum += term;
        if (term < 1e-18 * sum) break;
      }
      out[l] = lead * sum * ez;
    }
    return out;
  }
  const start = maxL + Math.ceil(z) + 60;
  let above = 0, current = 1e-280;
  for (let l = start; l >= 1; l--) {
    const below = above + ((2 * l + 1) / z) * current; // i_{l-1}
    above = current;
    current = below;
    if (l - 1 <= maxL) out[l - 1] = current;
    if (Math.abs(current) > 1e200) {
      current *= 1e-200;
      above *= 1e-200;
      for (let k = l - 1; k <= maxL; k++) out[k] *= 1e-200;
    }
  }
  // i_0(z) e^-z = (1 - e^-2z) / 2z
  const scale = -Math.expm1(-2 * z) / (2 * z) / out[0];
  for (let l = 0; l <= maxL; l++) out[l] *= scale;
  return out;
}

/** I_nl(d) by composite Gauss-Legendre over x, layout [l][n]. */
function quadratureIntegral(d: number, o: Options): Float64Array {
  const basis = gtoBasis(o.maxRadial, o.radius);
  const N = o.maxRadial + 1, L = o.maxAngular + 1;
  const w2 = o.width * o.width;
  const upper = d + 15 * o.width + 3 * o.radius;
  const grid = compositeGaussLegendre(0, upper, Math.ceil(upper / (o.width / 6)), 10);
  const out = new Float64Array(L * N);
  const prefactor = 4 * Math.PI * (Math.PI * w2) ** -0.75;
  for (let k = 0; k < grid.nodes.length; k++) {
    const x = grid.nodes[k];
    const R = basis(x);
    // exp(-(x^2 + d^2)/2w^2) i_l(xd/w^2) = exp(-(x - d)^2 / 2w^2) [i_l(z) e^-z]
    const gauss = Math.exp(-((x - d) ** 2) / (2 * w2));
    if (gauss === 0) continue;
    const bessel = scaledBesselI(o.maxAngular, (x * d) / w2);
    for (let l = 0; l < L; l++) {
      for (let n = 0; n < N; n++) out[l * N + n] += grid.weights[k] * prefactor * x * x * R[n] * gauss * bessel[l];
    }
  }
  return out;
}

const EXACT: Options = { maxRadial: 6, radius: 4.5, maxAngular: 10, width: 0.3, cutoff: 4.5, splineAccuracy: 0 };
const WIDE: Options = { maxRadial: 4, radius: 3.5, maxAngular: 6, width: 0.8, cutoff: 5, splineAccuracy: 0 };
const DISTANCES = [0, 0.03, 0.4, 1.1, 1.95, 2.7, 3.6, 4.45];

describe('scaled modified spherical Bessel functions (test helper)', () => {
  it('match closed forms of i_0, i_1, i_2 and the two branches agree', () => {
    for (const z of [0.1, 1.5, 2.5, 7, 40, 300]) {
      const v = scaledBesselI(2, z);
      const e = Math.exp(-z);
      const sinh = (1 - Math.exp(-2 * z)) / 2; // sinh(z) e^-z
      const cosh = (1 + Math.exp(-2 * z)) / 2;
      expect(Math.abs(v[0] - sinh / z)).toBeLessThan(1e-15);
      expect(Math.abs(v[1] - (cosh / z - sinh / (z * z)))).toBeLessThan(1e-14 * Math.max(1, 1 / z));
      expect(Math.abs(v[2] - ((3 / (z * z) + 1) * sinh / z - (3 * cosh) / (z * z)))).toBeLessThan(1e-12);
      expect(e).toBeGreaterThanOrEqual(0);
    }
    // series and recurrence agree across the switch at z = 2
    const below = scaledBesselI(20, 2 - 1e-12), above = scaledBesselI(20, 2);
    expect(relativeError(below, above)).toBeLessThan(1e-11);
  });
});

describe('GTO radial integral of the Gaussian density', () => {
  for (const [name, options] of [['narrow density (w = 0.3)', EXACT], ['wide density (w = 0.8)', WIDE]] as const) {
    it(`exact evaluation matches quadrature of the defining integral, ${name}`, () => {
      const L = options.maxAngular + 1, N = options.maxRadial + 1;
      const exact = radialIntegral(DISTANCES, options);
      expect(exact.values.length).toBe(DISTANCES.length * L * N);
      const quadrature = DISTANCES.map((d) => quadratureIntegral(d, options));
      // per l: 1e-11 of the largest value of that channel over all distances
      for (let l = 0; l < L; l++) {
        const a: number[] = [], b: number[] = [];
        DISTANCES.forEach((_, k) => {
          for (let n = 0; n < N; n++) {
            a.push(exact.values[k * L * N + l * N + n]);
            b.push(quadrature[k][l * N + n]);
          }
        });
        expect(relativeError(a, b), `l = ${l}`).toBeLessThan(1e-11);
      }
    });
  }

  it('at d = 0 only l = 0 survives', () => {
    const out = radialIntegral([0], EXACT);
    const N = EXACT.maxRadial + 1;
    expect(out.values.subarray(0, N).some((v) => Math.abs(v) > 1e-3)).toBe(true);
    for (let k = N; k < out.values.length; k++) expect(out.values[k]).toBe(0);
  });

  it('the Bessel reduction equals a direct integral over space of g(|r - d z|) R_n(r) Y_l0(r)', () => {
    // c_nl0 for one neighbour on the z axis = I_nl(d) Y_l0(z) with Y_l0(z) = sqrt((2l+1)/4pi).
    const o: Options = { maxRadial: 3, radius: 3, maxAngular: 4, width: 0.5, cutoff: 3, splineAccuracy: 0 };
    const basis = gtoBasis(o.maxRadial, o.radius);
    const N = o.maxRadial + 1, L = o.maxAngular + 1;
    const norm = (Math.PI * o.width ** 2) ** -0.75;
    const t = gaussLegendre(80);
    for (const d of [0.7, 1.8]) {
      const r = compositeGaussLegendre(0, d + 10 * o.width + 2 * o.radius, 120, 10);
      const direct = new Float64Array(L * N);
      for (let a = 0; a < r.nodes.length; a++) {
        const x = r.nodes[a];
        const R = basis(x);
        for (let b = 0; b < t.nodes.length; b++) {
          const c = t.nodes[b];
          const g = norm * Math.exp(-(x * x + d * d - 2 * x * d * c) / (2 * o.width ** 2));
          // Legendre P_l(c); Y_l0 = sqrt((2l+1)/4pi) P_l
          let p0 = 1, p1 = c;
          for (let l = 0; l < L; l++) {
            const P = l === 0 ? 1 : l === 1 ? c : (() => {
              const p2 = ((2 * l - 1) * c * p1 - (l - 1) * p0) / l;
              p0 = p1;
              p1 = p2;
              return p2;
            })();
            const w = 2 * Math.PI * r.weights[a] * t.weights[b] * x * x * g * Math.sqrt((2 * l + 1) / (4 * Math.PI)) * P;
            for (let n = 0; n < N; n++) direct[l * N + n] += w * R[n];
          }
        }
      }
      const exact = radialIntegral([d], o).values;
      const expected = Float64Array.from(exact, (v, k) => v * Math.sqrt((2 * Math.floor(k / N) + 1) / (4 * Math.PI)));
      expect(relativeError(direct, expected)).toBeLessThan(1e-11);
    }
  });

  it('derivatives match finite differences (exact evaluation)', () => {
    for (const options of [EXACT, WIDE]) {
      const out = radialIntegral(DISTANCES.slice(1), options);
      const size = (options.maxAngular + 1) * (options.maxRadial + 1);
      DISTANCES.slice(1).forEach((d, k) => {
        const fd = derivative((x) => radialIntegral(x, options).values, [d], 0, 1e-4);
        expect(relativeError(out.derivatives.subarray(k * size, (k + 1) * size), fd), `d = ${d}`).toBeLessThan(1e-8);
      });
    }
  });

  it('derivative at d = 0 is zero for l != 1 and matches a one-sided limit', () => {
    const out = radialIntegral([0, 1e-6], EXACT);
    const N = EXACT.maxRadial + 1, size = (EXACT.maxAngular + 1) * N;
    for (let k = 0; k < size; k++) {
      const l = Math.floor(k / N);
      if (l !== 1) expect(Math.abs(out.derivatives[k])).toBeLessThan(1e-12);
      // I_n1(d) ~ d I'_n1(0) near 0
      if (l === 1) expect(Math.abs(out.values[size + k] / 1e-6 - out.derivatives[k])).toBeLessThan(1e-6 * Math.abs(out.derivatives[k]) + 1e-12);
    }
  });
});

describe('splined radial integral', () => {
  const random = rng(31);
  const points = Array.from({ length: 400 }, () => random() * 4.5);
  points.push(0, 4.5, 1e-9, 4.5 - 1e-9);

  for (const options of [EXACT, WIDE]) {
    it(`spline_accuracy 1e-8 is met against exact evaluation (w = ${options.width})`, () => {
      const splined = radialIntegral(points, { ...options, cutoff: 4.5, splineAccuracy: 1e-8 });
      const exact = radialIntegral(points, { ...options, cutoff: 4.5, splineAccuracy: 0 });
      let worst = 0;
      for (let k = 0; k < exact.values.length; k++) worst = Math.max(worst, Math.abs(splined.values[k] - exact.values[k]));
      expect(worst).toBeLessThan(1e-8);
      expect(worst).toBeGreaterThan(0); // the spline is really used
    });
  }

  it('spline derivatives are the derivatives of the spline values', () => {
    const options = { ...EXACT, splineAccuracy: 1e-8 };
    const size = (options.maxAngular + 1) * (options.maxRadial + 1);
    const sample = points.slice(0, 6);
    const out = radialIntegral(sample, options);
    sample.forEach((d, k) => {
      // step far below the knot spacing: the stencil rarely straddles a knot;
      // across one the C1 interpolant still gives O(h) agreement.
      const fd = derivative((x) => radialIntegral(x, options).values, [d], 0, 1e-7);
      expect(relativeError(out.derivatives.subarray(k * size, (k + 1) * size), fd), `d = ${d}`).toBeLessThan(1e-6);
    });
  });

  it('spline derivatives approximate the exact derivatives', () => {
    const splined = radialIntegral(points, { ...EXACT, splineAccuracy: 1e-8 });
    const exact = radialIntegral(points, EXACT);
    expect(relativeError(splined.derivatives, exact.derivatives)).toBeLessThan(1e-5);
  });

  it('rejects bad parameters with messages naming them', () => {
    const bad: [Partial<Options>, RegExp][] = [
      [{ width: -0.3 }, /density.width must be a positive finite number/],
      [{ width: 0 }, /density.width/],
      [{ radius: 0 }, /basis.radial.radius must be a positive finite number/],
      [{ maxRadial: -1 }, /basis.radial.max_radial must be between 0 and 30/],
      [{ maxRadial: 31 }, /basis.radial.max_radial must be between 0 and 30/],
    ];
    for (const [change, message] of bad) {
      expect(() => radialIntegral([1], { ...EXACT, ...change })).toThrow(message);
    }
    expect(radialIntegral([1], EXACT).values.every(Number.isFinite)).toBe(true);
  });
});
