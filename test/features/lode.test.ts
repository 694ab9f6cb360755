import { describe, expect, it } from 'vitest';
import {
  Invariants,
  LodeSphericalExpansion,
  SphericalExpansion,
  type LodeSphericalExpansionHypers,
  type SphericalExpansionHypers,
} from '../../lib/index.js';
import { relativeError } from '../support/finite-differences.js';
import { randomRotation, randomSystem, rotate, TRICLINIC_CELL, type TestSystem } from '../support/random-systems.js';
import { loadReference } from '../support/reference.js';
import { checkGradients, contractGradients } from '../support/check-gradients.js';

const lodeHypers = (
  options: {
    smearing?: number;
    exponent?: number;
    maxRadial?: number;
    maxAngular?: number;
    radius?: number;
    kCutoff?: number;
    spline?: number | null;
    exclusion?: { radius: number; width?: number };
  } = {},
): LodeSphericalExpansionHypers => ({
  density: { type: 'SmearedPowerLaw', smearing: options.smearing ?? 1.0, exponent: options.exponent ?? 1 },
  basis: {
    type: 'TensorProduct',
    max_angular: options.maxAngular ?? 2,
    radial: { type: 'Gto', max_radial: options.maxRadial ?? 2, radius: options.radius ?? 2.5 },
    spline_accuracy: options.spline === undefined ? 1e-10 : options.spline,
  },
  ...(options.kCutoff !== undefined ? { k_cutoff: options.kCutoff } : {}),
  ...(options.exclusion ? { exclusion: options.exclusion } : {}),
});

const periodic = randomSystem({ seed: 21, atoms: 7, types: [1, 8, 11], cell: TRICLINIC_CELL });
const molecule = randomSystem({ seed: 5, atoms: 6, types: [1, 8], box: 4 });
// A cubic cell: many k-vectors share |k|, so the k sum runs by shells
// (features/lode/kshells.cpp), values, Gamma and the strain alike.
const cubic = randomSystem({ seed: 23, atoms: 6, types: [1, 8], cell: [6, 0, 0, 0, 6, 0, 0, 0, 6] });

/** Sum over centres of the positions gradient rows, per atom: [atoms][3][properties]. */
function summedPositionGradient(block: ReturnType<LodeSphericalExpansion['compute']>, atoms: number): Float64Array {
  const g = block.gradients.positions!;
  const P = block.shape[1];
  const out = new Float64Array(atoms * 3 * P);
  for (let r = 0; r < g.samples!.count; r++) {
    const atom = g.samples!.values[3 * r + 2];
    for (let k = 0; k < 3 * P; k++) out[atom * 3 * P + k] += g.values[r * 3 * P + k];
  }
  return out;
}


const asSystem = (s: { positions: number[][]; types: number[]; cell: number[] }) => ({ positions: s.positions, types: s.types, cell: s.cell });

describe('LODE reference values', () => {
  for (const file of [
    'featomic/lode-exponent-1-values.json',
    ...[0, 1, 2, 3, 4, 5, 6].map((p) => `pylode/lode-triclinic-exponent-${p}-values.json`),
  ]) {
    it(`reproduces ${file}`, () => {
      const ref = loadReference(file);
      const lode = new LodeSphericalExpansion(ref.input.hyperparameters as unknown as LodeSphericalExpansionHypers);
      const x = lode.compute(asSystem(ref.input.systems[0]));
      expect(x.shape).toEqual(ref.shape);
      expect(relativeError(x.values, ref.values)).toBeLessThan(1e-7);
      // splined radial integrals (the default) agree as well
      const hypers = structuredClone(ref.input.hyperparameters) as unknown as LodeSphericalExpansionHypers;
      hypers.basis.spline_accuracy = 1e-10;
      const splined = new LodeSphericalExpansion(hypers).compute(asSystem(ref.input.systems[0]));
      expect(relativeError(splined.values, ref.values)).toBeLessThan(1e-7);
    });
  }

  // Molecules (all-zero cell: the real-space pair sums of real_space.cpp). The
  // references are pair sums of F_nl(d) = (2/pi) int_0^k_cut k^2 G_p(k) I_nl(k)
  // j_l(kd) dk built from pyLODE's G_p, GTO basis and closed-form I_nl, not
  // lodestone's (pylode/generate_molecular.py, which checks its formula against
  // pyLODE's periodic sum in large boxes). Measured: <= 4e-10 of the largest
  // value for every p, exact or splined kernels, i.e. the files' rounding to 10
  // digits; 1e-8 leaves a margin of 25.
  for (const exponent of [0, 1, 2, 3, 4, 5, 6]) {
    const file = `pylode/lode-molecule-exponent-${exponent}-values.json`;
    it(`reproduces ${file} (molecule, real-space path)`, () => {
      const ref = loadReference(file);
      const system = asSystem(ref.input.systems[0]);
      expect(system.cell.every((v) => v === 0)).toBe(true);
      const hypers = ref.input.hyperparameters as unknown as LodeSphericalExpansionHypers;
      expect(hypers.density.exponent).toBe(exponent);
      const lode = new LodeSphericalExpansion(hypers);
      const x = lode.compute(system);
      expect(x.shape).toEqual(ref.shape);
      expect(relativeError(x.values, ref.values)).toBeLessThan(1e-8);
      const splinedHypers = structuredClone(hypers);
      splinedHypers.basis.spline_accuracy = 1e-10;
      const splined = new LodeSphericalExpansion(splinedHypers).compute(system);
      expect(relativeError(splined.values, ref.values)).toBeLessThan(1e-8);
    });
  }

  for (const file of [
    'featomic/lode-exponent-1-positions-gradient.json',
    'pylode/lode-triclinic-exponent-1-positions-gradient.json',
    'pylode/lode-triclinic-exponent-6-positions-gradient.json',
  ]) {
    it(`reproduces ${file} (full tensor and backward)`, () => {
      const ref = loadReference(file);
      const system = asSystem(ref.input.systems[0]);
      const lode = new LodeSphericalExpansion(ref.input.hyperparameters as unknown as LodeSphericalExpansionHypers);
      const x = lode.compute(system, { gradients: ['positions'] });
      const n = system.types.length;
      const P = x.shape[1];
      expect([n, 3, P]).toEqual(ref.shape);
      expect(relativeError(summedPositionGradient(x, n), ref.values)).toBeLessThan(1e-7);
      // dL/dv = 1 for every entry: backward gives the column sums
      const back = lode.backward(system, new Float64Array(n * P).fill(1));
      const expected = new Float64Array(3 * n);
      for (let k = 0; k < 3 * n; k++) for (let p = 0; p < P; p++) expected[k] += ref.values[k * P + p];
      expect(relativeError(back.positions, expected)).toBeLessThan(1e-7);
    });
  }

  it('center_atom_weight removes the centre field as featomic does', () => {
    // featomic's own regression numbers for the centre contribution (from pyLODE),
    // smearing 1, GTO radius 5, max_radial 5
    const reference: Record<number, number[]> = {
      0: [7.09990773e-1, 6.1376755e-1, 3.34161655e-1, 8.35301652e-2, 1.78439072e-2, -3.44944648e-5],
      1: [1.69193719, 2.02389574, 2.85086136, 3.84013091, 1.62869125, 7.03338899],
      2: [1.00532822, 1.10024472, 1.34843326, 1.19816598, 0.69150744, 1.2765415],
      6: [0.03811939, 0.037412, 0.03115835, 0.01364843, 0.00534184, 0.00205973],
    };
    const atom = { positions: [[0.3, 0.2, 0.1]], types: [8], cell: [9, 0, 0, 0, 9, 0, 0, 0, 9] };
    for (const [p, expected] of Object.entries(reference)) {
      const h = lodeHypers({ smearing: 1, exponent: Number(p), maxRadial: 5, maxAngular: 1, radius: 5 });
      const full = new LodeSphericalExpansion(h).compute(atom).values;
      const none = new LodeSphericalExpansion({ ...h, center_atom_weight: 0 }).compute(atom).values;
      const half = new LodeSphericalExpansion({ ...h, density: { ...h.density, center_atom_weight: 0.5 } }).compute(atom).values;
      const difference = expected.map((_, n) => full[n] - none[n]);
      expect(relativeError(difference, expected)).toBeLessThan(3e-6);
      // only the l = 0 block of the centre's own type changes, linearly in w
      for (let k = 6; k < full.length; k++) expect(none[k]).toBe(full[k]);
      for (let n = 0; n < 6; n++) expect(half[n]).toBeCloseTo(0.5 * (full[n] + none[n]), 12);
    }
  });
});

const gradientCases: [string, LodeSphericalExpansionHypers, TestSystem][] = [
  ['p = 1, periodic', lodeHypers(), periodic],
  ['p = 1, cubic cell (k-vectors by shells)', lodeHypers(), cubic],
  ['p = 6, periodic', lodeHypers({ exponent: 6, smearing: 0.8 }), periodic],
  ['p = 3, periodic', lodeHypers({ exponent: 3, smearing: 0.8, spline: null }), periodic],
  ['p = 1, molecule', lodeHypers(), molecule],
  ['p = 4, molecule', lodeHypers({ exponent: 4, smearing: 0.8 }), molecule],
  // radius and width chosen so that some pairs sit inside the switching shell
  ['p = 1, periodic, near field excluded', lodeHypers({ exclusion: { radius: 3.2, width: 1.5 } }), periodic],
  ['p = 6, molecule, near field excluded', lodeHypers({ exponent: 6, smearing: 0.8, exclusion: { radius: 3, width: 1.2 } }), molecule],
];

describe.each(gradientCases)('LODE gradients, %s', (_, hypers, system) => {
  const lode = new LodeSphericalExpansion(hypers);
  const n = system.types.length;

  it(`positions, strain${system.cell ? ', cell' : ''} and backward match finite differences at every coordinate and component`, () => {
    checkGradients(lode, system, { cell: system.cell !== null });
  });

  it('backward equals the full tensors contracted with dL/dv (subset of centres)', () => {
    const centers = [1, 3, n - 1];
    const block = lode.compute(system, { gradients: ['positions', 'strain'], centers });
    const dLdv = Float64Array.from(block.values, (_, k) => Math.sin(k));
    const expected = contractGradients(block, dLdv, n);
    const out = lode.backward(system, dLdv, { centers });
    expect(relativeError(out.positions, expected.positions)).toBeLessThan(1e-11);
    expect(relativeError(out.strain, expected.strain!)).toBeLessThan(1e-11);
  });

  it('is covariant under rotations (of positions and cell) and invariant under translations', () => {
    const L = hypers.basis.max_angular + 1;
    const x = lode.compute(system);
    const P = x.shape[1];
    const T = P / (L * L * (hypers.basis.radial.max_radial + 1));
    const N = hypers.basis.radial.max_radial + 1;
    // sum_m v^2 per (l, t, n)
    const invariant = (values: Float64Array) => {
      const out: number[] = [];
      for (let i = 0; i < values.length / P; i++)
        for (let l = 0; l < L; l++)
          for (let t = 0; t < T; t++)
            for (let nn = 0; nn < N; nn++) {
              let s = 0;
              for (let lm = l * l; lm < (l + 1) * (l + 1); lm++) s += values[i * P + (lm * T + t) * N + nn] ** 2;
              out.push(s);
            }
      return out;
    };
    const R = randomRotation(9);
    const rotated = lode.compute({ ...system, positions: rotate(system.positions, R), cell: system.cell ? rotate(system.cell, R) : null });
    expect(relativeError(invariant(rotated.values), invariant(x.values))).toBeLessThan(1e-10);
    const shifted = system.positions.map((v, k) => v + [1.3, -2.1, 0.7][k % 3]);
    expect(relativeError(lode.compute({ ...system, positions: shifted }).values, x.values)).toBeLessThan(1e-10);
  });

});

describe('LODE physics', () => {
  it('a molecule in a growing periodic box converges to the molecular (real-space) result', () => {
    // Both truncate the field at the same k_cutoff. The box result differs by
    // A/L (the k = 0 hole of p = 1: a neutralising background) + C/L^3 + ...;
    // fitting a + A/L + C/L^3 through three boxes leaves O(1/L^5).
    const h = lodeHypers({ smearing: 1.0, maxRadial: 2, maxAngular: 2, radius: 2.0, kCutoff: 1.6 * Math.PI });
    const lode = new LodeSphericalExpansion(h);
    const mol = randomSystem({ seed: 13, atoms: 4, types: [1, 8], box: 2.5, minDistance: 1.0 });
    const reference = lode.compute(mol).values;
    const sizes = [16, 24, 32];
    const boxes = sizes.map((L) => lode.compute({ positions: mol.positions, types: mol.types, cell: [L, 0, 0, 0, L, 0, 0, 0, L] }).values);
    const errors = boxes.map((v) => relativeError(v, reference));
    expect(errors[1]).toBeLessThan(0.75 * errors[0]);
    expect(errors[2]).toBeLessThan(0.8 * errors[1]);
    // Cramer's rule on [1, 1/L, 1/L^3] per entry
    const det3 = (m: number[][]) =>
      m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    const rows = sizes.map((L) => [1, 1 / L, L ** -3]);
    const D = det3(rows);
    const extrapolated = reference.map((_, k) => det3(rows.map((r, i) => [boxes[i][k], r[1], r[2]])) / D);
    expect(relativeError(extrapolated, reference)).toBeLessThan(3e-4);
  });

  it('for every exponent, a molecule in a growing box approaches the molecular result as L^-p', () => {
    // The periodic values are checked against pyLODE for p = 0..6 above; the
    // molecular (real-space) ones are not, so they are tied to them here. The
    // box adds the images' field beyond the k = 0 term: for p >= 1 that
    // decays as 1/L^p (p = 3 with a logarithm), so the error shrinks by
    // (24/32)^p from L = 24 to 32 (measured slopes 0.98, 1.92, 2.61, 4.03,
    // 5.07, 6.11). A wrong or missing k = 0 term (p = 4..6) would leave an
    // error of order 1/L^3; a wrong real-space kernel, a constant one.
    const mol = randomSystem({ seed: 13, atoms: 4, types: [1, 8], box: 2.5, minDistance: 1.0 });
    const sizes = [24, 32];
    for (const exponent of [0, 1, 2, 3, 4, 5, 6]) {
      const lode = new LodeSphericalExpansion(lodeHypers({ exponent, smearing: 1.0, maxRadial: 2, maxAngular: 2, radius: 2.0, kCutoff: 1.6 * Math.PI }));
      const reference = lode.compute(mol).values;
      const errors = sizes.map((L) => relativeError(lode.compute({ positions: mol.positions, types: mol.types, cell: [L, 0, 0, 0, L, 0, 0, 0, L] }).values, reference));
      if (exponent === 0) {
        // a Gaussian density: the images are exp(-L^2)-small, what is left is the splines' accuracy
        for (const e of errors) expect(e, 'p = 0').toBeLessThan(1e-6);
        continue;
      }
      const slope = Math.log(errors[0] / errors[1]) / Math.log(sizes[1] / sizes[0]);
      expect(slope, `p = ${exponent}: errors ${errors.map((e) => e.toExponential(2)).join(', ')}`).toBeGreaterThan(exponent - 0.6);
      expect(slope, `p = ${exponent}`).toBeLessThan(exponent + 0.6);
    }
  });

  it('p = 0 equals the local density expansion (Step cutoff, large box) for cells and molecules', () => {
    const smearing = 0.5;
    const lode = new LodeSphericalExpansion(lodeHypers({ exponent: 0, smearing, maxRadial: 3, maxAngular: 3, radius: 2.5, kCutoff: (2.6 * Math.PI) / smearing }));
    const density: SphericalExpansionHypers = {
      cutoff: { radius: 10, smoothing: { type: 'Step' } },
      density: { type: 'Gaussian', width: smearing },
      basis: { type: 'TensorProduct', max_angular: 3, radial: { type: 'Gto', max_radial: 3, radius: 2.5 }, spline_accuracy: null },
    };
    const local = new SphericalExpansion(density);
    const box = randomSystem({ seed: 4, atoms: 6, types: [1, 8], cell: [7.5, 0, 0, 0.8, 7.2, 0, -0.5, 0.4, 7.8] });
    expect(relativeError(lode.compute(box).values, local.compute(box).values)).toBeLessThan(1e-9);
    expect(relativeError(lode.compute(molecule).values, local.compute(molecule).values)).toBeLessThan(1e-9);
  });

  it('splined and exact molecular kernels agree', () => {
    const exact = new LodeSphericalExpansion(lodeHypers({ spline: null })).compute(molecule, { gradients: ['positions'] });
    const splined = new LodeSphericalExpansion(lodeHypers({ spline: 1e-10 })).compute(molecule, { gradients: ['positions'] });
    expect(relativeError(splined.values, exact.values)).toBeLessThan(1e-8);
    expect(relativeError(splined.gradients.positions!.values, exact.gradients.positions!.values)).toBeLessThan(1e-7);
  });
});

describe('LODE near-field exclusion', () => {
  // Every pair of this cluster is closer than radius - width, and its
  // periodic images are beyond the radius, so the excluded field is exactly
  // the full one minus the cluster's own (molecular) field.
  const cluster = randomSystem({ seed: 8, atoms: 4, types: [1, 8], box: 1.6, minDistance: 0.8 });
  const exclusion = { radius: 3.5, width: 0.8 };
  const withExclusion = (h: LodeSphericalExpansionHypers) => new LodeSphericalExpansion({ ...h, exclusion });

  it('removes everything from a molecule smaller than the radius', () => {
    for (const exponent of [1, 3, 6]) {
      const h = lodeHypers({ exponent, smearing: 1.2 });
      const full = new LodeSphericalExpansion(h).compute(cluster).values;
      const excluded = withExclusion(h).compute(cluster).values;
      const scale = Math.max(...full.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      expect(Math.max(...excluded.map(Math.abs)) / scale).toBeLessThan(1e-10);
    }
  });

  it('leaves two distant molecules with exactly the field of the other one', () => {
    const h = lodeHypers({ exponent: 1, smearing: 1.2 });
    const other = randomSystem({ seed: 9, atoms: 3, types: [1, 8], box: 1.6, minDistance: 0.8 });
    const shift = [6.5, 1.0, -0.5];
    const dimer = {
      positions: Float64Array.from([...cluster.positions, ...other.positions.map((v, k) => v + shift[k % 3])]),
      types: Int32Array.from([...cluster.types, ...other.types]),
      cell: null,
    };
    const centers = [0, 1, 2, 3];
    const full = new LodeSphericalExpansion(h);
    const expected = Float64Array.from(full.compute(dimer, { centers }).values, (v, k) => v - full.compute(cluster).values[k]);
    expect(relativeError(withExclusion(h).compute(dimer, { centers }).values, expected)).toBeLessThan(1e-10);
  });

  it('in a periodic box, removes exactly the field of the atoms within the radius', () => {
    const h = lodeHypers({ exponent: 1, smearing: 1.2 });
    const box = { ...cluster, cell: Float64Array.from([12, 0, 0, 0.5, 11.5, 0, -0.3, 0.2, 12.4]) };
    const full = new LodeSphericalExpansion(h);
    const own = full.compute(cluster).values;
    const expected = Float64Array.from(full.compute(box).values, (v, k) => v - own[k]);
    expect(relativeError(withExclusion(h).compute(box).values, expected)).toBeLessThan(1e-10);
  });

  it('mesh and direct agree, values and backward', () => {
    const h = { ...lodeHypers({ exclusion: { radius: 3.2, width: 1.5 } }), accuracy: 1e-9 };
    const direct = new LodeSphericalExpansion({ ...h, method: 'direct' });
    const mesh = new LodeSphericalExpansion({ ...h, method: 'mesh' });
    expect(mesh.parameters(periodic).method).toBe('mesh');
    const v = direct.compute(periodic).values;
    expect(relativeError(mesh.compute(periodic).values, v)).toBeLessThan(1e-7);
    const dLdv = Float64Array.from(v, (_, k) => Math.cos(k));
    const a = direct.backward(periodic, dLdv), b = mesh.backward(periodic, dLdv);
    expect(relativeError(b.positions, a.positions)).toBeLessThan(1e-7);
    expect(relativeError(b.strain, a.strain)).toBeLessThan(1e-7);
  });

  it('rejects a bad radius or width', () => {
    expect(() => new LodeSphericalExpansion(lodeHypers({ exclusion: { radius: -1 } }))).toThrow(/hypers\.exclusion\.radius: expected a number > 0, got -1/);
    expect(() => new LodeSphericalExpansion(lodeHypers({ exclusion: { radius: 2, width: 3 } }))).toThrow(/hypers\.exclusion\.width: expected a number <= 2, got 3/);
    expect(() => new LodeSphericalExpansion({ ...lodeHypers(), exclusion: { radius: 2, cutoff: 1 } as never })).toThrow(/hypers\.exclusion.*cutoff/);
  });
});

describe('multi-scale rho x V invariants', () => {
  const density: SphericalExpansionHypers = {
    cutoff: { radius: 3.5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
    density: { type: 'Gaussian', width: 0.4 },
    basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: 2 } },
  };
  const invariants = new Invariants(new SphericalExpansion(density), new LodeSphericalExpansion(lodeHypers({ maxRadial: 1 })));

  for (const [name, system] of [['periodic', periodic], ['molecule', molecule]] as const) {
    it(`values, positions gradient and backward match finite differences (${name})`, () => {
      const block = invariants.compute(system, { gradients: ['positions'] });
      const P = block.shape[1];
      // all ordered type pairs x 3 l x 3 n1 x 2 n2
      const types = new Set(system.types).size;
      expect(P).toBe(types * types * 3 * 3 * 2);
      checkGradients(invariants, system);
      const out = invariants.backward(system, Float64Array.from(block.values, (_, q) => Math.cos(q)));
      expect(relativeError(out.values, block.values)).toBeLessThan(1e-14);
    });
  }
});

describe('LODE API and errors', () => {
  it('labels, async compute and defaults', async () => {
    const lode = new LodeSphericalExpansion(lodeHypers());
    expect(lode.kCutoff).toBeCloseTo(1.2 * Math.PI, 14);
    const x = lode.compute(periodic);
    expect(x.properties.names).toEqual(['l', 'm', 'neighbor_type', 'n']);
    expect(x.shape).toEqual([7, 9 * 3 * 3]);
    expect((await lode.computeAsync(periodic)).values).toEqual(x.values);
    const explicit = new LodeSphericalExpansion({ ...lodeHypers(), k_cutoff: 1.2 * Math.PI });
    expect(explicit.compute(periodic).values).toEqual(x.values);
  });

  it('rejects bad hyper-parameters and systems with clear messages', () => {
    const h = lodeHypers();
    expect(() => new LodeSphericalExpansion({ ...h, density: { ...h.density, smearing: 0 } })).toThrow(/density.smearing: expected a number > 0/);
    expect(() => new LodeSphericalExpansion({ ...h, density: { ...h.density, exponent: 7 } })).toThrow(/density.exponent: expected a number <= 6/);
    expect(() => new LodeSphericalExpansion({ ...h, density: { ...h.density, exponent: 1.5 } })).toThrow(/density.exponent: expected an integer/);
    expect(() => new LodeSphericalExpansion({ ...h, k_cutoff: -1 })).toThrow(/k_cutoff: expected a number > 0/);
    expect(() => new LodeSphericalExpansion({ ...h, basis: { ...h.basis, max_angular: 26 } })).toThrow(/^hypers.basis.max_angular: expected a number <= 25, got 26$/);
    expect(() => new LodeSphericalExpansion({ ...h, basis: { ...h.basis, radial: { type: 'Gto', max_radial: 2 } } as never })).toThrow(
      /radial.radius: required/,
    );
    expect(() => new LodeSphericalExpansion({ ...h, center_atom_weight: 0.5, density: { ...h.density, center_atom_weight: 0.5 } })).toThrow(
      /given twice/,
    );
    const tooSmall = new LodeSphericalExpansion({ ...h, k_cutoff: 0.5 });
    expect(() => tooSmall.compute(periodic)).toThrow(/k_cutoff too small/);
    const mixed = { ...periodic, pbc: [true, true, false] as [boolean, boolean, boolean] };
    const lode = new LodeSphericalExpansion(h);
    expect(() => lode.compute(mixed)).toThrow(/mixed periodic boundary conditions are not supported/);
    expect(() => lode.backward(periodic, new Float64Array(3))).toThrow(/expected 7 x 81 = 567 numbers/);
    const clash = { positions: [[0, 0, 0], [0, 0, 0]], types: [1, 1] };
    expect(() => lode.compute(clash)).toThrow(/same position/);
  });
});
