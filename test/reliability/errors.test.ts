// Bad-input corpus for SphericalExpansion, SoapPowerSpectrum and system
// validation: every case throws an Error naming the field, and a valid call
// made right after still returns the same results as before.
import { describe, expect, it } from 'vitest';
import { SoapPowerSpectrum, SphericalExpansion, type ComputeOptions, type SphericalExpansionHypers, type System } from '../../lib/index.js';
import { relativeError } from '../support/finite-differences.js';
import { randomSystem, TRICLINIC_CELL } from '../support/random-systems.js';

const baseHypers = (): SphericalExpansionHypers => ({
  cutoff: { radius: 3.5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.4 },
  basis: { type: 'TensorProduct', max_angular: 3, radial: { type: 'Gto', max_radial: 2 } },
});

const periodic = randomSystem({ seed: 51, atoms: 8, types: [1, 8], cell: TRICLINIC_CELL });
const valid: System = {
  positions: [[0, 0, 0], [1.0, 0.1, 0], [0.2, 1.1, 0.3], [-0.9, 0.4, 0.6]],
  types: [8, 1, 1, 6],
};

const expansion = new SphericalExpansion(baseHypers());
const powerSpectrum = new SoapPowerSpectrum(baseHypers());
const reference = {
  expansion: expansion.compute(periodic, { gradients: ['positions', 'strain'] }),
  powerSpectrum: powerSpectrum.compute(periodic),
};

/** Number of entries that differ (bitwise equality of doubles; NaN counts as different). */
function differences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let count = 0;
  for (let k = 0; k < a.length; k++) if (!(a[k] === b[k])) count++;
  return count;
}

/** A valid computation right after a bad one gives bit-identical results. */
function stillWorks() {
  const e = expansion.compute(periodic, { gradients: ['positions', 'strain'] });
  expect(differences(e.values, reference.expansion.values)).toBe(0);
  expect(differences(e.gradients.positions!.values, reference.expansion.gradients.positions!.values)).toBe(0);
  expect(differences(e.gradients.strain!.values, reference.expansion.gradients.strain!.values)).toBe(0);
  expect(differences(powerSpectrum.compute(periodic).values, reference.powerSpectrum.values)).toBe(0);
}

function expectError(f: () => unknown, message: RegExp) {
  let error: unknown = null;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected an error matching ${message}`).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(message);
  stillWorks();
}

type Mutable = { [key: string]: Mutable } & Record<string, unknown>;
function hypersWith(change: (h: Mutable) => void): SphericalExpansionHypers {
  const h = baseHypers() as unknown as Mutable;
  change(h);
  return h as unknown as SphericalExpansionHypers;
}

const badHypers: [string, (h: Mutable) => void, RegExp][] = [
  ['unknown top-level name', (h) => (h.gradients = {} as Mutable), /hypers\.gradients: unknown hyper-parameter; expected one of cutoff, density, basis/],
  ['unknown cutoff name', (h) => (h.cutoff.rc = 3 as never), /hypers\.cutoff\.rc: unknown hyper-parameter/],
  ['unknown smoothing name', (h) => (h.cutoff.smoothing.scale = 1 as never), /hypers\.cutoff\.smoothing\.scale: unknown hyper-parameter/],
  ['unknown density name', (h) => (h.density.scaling = {} as Mutable), /hypers\.density\.scaling: unknown hyper-parameter/],
  ['unknown basis name (typo)', (h) => (h.basis.max_angualr = 3 as never), /hypers\.basis\.max_angualr: unknown hyper-parameter/],
  ['unknown radial name', (h) => (h.basis.radial.scale = 1 as never), /hypers\.basis\.radial\.scale: unknown hyper-parameter/],
  ['max_angular 26', (h) => (h.basis.max_angular = 26 as never), /hypers\.basis\.max_angular: expected a number <= 25, got 26/],
  ['max_angular negative', (h) => (h.basis.max_angular = -1 as never), /hypers\.basis\.max_angular: expected a number >= 0/],
  ['max_angular not an integer', (h) => (h.basis.max_angular = 2.5 as never), /hypers\.basis\.max_angular: expected an integer/],
  ['max_angular a string', (h) => (h.basis.max_angular = '3' as never), /hypers\.basis\.max_angular: expected a finite number, got "3"/],
  ['max_radial negative', (h) => (h.basis.radial.max_radial = -1 as never), /hypers\.basis\.radial\.max_radial: expected a number >= 0/],
  ['max_radial missing', (h) => delete h.basis.radial.max_radial, /hypers\.basis\.radial\.max_radial: expected a finite number/],
  ['negative density width', (h) => (h.density.width = -0.3 as never), /hypers\.density\.width: expected a number > 0, got -0.3/],
  ['zero density width', (h) => (h.density.width = 0 as never), /hypers\.density\.width: expected a number > 0/],
  ['density width a string', (h) => (h.density.width = '0.3' as never), /hypers\.density\.width: expected a finite number, got "0.3"/],
  ['cutoff 0', (h) => (h.cutoff.radius = 0 as never), /hypers\.cutoff\.radius: expected a number > 0, got 0/],
  ['cutoff negative', (h) => (h.cutoff.radius = -2 as never), /hypers\.cutoff\.radius: expected a number > 0/],
  ['cutoff NaN', (h) => (h.cutoff.radius = Number.NaN as never), /hypers\.cutoff\.radius: expected a finite number, got NaN/],
  ['cutoff Infinity', (h) => (h.cutoff.radius = Number.POSITIVE_INFINITY as never), /hypers\.cutoff\.radius: expected a finite number, got Infinity/],
  ['smoothing width > cutoff', (h) => (h.cutoff.smoothing.width = 4 as never), /hypers\.cutoff\.smoothing\.width: expected a number <= 3\.5/],
  ['smoothing width 0', (h) => (h.cutoff.smoothing.width = 0 as never), /hypers\.cutoff\.smoothing\.width: expected a number > 0/],
  ['unknown smoothing type', (h) => (h.cutoff.smoothing.type = 'Cosine' as never), /hypers\.cutoff\.smoothing\.type: expected one of 'ShiftedCosine', 'Step', got "Cosine"/],
  ['Step with a width', (h) => (h.cutoff.smoothing = { type: 'Step', width: 0.5 } as never), /hypers\.cutoff\.smoothing\.width: a Step cutoff has no width/],
  ['unknown density type', (h) => (h.density.type = 'SmearedPowerLaw' as never), /hypers\.density\.type: expected one of 'Gaussian'/],
  ['unknown basis type', (h) => (h.basis.type = 'Explicit' as never), /hypers\.basis\.type: expected one of 'TensorProduct'/],
  ['unknown radial type', (h) => (h.basis.radial.type = 'Spline' as never), /hypers\.basis\.radial\.type: expected one of 'Gto'/],
  ['negative radial radius', (h) => (h.basis.radial.radius = -1 as never), /hypers\.basis\.radial\.radius: expected a number > 0/],
  ['negative spline accuracy', (h) => (h.basis.spline_accuracy = -1 as never), /hypers\.basis\.spline_accuracy: expected a number > 0/],
  ['spline accuracy a string', (h) => (h.basis.spline_accuracy = 'high' as never), /hypers\.basis\.spline_accuracy: expected a finite number/],
  [
    'unreachable spline accuracy',
    // smallest basis: the spline refines up to its limit before giving up
    (h) => Object.assign(h.basis, { spline_accuracy: 1e-17, max_angular: 0, radial: { type: 'Gto', max_radial: 0 } }),
    /spline_accuracy 1e-17 cannot be reached/,
  ],
  ['center_atom_weight a string', (h) => (h.density.center_atom_weight = 'one' as never), /hypers\.density\.center_atom_weight: expected a finite number/],
  ['missing cutoff', (h) => delete h.cutoff, /hypers\.cutoff: expected an object/],
  ['cutoff not an object', (h) => (h.cutoff = 3.5 as never), /hypers\.cutoff: expected an object/],
];

describe('bad hyper-parameters', () => {
  for (const [name, change, message] of badHypers) {
    it(`SphericalExpansion: ${name}`, () => expectError(() => new SphericalExpansion(hypersWith(change)), message));
  }

  it('SoapPowerSpectrum: unknown name, max_angular 26, negative width', () => {
    expectError(() => new SoapPowerSpectrum(hypersWith((h) => (h.foo = 1 as never))), /hypers\.foo: unknown hyper-parameter/);
    expectError(() => new SoapPowerSpectrum(hypersWith((h) => (h.basis.max_angular = 26 as never))), /hypers\.basis\.max_angular: expected a number <= 25/);
    expectError(() => new SoapPowerSpectrum(hypersWith((h) => (h.density.width = -1 as never))), /hypers\.density\.width: expected a number > 0/);
  });

  it('null or non-object hypers', () => {
    expectError(() => new SphericalExpansion(null as never), /hypers: expected an object with keys cutoff, density, basis/);
    expectError(() => new SphericalExpansion([] as never), /hypers: expected an object/);
  });

  it('max_angular 25 is accepted', () => {
    const x = new SphericalExpansion(hypersWith((h) => (h.basis.max_angular = 25 as never))).compute(valid);
    expect(x.shape[1]).toBe(26 * 26 * 3 * 3);
    expect(x.values.every(Number.isFinite)).toBe(true);
  });
});

const perturbed = (k: number, value: number) => periodic.positions.map((v, i) => (i === k ? value : v));

const badSystems: [string, () => System | System[], RegExp][] = [
  ['NaN position', () => ({ ...periodic, positions: perturbed(4, Number.NaN) }), /positions\[1\]\[1\]: expected a finite number, got NaN/],
  ['Infinity position', () => ({ ...periodic, positions: perturbed(8, Number.POSITIVE_INFINITY) }), /positions\[2\]\[2\]: expected a finite number, got Infinity/],
  ['-Infinity position (nested arrays)', () => ({ ...valid, positions: [[0, 0, 0], [1, 0, -Infinity], [0, 1, 0], [1, 1, 1]] }), /positions\[1\]\[2\]: expected a finite number/],
  ['NaN in the cell', () => ({ ...periodic, cell: TRICLINIC_CELL.map((v, k) => (k === 5 ? Number.NaN : v)) }), /cell\[1\]\[2\]: expected a finite number, got NaN/],
  ['fewer positions than types', () => ({ ...valid, types: [8, 1, 1, 6, 1] }), /system\.positions: expected 15 numbers \(3 per atom for 5 types\), got 12/],
  ['more positions than types', () => ({ positions: [0, 0, 0, 1, 0, 0, 0, 1, 0, 9], types: [1, 1, 1] }), /system\.positions: expected 9 numbers/],
  ['a position row of 2 numbers', () => ({ ...valid, positions: [[0, 0, 0], [1, 0], [0, 1, 0], [1, 1, 1]] }), /system\.positions\[1\]: expected 3 numbers, got 2/],
  ['a position that is a string', () => ({ ...valid, positions: [0, 0, 0, 1, 0, '0', 0, 1, 0, 1, 1, 1] as never }), /system\.positions\[5\]: expected a number, got string/],
  ['non-integer type', () => ({ ...valid, types: [8, 1.5, 1, 6] }), /system\.types\[1\]: expected an integer atomic number, got 1\.5/],
  ['singular cell (two equal rows)', () => ({ ...periodic, cell: [5, 0, 0, 5, 0, 0, 0, 0, 5] }), /cell: the lattice vectors are linearly dependent/],
  ['singular cell (flat)', () => ({ ...periodic, cell: [5, 0, 0, 0, 5, 0, 3, 2, 0] }), /cell: the lattice vectors are linearly dependent/],
  ['cell of 8 numbers', () => ({ ...periodic, cell: TRICLINIC_CELL.slice(0, 8) }), /system\.cell: expected 3x3 \(or 9\) numbers, got 8/],
  ['pbc without a cell', () => ({ ...valid, pbc: true }), /system\.pbc: periodic boundary conditions need a cell/],
  ['pbc of two booleans', () => ({ ...periodic, pbc: [true, false] }), /system\.pbc: expected a boolean or 3 booleans/],
  ['unknown system field', () => ({ ...valid, charges: [1, 1, 1, 1] }) as never, /system\.charges: unknown field/],
  ['missing positions', () => ({ types: [1] }) as never, /system\.positions: missing/],
  ['missing types', () => ({ positions: [0, 0, 0] }) as never, /system\.types: missing/],
  ['not an object', () => 42 as never, /system: expected an object/],
  ['bad second system of a list', () => [periodic, { ...valid, types: [1] }], /systems\[1\]\.positions: expected 3 numbers/],
  ['atoms on top of each other', () => ({ ...valid, positions: [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]] }), /atoms [03] and [03] are at the same position/],
  [
    'an atom on a periodic image of another',
    () => ({ positions: [0.5, 0.5, 0.5, 0.5 + 6.2, 0.5, 0.5, 2, 2, 2], types: [1, 1, 8], cell: TRICLINIC_CELL }),
    /atoms [01] and [01] are at the same position \(or at the same periodic image\)/,
  ],
];

describe('bad systems', () => {
  for (const [name, make, message] of badSystems) {
    it(`SphericalExpansion: ${name}`, () => expectError(() => expansion.compute(make()), message));
    it(`SoapPowerSpectrum: ${name}`, () => expectError(() => powerSpectrum.compute(make()), message));
  }

  it('computeAsync rejects with the same messages', async () => {
    for (const [, make, message] of badSystems.slice(0, 4)) {
      await expect(expansion.computeAsync(make())).rejects.toThrow(message);
      await expect(powerSpectrum.computeAsync(make())).rejects.toThrow(message);
    }
    stillWorks();
  });
});

const badOptions: [string, ComputeOptions, RegExp][] = [
  ['centre out of range', { centers: [0, 8] }, /centers\[0\]\[1\]: atom index 8 is out of range for a system of 8 atoms/],
  ['negative centre', { centers: [-1] }, /centers\[0\]\[0\]: atom index -1 is out of range/],
  ['repeated centre', { centers: [2, 2] }, /centers\[0\]: expected unique atom indices in increasing order/],
  ['unsorted centres', { centers: [3, 1] }, /centers\[0\]: expected unique atom indices in increasing order/],
  ['non-integer centre', { centers: [0.5] }, /options\.centers\[0\]\[0\]: expected an integer atom index/],
  ['centres for two systems with one system', { centers: [[0], [1]] }, /options\.centers: expected one list per system \(1\), got 2/],
  ['unsorted neighbour types', { neighborTypes: [8, 1] }, /neighborTypes: expected unique types in increasing order/],
  ['repeated neighbour types', { neighborTypes: [1, 1] }, /neighborTypes: expected unique types in increasing order/],
  ['non-integer neighbour type', { neighborTypes: [1.5] }, /options\.neighborTypes\[0\]: expected an integer/],
  ['unknown gradient', { gradients: ['forces' as never] }, /options\.gradients: unknown gradient 'forces'/],
  ['unknown option', { selected: [1] } as never, /options\.selected: unknown option/],
];

describe('bad compute options', () => {
  for (const [name, options, message] of badOptions) {
    it(`SphericalExpansion: ${name}`, () => expectError(() => expansion.compute(periodic, options), message));
    it(`SoapPowerSpectrum: ${name}`, () => expectError(() => powerSpectrum.compute(periodic, options), message));
  }

  it('a neighbour type absent from the system is not an error: its columns are zero', () => {
    const x = expansion.compute(periodic, { neighborTypes: [1, 8, 79] });
    const P = x.shape[1], N = 3;
    const full = expansion.compute(periodic);
    let nonzero = 0;
    for (let p = 0; p < P; p++) {
      const t = x.properties.values[4 * p + 2];
      for (let i = 0; i < x.shape[0]; i++) {
        if (t === 79) expect(x.values[i * P + p]).toBe(0);
        else if (x.values[i * P + p] !== 0) nonzero++;
      }
    }
    expect(nonzero).toBeGreaterThan(0);
    expect(P).toBe(16 * 3 * N);
    expect(full.shape[1]).toBe(16 * 2 * N);
    stillWorks();
  });
});

describe('edge cases that are not errors', () => {
  it('empty systems give empty results, alone or with others', () => {
    const empty = { positions: [], types: [] };
    const alone = expansion.compute(empty);
    expect(alone.shape[0]).toBe(0);
    expect(alone.values.length).toBe(0);
    const typed = expansion.compute(empty, { neighborTypes: [1, 8], gradients: ['positions', 'strain'] });
    expect(typed.shape).toEqual([0, 16 * 2 * 3]);
    const mixed = expansion.compute([empty, periodic, { ...empty, cell: TRICLINIC_CELL }], { gradients: ['positions', 'strain'] });
    expect(mixed.shape).toEqual(reference.expansion.shape);
    expect(differences(mixed.values, reference.expansion.values)).toBe(0);
    // samples name system 1
    for (let i = 0; i < mixed.samples.count; i++) expect(mixed.samples.values[2 * i]).toBe(1);
    expect(powerSpectrum.compute(empty).shape[0]).toBe(0);
    expect(expansion.compute([]).shape[0]).toBe(0);
    stillWorks();
  });

  it('nearly coincident atoms (1e-7 A apart) give finite values and gradients', () => {
    const close: System = { ...valid, positions: [[0, 0, 0], [1, 0.1, 0], [0.2, 1.1, 0.3], [3e-8, -4e-8, 6e-8]] };
    for (const calculator of [expansion, powerSpectrum]) {
      const x = calculator.compute(close, { gradients: ['positions', 'strain'] });
      expect(x.values.every(Number.isFinite)).toBe(true);
      expect(x.gradients.positions!.values.every(Number.isFinite)).toBe(true);
      expect(x.gradients.strain!.values.every(Number.isFinite)).toBe(true);
    }
    // and continuous: the l = 0 part approaches that of an atom exactly at the centre
    const a = expansion.compute(close).values;
    const b = expansion.compute({ ...valid, positions: [[0, 0, 0], [1, 0.1, 0], [0.2, 1.1, 0.3], [3e-5, -4e-5, 6e-5]] }).values;
    expect(relativeError(a, b)).toBeLessThan(1e-3);
    stillWorks();
  });

  it('a left-handed cell gives the same features as its right-handed equivalent', () => {
    const h = periodic.cell!;
    const leftHanded = Float64Array.from(h, (v, k) => (k >= 3 && k < 6 ? -v : v)); // a2 -> -a2: same lattice
    const x = expansion.compute(periodic, { gradients: ['positions', 'strain', 'cell'] });
    const y = expansion.compute({ ...periodic, cell: leftHanded }, { gradients: ['positions', 'strain', 'cell'] });
    expect(relativeError(y.values, x.values)).toBeLessThan(1e-13);
    expect(relativeError(y.gradients.strain!.values, x.gradients.strain!.values)).toBeLessThan(1e-12);
    // d/dH: the negated row's derivative flips sign, the others are unchanged
    const P = x.shape[1];
    const flipped = Float64Array.from(x.gradients.cell!.values, (v, k) => (Math.floor(k / P) % 9 >= 3 && Math.floor(k / P) % 9 < 6 ? -v : v));
    expect(relativeError(y.gradients.cell!.values, flipped)).toBeLessThan(1e-12);
    const ps = powerSpectrum.compute({ ...periodic, cell: leftHanded }).values;
    expect(relativeError(ps, powerSpectrum.compute(periodic).values)).toBeLessThan(1e-13);
    stillWorks();
  });

  it('an all-zero cell means no cell', () => {
    const x = expansion.compute({ ...valid, cell: [0, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(differences(x.values, expansion.compute(valid).values)).toBe(0);
  });
});
