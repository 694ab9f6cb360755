// Radial distribution function: normalisation (ideal gas -> 1), exact pair
// counts with minimum images in a triclinic cell, errors.
import { describe, expect, it } from 'vitest';
import { createState, Langevin, RadialDistribution, rdfObserver, runMD } from '../../lib/index.js';
import { ARGON, fccLattice, LennardJones } from '../support/pair-potential.js';
import { rng, TRICLINIC_CELL } from '../support/random-systems.js';

const cell = TRICLINIC_CELL;

function uniformFrame(seed: number, atoms: number, types: number[]) {
  const random = rng(seed);
  const positions = new Float64Array(3 * atoms);
  for (let i = 0; i < atoms; i++) {
    const f = [random(), random(), random()];
    for (let x = 0; x < 3; x++) positions[3 * i + x] = f[0] * cell[x] + f[1] * cell[3 + x] + f[2] * cell[6 + x];
  }
  return { positions, types: Int32Array.from({ length: atoms }, (_, i) => types[i % types.length]), cell };
}

/** Pairs (i in a, j in b, any image) closer than rMax, by brute force over many images. */
function bruteForcePairs(frame: ReturnType<typeof uniformFrame>, a: number, b: number, rMax: number): number {
  let count = 0;
  const N = frame.types.length;
  for (let i = 0; i < N; i++) {
    if (frame.types[i] !== a) continue;
    for (let j = 0; j < N; j++) {
      if (frame.types[j] !== b || i === j) continue;
      for (let n0 = -3; n0 <= 3; n0++) for (let n1 = -3; n1 <= 3; n1++) for (let n2 = -3; n2 <= 3; n2++) {
        const d = [0, 1, 2].map((x) => frame.positions[3 * j + x] - frame.positions[3 * i + x] + n0 * cell[x] + n1 * cell[3 + x] + n2 * cell[6 + x]);
        if (Math.hypot(d[0], d[1], d[2]) < rMax) count++;
      }
    }
  }
  return count;
}

describe('radial distribution function', () => {
  const rMax = 2.9; // the smallest face distance of TRICLINIC_CELL is ~5.85 A

  it('an ideal gas gives g(r) = 1 within counting statistics (unlike and like pairs)', () => {
    for (const [pair, label] of [[[11, 17], 'Na-Cl'], [[11, 11], 'Na-Na']] as const) {
      const rdf = new RadialDistribution({ pair: [...pair] as [number, number], rMax, bins: 10 });
      for (let k = 0; k < 200; k++) rdf.accumulate(uniformFrame(1000 + k, 60, [11, 17]));
      const { r, g, frames } = rdf.result();
      expect(frames).toBe(200);
      expect(r[0]).toBeCloseTo(rMax / 20, 12);
      // Expected counts per bin: frames * pairs/V * shell volume; Poisson error 1/sqrt(count).
      const V = 6.2 * 5.9 * 6.4;
      const pairs = label === 'Na-Cl' ? 30 * 30 : 30 * 29;
      let total = 0, expected = 0;
      for (let k = 0; k < 10; k++) {
        const shell = (4 / 3) * Math.PI * (((k + 1) * rMax / 10) ** 3 - (k * rMax / 10) ** 3);
        const n = (200 * pairs * shell) / V;
        expect(Math.abs(g[k] - 1)).toBeLessThan(5 / Math.sqrt(n));
        total += g[k] * n;
        expected += n;
      }
      expect(Math.abs(total / expected - 1)).toBeLessThan(4 / Math.sqrt(expected));
    }
  });

  it('counts every pair within rMax exactly once, across triclinic boundaries', () => {
    const frame = uniformFrame(7, 40, [11, 17]);
    for (const [a, b] of [[11, 17], [17, 17]]) {
      const rdf = new RadialDistribution({ pair: [a, b], rMax, bins: 50 });
      rdf.accumulate(frame);
      const { coordination } = rdf.result();
      const centres = frame.types.filter((t) => t === a).length;
      const pairs = bruteForcePairs(frame, a, b, rMax);
      expect(pairs).toBeGreaterThan(20);
      expect(coordination[49] * centres).toBeCloseTo(pairs, 9);
    }
  });

  it('a pair split by a skewed boundary lands in the right bin with the right height', () => {
    // Atom 1 sits just across the face spanned by b and c, 1.55 A away through the boundary.
    const p0 = [0.1, 0.2, 0.3];
    const p1 = [p0[0] - 1.55 + cell[0], p0[1] + cell[1], p0[2] + cell[2]];
    const rdf = new RadialDistribution({ pair: ['Na', 'Cl'], rMax: 2.5, bins: 25 });
    rdf.accumulate({ positions: [...p0, ...p1], types: [11, 17], cell });
    const { g, coordination } = rdf.result();
    const V = 6.2 * 5.9 * 6.4;
    const bin = 15; // [1.5, 1.6)
    const shell = (4 / 3) * Math.PI * (1.6 ** 3 - 1.5 ** 3);
    expect(g[bin]).toBeCloseTo(V / shell, 9);
    expect(g.reduce((a, v) => a + v, 0)).toBeCloseTo(V / shell, 9);
    expect(coordination[14]).toBe(0);
    expect(coordination[15]).toBe(1);
  });

  it('accumulates during a run: a Lennard-Jones fluid has an excluded core and a first-shell peak near 2^(1/6) sigma', () => {
    const state = createState(fccLattice(2, 5.8), { temperature: 300, seed: 2 });
    const rdf = new RadialDistribution({ pair: ['Ar', 'Ar'], rMax: 5.8, bins: 58 });
    runMD({ forceField: new LennardJones(ARGON), state, integrator: new Langevin({ dt: 5, temperature: 150, friction: 0.05 }), steps: 300, observers: [rdfObserver(rdf, 10)] });
    const { r, g, frames } = rdf.result();
    expect(frames).toBe(31);
    const peak = r[g.indexOf(Math.max(...g))];
    expect(peak).toBeGreaterThan(3.5);
    expect(peak).toBeLessThan(4.2);
    expect(Math.max(...g)).toBeGreaterThan(1.5);
    for (let k = 0; k < r.length; k++) if (r[k] < 2.8) expect(g[k]).toBe(0);
  });

  it('rejects ambiguous ranges, non-periodic systems and unknown species', () => {
    const rdf = new RadialDistribution({ pair: [11, 17], rMax: 3.5 });
    expect(() => rdf.accumulate(uniformFrame(1, 4, [11, 17]))).toThrow(/rMax 3.5 A exceeds half the smallest cell width/);
    expect(() => new RadialDistribution({ pair: [11, 17], rMax: 2 }).accumulate({ positions: [0, 0, 0], types: [11] })).toThrow(/needs a cell periodic/);
    expect(() => new RadialDistribution({ pair: ['Na', 'Qq'], rMax: 2 })).toThrow(/pair\[1\]: expected an atomic number or a chemical symbol, got "Qq"/);
    expect(() => new RadialDistribution({ pair: [11, 17], rMax: 2 }).result()).toThrow(/no frames/);
  });
});
