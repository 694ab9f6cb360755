// Reliability corpus for Ewald: bad options, NaN / missing charges, bad and
// singular cells, overlapping atoms, huge claimed sizes; each case throws an
// Error naming the problem and the next valid call is bit-identical to one
// made before. Left-handed cells are valid and equal their right-handed twin.
import { describe, expect, it } from 'vitest';
import { Ewald, type EwaldOptions, type System } from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';
import { CaseCounter, differences, hugeArrayLike, maxRelative } from '../support/reliability.js';
import { DATA_DIR } from '../support/reference.js';
import { cellDeterminant } from '../../lib/core/system.js';

const counter = new CaseCounter('Ewald');
const frame = readExtxyz(`${DATA_DIR}/nacl-melt-64.xyz`)[0];
const cell = Float64Array.from(frame.cell!);
const melt: System = { positions: frame.positions, types: frame.types, cell, pbc: [true, true, true] };
const charges = { 11: 1, 17: -1 };
const ewald = new Ewald({ charges, accuracy: 1e-8 });
const reference = ewald.compute(melt, { forces: true, stress: true });
const molecule: System = { positions: [0, 0, 0, 2.4, 0, 0, 0, 2.6, 0.3], types: [11, 17, 17] };
const moleculeReference = ewald.compute(molecule);

function stillWorks(): void {
  const r = ewald.compute(melt, { forces: true, stress: true });
  expect(r.energy).toBe(reference.energy);
  expect(differences(r.forces, reference.forces)).toBe(0);
  expect(differences(r.stress, reference.stress)).toBe(0);
  expect(ewald.compute(molecule).energy).toBe(moleculeReference.energy);
}

const positionsWith = (k: number, value: number) => Float64Array.from(frame.positions, (v, i) => (i === k ? value : v));
const atomOnto = (i: number, j: number, shift: number[] = [0, 0, 0]) => {
  const p = Float64Array.from(frame.positions);
  for (let x = 0; x < 3; x++) p[3 * i + x] = p[3 * j + x] + shift[x];
  return p;
};

const badOptions: [string, () => EwaldOptions, RegExp][] = [
  ['NaN charge in a table', () => ({ charges: { 11: Number.NaN, 17: -1 } }), /charges\[11\] must be a finite number, got NaN/],
  ['Infinity charge in a table', () => ({ charges: { 11: 1, 17: -Infinity } }), /charges\[17\] must be a finite number, got -Infinity/],
  ['NaN in per-atom charges', () => ({ charges: Float64Array.from({ length: 64 }, (_, i) => (i === 5 ? Number.NaN : 1)) }), /charges\[5\] must be a finite number, got NaN/],
  ['string charge', () => ({ charges: { 11: '1' as never } }), /charges\[11\] must be a finite number, got 1/],
  ['charges a number', () => ({ charges: 1 as never }), /charges must be an object \{atomicNumber: value\} or an array/],
  ['charges null', () => ({ charges: null as never }), /charges must be an object/],
  ['negative dispersion', () => ({ dispersion: { 11: -2 } }), /dispersion\[11\] must be >= 0, got -2/],
  ['NaN dispersion', () => ({ dispersion: { 11: Number.NaN } }), /dispersion\[11\] must be a finite number/],
  ['no charges nor dispersion', () => ({}), /give charges and\/or dispersion coefficients/],
  ['unknown option', () => ({ charges, smearingWidth: 1 }) as never, /unknown option 'smearingWidth'/],
  ['exponent 2', () => ({ charges, exponent: 2 as never }), /exponent must be 1 or 6, got 2/],
  ['accuracy 0', () => ({ charges, accuracy: 0 }), /accuracy must be a number between 1e-15 and 1, got 0/],
  ['accuracy NaN', () => ({ charges, accuracy: Number.NaN }), /accuracy must be a number between 1e-15 and 1, got NaN/],
  ['accuracy 2', () => ({ charges, accuracy: 2 }), /accuracy must be a number between/],
  ['negative smearing', () => ({ charges, smearing: -1 }), /smearing must be a positive finite number, got -1/],
  ['NaN cutoff', () => ({ charges, cutoff: Number.NaN }), /cutoff must be a positive finite number, got NaN/],
  ['Infinity cutoff', () => ({ charges, cutoff: Infinity }), /cutoff must be a positive finite number, got Infinity/],
  ['string kCutoff', () => ({ charges, kCutoff: '3' as never }), /kCutoff must be a positive finite number/],
  ['options null', () => null as never, /expected an options object/],
];

describe('Ewald: bad options', () => {
  for (const [name, make, message] of badOptions) {
    it(name, () => void counter.throws(() => new Ewald(make()), message, stillWorks, name));
  }
});

const badSystems: [string, () => System, RegExp, Ewald?][] = [
  ['NaN position', () => ({ ...melt, positions: positionsWith(7, Number.NaN) }), /positions\[2\]\[1\]: expected a finite number, got NaN/],
  ['Infinity position', () => ({ ...melt, positions: positionsWith(0, Infinity) }), /positions\[0\]\[0\]: expected a finite number, got Infinity/],
  ['NaN in the cell', () => ({ ...melt, cell: Float64Array.from(cell, (v, k) => (k === 4 ? Number.NaN : v)) }), /cell\[1\]\[1\]: expected a finite number, got NaN/],
  ['singular cell (equal rows)', () => ({ ...melt, cell: [12.6, 0, 0, 12.6, 0, 0, 0, 0, 12.6] }), /cell: the lattice vectors are linearly dependent/],
  ['singular cell (flat)', () => ({ ...melt, cell: [12.6, 0, 0, 0, 12.6, 0, 5, 5, 0] }), /cell: the lattice vectors are linearly dependent/],
  // (the message names the atoms, or, from the PME-era direct space sum, just the problem)
  ['two atoms on top of each other', () => ({ ...melt, positions: atomOnto(3, 10) }), /atoms (3 and 10|10 and 3) are at the same position|two atoms sit at the same position/],
  ['an atom on a periodic image of another', () => ({ ...melt, positions: atomOnto(3, 10, [12.6, 0, -12.6]) }), /atoms (3 and 10|10 and 3) are at the same position \(or at the same periodic image\)|two atoms sit at the same position/],
  ['molecule: two atoms on top of each other', () => ({ positions: [0, 0, 0, 1, 1, 1, 0, 0, 0], types: [11, 17, 17] }), /two atoms sit at the same position; the pair energy is infinite/],
  ['per-atom charges of the wrong length', () => melt, /charges has 3 values but the system has 64 atoms/, new Ewald({ charges: [1, -1, 1] })],
  ['a species without a charge', () => ({ ...melt, types: Int32Array.from(frame.types, (t, i) => (i === 9 ? 19 : t)) }), /charges has no value for atomic number 19 \(atom 9\)/],
  ['fewer positions than types', () => ({ ...melt, types: [...frame.types, 11] }), /positions: expected 195 numbers \(3 per atom for 65 types\), got 192/],
  ['1e9 atoms claimed by the types (mismatched arrays)', () => ({ positions: [0, 0, 0], types: hugeArrayLike(1e9, 11) }), /positions: expected 3000000000 numbers \(3 per atom for 1000000000 types\), got 3/],
  ['3e9 position numbers claimed (mismatched arrays)', () => ({ positions: hugeArrayLike(3e9, 0), types: [11] }), /positions: expected 3 numbers \(3 per atom for 1 types\), got 3000000000/],
  ['types not an array', () => ({ positions: [0, 0, 0], types: 11 as never }), /types: expected an array of atomic numbers/],
  ['k-space cutoff beyond the grid limit', () => melt, /k_cutoff: .* needs more than \d+ reciprocal vectors along one cell axis/, new Ewald({ charges, kCutoff: 1e4 })],
  ['smearing so small the k-space sum explodes', () => melt, /k_cutoff: .* reciprocal vectors/, new Ewald({ charges, smearing: 1e-6 })],
];

describe('Ewald: bad systems', () => {
  for (const [name, make, message, calculator] of badSystems) {
    it(name, () => {
      const system = make();
      const stress = system.cell !== undefined && system.cell !== null;
      counter.throws(() => (calculator ?? ewald).compute(make(), { forces: true, stress }), message, stillWorks, name);
      // parametersFor validates the input but does not look at distances or grid sizes
      if (!/top of each other|periodic image|k-space|smearing/.test(name)) {
        counter.throws(() => (calculator ?? ewald).parametersFor(make()), message, stillWorks, `${name} (parametersFor)`);
      }
    });
  }

  it('computeAsync rejects with the same messages', async () => {
    for (const [name, make, message, calculator] of badSystems) {
      await counter.rejects(() => (calculator ?? ewald).computeAsync(make()), message, stillWorks, `${name} (async)`);
    }
    const r = await ewald.computeAsync(melt, { forces: true, stress: true });
    expect(r.energy).toBe(reference.energy);
  });

  it('stress of a molecule is refused', () => {
    counter.throws(() => ewald.compute(molecule, { stress: true }), /stress: the system has no cell/, stillWorks);
  });
});

describe('Ewald: valid edge cases', () => {
  it('left-handed cells give the right-handed results (negated row, swapped rows, -h)', () => {
    const h = Array.from(cell);
    const variants = [
      h.map((v, k) => (k >= 3 && k < 6 ? -v : v)), // a2 -> -a2
      [...h.slice(3, 6), ...h.slice(0, 3), ...h.slice(6, 9)], // a1 <-> a2
      h.map((v) => -v), // all three negated
    ];
    for (const leftHanded of variants) {
      const det = cellDeterminant(leftHanded);
      expect(det).toBeLessThan(0);
      const r = counter.accepts(() => ewald.compute({ ...melt, cell: leftHanded }, { forces: true, stress: true }));
      expect(Math.abs(r.energy - reference.energy)).toBeLessThan(1e-10 * Math.abs(reference.energy));
      expect(maxRelative(r.forces!, reference.forces!)).toBeLessThan(1e-9);
      expect(maxRelative(r.stress!, reference.stress!)).toBeLessThan(1e-9);
      expect(ewald.parameters!.method).toBe('ewald');
    }
    stillWorks();
  });

  it('a skewed but equivalent cell (a2 + a1) gives the same energy', () => {
    const h = Array.from(cell);
    const skewed = [...h.slice(0, 3), h[3] + h[0], h[4] + h[1], h[5] + h[2], ...h.slice(6, 9)];
    const r = counter.accepts(() => ewald.compute({ ...melt, cell: skewed }, { forces: true }));
    expect(Math.abs(r.energy - reference.energy)).toBeLessThan(1e-7 * Math.abs(reference.energy));
    expect(maxRelative(r.forces!, reference.forces!)).toBeLessThan(1e-6);
    stillWorks();
  });

  it('an empty molecule has zero energy', () => {
    const r = counter.accepts(() => ewald.compute({ positions: [], types: [] }));
    expect(r.energy).toBe(0);
    expect(r.forces!.length).toBe(0);
    stillWorks();
  });

  it('an empty periodic cell has zero energy, no forces and zero stress', () => {
    const r = counter.accepts(() => ewald.compute({ positions: [], types: [], cell }, { stress: true }));
    expect(r.energy).toBe(0);
    expect(r.forces!.length).toBe(0);
    expect(r.stress!.every((v) => v === 0)).toBe(true);
    stillWorks();
  });
});

describe('Ewald: sizes that would not finish', () => {
  it('a real-space cutoff of 1e5 A in a 12.6 A cell is refused, not summed over ~1e12 images', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const fixture = fileURLToPath(new URL('../fixtures/reliability/ewald-huge-cutoff.mjs', import.meta.url));
    const input = { positions: Array.from(frame.positions), types: Array.from(frame.types), cell: Array.from(cell), cutoff: 1e5 };
    counter.tried++;
    const child = spawnSync(process.execPath, [fixture, JSON.stringify(input)], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    expect(child.signal, 'the computation did not finish within 15 s (killed)').toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/^error: .*cutoff/);
  }, 30_000);
});
