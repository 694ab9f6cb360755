// The optional Ewald baseline of a model: added to the learned part with its
// own forces and stress, subtracted from the targets when fitting, and kept
// in model files.
import { describe, expect, it } from 'vitest';
import { COULOMB_CONSTANT, deserializeModel, Ewald, FeatureSet, fitLinearModel, LinearModel, serializeModel, type FeatureSetSpec } from '../../lib/index.js';
import { checkForceField } from '../support/check-gradients.js';
import { cellVolume } from '../../lib/core/system.js';
import { randomSystem, rng, TRICLINIC_CELL } from '../support/random-systems.js';
import { smallSoap } from '../support/small-hypers.js';

const charges = { '11': 1, '17': -1 };
const spec: FeatureSetSpec = {
  species: [11, 17],
  blocks: [
    {
      kind: 'soap',
      hypers: smallSoap(),
    },
  ],
  baseline: { kind: 'ewald', charges, accuracy: 1e-8 },
};

// Neutral: 6 Na + 6 Cl.
const periodic = randomSystem({ seed: 31, atoms: 12, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.6 });
periodic.types = Int32Array.from({ length: 12 }, (_, i) => (i % 2 ? 17 : 11));
const molecule = randomSystem({ seed: 32, atoms: 6, types: [11, 17], box: 5, minDistance: 1.6 });

function model(withBaseline: boolean, seed = 4): LinearModel {
  const features = new FeatureSet(withBaseline ? spec : { ...spec, baseline: undefined });
  const random = rng(seed);
  return new LinearModel(features, {
    weights: Float64Array.from({ length: 2 * features.dimension }, () => 0.01 * (random() - 0.5)),
    biases: Float64Array.of(-1, -2),
  });
}

describe('Ewald baseline of a model', () => {
  it('adds exactly the Ewald energy, forces and stress to the learned part', () => {
    const ewald = new Ewald({ charges: { 11: 1, 17: -1 }, accuracy: 1e-8 });
    const b = ewald.compute(periodic, { forces: true, stress: true });
    const with_ = model(true).compute(periodic, { stress: true });
    const without = model(false).compute(periodic, { stress: true });
    expect(with_.energy - without.energy).toBeCloseTo(b.energy, 10);
    for (let k = 0; k < 36; k++) expect(with_.forces![k] - without.forces![k]).toBeCloseTo(b.forces![k], 10);
    for (let k = 0; k < 9; k++) expect(with_.stress![k] - without.stress![k]).toBeCloseTo(b.stress![k], 12);
  });

  it('forces are -dE/dr at every coordinate and stress (1/V) dE/dstrain in full, with the baseline', () => {
    const m = model(true);
    // The baseline's Ewald parameters are tuned from its accuracy for each
    // cell, so E(strain) is smooth only to that accuracy: the stress error is
    // measured on the scale the accuracy refers to, k_e q_rms^2 / d^2 per d^2
    // (d = (V/N)^(1/3); unit charges), and allowed 10 x accuracy as in
    // test/longrange/pme.test.ts (measured 6.7 x).
    const d = Math.cbrt(cellVolume(periodic.cell!) / periodic.types.length);
    const stressScale = COULOMB_CONSTANT / d ** 4;
    checkForceField(m, periodic, { stressScale: { scale: stressScale, tolerance: 10 * 1e-8 } });
    checkForceField(m, molecule);
  });

  it('fitting learns the residual: data = baseline + a linear model is recovered', () => {
    const truth = model(true, 9);
    const frames = Array.from({ length: 12 }, (_, k) => {
      const s = randomSystem({ seed: 100 + k, atoms: 12, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.6 });
      s.types = Int32Array.from({ length: 12 }, (_, i) => (i % 2 ? 17 : 11));
      const r = truth.compute(s, { forces: true });
      return { system: s, energy: r.energy, forces: r.forces! };
    });
    const { model: fitted } = fitLinearModel(spec, frames, { regularizations: [1e-12] });
    const test = frames[3].system;
    const a = fitted.compute(test), b = truth.compute(test);
    expect(Math.abs(a.energy - b.energy)).toBeLessThan(1e-6 * Math.abs(b.energy));
  });

  it('survives a save/load round trip and rejects missing charges', () => {
    const m = model(true);
    const loaded = deserializeModel(serializeModel(m, {}), 'mem').model;
    expect(loaded.compute(periodic).energy).toBe(m.compute(periodic).energy);
    expect(() => new FeatureSet({ ...spec, baseline: { kind: 'ewald', charges: { '11': 1 } } })).toThrow(
      /features\.baseline\.charges: expected a charge \(e\) for atomic number 17/,
    );
  });
});
