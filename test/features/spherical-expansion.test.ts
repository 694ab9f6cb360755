// SphericalExpansion: featomic reference values and gradients, finite
// differences of all three gradient kinds, invariances, options, threads,
// cutoff functions and splines.
import { afterEach, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, SphericalExpansion, type FeatureBlock, type SphericalExpansionHypers, type System } from '../../lib/index.js';
import { native } from '../../lib/native/addon.js';
import { derivative, relativeError } from '../support/finite-differences.js';
import { randomRotation, randomSystem, rotate, TRICLINIC_CELL, type TestSystem } from '../support/random-systems.js';
import { loadReference, type ReferenceFile } from '../support/reference.js';
import { checkGradients, contractGradients } from '../support/check-gradients.js';

const hypers = (
  radius: number,
  width: number,
  maxRadial = 3,
  maxAngular = 3,
  smoothing: SphericalExpansionHypers['cutoff']['smoothing'] = { type: 'ShiftedCosine', width: 0.5 },
  splineAccuracy?: number | null,
): SphericalExpansionHypers => ({
  cutoff: { radius, smoothing },
  density: { type: 'Gaussian', width },
  basis: {
    type: 'TensorProduct',
    max_angular: maxAngular,
    radial: { type: 'Gto', max_radial: maxRadial },
    ...(splineAccuracy === undefined ? {} : { spline_accuracy: splineAccuracy }),
  },
});

const periodic = randomSystem({ seed: 41, atoms: 10, types: [1, 8, 6], cell: TRICLINIC_CELL });
const molecule = randomSystem({ seed: 42, atoms: 8, types: [1, 8], box: 4 });

function referenceSystem(ref: ReferenceFile): System {
  const s = ref.input.systems[0];
  return { positions: s.positions, types: s.types, cell: s.cell };
}

/** Column of (l, m, neighbour type index t, n) in the (l, m, neighbor_type, n) layout. */
function column(l: number, m: number, t: number, n: number, nTypes: number, N: number): number {
  return (l * l + m + l) * nTypes * N + t * N + n;
}

/** Sum over centres of the positions gradient, per atom: [atoms][3][P]. */
function summedPositionGradient(block: FeatureBlock, atoms: number): Float64Array {
  const g = block.gradients.positions!;
  const P = block.shape[1];
  const out = new Float64Array(atoms * 3 * P);
  for (let r = 0; r < g.samples!.count; r++) {
    const atom = g.samples!.values[3 * r + 2];
    for (let k = 0; k < 3 * P; k++) out[atom * 3 * P + k] += g.values[r * 3 * P + k];
  }
  return out;
}

/** Positions gradient of each centre with respect to each atom: [samples][atoms][3][P] (dense). */
function densePositionGradient(block: FeatureBlock, atoms: number): Float64Array {
  const g = block.gradients.positions!;
  const P = block.shape[1];
  const out = new Float64Array(block.shape[0] * atoms * 3 * P);
  for (let r = 0; r < g.samples!.count; r++) {
    const [sample, , atom] = g.samples!.values.subarray(3 * r, 3 * r + 3);
    for (let k = 0; k < 3 * P; k++) out[(sample * atoms + atom) * 3 * P + k] += g.values[r * 3 * P + k];
  }
  return out;
}

describe('featomic reference', () => {
  it('values of the 9-atom molecule (max_radial 7, max_angular 8) to 1e-8 of the largest', () => {
    const ref = loadReference('featomic/spherical-expansion-values.json');
    const block = new SphericalExpansion(ref.input.hyperparameters as unknown as SphericalExpansionHypers).compute(referenceSystem(ref));
    expect(block.shape).toEqual(ref.shape);
    expect(block.properties.names).toEqual(['l', 'm', 'neighbor_type', 'n']);
    expect(block.samples.names).toEqual(['system', 'atom']);
    expect(Array.from(block.samples.values)).toEqual(Array.from({ length: 9 }, (_, i) => [0, i]).flat());
    expect(relativeError(block.values, ref.values)).toBeLessThan(1e-8);
    // first properties follow the documented layout
    expect(Array.from(block.properties.values.subarray(0, 8))).toEqual([0, 0, 1, 0, 0, 0, 1, 1]);
  });

  for (const kind of ['positions', 'strain', 'cell'] as const) {
    it(`${kind} gradient of the molecule in a 6 A cubic cell`, () => {
      const ref = loadReference(`featomic/spherical-expansion-${kind}-gradient.json`);
      const system = referenceSystem(ref);
      const block = new SphericalExpansion(ref.input.hyperparameters as unknown as SphericalExpansionHypers).compute(system, {
        gradients: [kind],
      });
      const actual = kind === 'positions' ? summedPositionGradient(block, 9) : block.gradients[kind]!.values;
      expect(block.gradients[kind]!.shape.slice(-1)).toEqual([ref.shape[ref.shape.length - 1]]);
      if (kind !== 'positions') expect(block.gradients[kind]!.shape).toEqual(ref.shape);
      expect(actual.length).toBe(ref.values.length);
      expect(relativeError(actual, ref.values)).toBeLessThan(1e-8);
    });
  }
});

describe.each([
  ['periodic triclinic', periodic],
  ['non-periodic molecule', molecule],
] as const)('gradients by finite differences (%s)', (_, system) => {
  const expansion = new SphericalExpansion(hypers(3.5, 0.4));

  it('positions, strain and backward: every coordinate and strain component', () => {
    checkGradients(expansion, system, { tolerance: 1e-9 });
  });

  it('positions: gradient samples are (sample, system, atom) with atoms of that system', () => {
    const block = expansion.compute(system, { gradients: ['positions'] });
    const g = block.gradients.positions!;
    expect(g.samples!.names).toEqual(['sample', 'system', 'atom']);
    expect(g.shape).toEqual([g.samples!.count, 3, block.shape[1]]);
    for (let r = 0; r < g.samples!.count; r++) {
      expect(g.samples!.values[3 * r + 1]).toBe(0);
      expect(g.samples!.values[3 * r]).toBeLessThan(block.shape[0]);
      expect(g.samples!.values[3 * r + 2]).toBeLessThan(system.types.length);
    }
    // every centre has a row for itself
    for (let i = 0; i < block.shape[0]; i++) {
      let found = false;
      for (let r = 0; r < g.samples!.count; r++) if (g.samples!.values[3 * r] === i && g.samples!.values[3 * r + 2] === i) found = true;
      expect(found).toBe(true);
    }
  });

  it('strain gradient shape', () => {
    const block = expansion.compute(system, { gradients: ['strain'] });
    expect(block.gradients.strain!.shape).toEqual([block.shape[0], 3, 3, block.shape[1]]);
  });
});

describe('cell gradient by finite differences', () => {
  const expansion = new SphericalExpansion(hypers(3.5, 0.4));

  it('derivative with respect to the cell matrix at fixed Cartesian positions (featomic convention)', () => {
    const block = expansion.compute(periodic, { gradients: ['cell'] });
    expect(block.gradients.cell!.shape).toEqual([block.shape[0], 3, 3, block.shape[1]]);
    checkGradients(expansion, periodic, { positions: false, strain: false, backward: false, cell: true, tolerance: 1e-9 });
  });

  it('is zero without periodicity, and strain = sum r_ij x dc/dr_ij is consistent with cell + positions', () => {
    const block = expansion.compute(molecule, { gradients: ['cell'] });
    expect(block.gradients.cell!.values.every((v) => v === 0)).toBe(true);
    // For a periodic system: dX/dstrain[a][b] = sum_j r_j[a] dX/dr_j[b] + sum_c H[c][a] dX/dH[c][b].
    const full = expansion.compute(periodic, { gradients: ['positions', 'strain', 'cell'] });
    const P = full.shape[1], S = full.shape[0], atoms = periodic.types.length;
    const dense = densePositionGradient(full, atoms);
    const H = periodic.cell!;
    const rebuilt = new Float64Array(S * 9 * P);
    for (let i = 0; i < S; i++) {
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          for (let p = 0; p < P; p++) {
            let s = 0;
            for (let j = 0; j < atoms; j++) s += periodic.positions[3 * j + a] * dense[((i * atoms + j) * 3 + b) * P + p];
            for (let c = 0; c < 3; c++) s += H[3 * c + a] * full.gradients.cell!.values[(i * 9 + 3 * c + b) * P + p];
            rebuilt[(i * 9 + 3 * a + b) * P + p] = s;
          }
        }
      }
    }
    expect(relativeError(rebuilt, full.gradients.strain!.values)).toBeLessThan(1e-12);
  });
});

describe('invariances and covariance', () => {
  const expansion = new SphericalExpansion(hypers(3.5, 0.4, 3, 4));
  const T = 3, N = 4, L = 4; // periodic: types 1, 6, 8

  /** Per centre and l: the Gram matrix sum_m c[l,m,(t,n)] c[l,m,(t',n')], rotation invariant. */
  function gram(block: FeatureBlock, nTypes: number): Float64Array {
    const P = block.shape[1], K = nTypes * N;
    const out: number[] = [];
    for (let i = 0; i < block.shape[0]; i++) {
      for (let l = 0; l <= L; l++) {
        for (let a = 0; a < K; a++) {
          for (let b = 0; b < K; b++) {
            let s = 0;
            for (let m = -l; m <= l; m++) {
              s += block.values[i * P + (l * l + m + l) * K + a] * block.values[i * P + (l * l + m + l) * K + b];
            }
            out.push(s);
          }
        }
      }
    }
    return Float64Array.from(out);
  }

  it('rotating the structure leaves sum_m c_lm c_lm\' unchanged (molecule and periodic)', () => {
    for (const seed of [1, 2]) {
      const R = randomRotation(seed);
      const x = expansion.compute(molecule);
      const r = expansion.compute({ ...molecule, positions: rotate(molecule.positions, R) });
      expect(relativeError(r.values, x.values)).toBeGreaterThan(1e-3); // the coefficients do change
      expect(relativeError(gram(r, 2), gram(x, 2))).toBeLessThan(1e-12);
      const xp = expansion.compute(periodic);
      const rp = expansion.compute({ ...periodic, positions: rotate(periodic.positions, R), cell: rotate(periodic.cell!, R) });
      expect(relativeError(gram(rp, T), gram(xp, T))).toBeLessThan(1e-12);
    }
  });

  it('the l = 1 block rotates as a vector: (c_{1,-1}, c_{1,0}, c_{1,1}) ~ (y, z, x)', () => {
    const R = randomRotation(3);
    const x = expansion.compute(periodic);
    const r = expansion.compute({ ...periodic, positions: rotate(periodic.positions, R), cell: rotate(periodic.cell!, R) });
    const P = x.shape[1], K = T * N;
    const expected = new Float64Array(r.values.length);
    const actual = new Float64Array(r.values.length);
    for (let i = 0; i < x.shape[0]; i++) {
      for (let k = 0; k < K; k++) {
        const at = (block: FeatureBlock, m: number) => block.values[i * P + (1 + m + 1) * K + k];
        const v = [at(x, 1), at(x, -1), at(x, 0)]; // (x, y, z) components
        const w = [0, 1, 2].map((a) => R[3 * a] * v[0] + R[3 * a + 1] * v[1] + R[3 * a + 2] * v[2]);
        const idx = (m: number) => i * P + (1 + m + 1) * K + k;
        expected[idx(1)] = w[0];
        expected[idx(-1)] = w[1];
        expected[idx(0)] = w[2];
        for (const m of [-1, 0, 1]) actual[idx(m)] = at(r, m);
      }
    }
    expect(relativeError(actual, expected)).toBeLessThan(1e-12);
  });

  it('translations leave the coefficients unchanged', () => {
    const shift = (s: TestSystem, t: number[]) => s.positions.map((v, k) => v + t[k % 3]);
    const x = expansion.compute(molecule).values;
    expect(relativeError(expansion.compute({ ...molecule, positions: shift(molecule, [1.3, -2.1, 0.7]) }).values, x)).toBeLessThan(1e-12);
    const xp = expansion.compute(periodic).values;
    expect(relativeError(expansion.compute({ ...periodic, positions: shift(periodic, [13.3, -7.9, 2.2]) }).values, xp)).toBeLessThan(
      1e-12,
    );
  });

  it('a 2x1x1 and a 1x2x2 supercell give the same per-atom coefficients', () => {
    const n = periodic.types.length;
    const x = expansion.compute(periodic).values;
    const P = x.length / n;
    const c = periodic.cell!;
    for (const reps of [[2, 1, 1], [1, 2, 2]]) {
      const positions: number[] = [], types: number[] = [];
      for (let a = 0; a < reps[0]; a++) {
        for (let b = 0; b < reps[1]; b++) {
          for (let d = 0; d < reps[2]; d++) {
            for (let i = 0; i < n; i++) {
              for (let k = 0; k < 3; k++) positions.push(periodic.positions[3 * i + k] + a * c[k] + b * c[3 + k] + d * c[6 + k]);
              types.push(periodic.types[i]);
            }
          }
        }
      }
      const cell = [0, 1, 2].flatMap((r) => [0, 1, 2].map((k) => reps[r] * c[3 * r + k]));
      const big = expansion.compute({ positions, types, cell }).values;
      const copies = reps[0] * reps[1] * reps[2];
      expect(big.length).toBe(copies * n * P);
      for (let copy = 0; copy < copies; copy++) {
        expect(relativeError(big.subarray(copy * n * P, (copy + 1) * n * P), x), `${reps} copy ${copy}`).toBeLessThan(1e-12);
      }
    }
  });

  it('permuting atoms permutes rows (values and gradients)', () => {
    const n = periodic.types.length;
    const perm = [3, 7, 0, 9, 1, 5, 2, 8, 6, 4]; // new atom k is old atom perm[k]
    const positions = new Float64Array(3 * n), types = new Int32Array(n);
    perm.forEach((old, k) => {
      positions.set(periodic.positions.subarray(3 * old, 3 * old + 3), 3 * k);
      types[k] = periodic.types[old];
    });
    const x = expansion.compute(periodic, { gradients: ['positions', 'strain'] });
    const y = expansion.compute({ ...periodic, positions, types }, { gradients: ['positions', 'strain'] });
    const P = x.shape[1];
    const dx = densePositionGradient(x, n), dy = densePositionGradient(y, n);
    // rows (and gradient partners) of the old structure, in the new order
    const rows = new Float64Array(n * P), strain = new Float64Array(n * 9 * P), partners = new Float64Array(n * n * 3 * P);
    perm.forEach((old, k) => {
      rows.set(x.values.subarray(old * P, (old + 1) * P), k * P);
      strain.set(x.gradients.strain!.values.subarray(9 * old * P, 9 * (old + 1) * P), 9 * k * P);
      perm.forEach((oldJ, j) => partners.set(dx.subarray((old * n + oldJ) * 3 * P, (old * n + oldJ + 1) * 3 * P), (k * n + j) * 3 * P));
    });
    expect(relativeError(y.values, rows)).toBeLessThan(1e-13);
    expect(relativeError(y.gradients.strain!.values, strain)).toBeLessThan(1e-13);
    expect(relativeError(dy, partners)).toBeLessThan(1e-13);
  });
});

describe('compute options', () => {
  const expansion = new SphericalExpansion(hypers(3.5, 0.4));
  const N = 4, L = 3;

  it('centers select rows of the full computation (values and gradients)', () => {
    const full = expansion.compute(periodic, { gradients: ['positions', 'strain', 'cell'] });
    const centers = [1, 4, 9];
    const part = expansion.compute(periodic, { gradients: ['positions', 'strain', 'cell'], centers });
    const P = full.shape[1];
    expect(part.shape).toEqual([3, P]);
    expect(Array.from(part.samples.values)).toEqual([0, 1, 0, 4, 0, 9]);
    const n = periodic.types.length;
    const dFull = densePositionGradient(full, n), dPart = densePositionGradient(part, n);
    centers.forEach((c, k) => {
      expect(part.values.subarray(k * P, (k + 1) * P)).toEqual(full.values.subarray(c * P, (c + 1) * P));
      expect(part.gradients.strain!.values.subarray(9 * k * P, 9 * (k + 1) * P)).toEqual(
        full.gradients.strain!.values.subarray(9 * c * P, 9 * (c + 1) * P),
      );
      expect(part.gradients.cell!.values.subarray(9 * k * P, 9 * (k + 1) * P)).toEqual(
        full.gradients.cell!.values.subarray(9 * c * P, 9 * (c + 1) * P),
      );
      expect(relativeError(dPart.subarray(k * n * 3 * P, (k + 1) * n * 3 * P), dFull.subarray(c * n * 3 * P, (c + 1) * n * 3 * P))).toBeLessThan(
        1e-15,
      );
    });
    // gradient sample indices refer to the selected rows
    const g = part.gradients.positions!;
    for (let r = 0; r < g.samples!.count; r++) expect(g.samples!.values[3 * r]).toBeLessThan(3);
  });

  it('neighborTypes select column blocks; an absent type gives zero columns', () => {
    const full = expansion.compute(periodic, { gradients: ['positions'] }); // types 1, 6, 8
    const part = expansion.compute(periodic, { gradients: ['positions'], neighborTypes: [6, 8, 17] });
    const Pf = full.shape[1], Pp = part.shape[1];
    expect(Pp).toBe((L + 1) ** 2 * 3 * N);
    const n = periodic.types.length;
    const dFull = densePositionGradient(full, n), dPart = densePositionGradient(part, n);
    const expectedValues = new Float64Array(n * Pp), expectedGradient = new Float64Array(n * n * 3 * Pp);
    for (let p = 0; p < Pp; p++) {
      const [l, m, t, nn] = part.properties.values.subarray(4 * p, 4 * p + 4);
      const ti = [6, 8, 17].indexOf(t);
      expect(ti).toBeGreaterThanOrEqual(0);
      expect(p).toBe(column(l, m, ti, nn, 3, N));
      if (t === 17) continue;
      const source = column(l, m, [1, 6, 8].indexOf(t), nn, 3, N);
      for (let i = 0; i < n; i++) {
        expectedValues[i * Pp + p] = full.values[i * Pf + source];
        for (let q = 0; q < 3 * n; q++) expectedGradient[(i * 3 * n + q) * Pp + p] = dFull[(i * 3 * n + q) * Pf + source];
      }
    }
    expect(part.values).toEqual(expectedValues);
    expect(relativeError(dPart, expectedGradient)).toBeLessThan(1e-15);
  });

  it('several systems: rows are the systems in order, centres per system', () => {
    const a = expansion.compute(periodic).values;
    const b = expansion.compute(molecule, { neighborTypes: [1, 6, 8] }).values;
    const both = expansion.compute([periodic, molecule]);
    expect(both.shape[0]).toBe(periodic.types.length + molecule.types.length);
    expect(both.values.subarray(0, a.length)).toEqual(a);
    expect(both.values.subarray(a.length)).toEqual(b);
    const sel = expansion.compute([periodic, molecule], { centers: [[2], [0, 5]] });
    expect(Array.from(sel.samples.values)).toEqual([0, 2, 1, 0, 1, 5]);
    const P = sel.shape[1];
    expect(sel.values.subarray(0, P)).toEqual(a.subarray(2 * P, 3 * P));
    expect(sel.values.subarray(2 * P, 3 * P)).toEqual(b.subarray(5 * P, 6 * P));
    // An explicit empty list selects no centre of that system (not all of them).
    const none = expansion.compute([periodic, molecule], { centers: [[2], []] });
    expect(Array.from(none.samples.values)).toEqual([0, 2]);
    expect(expansion.compute(periodic, { centers: [] }).shape[0]).toBe(0);
  });

  it('computeAsync equals compute', async () => {
    const options = { gradients: ['positions', 'strain', 'cell'] as const, centers: [0, 3, 5] };
    const sync = expansion.compute(periodic, { ...options, gradients: [...options.gradients] });
    const async_ = await expansion.computeAsync(periodic, { ...options, gradients: [...options.gradients] });
    expect(async_.values).toEqual(sync.values);
    expect(async_.samples.values).toEqual(sync.samples.values);
    expect(async_.properties.values).toEqual(sync.properties.values);
    for (const kind of ['positions', 'strain', 'cell'] as const) expect(async_.gradients[kind]!.values).toEqual(sync.gradients[kind]!.values);
    expect(async_.gradients.positions!.samples!.values).toEqual(sync.gradients.positions!.samples!.values);
    // several in flight at once
    const many = await Promise.all([periodic, molecule, periodic].map((s) => expansion.computeAsync(s)));
    expect(many[0].values).toEqual(expansion.compute(periodic).values);
    expect(many[1].values).toEqual(expansion.compute(molecule).values);
    expect(many[2].values).toEqual(many[0].values);
  });

  it('computeAsync rejects bad input with an Error', async () => {
    await expect(expansion.computeAsync({ ...periodic, positions: periodic.positions.map((v, k) => (k === 4 ? NaN : v)) })).rejects.toThrow(
      /positions\[1\]\[1\]: expected a finite number/,
    );
  });
});

// The pair kernels are specialised for 1..16 radial functions and use
// streaming stores only on 16-byte aligned rows: odd N (unaligned rows),
// N > 16 (the generic kernels) and several neighbour types (zeroed blocks)
// must give the same derivatives as the common case.
describe.each([
  ['odd number of radial functions', 4],
  ['more than 16 radial functions', 16],
] as const)('positions gradient and backward with %s', (_, maxRadial) => {
  const expansion = new SphericalExpansion(hypers(3.5, 0.4, maxRadial, 2));
  const values = (positions: ArrayLike<number>) => expansion.compute({ ...periodic, positions }).values;

  it('positions gradient matches finite differences', () => {
    const block = expansion.compute(periodic, { gradients: ['positions'] });
    const atoms = periodic.types.length;
    const P = block.shape[1];
    const dense = densePositionGradient(block, atoms);
    for (const k of [1, 3 * atoms - 2]) {
      const fd = derivative(values, periodic.positions, k);
      const atom = Math.floor(k / 3), xyz = k % 3;
      const analytic = new Float64Array(block.shape[0] * P);
      for (let i = 0; i < block.shape[0]; i++) {
        analytic.set(dense.subarray(((i * atoms + atom) * 3 + xyz) * P, ((i * atoms + atom) * 3 + xyz + 1) * P), i * P);
      }
      expect(relativeError(analytic, fd), `coordinate ${k}`).toBeLessThan(1e-9);
    }
  });

  it('backward equals the positions and strain gradients contracted with dL/dc', () => {
    const block = expansion.compute(periodic, { gradients: ['positions', 'strain'] });
    const dLdc = Float64Array.from(block.values, (_, k) => Math.sin(0.7 * k));
    const expected = contractGradients(block, dLdc, periodic.types.length);
    const out = expansion.backward(periodic, dLdc);
    expect(relativeError(out.positions, expected.positions)).toBeLessThan(1e-12);
    expect(relativeError(out.strain, expected.strain!)).toBeLessThan(1e-12);
  });
});

describe('threads', () => {
  const saved = getNumThreads();
  afterEach(() => setNumThreads(saved));

  it('1 and 2 OpenMP threads agree to 1e-13 relative (values and all gradients)', () => {
    const system = randomSystem({ seed: 43, atoms: 64, types: [1, 6, 8], cell: [10, 0, 0, 1.5, 9.5, 0, -1, 0.8, 9.8], minDistance: 1.2 });
    const expansion = new SphericalExpansion(hypers(4.0, 0.4, 4, 4));
    const gradients = ['positions', 'strain', 'cell'] as const;
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    const one = expansion.compute(system, { gradients: [...gradients] });
    setNumThreads(2);
    expect(getNumThreads()).toBe(2);
    const two = expansion.compute(system, { gradients: [...gradients] });
    expect(relativeError(two.values, one.values)).toBeLessThan(1e-13);
    expect(two.gradients.positions!.samples!.values).toEqual(one.gradients.positions!.samples!.values);
    for (const kind of gradients) expect(relativeError(two.gradients[kind]!.values, one.gradients[kind]!.values)).toBeLessThan(1e-13);
  });
});

// The cutoff functions on a dimer (each neighbour's f_c I_nl Y_lm, continuity
// at the cutoff, the centre's own density) are C++ tests:
// native/tests/soap_cutoff_test.cpp.

describe('splines', () => {
  it('spline_accuracy null (exact) and the default agree within 1e-7', () => {
    const exact = new SphericalExpansion(hypers(4.5, 0.3, 6, 6, { type: 'ShiftedCosine', width: 0.5 }, null));
    const splined = new SphericalExpansion(hypers(4.5, 0.3, 6, 6));
    for (const system of [periodic, molecule]) {
      const e = exact.compute(system, { gradients: ['positions'] });
      const s = splined.compute(system, { gradients: ['positions'] });
      const err = relativeError(s.values, e.values);
      expect(err).toBeLessThan(1e-7);
      expect(err).toBeGreaterThan(0);
      expect(relativeError(s.gradients.positions!.values, e.gradients.positions!.values)).toBeLessThan(1e-5);
    }
  });
});
