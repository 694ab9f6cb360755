// Reference charges moved to carry atomic dipoles (lib/model/dipole-charges.ts):
// the least neutral charges with a dipole (constraints, least, what no
// charges can give left out), each atomic dipole carried on the atom's bonds
// and turning with the molecule, and a charge fit given atomic dipoles
// learning the charges that carry them.
import { describe, expect, it } from 'vitest';
import { fitLinearModel, localHypers, type FeatureSetSpec, type TrainingFrame } from '../../lib/index.js';
import { atomicDipoleCharges, neutralChargesWithDipole } from '../../lib/model/dipole-charges.js';
import { bondedPairs } from '../../lib/model/fragments.js';
import { ChargeModel, type ChargeBaselineSpec } from '../../lib/model/charge-model.js';
import { toNativeSystem } from '../../lib/core/system.js';
import { randomSystem, rng } from '../support/random-systems.js';
import { relativeError } from '../support/finite-differences.js';

const dipoleOf = (positions: ArrayLike<number>, q: ArrayLike<number>) => [0, 1, 2].map((x) => Array.from(q).reduce((s, v, i) => s + v * positions[3 * i + x], 0));
const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));

describe('the least neutral charges with a given dipole', () => {
  const random = rng(4);
  const molecule = randomSystem({ seed: 41, atoms: 7, types: [1, 8], box: 4, minDistance: 0.9 });
  const positions = molecule.positions;
  const target = [0.4, -0.3, 0.25];

  it('sum to zero and have the dipole', () => {
    const dq = neutralChargesWithDipole(positions, target);
    expect(Math.abs(dq.reduce((a, b) => a + b, 0))).toBeLessThan(1e-14);
    dipoleOf(positions, dq).forEach((m, x) => expect(Math.abs(m - target[x])).toBeLessThan(1e-12));
    // the same about any origin: they sum to zero
    const moved = Float64Array.from(positions, (p, k) => p + [3, -2, 7][k % 3]);
    expect(relativeError(neutralChargesWithDipole(moved, target), dq)).toBeLessThan(1e-10);
  });

  it('are the least: orthogonal to every change that keeps the sum and the dipole', () => {
    const dq = neutralChargesWithDipole(positions, target);
    for (let trial = 0; trial < 5; trial++) {
      // a random neutral change, less the least charges with its dipole: it moves nothing
      const r = Array.from({ length: 7 }, () => random() - 0.5);
      const mean = r.reduce((a, b) => a + b, 0) / 7;
      const neutral = r.map((v) => v - mean);
      const part = neutralChargesWithDipole(positions, dipoleOf(positions, neutral));
      const free = neutral.map((v, i) => v - part[i]);
      dipoleOf(positions, free).forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-12));
      expect(norm(free)).toBeGreaterThan(0.05);
      expect(Math.abs(free.reduce((s, v, i) => s + v * dq[i], 0))).toBeLessThan(1e-12);
      expect(norm(Array.from(dq, (v, i) => v + free[i]))).toBeGreaterThan(norm(dq));
    }
  });

  it('leave out a component no charges can give: out of the plane of planar atoms', () => {
    const flat = Float64Array.from(positions, (p, k) => (k % 3 === 2 ? 0 : p));
    const dq = neutralChargesWithDipole(flat, target);
    const got = dipoleOf(flat, dq);
    expect(Math.abs(got[0] - target[0])).toBeLessThan(1e-12);
    expect(Math.abs(got[1] - target[1])).toBeLessThan(1e-12);
    expect(got[2]).toBe(0);
    expect(dq.every(Number.isFinite)).toBe(true);
    // nearly planar (1e-4 A out of the plane): the same, not charges of 1/1e-4
    const warped = Float64Array.from(flat, (p, k) => (k === 5 ? 1e-4 : p));
    expect(norm(neutralChargesWithDipole(warped, target))).toBeLessThan(2 * norm(dq));
  });
});

describe("atomic dipoles carried by charges on the atom and its bonded neighbours", () => {
  // water-like: O bonded to two H, and a lone atom
  const positions = Float64Array.of(0, 0, 0, 0.96, 0, 0, -0.24, 0.93, 0, 4, 0, 0);
  const charges = Float64Array.of(-0.6, 0.3, 0.3, 0);
  const neighbours = [[1, 2], [0], [0], []];
  const dipoles = Float64Array.of(0.02, 0.05, 0.03, 0.01, 0.004, 0, 0.02, -0.01, 0.005, 0.3, 0.3, 0.3);

  it("carry each atom's dipole about it where its bonds reach, keep the total, and leave a lone atom alone", () => {
    const q = atomicDipoleCharges(positions, charges, dipoles, neighbours);
    expect(Math.abs(q.reduce((a, b) => a + b, 0) - charges.reduce((a, b) => a + b, 0))).toBeLessThan(1e-14);
    expect(q[3]).toBe(0);
    // the O's dipole is 3D but its group (O, H, H) is planar: only its in-plane part is carried
    // a lone H's dipole: only along its bond. The added dipole is the sum of what each group carries.
    const carried = [0, 1, 2].map((x) => q.reduce((s, v, i) => s + (v - charges[i]) * positions[3 * i + x], 0));
    const bond = (h: number) => [0, 1, 2].map((x) => positions[3 * h + x] - positions[x]);
    const along = (p: number[], u: number[]) => { const n = Math.hypot(...u); const t = (p[0] * u[0] + p[1] * u[1] + p[2] * u[2]) / (n * n); return u.map((v) => t * v); };
    const expected = [0, 1, 2].map((x) => [dipoles[0], dipoles[1], 0][x] + along([dipoles[3], dipoles[4], dipoles[5]], bond(1))[x] + along([dipoles[6], dipoles[7], dipoles[8]], bond(2))[x]);
    carried.forEach((c, x) => expect(Math.abs(c - expected[x])).toBeLessThan(1e-12));
  });

  it("are rotated with the molecule", () => {
    const R = [0, 0, 1, 1, 0, 0, 0, 1, 0]; // x -> y -> z -> x
    const turn = (v: ArrayLike<number>) => Float64Array.from({ length: v.length }, (_, k) => { const i = Math.floor(k / 3), r = k % 3; return R[3 * r] * v[3 * i] + R[3 * r + 1] * v[3 * i + 1] + R[3 * r + 2] * v[3 * i + 2]; });
    const a = atomicDipoleCharges(positions, charges, dipoles, neighbours);
    const b = atomicDipoleCharges(turn(positions), charges, turn(dipoles), neighbours);
    expect(relativeError(b, a)).toBeLessThan(1e-12);
  });
});

describe('a charge fit given atomic dipoles', () => {
  const species = [1, 8];
  const spec = (): ChargeBaselineSpec => ({ kind: 'charges', hypers: localHypers({ cutoff: 3.5, maxRadial: 2, maxAngular: 1 }), smearing: 0.9 });
  const probe = new ChargeModel(spec(), species);
  const random = rng(21);
  const truth = new ChargeModel({ ...spec(), weights: Array.from({ length: species.length * (probe.dimension + 1) }, () => 0.5 * (random() - 0.5)) }, species);
  // Reference charges that miss what atomic dipoles carry, and those dipoles.
  const frames: TrainingFrame[] = Array.from({ length: 24 }, (_, k) => {
    const system = randomSystem({ seed: 300 + k, atoms: 5, types: species, box: 4, minDistance: 0.9 });
    const native = toNativeSystem(system);
    const q = truth.charges(native).charges;
    const neighbours: number[][] = Array.from({ length: 5 }, () => []);
    for (const [i, j] of bondedPairs(native.positions, native.types)) {
      neighbours[i].push(j);
      neighbours[j].push(i);
    }
    const atomicDipoles = Float64Array.from({ length: 15 }, () => 0.1 * (random() - 0.5));
    const carried = atomicDipoleCharges(native.positions, new Float64Array(5), atomicDipoles, neighbours);
    return { system, energy: 0, charges: Float64Array.from(q, (v, i) => v - carried[i]), atomicDipoles, group: k % 6 };
  });
  const features: FeatureSetSpec = { species, blocks: [{ kind: 'soap', hypers: localHypers({ cutoff: 3.5, maxRadial: 1, maxAngular: 1 }) }], baseline: spec() };
  const test = toNativeSystem(randomSystem({ seed: 999, atoms: 5, types: species, box: 4, minDistance: 0.9 }));

  it('learns the charges that carry them; without them, the partial charges', () => {
    expect(frames.some((f) => relativeError(f.charges!, truth.charges(toNativeSystem(f.system)).charges) > 0.05)).toBe(true);
    const withDipoles = fitLinearModel(features, frames, { forceWeight: 0 }).model.features.baseline!.charges!;
    const without = fitLinearModel(features, frames.map(({ atomicDipoles: _, ...f }) => f), { forceWeight: 0 }).model.features.baseline!.charges!;
    const exact = truth.charges(test).charges;
    const error = relativeError(withDipoles.charges(test).charges, exact);
    expect(error).toBeLessThan(1e-3);
    expect(relativeError(without.charges(test).charges, exact)).toBeGreaterThan(10 * error);
  });

  it('refuses atomic dipoles that are not 3 finite numbers per atom, naming the frame', () => {
    const short = frames.map((f, k) => (k === 2 ? { ...f, atomicDipoles: [0, 0, 0] } : f));
    expect(() => fitLinearModel(features, short, { forceWeight: 0 })).toThrow(/frames\[2\]\.atomicDipoles: expected 15 finite numbers/);
    const nan = frames.map((f, k) => (k === 3 ? { ...f, atomicDipoles: Float64Array.from({ length: 15 }, (_, i) => (i === 4 ? NaN : 0)) } : f));
    expect(() => fitLinearModel(features, nan, { forceWeight: 0 })).toThrow(/frames\[3\]\.atomicDipoles: expected 15 finite numbers .*non-finite/);
  });
});
