// Reference charges moved to carry a reference dipole (lib/model/dipole-charges.ts):
// the constraints hold, the change is the least one, what no change can give
// is left alone, and a charge fit given dipoles learns the charges that carry them.
import { describe, expect, it } from 'vitest';
import { fitLinearModel, localHypers, type FeatureSetSpec, type TrainingFrame } from '../../lib/index.js';
import { dipoleMatchedCharges } from '../../lib/model/dipole-charges.js';
import { ChargeModel, type ChargeBaselineSpec } from '../../lib/model/charge-model.js';
import { toNativeSystem } from '../../lib/core/system.js';
import { randomSystem, rng } from '../support/random-systems.js';
import { relativeError } from '../support/finite-differences.js';

const dipoleOf = (positions: ArrayLike<number>, q: ArrayLike<number>) => [0, 1, 2].map((x) => Array.from(q).reduce((s, v, i) => s + v * positions[3 * i + x], 0));
const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));

describe('charges moved to carry a dipole', () => {
  const random = rng(4);
  const molecule = randomSystem({ seed: 41, atoms: 7, types: [1, 8], box: 4, minDistance: 0.9 });
  const positions = molecule.positions;
  const charges = Float64Array.from({ length: 7 }, () => random() - 0.5);
  const groups = Int32Array.of(0, 0, 0, 1, 1, 1, 1);
  const target = [0.4, -0.3, 0.25];

  it('give the dipole (about the coordinate origin) and keep each group\'s total', () => {
    const q = dipoleMatchedCharges(positions, charges, target, groups);
    dipoleOf(positions, q).forEach((m, x) => expect(Math.abs(m - target[x])).toBeLessThan(1e-12));
    for (const g of [0, 1]) {
      const change = Array.from(q).reduce((s, v, i) => s + (groups[i] === g ? v - charges[i] : 0), 0);
      expect(Math.abs(change)).toBeLessThan(1e-12);
    }
    // already carried: nothing moves
    const again = dipoleMatchedCharges(positions, q, target, groups);
    expect(relativeError(again, q)).toBeLessThan(1e-12);
  });

  it('is the least change: orthogonal to every change that keeps the dipole and the totals', () => {
    const delta = Array.from(dipoleMatchedCharges(positions, charges, target, groups), (v, i) => v - charges[i]);
    for (let trial = 0; trial < 5; trial++) {
      // a random change with zero group totals, less its part that moves the dipole: it moves nothing
      const r = Array.from({ length: 7 }, () => random() - 0.5);
      const mean = [0, 1].map((g) => r.reduce((s, v, i) => s + (groups[i] === g ? v : 0), 0) / groups.filter((x) => x === g).length);
      const zero = r.map((v, i) => v - mean[groups[i]]);
      const part = dipoleMatchedCharges(positions, new Float64Array(7), dipoleOf(positions, zero), groups);
      const free = zero.map((v, i) => v - part[i]);
      dipoleOf(positions, free).forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-12));
      expect(norm(free)).toBeGreaterThan(0.05);
      expect(Math.abs(free.reduce((s, v, i) => s + v * delta[i], 0))).toBeLessThan(1e-12);
      expect(norm(delta.map((v, i) => v + free[i]))).toBeGreaterThan(norm(delta));
    }
  });

  it('leaves a dipole component no change can give as it is: out of the plane of a planar molecule', () => {
    const flat = Float64Array.from(positions, (p, k) => (k % 3 === 2 ? 0 : p));
    const q = dipoleMatchedCharges(flat, charges, target, groups);
    const got = dipoleOf(flat, q);
    expect(Math.abs(got[0] - target[0])).toBeLessThan(1e-12);
    expect(Math.abs(got[1] - target[1])).toBeLessThan(1e-12);
    expect(got[2]).toBe(0);
    expect(q.every(Number.isFinite)).toBe(true);
    expect(norm(Array.from(q, (v, i) => v - charges[i]))).toBeLessThan(10);
  });
});

describe('a charge fit given dipoles', () => {
  const species = [1, 8];
  const spec = (): ChargeBaselineSpec => ({ kind: 'charges', hypers: localHypers({ cutoff: 3.5, maxRadial: 2, maxAngular: 1 }), smearing: 0.9 });
  const probe = new ChargeModel(spec(), species);
  const random = rng(21);
  const truth = new ChargeModel({ ...spec(), weights: Array.from({ length: species.length * (probe.dimension + 1) }, () => 0.5 * (random() - 0.5)) }, species);
  // Reference charges that miss part of each molecule's dipole (the least change that removes d), and the whole dipole.
  const frames: TrainingFrame[] = Array.from({ length: 24 }, (_, k) => {
    const system = randomSystem({ seed: 300 + k, atoms: 5, types: species, box: 4, minDistance: 0.9 });
    const q = truth.charges(toNativeSystem(system)).charges;
    const d = [0.3 * (random() - 0.5), 0.3 * (random() - 0.5), 0.3 * (random() - 0.5)];
    const missing = dipoleMatchedCharges(system.positions, new Float64Array(5), d, new Int32Array(5));
    return { system, energy: 0, charges: Float64Array.from(q, (v, i) => v - missing[i]), dipole: dipoleOf(system.positions, q), group: k % 6 };
  });
  const features: FeatureSetSpec = { species, blocks: [{ kind: 'soap', hypers: localHypers({ cutoff: 3.5, maxRadial: 1, maxAngular: 1 }) }], baseline: spec() };
  const test = toNativeSystem(randomSystem({ seed: 999, atoms: 5, types: species, box: 4, minDistance: 0.9 }));

  it('learns the charges that carry them; without them, the partial charges', () => {
    const withDipoles = fitLinearModel(features, frames, { forceWeight: 0 }).model.features.baseline!.charges!;
    const without = fitLinearModel(features, frames.map(({ dipole: _, ...f }) => f), { forceWeight: 0 }).model.features.baseline!.charges!;
    const exact = truth.charges(test).charges;
    const error = relativeError(withDipoles.charges(test).charges, exact);
    expect(error).toBeLessThan(1e-3);
    expect(relativeError(without.charges(test).charges, exact)).toBeGreaterThan(100 * error);
  });

  it('refuses a dipole that is not 3 finite numbers, naming the frame', () => {
    const bad = frames.map((f, k) => (k === 2 ? { ...f, dipole: [0, NaN, 0] } : f));
    expect(() => fitLinearModel(features, bad, { forceWeight: 0 })).toThrow(/frames\[2\]\.dipole: expected 3 finite numbers/);
  });
});
