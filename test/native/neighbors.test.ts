// Linked-cell neighbour list (half list with cell shifts) against a brute
// force sum over periodic images written here.
import { afterEach, describe, expect, it } from 'vitest';
import { native, type NativeSystem } from '../../lib/native/addon.js';
import { toNativeSystem } from '../../lib/core/system.js';
import { getNumThreads, setNumThreads } from '../../lib/core/threads.js';
import { rng, TRICLINIC_CELL } from '../support/random-systems.js';

type Pbc = [boolean, boolean, boolean];

interface PairEntry {
  i: number;
  j: number;
  shift: [number, number, number];
  vector: [number, number, number];
  distance: number;
}

const key = (i: number, j: number, s: ArrayLike<number>) => `${i},${j},${s[0]},${s[1]},${s[2]}`;

function invert3(h: ArrayLike<number>): number[] {
  const [a, b, c, d, e, f, g, hh, i] = Array.from(h);
  const det = a * (e * i - f * hh) - b * (d * i - f * g) + c * (d * hh - e * g);
  return [
    (e * i - f * hh) / det, (c * hh - b * i) / det, (b * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * hh - e * g) / det, (b * g - a * hh) / det, (a * e - b * d) / det,
  ];
}

/** Distance between lattice planes spanned by the two other lattice vectors. */
function planeDistances(h: ArrayLike<number>): number[] {
  const row = (k: number) => [h[3 * k], h[3 * k + 1], h[3 * k + 2]];
  const cross = (u: number[], v: number[]) => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const a = row(0), b = row(1), c = row(2);
  const volume = Math.abs(a[0] * cross(b, c)[0] + a[1] * cross(b, c)[1] + a[2] * cross(b, c)[2]);
  return [cross(b, c), cross(c, a), cross(a, b)].map((n) => volume / Math.hypot(n[0], n[1], n[2]));
}

/**
 * Every (i <= j, shift) with 0 < |r_j - r_i + shift . H| < cutoff; for i == j
 * only lexicographically positive shifts. Shifts run over a box that
 * certainly holds every image, whatever the fractional coordinates.
 */
function bruteForce(system: NativeSystem, cutoff: number): Map<string, PairEntry> {
  const n = system.types.length;
  const r = system.positions;
  const out = new Map<string, PairEntry>();
  const h = system.cell ?? [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const range = [0, 0, 0];
  if (system.cell) {
    const inv = invert3(system.cell);
    const d = planeDistances(system.cell);
    for (let a = 0; a < 3; a++) {
      if (!system.pbc[a]) continue;
      let lo = Infinity, hi = -Infinity;
      for (let k = 0; k < n; k++) {
        const s = r[3 * k] * inv[a] + r[3 * k + 1] * inv[3 + a] + r[3 * k + 2] * inv[6 + a];
        lo = Math.min(lo, s);
        hi = Math.max(hi, s);
      }
      range[a] = Math.ceil(cutoff / d[a] + (hi - lo)) + 1;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      for (let s0 = -range[0]; s0 <= range[0]; s0++) {
        for (let s1 = -range[1]; s1 <= range[1]; s1++) {
          for (let s2 = -range[2]; s2 <= range[2]; s2++) {
            if (i === j && !(s0 > 0 || (s0 === 0 && (s1 > 0 || (s1 === 0 && s2 > 0))))) continue;
            const v: [number, number, number] = [0, 1, 2].map(
              (x) => r[3 * j + x] - r[3 * i + x] + s0 * h[x] + s1 * h[3 + x] + s2 * h[6 + x],
            ) as [number, number, number];
            const dist = Math.hypot(...v);
            if (dist < cutoff) out.set(key(i, j, [s0, s1, s2]), { i, j, shift: [s0, s1, s2], vector: v, distance: dist });
          }
        }
      }
    }
  }
  return out;
}

function linkedCells(system: NativeSystem, cutoff: number): Map<string, PairEntry> {
  const list = native.neighborList(system, cutoff);
  const count = list.first.length;
  expect(list.second.length).toBe(count);
  expect(list.shifts.length).toBe(3 * count);
  expect(list.vectors.length).toBe(3 * count);
  expect(list.distances.length).toBe(count);
  const out = new Map<string, PairEntry>();
  for (let p = 0; p < count; p++) {
    const shift = Array.from(list.shifts.subarray(3 * p, 3 * p + 3)) as [number, number, number];
    const k = key(list.first[p], list.second[p], shift);
    // every pair once
    expect(out.has(k), `pair ${k} listed twice`).toBe(false);
    out.set(k, {
      i: list.first[p],
      j: list.second[p],
      shift,
      vector: Array.from(list.vectors.subarray(3 * p, 3 * p + 3)) as [number, number, number],
      distance: list.distances[p],
    });
  }
  return out;
}

/** Compares the half list to brute force: same pairs, vectors and distances from the shifts. */
function compare(system: NativeSystem, cutoff: number): Map<string, PairEntry> {
  const expected = bruteForce(system, cutoff);
  const actual = linkedCells(system, cutoff);
  const missing = [...expected.keys()].filter((k) => !actual.has(k));
  const extra = [...actual.keys()].filter((k) => !expected.has(k));
  expect(missing, 'pairs missing from the linked-cell list').toEqual([]);
  expect(extra, 'pairs the brute force does not find').toEqual([]);
  for (const [k, e] of expected) {
    const a = actual.get(k)!;
    expect(a.i).toBeLessThanOrEqual(a.j);
    for (let x = 0; x < 3; x++) expect(Math.abs(a.vector[x] - e.vector[x]), k).toBeLessThan(1e-10);
    expect(Math.abs(a.distance - e.distance)).toBeLessThan(1e-10);
    expect(Math.abs(a.distance - Math.hypot(...a.vector))).toBeLessThan(1e-12);
    for (let x = 0; x < 3; x++) if (!system.pbc[x]) expect(a.shift[x]).toBe(0);
  }
  return actual;
}

function makeSystem(options: {
  seed: number;
  atoms: number;
  cell: number[] | null;
  pbc?: Pbc;
  /** fractional coordinates drawn in [lo, hi) (outside [0, 1) tests folding). */
  range?: [number, number];
  box?: number;
}): NativeSystem {
  const random = rng(options.seed);
  const [lo, hi] = options.range ?? [0, 1];
  const positions: number[] = [];
  for (let k = 0; k < options.atoms; k++) {
    const f = [0, 1, 2].map(() => lo + (hi - lo) * random());
    if (options.cell) {
      const c = options.cell;
      positions.push(...[0, 1, 2].map((x) => f[0] * c[x] + f[1] * c[3 + x] + f[2] * c[6 + x]));
    } else {
      positions.push(...f.map((v) => v * (options.box ?? 8)));
    }
  }
  return toNativeSystem({
    positions,
    types: Array.from({ length: options.atoms }, (_, k) => [1, 6, 8][k % 3]),
    cell: options.cell,
    pbc: options.pbc ?? (options.cell ? [true, true, true] : [false, false, false]),
  });
}

// A strongly skewed cell: small distances between lattice planes compared to
// the lengths of the lattice vectors.
const SKEWED = [4.5, 0, 0, 4.1, 1.7, 0, -3.2, 1.1, 2.6];

describe('neighbour list vs brute force', () => {
  it('triclinic cell, cutoff below half the cell', () => {
    const list = compare(makeSystem({ seed: 1, atoms: 30, cell: TRICLINIC_CELL }), 2.9);
    expect(list.size).toBeGreaterThan(30);
  });

  it('skewed triclinic cells, several seeds and cutoffs', () => {
    for (const seed of [2, 3, 4]) {
      for (const cutoff of [1.5, 3.0]) compare(makeSystem({ seed, atoms: 12, cell: SKEWED }), cutoff);
    }
  });

  it('cutoff larger than half the cell: several images of one atom', () => {
    const system = makeSystem({ seed: 5, atoms: 6, cell: SKEWED });
    const list = compare(system, 6.5);
    // some pair (i, j) appears with several different shifts
    const images = new Map<string, number>();
    for (const p of list.values()) images.set(`${p.i},${p.j}`, (images.get(`${p.i},${p.j}`) ?? 0) + 1);
    expect(Math.max(...images.values())).toBeGreaterThan(5);
  });

  it('an atom sees its own images (one atom in a small cell)', () => {
    const cell = [2.1, 0, 0, 0.7, 2.3, 0, 0.4, -0.5, 2.2];
    const system = toNativeSystem({ positions: [0.3, 0.2, 0.1], types: [14], cell });
    const cutoff = 5.0;
    const list = compare(system, cutoff);
    expect(list.size).toBeGreaterThan(10);
    for (const p of list.values()) {
      expect(p.i).toBe(0);
      expect(p.j).toBe(0);
      // the vector of a self-image is the lattice vector shift . H
      for (let x = 0; x < 3; x++) {
        const lattice = p.shift[0] * cell[x] + p.shift[1] * cell[3 + x] + p.shift[2] * cell[6 + x];
        expect(Math.abs(p.vector[x] - lattice)).toBeLessThan(1e-12);
      }
      // half list: exactly one of shift / -shift
      expect(list.has(key(0, 0, p.shift.map((v) => -v)))).toBe(false);
    }
  });

  it('very large cutoff compared to a skewed cell (many images, few atoms)', () => {
    compare(makeSystem({ seed: 6, atoms: 3, cell: SKEWED }), 9.0);
  });

  it('positions outside the cell: shifts refer to the unwrapped positions', () => {
    compare(makeSystem({ seed: 7, atoms: 15, cell: TRICLINIC_CELL, range: [-1.7, 2.4] }), 3.3);
    compare(makeSystem({ seed: 8, atoms: 8, cell: SKEWED, range: [-3, -1] }), 4.0);
  });

  it('mixed periodicity [true, false, true]', () => {
    const list = compare(makeSystem({ seed: 9, atoms: 14, cell: SKEWED, pbc: [true, false, true], range: [-0.5, 1.5] }), 3.5);
    expect([...list.values()].some((p) => p.shift[0] !== 0 || p.shift[2] !== 0)).toBe(true);
    compare(makeSystem({ seed: 10, atoms: 10, cell: TRICLINIC_CELL, pbc: [false, true, false] }), 7.0);
    compare(makeSystem({ seed: 11, atoms: 10, cell: TRICLINIC_CELL, pbc: [false, false, true] }), 4.0);
  });

  it('a cell with pbc all false is not periodic', () => {
    const list = compare(makeSystem({ seed: 12, atoms: 12, cell: SKEWED, pbc: [false, false, false] }), 3.0);
    for (const p of list.values()) expect(p.shift).toEqual([0, 0, 0]);
  });

  it('non-periodic molecules (no cell), compact and sparse', () => {
    compare(makeSystem({ seed: 13, atoms: 25, cell: null, box: 6 }), 3.0);
    compare(makeSystem({ seed: 14, atoms: 25, cell: null, box: 60 }), 7.0);
    // cutoff far larger than the molecule: all pairs
    const list = compare(makeSystem({ seed: 15, atoms: 9, cell: null, box: 3 }), 50);
    expect(list.size).toBe((9 * 8) / 2);
    // flat molecule (zero extent along z)
    compare(toNativeSystem({ positions: [0, 0, 0, 1, 0, 0, 0, 1.2, 0, 2, 2, 0], types: [1, 1, 1, 1] }), 1.5);
  });

  it('empty and single-atom systems', () => {
    expect(native.neighborList(toNativeSystem({ positions: [], types: [] }), 3).first.length).toBe(0);
    expect(native.neighborList(toNativeSystem({ positions: [1, 2, 3], types: [1] }), 3).first.length).toBe(0);
    expect(native.neighborList(toNativeSystem({ positions: [], types: [], cell: TRICLINIC_CELL }), 3).first.length).toBe(0);
  });

  it('pairs exactly at the cutoff are excluded, just inside are included', () => {
    const system = toNativeSystem({ positions: [0, 0, 0, 2, 0, 0, 0, 2 - 1e-9, 0], types: [1, 1, 1] });
    const list = linkedCells(system, 2);
    expect(list.has(key(0, 1, [0, 0, 0]))).toBe(false);
    expect(list.has(key(0, 2, [0, 0, 0]))).toBe(true);
  });
});

describe('neighbour list threads', () => {
  const saved = getNumThreads();
  afterEach(() => setNumThreads(saved));

  it('1 and 2 threads give the same list in the same order', () => {
    const system = makeSystem({ seed: 16, atoms: 200, cell: [12, 0, 0, 2, 11, 0, -1, 1.5, 10.5] });
    setNumThreads(1);
    const one = native.neighborList(system, 4.0);
    setNumThreads(2);
    const two = native.neighborList(system, 4.0);
    expect(two.first).toEqual(one.first);
    expect(two.second).toEqual(one.second);
    expect(two.shifts).toEqual(one.shifts);
    expect(two.vectors).toEqual(one.vectors);
  });
});

describe('neighbour list errors', () => {
  const system = makeSystem({ seed: 17, atoms: 4, cell: TRICLINIC_CELL });

  it('rejects a non-positive or non-finite cutoff', () => {
    for (const cutoff of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => native.neighborList(system, cutoff)).toThrow(/cutoff must be a positive finite number/);
    }
    compare(system, 3);
  });

  it('rejects atoms on top of each other (or of a periodic image), naming them', () => {
    const overlapping = toNativeSystem({ positions: [0, 0, 0, 1, 1, 1, 0, 0, 0], types: [1, 1, 1] });
    expect(() => native.neighborList(overlapping, 2)).toThrow(/atoms [02] and [02] are at the same position/);
    const image = toNativeSystem({
      positions: [0.5, 0.5, 0.5, 0.5 + TRICLINIC_CELL[0], 0.5 + TRICLINIC_CELL[1], 0.5 + TRICLINIC_CELL[2]],
      types: [1, 1],
      cell: TRICLINIC_CELL,
    });
    expect(() => native.neighborList(image, 2)).toThrow(/atoms [01] and [01] are at the same position/);
    compare(system, 3);
  });
});
