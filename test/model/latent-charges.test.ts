// Charges learned from energies alone (lib/model/latent-charges.ts): data
// made by known whole charges is fitted without them, and the fitted model
// must predict the Coulomb energy of the same molecules at separations never
// trained on, where only the charges' interaction is left (bound: a fraction
// of that interaction, not the code's own output).
import { describe, expect, it } from 'vitest';
import { fitLinearModel, localHypers, type FeatureSetSpec, type TrainingFrame } from '../../lib/index.js';
import type { System } from '../../lib/core/system.js';
import { toNativeSystem } from '../../lib/core/system.js';
import { ChargeModel, type ChargeBaselineSpec } from '../../lib/model/charge-model.js';
import { wholeCharges } from '../../lib/model/latent-charges.js';
import { rng } from '../support/random-systems.js';

const species = [1, 8];
const hypers = localHypers({ cutoff: 3, maxRadial: 2, maxAngular: 1 });
const chargeSpec = (extra: Partial<ChargeBaselineSpec> = {}): ChargeBaselineSpec => ({ kind: 'charges', hypers, smearing: 1, fragments: true, ...extra });

/** A hydroxide-like O-H and a hydronium-like OH3, randomly oriented, their oxygens `distance` apart along a random axis. */
function pair(distance: number, random: () => number): System {
  const rotate = (v: number[]) => {
    // a random rotation from a random unit quaternion
    const [a, b, c, d] = (() => {
      const q = [random() - 0.5, random() - 0.5, random() - 0.5, random() - 0.5];
      const n = Math.hypot(...q);
      return q.map((x) => x / n);
    })();
    const m = [
      [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
      [2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)],
      [2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d],
    ];
    const out: number[] = [];
    for (let i = 0; i < v.length; i += 3) for (let r = 0; r < 3; r++) out.push(m[r][0] * v[i] + m[r][1] * v[i + 1] + m[r][2] * v[i + 2]);
    return out;
  };
  const stretch = () => 0.95 + 0.1 * random();
  const hydroxide = rotate([0, 0, 0, 0.97 * stretch(), 0, 0]);
  const hydronium = rotate([0, 0, 0, 0.98 * stretch(), 0, 0.1, -0.45, 0.85 * stretch(), 0.1, -0.45, -0.85 * stretch(), 0.1]);
  const axis = rotate([distance, 0, 0]);
  return {
    positions: [...hydroxide, ...hydronium.map((v, k) => v + axis[k % 3])],
    types: [8, 1, 8, 1, 1, 1],
    cell: null,
    pbc: [false, false, false],
  };
}

describe('latent charges: learned from energies without reference charges', () => {
  // The truth: a hydroxide-like -1 and a hydronium-like +1, their charges
  // spread over the atoms by the environment (random weights on the
  // invariants, then shifted to whole charges), their Coulomb energy, and
  // energies per element that any fit must take out.
  const probe = new ChargeModel(chargeSpec(), species);
  const random = rng(7);
  // Offsets H +1, O -2 make the sums -1 (O-H) and +1 (OH3) before the shift to whole charges.
  const width = probe.dimension + 1;
  const weights = Array.from({ length: species.length * width }, (_, k) => (k === width - 1 ? 1 : k === 2 * width - 1 ? -2 : 0.05 * (random() - 0.5)));
  const truth = new ChargeModel(chargeSpec({ weights }), species);
  const coulomb = (system: System) => truth.evaluate(toNativeSystem(system)).energies.reduce((a, b) => a + b, 0);
  const energy = (system: System) => coulomb(system) + Array.from(system.types as number[], (z) => (z === 1 ? -13.6 : -430)).reduce((a, b) => a + b, 0);
  // Pairs 2.8-6 A apart, and some lone molecules (their energies fix the
  // separated limit, as the monomers of a binding curve do).
  const pairs = Array.from({ length: 60 }, () => pair(2.8 + 3.2 * random(), random));
  const lone = (system: System, which: 0 | 1, charge?: number): System => {
    const s = system as { positions: number[]; types: number[] };
    const [from, to] = which === 0 ? [0, 2] : [2, 6];
    return { positions: s.positions.slice(3 * from, 3 * to), types: s.types.slice(from, to), cell: null, pbc: [false, false, false], ...(charge === undefined ? {} : { charge }) };
  };
  const frame = (system: System, group: number): TrainingFrame => ({ system, energy: energy(system), group });
  const frames: TrainingFrame[] = [
    ...pairs.map((system, k) => frame(system, k % 10)),
    ...pairs.slice(0, 10).flatMap((system, k) => [frame(lone(system, 0), k), frame(lone(system, 1), k)]),
  ];
  const far = Array.from({ length: 12 }, () => pair(9 + 6 * random(), random));
  const spec: FeatureSetSpec = { species, blocks: [{ kind: 'soap', hypers }], baseline: chargeSpec() };

  it('the truth gives the molecules whole, opposite charges', () => {
    const { charges } = truth.charges(toNativeSystem(far[0]));
    expect(charges[0] + charges[1]).toBeCloseTo(-1, 12);
    expect(charges.slice(2).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('finds the two whole charges and predicts the Coulomb tail at twice the trained separations, which a local model misses', () => {
    const progress: Array<{ done: number; total: number }> = [];
    const { model } = fitLinearModel(spec, frames, { forceWeight: 0, onProgress: (p) => p.stage === 'charges' && progress.push(p) });
    // Reading the charges off the energies reports its progress, up to done.
    expect(progress.length).toBeGreaterThan(frames.length);
    expect(progress[progress.length - 1].done).toBe(progress[progress.length - 1].total);
    const local = fitLinearModel({ species, blocks: spec.blocks }, frames, { forceWeight: 0 }).model;
    let error = 0, localError = 0, interaction = 0;
    for (const system of far) {
      error += Math.abs(model.compute(system).energy - energy(system));
      localError += Math.abs(local.compute(system).energy - energy(system));
      interaction += Math.abs(coulomb(system));
    }
    // Two unit charges 9-15 A apart: about 1-1.6 eV.
    expect(interaction / far.length).toBeGreaterThan(0.9);
    expect(localError / interaction).toBeGreaterThan(0.5);
    // At least 90 % of the tail; what remains is mostly the molecules' dipoles (hydroxide's O -2, H +1 here), which
    // charges spread evenly over each molecule do not carry.
    expect(error / interaction).toBeLessThan(0.1);
    // Energies fix the charges up to one overall sign (E(-q) = E(q)); nothing here gives a total charge to decide it.
    const found = (model.features.spec.baseline as ChargeBaselineSpec).molecules!;
    expect(Object.keys(found).sort()).toEqual(['H3O', 'HO']);
    expect(found.HO * found.H3O).toBe(-1);
  });

  it('a contracted charge model learns its contraction from the energy frames first, then the same whole charges', () => {
    const contracted: FeatureSetSpec = { ...spec, baseline: chargeSpec({ contraction: { channels: 4 } }) };
    const { model } = fitLinearModel(contracted, frames, { forceWeight: 0 });
    const baseline = model.features.spec.baseline as ChargeBaselineSpec;
    expect(baseline.contractionMatrices).toHaveLength(2 * 4 * 6); // a 4 x (2 species x 3 radial) matrix per l
    expect(baseline.molecules!.HO * baseline.molecules!.H3O).toBe(-1);
    let error = 0, interaction = 0;
    for (const system of far) {
      error += Math.abs(model.compute(system).energy - energy(system));
      interaction += Math.abs(coulomb(system));
    }
    expect(error / interaction).toBeLessThan(0.1);
  });

  it('a given total charge of some frames decides the sign', () => {
    const charged = [...pairs.map((system, k) => frame(system, k % 10)), ...pairs.slice(0, 10).map((system, k) => frame(lone(system, 0, -1), k))];
    const { model } = fitLinearModel(spec, charged, { forceWeight: 0 });
    expect((model.features.spec.baseline as ChargeBaselineSpec).molecules).toEqual({ HO: -1, H3O: 1 });
  });

  it('refuses data where no molecules interact, with a clear error', () => {
    const alone = pairs.flatMap((system, k) => [frame(lone(system, 0), k), frame(lone(system, 1), k)]);
    expect(() => fitLinearModel(spec, alone, { forceWeight: 0 })).toThrow(/learning charges from energies needs frames where molecules interact/);
  });
});

describe('whole charges from their products', () => {
  // Four kinds: +1, -1, 0, +1; pairs 0-1, 1-2, 1-3, 2-3 with noisy products.
  const pairs: Array<[number, number]> = [[0, 1], [1, 2], [1, 3], [2, 3]];
  it('are the integers whose products fit best, neutral where the products say nothing', () => {
    expect(Array.from(wholeCharges(4, pairs, [-0.93, 0.04, -1.08, 0.02], [1, 1, 1, 1], [{ kinds: [0], total: 1 }]))).toEqual([1, -1, 0, 1]);
    // Without a total, either sign; the products still hold.
    const free = wholeCharges(4, pairs, [-0.93, 0.04, -1.08, 0.02], [1, 1, 1, 1], []);
    expect(free[0] * free[1]).toBe(-1);
    expect(free[2]).toBe(0);
    // A kind seen only in pairs the data says nothing about stays neutral.
    expect(Array.from(wholeCharges(2, [[0, 1]], [-1], [0], []))).toEqual([0, 0]);
  });
});
