// The pure helpers and the option parsing of the dimer accuracy report: no data file, no fitting.
import { describe, expect, it } from 'vitest';
import {
  chargeTransfer,
  closestIntermolecular,
  extrapolationSplit,
  heldOutPairs,
  interpolationSplit,
  isFar,
  leavePairsOutSplit,
  monomers,
} from '../../bench/support/dimers.js';
import { dimerSettings } from '../../bench/accuracy-dimers.js';

// Molecule A: a 3-atom chain on the x axis; molecule B: 2 atoms placed so the
// closest A-B pair is A's atom at x = 2 and B's atom at (2, 6, 8): 10 A apart.
// A's atoms are each other's nearest neighbours (1 A), which a criterion that
// mixed up intra- and intermolecular pairs would report instead.
const positions = Float64Array.from([
  0, 0, 0,
  1, 0, 0,
  2, 0, 0,
  2, 6, 8,
  2, 7, 9,
]);
const types = Int32Array.from([8, 1, 1, 6, 17]);

describe('far frames', () => {
  it('measures the closest pair of atoms from different molecules', () => {
    expect(closestIntermolecular(positions, 3)).toBeCloseTo(10, 12);
    // Split after the first atom: A = {0}, closest to B is atom 1 at 1 A.
    expect(closestIntermolecular(positions, 1)).toBeCloseTo(1, 12);
  });

  it('is far only beyond cutoff + 1 A', () => {
    expect(isFar(positions, 3, 8.9)).toBe(true); // 10 > 9.9
    expect(isFar(positions, 3, 9)).toBe(false); // 10 is not > 10
    expect(isFar(positions, 3, 9.1)).toBe(false);
  });
});

describe('monomers', () => {
  it('cuts the first atomsA atoms as molecule A, the rest as B, in vacuum', () => {
    const [a, b] = monomers({ positions, types }, 3);
    expect(Array.from(a.types)).toEqual([8, 1, 1]);
    expect(Array.from(b.types)).toEqual([6, 17]);
    expect(Array.from(a.positions as Float64Array)).toEqual([0, 0, 0, 1, 0, 0, 2, 0, 0]);
    expect(Array.from(b.positions as Float64Array)).toEqual([2, 6, 8, 2, 7, 9]);
    expect(a.cell ?? null).toBeNull();
    expect(b.pbc).toEqual([false, false, false]);
  });

  it('copies, so a model cannot alter the dimer through a monomer', () => {
    const [a] = monomers({ positions, types }, 3);
    (a.positions as Float64Array)[0] = 42;
    expect(positions[0]).toBe(0);
  });
});

describe('charge transfer', () => {
  // Anion A (3 atoms, formal -1) and cation B (+1); B's charges do not enter.
  const frame = (charges?: number[]) => ({ positions, types, arrays: charges ? { charges: Float64Array.from(charges) } : {} }) as never;
  it("is how far molecule A's partial charges sum from its formal charge", () => {
    expect(chargeTransfer({ frame: frame([-0.5, -0.3, -0.2, 0.7, 0.3]), atomsA: 3, charges: [-1, 1] })).toBeCloseTo(0, 12);
    // 0.08 e moved back from the anion to the cation: A holds -0.92.
    expect(chargeTransfer({ frame: frame([-0.5, -0.3, -0.12, 0.6, 0.32]), atomsA: 3, charges: [-1, 1] })).toBeCloseTo(0.08, 12);
    // With atomsA wrong by one, A would hold -0.8 and look 0.2 e short.
    expect(chargeTransfer({ frame: frame([-0.5, -0.3, -0.12, 0.6, 0.32]), atomsA: 2, charges: [-1, 1] })).toBeCloseTo(0.2, 12);
  });

  it('is 0 for a frame without partial charges', () => {
    expect(chargeTransfer({ frame: frame(), atomsA: 3, charges: [-1, 1] })).toBe(0);
  });
});

// A synthetic data set shaped like xtb-dimers.xyz: classes with 1 to 3 pairs,
// 6 orientations, 5 distances; `far` from the distance.
const classes: Record<string, string[]> = {
  'charged-charged': ['a+b', 'c+d'],
  'like-charged': ['e+f'],
  'charged-polar': ['g+h', 'i+j', 'k+l'],
  'polar-polar': ['m+n', 'o+p', 'q+r'],
  'charged-apolar': ['s+t', 'u+v'],
  'apolar-apolar': ['w+x', 'y+z', 'ab+cd'],
};
const dimers = Object.entries(classes).flatMap(([cls, pairs]) =>
  pairs.flatMap((pair) =>
    Array.from({ length: 6 }, (_, orientation) => Array.from({ length: 5 }, (_, k) => ({ pair, cls, orientation, distance: 3 + 2 * k }))).flat(),
  ),
);

function expectPartition<T>(split: { train: T[]; test: T[] }, all: T[]) {
  const train = new Set(split.train);
  expect(split.test.some((d) => train.has(d))).toBe(false);
  expect(split.train.length + split.test.length).toBe(all.length);
  expect(split.train.length).toBeGreaterThan(0);
  expect(split.test.length).toBeGreaterThan(0);
}

describe('protocols', () => {
  it('(a) trains on orientations 0-3 and tests on 4-5 of every pair', () => {
    const split = interpolationSplit(dimers);
    expectPartition(split, dimers);
    expect(new Set(split.train.map((d) => d.orientation))).toEqual(new Set([0, 1, 2, 3]));
    expect(new Set(split.test.map((d) => d.orientation))).toEqual(new Set([4, 5]));
    const pairs = new Set(dimers.map((d) => d.pair));
    expect(new Set(split.train.map((d) => d.pair))).toEqual(pairs);
    expect(new Set(split.test.map((d) => d.pair))).toEqual(pairs);
  });

  it('(b) trains on near frames and tests on far ones', () => {
    const far = (d: (typeof dimers)[number]) => d.distance > 8;
    const split = extrapolationSplit(dimers, far);
    expectPartition(split, dimers);
    expect(split.train.every((d) => !far(d))).toBe(true);
    expect(split.test.every(far)).toBe(true);
  });

  it('(c) holds out 4 pairs of different classes, keeping every class in training', () => {
    const heldOut = heldOutPairs(dimers);
    expect(heldOut).toHaveLength(4);
    const heldClasses = heldOut.map((p) => dimers.find((d) => d.pair === p)!.cls);
    expect(new Set(heldClasses).size).toBe(4);
    expect(heldOut).toEqual(heldOutPairs([...dimers].reverse()));
    const split = leavePairsOutSplit(dimers, heldOut);
    expectPartition(split, dimers);
    expect(split.train.some((d) => heldOut.includes(d.pair))).toBe(false);
    expect(new Set(split.test.map((d) => d.pair))).toEqual(new Set(heldOut));
    expect(new Set(split.train.map((d) => d.cls))).toEqual(new Set(Object.keys(classes)));
  });

  it('(c) refuses a held-out pair that is not in the data', () => {
    expect(() => leavePairsOutSplit(dimers, ['nope+nothing'])).toThrow(/nope\+nothing/);
  });
});

describe('the report\'s options', () => {
  it('give the learned charges the distorted monomers\' charges unless told otherwise, and refuse an unknown choice', () => {
    expect(dimerSettings([]).distorted).toBe('charges');
    expect(dimerSettings(['--distorted', 'all']).distorted).toBe('all');
    expect(dimerSettings(['--distorted', 'none']).distorted).toBe('none');
    expect(() => dimerSettings(['--distorted', 'some'])).toThrow(/--distorted: expected a comma-separated list of charges, all, none, got some/);
  });

  it('learn the atomic dipoles beside the charges unless told to carry them by the charges or leave them out', () => {
    expect(dimerSettings([]).dipoles).toBe('learned');
    expect(dimerSettings(['--atomic-dipoles', 'charges']).dipoles).toBe('charges');
    expect(dimerSettings(['--atomic-dipoles', 'none']).dipoles).toBe('none');
    expect(() => dimerSettings(['--atomic-dipoles', 'some'])).toThrow(/--atomic-dipoles: expected a comma-separated list of learned, charges, none, got some/);
    expect(() => dimerSettings(['--no-atomic-dipoles'])).toThrow(/no-atomic-dipoles/);
  });
});
