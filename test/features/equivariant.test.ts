import { describe, expect, it } from 'vitest';
import {
  EquivariantInvariants,
  Invariants,
  LodeSphericalExpansion,
  SphericalExpansion,
  type EquivariantBlock,
  type FeatureBlock,
  type LodeSphericalExpansionHypers,
  type SphericalExpansionHypers,
} from '../../lib/index.js';
import { toSpherical } from '../../lib/model/tensor/target.js';
import { checkGradients, contractGradients, type FeatureCalculator } from '../support/check-gradients.js';
import { relativeError } from '../support/finite-differences.js';
import { randomRotation, randomSystem, rotate, TRICLINIC_CELL, type TestSystem } from '../support/random-systems.js';
import { realHarmonics, wignerReal } from '../support/real-harmonics.js';

const densityHypers = (maxAngular = 3, maxRadial = 2): SphericalExpansionHypers => ({
  cutoff: { radius: 3.5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.4 },
  basis: { type: 'TensorProduct', max_angular: maxAngular, radial: { type: 'Gto', max_radial: maxRadial } },
});

const lodeHypers = (maxAngular = 3): LodeSphericalExpansionHypers => ({
  density: { type: 'SmearedPowerLaw', smearing: 1.0, exponent: 1 },
  basis: {
    type: 'TensorProduct',
    max_angular: maxAngular,
    radial: { type: 'Gto', max_radial: 1, radius: 2.5 },
    spline_accuracy: null,
  },
});

const periodic = randomSystem({ seed: 21, atoms: 7, types: [1, 8], cell: TRICLINIC_CELL });
const molecule = randomSystem({ seed: 5, atoms: 6, types: [1, 8], box: 4 });
const systems = [['molecule', molecule], ['periodic box', periodic]] as const;

const rho = new SphericalExpansion(densityHypers());
const potential = new LodeSphericalExpansion(lodeHypers());

/** The system moved by an orthogonal matrix Q (positions, and the cell with them). */
function transformed(system: TestSystem, Q: ArrayLike<number>): TestSystem {
  return { ...system, positions: rotate(system.positions, Q), cell: system.cell ? rotate(system.cell, Q) : null };
}

/** y[s][mu][p] = sum_nu D[mu][nu] x[s][nu][p]. */
function applyWigner(D: Float64Array, block: EquivariantBlock): Float64Array {
  const [S, M, P] = block.shape;
  const out = new Float64Array(block.values.length);
  for (let s = 0; s < S; s++)
    for (let mu = 0; mu < M; mu++)
      for (let nu = 0; nu < M; nu++) {
        const d = D[mu * M + nu];
        for (let p = 0; p < P; p++) out[(s * M + mu) * P + p] += d * block.values[(s * M + nu) * P + p];
      }
  return out;
}

/** The calculator seen by checkGradients: components folded into the properties (the memory layout is the same). */
function flattened(calculator: EquivariantInvariants): FeatureCalculator {
  return {
    compute: (system, options) => {
      const block = calculator.compute(system, options);
      const { components: _, ...rest } = block;
      return { ...rest, shape: [block.shape[0], block.shape[1] * block.shape[2]] } satisfies FeatureBlock;
    },
    backward: (system, dLdx, options) => calculator.backward(system, dLdx, options),
  };
}

describe('real harmonics and D^lambda of the tests', () => {
  it('l = 1 is sqrt(3 / 4 pi) (y, z, x)', () => {
    const u = [0.48, -0.6, 0.64];
    const c = Math.sqrt(3 / (4 * Math.PI));
    expect(relativeError(realHarmonics(1, u), [c * u[1], c * u[2], c * u[0]])).toBeLessThan(1e-15);
  });

  it('D^1(R) is R in the basis (y, z, x), and D^lambda is orthogonal', () => {
    const R = randomRotation(3);
    expect(relativeError(wignerReal(1, R), permutedRotation(R))).toBeLessThan(1e-13);
    for (const lambda of [2, 4]) {
      const W = wignerReal(lambda, R), M = 2 * lambda + 1;
      for (let a = 0; a < M; a++)
        for (let b = 0; b < M; b++) {
          let dot = 0;
          for (let k = 0; k < M; k++) dot += W[a * M + k] * W[b * M + k];
          expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-12);
        }
    }
  });
});

/** R in the basis (y, z, x) of the real Y_1. */
function permutedRotation(R: Float64Array): Float64Array {
  const order = [1, 2, 0];
  return Float64Array.from({ length: 9 }, (_, k) => R[3 * order[Math.floor(k / 3)] + order[k % 3]]);
}

describe('the basis is shared with the tensor targets of lib/model', () => {
  it('toSpherical of R T R^T is D^lambda(R) toSpherical(T), lambda = 1 and 2', () => {
    const R = randomRotation(12);
    const vector = [0.3, -1.2, 0.7];
    const T = [1.1, 0.4, -0.3, 0.4, 0.8, 0.25, -0.3, 0.25, 1.6];
    const rotatedVector = rotate(vector, R);
    const RT = Array.from({ length: 9 }, (_, k) => {
      const i = Math.floor(k / 3), j = k % 3;
      let sum = 0;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) sum += R[3 * i + a] * T[3 * a + b] * R[3 * j + b];
      return sum;
    });
    const times = (D: Float64Array, v: Float64Array) => Float64Array.from(v, (_, i) => v.reduce((s, vj, j) => s + D[i * v.length + j] * vj, 0));
    expect(relativeError(toSpherical('dipole', rotatedVector)[0], times(wignerReal(1, R), toSpherical('dipole', vector)[0]))).toBeLessThan(1e-13);
    expect(relativeError(toSpherical('polarizability', RT)[1], times(wignerReal(2, R), toSpherical('polarizability', T)[1]))).toBeLessThan(1e-13);
  });
});

describe.each([
  ['rho x rho', () => [rho, rho] as const],
  ['rho x V', () => [rho, potential] as const],
])('equivariance of %s', (_, expansions) => {
  const [a, b] = expansions();
  for (const [name, system] of systems) {
    for (const sigma of [1, -1] as const) {
      it(`x(R r) = D^lambda(R) x(r), lambda = 0..4, sigma = ${sigma} (${name})`, () => {
        for (let lambda = sigma === 1 ? 0 : 1; lambda <= 4; lambda++) {
          const calculator = new EquivariantInvariants(a, b, { lambda, sigma });
          const x = calculator.compute(system);
          expect(x.shape[1]).toBe(2 * lambda + 1);
          for (const seed of [5, 6]) {
            const R = randomRotation(seed + 10 * lambda);
            const rotated = calculator.compute(transformed(system, R)).values;
            expect(relativeError(rotated, applyWigner(wignerReal(lambda, R), x)), `lambda = ${lambda}`).toBeLessThan(1e-12);
          }
        }
      });
    }

    it(`lambda = 1 components are (y, z, x): x(R r) = R x(r) in that order (${name})`, () => {
      const calculator = new EquivariantInvariants(a, b, { lambda: 1 });
      const R = randomRotation(4);
      const x = calculator.compute(system);
      expect(relativeError(calculator.compute(transformed(system, R)).values, applyWigner(permutedRotation(R), x))).toBeLessThan(1e-12);
    });
  }

  it('under an improper rotation -R, x changes by sigma D^lambda(-R): sigma separates tensors from pseudotensors', () => {
    const R = randomRotation(8);
    const improper = R.map((v) => -v);
    for (const sigma of [1, -1] as const) {
      for (const lambda of [1, 2, 3]) {
        const calculator = new EquivariantInvariants(a, b, { lambda, sigma });
        const x = calculator.compute(molecule);
        const moved = calculator.compute(transformed(molecule, improper)).values;
        const D = wignerReal(lambda, improper).map((v) => sigma * v);
        expect(relativeError(moved, applyWigner(D, x)), `lambda = ${lambda}, sigma = ${sigma}`).toBeLessThan(1e-12);
      }
    }
  });
});

describe('lambda = 0', () => {
  // The real coupling of (l m, l m') into (0 0) is (-1)^l / sqrt(2l + 1)
  // delta_{m m'}: the complex <l m l -m|0 0> = (-1)^(l-m) / sqrt(2l + 1)
  // meets sum_m (-1)^m a_m b_-m = sum_m a^real_m b^real_m (Y_l^-m = (-1)^m
  // conj Y_l^m). That is the power spectrum's own factor, so the per-l
  // factor between the two is 1; what differs is the symmetric storage: for
  // t1 = t2 the power spectrum keeps both (n1, n2) and (n2, n1), lambda-SOAP
  // one (n1 < n2) column times sqrt(2).
  it.each([
    ['rho x rho (power spectrum)', rho, rho],
    ['rho x V', rho, potential],
  ] as const)('sigma = +1 equals Invariants for every property (%s)', (_, a, b) => {
    const symmetric = a === b;
    for (const system of [molecule, periodic]) {
      const ps = new Invariants(a, b).compute(system);
      const x = new EquivariantInvariants(a, b, { lambda: 0 }).compute(system);
      const [S, , P] = x.shape;
      const Q = ps.shape[1];
      const column = new Map<string, number>();
      for (let p = 0; p < P; p++) {
        const [t1, t2, l1, l2, n1, n2] = x.properties.values.subarray(6 * p, 6 * p + 6);
        expect(l1).toBe(l2);
        column.set([t1, t2, l1, n1, n2].join(), p);
      }
      const expected = new Float64Array(S * Q), actual = new Float64Array(S * Q);
      const covered = new Set<number>();
      for (let q = 0; q < Q; q++) {
        const [t1, t2, l, n1, n2] = ps.properties.values.subarray(5 * q, 5 * q + 5);
        const folded = symmetric && t1 === t2 && n1 > n2;
        const p = column.get([t1, t2, l, folded ? n2 : n1, folded ? n1 : n2].join());
        expect(p, `property ${[t1, t2, l, n1, n2]}`).toBeDefined();
        covered.add(p!);
        const factor = symmetric && t1 === t2 && n1 !== n2 ? Math.SQRT2 : 1;
        for (let s = 0; s < S; s++) {
          actual[s * Q + q] = x.values[s * P + p!];
          expected[s * Q + q] = factor * ps.values[s * Q + q];
        }
      }
      expect(covered.size).toBe(P);
      expect(relativeError(actual, expected)).toBeLessThan(1e-14);
    }
  });
});

describe('symmetric storage', () => {
  it('one expansion twice keeps (t1, l1, n1) <= (t2, l2, n2), weighted so that the squared norm is that of all ordered pairs', () => {
    const other = new SphericalExpansion(densityHypers());
    for (const sigma of [1, -1] as const) {
      for (const lambda of [1, 2]) {
        const folded = new EquivariantInvariants(rho, rho, { lambda, sigma }).compute(periodic);
        const full = new EquivariantInvariants(rho, other, { lambda, sigma }).compute(periodic);
        const [S, M, P] = folded.shape, F = full.shape[2];
        const fullColumn = new Map<string, number>();
        for (let q = 0; q < F; q++) fullColumn.set(full.properties.values.subarray(6 * q, 6 * q + 6).join(), q);
        for (let p = 0; p < P; p++) {
          const [t1, t2, l1, l2, n1, n2] = folded.properties.values.subarray(6 * p, 6 * p + 6);
          const first = [t1, l1, n1], second = [t2, l2, n2];
          const order = first[0] - second[0] || first[1] - second[1] || first[2] - second[2];
          expect(sigma === 1 ? order <= 0 : order < 0).toBe(true);
          const q = fullColumn.get([t1, t2, l1, l2, n1, n2].join())!;
          const w = order === 0 ? 1 : Math.SQRT2;
          for (let s = 0; s < S * M; s++) expect(Math.abs(folded.values[s * P + p] - w * full.values[s * F + q])).toBeLessThan(1e-14);
        }
        for (let s = 0; s < S * M; s++) {
          let a = 0, b = 0;
          for (let p = 0; p < P; p++) a += folded.values[s * P + p] ** 2;
          for (let q = 0; q < F; q++) b += full.values[s * F + q] ** 2;
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-13 * b);
        }
      }
    }
  });

  it('labels properties and components', () => {
    const x = new EquivariantInvariants(rho, potential, { lambda: 2 }).compute(molecule, { gradients: ['positions', 'strain'] });
    expect(x.properties.names).toEqual(['neighbor_1_type', 'neighbor_2_type', 'l_1', 'l_2', 'n_1', 'n_2']);
    expect(x.components[0].names).toEqual(['o3_mu']);
    expect(Array.from(x.components[0].values)).toEqual([-2, -1, 0, 1, 2]);
    const [S, M, P] = x.shape;
    expect(x.values.length).toBe(S * M * P);
    expect(x.gradients.positions!.shape).toEqual([x.gradients.positions!.samples!.count, 3, 5, P]);
    expect(x.gradients.strain!.shape).toEqual([S, 3, 3, 5, P]);
    for (let p = 0; p < P; p++) {
      const [, , l1, l2] = x.properties.values.subarray(6 * p, 6 * p + 6);
      expect(Math.abs(l1 - l2) <= 2 && 2 <= l1 + l2 && (l1 + l2) % 2 === 0).toBe(true);
    }
    // 2 x 2 types, (l1, l2) with l1 + l2 even coupling to 2 for l <= 3: (0,2) (1,1) (1,3) (2,0) (2,2) (3,1) (3,3); 3 x 2 radial
    expect(P).toBe(4 * 7 * 3 * 2);
  });
});

describe.each([
  ['rho x rho, lambda = 2', () => new EquivariantInvariants(rho, rho, { lambda: 2 })],
  ['rho x rho, lambda = 1, sigma = -1', () => new EquivariantInvariants(rho, rho, { lambda: 1, sigma: -1 })],
  ['rho x V, lambda = 1', () => new EquivariantInvariants(new SphericalExpansion(densityHypers(2, 1)), new LodeSphericalExpansion(lodeHypers(2)), { lambda: 1 })],
  ['rho x V, lambda = 2, sigma = -1', () => new EquivariantInvariants(new SphericalExpansion(densityHypers(2, 1)), new LodeSphericalExpansion(lodeHypers(2)), { lambda: 2, sigma: -1 })],
])('gradients of %s', (_, make) => {
  const calculator = make();
  for (const [name, system] of systems) {
    const cell = system.cell !== null;
    it(`positions, strain${cell ? ', cell' : ''} and backward match finite differences (${name})`, () => {
      checkGradients(flattened(calculator), system, { cell });
      const x = calculator.compute(system);
      expect(relativeError(calculator.backward(system, Float64Array.from(x.values, (_, k) => Math.sin(k))).values, x.values)).toBeLessThan(1e-14);
    });

    it(`backward equals the full gradient tensors contracted with dL/dx (${name})`, () => {
      const block = flattened(calculator).compute(system, { gradients: ['positions', 'strain'] });
      const dLdx = Float64Array.from(block.values, (_, k) => Math.cos(0.7 * k));
      const expected = contractGradients(block, dLdx, system.types.length);
      const out = calculator.backward(system, dLdx);
      expect(relativeError(out.positions, expected.positions)).toBeLessThan(1e-12);
      expect(relativeError(out.strain, expected.strain!)).toBeLessThan(1e-12);
    });
  }
});

describe('options', () => {
  it('selected properties are the matching columns, for every component, and backward follows', () => {
    // lambda = 1, sigma = -1: l1 = l2 >= 1
    const selection = [
      [8, 1, 2, 2, 0, 1],
      [1, 1, 1, 1, 2, 0],
      [1, 8, 3, 3, 1, 1],
    ] as const;
    const full = new EquivariantInvariants(rho, potential, { lambda: 1, sigma: -1 });
    const part = new EquivariantInvariants(rho, potential, { lambda: 1, sigma: -1, selectedProperties: selection });
    const x = full.compute(periodic);
    const y = part.compute(periodic, { gradients: ['positions'] });
    const [S, M, P] = x.shape, Q = y.shape[2];
    expect(Q).toBe(3);
    const columns = Array.from({ length: Q }, (_, c) => {
      const entry = y.properties.values.subarray(6 * c, 6 * c + 6).join();
      for (let p = 0; p < P; p++) if (x.properties.values.subarray(6 * p, 6 * p + 6).join() === entry) return p;
      return -1;
    });
    expect(columns.every((p) => p >= 0)).toBe(true);
    for (let s = 0; s < S * M; s++) columns.forEach((p, c) => expect(y.values[s * Q + c]).toBe(x.values[s * P + p]));
    const dLdy = Float64Array.from(y.values, (_, k) => Math.sin(1.1 * k));
    const scattered = new Float64Array(x.values.length);
    for (let s = 0; s < S * M; s++) columns.forEach((p, c) => (scattered[s * P + p] = dLdy[s * Q + c]));
    const a = part.backward(periodic, dLdy), b = full.backward(periodic, scattered);
    expect(relativeError(a.positions, b.positions)).toBeLessThan(1e-12);
    expect(relativeError(a.strain, b.strain)).toBeLessThan(1e-12);
  });

  it('computeAsync and backwardAsync equal the synchronous results', async () => {
    const calculator = new EquivariantInvariants(rho, rho, { lambda: 3 });
    const x = calculator.compute(periodic, { gradients: ['positions', 'strain', 'cell'] });
    const y = await calculator.computeAsync(periodic, { gradients: ['positions', 'strain', 'cell'] });
    expect(y.values).toEqual(x.values);
    expect(y.gradients.positions!.values).toEqual(x.gradients.positions!.values);
    expect(y.gradients.cell!.values).toEqual(x.gradients.cell!.values);
    const dLdx = Float64Array.from(x.values, (_, k) => Math.cos(k));
    const sync = calculator.backward(periodic, dLdx);
    const async_ = await calculator.backwardAsync(periodic, dLdx);
    expect(async_.positions).toEqual(sync.positions);
    expect(async_.strain).toEqual(sync.strain);
    expect(async_.values).toEqual(x.values);
  });

  it('rejects bad lambda, sigma, selections and expansions with clear errors', () => {
    const make = (options: object, b: SphericalExpansion | LodeSphericalExpansion = rho) =>
      new EquivariantInvariants(rho, b, options as never);
    expect(() => make({ lambda: 7 })).toThrow(/lambda must be between 0 and 2 max_angular = 6, got 7/);
    expect(() => make({ lambda: -1 })).toThrow(/lambda must be between 0 and 2 max_angular = 6, got -1/);
    expect(() => make({ lambda: 1.5 })).toThrow(/options.lambda: expected an integer 0..2 max_angular, got 1.5/);
    expect(() => make({})).toThrow(/options.lambda: expected an integer/);
    expect(() => make({ lambda: 1, sigma: 0 })).toThrow(/options.sigma: expected 1 or -1, got 0/);
    expect(() => make({ lambda: 1, sigma: 2 })).toThrow(/options.sigma: expected 1 or -1, got 2/);
    expect(() => make({ lambda: 0, sigma: -1 })).toThrow(/no \(l1, l2\) .* couples to lambda = 0 with sigma = -1/);
    expect(() => make({ lambda: 1, parity: 1 })).toThrow(/options.parity: unknown option; expected lambda or sigma or selectedProperties/);
    expect(() => make({ lambda: 1 }, new SphericalExpansion(densityHypers(2)))).toThrow(/same max_angular, got 3 and 2/);
    expect(() => make({ lambda: 1, selectedProperties: [[1, 1, 1, 1, 0]] })).toThrow(/selectedProperties\[0\]: expected 6 integers/);
    expect(() => make({ lambda: 1, selectedProperties: [[1, 1, 1, 1, 0, 0]] }).compute(periodic)).toThrow(
      /selection\[0\]: \(1, 1, 1, 1, 0, 0\) is not a property .*l1 \+ l2 \+ lambda even/,
    );
    expect(() => make({ lambda: 2, selectedProperties: [[8, 1, 2, 2, 0, 0]] }).compute(periodic)).toThrow(/\(t1, l1, n1\) <= \(t2, l2, n2\)/);
    const calculator = make({ lambda: 2 });
    const [S, M, P] = calculator.compute(periodic).shape;
    expect(() => calculator.backward(periodic, new Float64Array(S * P))).toThrow(new RegExp(`expected ${S} x ${M * P} = ${S * M * P} numbers`));
  });
});
