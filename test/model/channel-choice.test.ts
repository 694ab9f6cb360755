// Contracted channels chosen by cross-validation: the first K of K_max
// learned channels are the K-channel contraction, so the K-channel model is
// the K_max model with the other columns left out, and one set of normal
// equations scores every candidate. Checked: the narrow model predicts what
// the K_max model with those columns predicts (energies and forces, both
// weight layouts); a fit's choice is the candidate of least cross-validated
// loss and its model reproduces the errors the fit reports; the default
// candidates stay within the parameter budget of the real feature sets.
import { describe, expect, it } from 'vitest';
import { frameSystem, readFrames } from '../../lib/cli/frames.js';
import {
  FeatureSet,
  fitLinearModel,
  fitSparseKernelModel,
  fitTensorModel,
  LinearModel,
  presetFeatures,
  type FeatureSetSpec,
  type SphericalExpansionHypers,
  type TrainingFrame,
} from '../../lib/index.js';
import { channelChoice, narrowModel } from '../../lib/model/channel-choice.js';
import { parameterCount, speciesParameters } from '../../lib/model/design.js';
import { CHANNEL_BUDGET, defaultContraction } from '../../lib/model/presets.js';
import { relativeError } from '../support/finite-differences.js';
import { randomSystem, rng, TRICLINIC_CELL } from '../support/random-systems.js';
import { DATA_DIR } from '../support/reference.js';

const species = [1, 6, 8];
const density: SphericalExpansionHypers = {
  cutoff: { radius: 4, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.5 },
  basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: 1 } },
};
const potential = {
  density: { type: 'SmearedPowerLaw' as const, smearing: 1.2, exponent: 1 },
  basis: { type: 'TensorProduct' as const, max_angular: 2, radial: { type: 'Gto' as const, max_radial: 1, radius: 4 } },
};

/** A linear model from a parameter vector in the fit's layout (design.ts). */
function modelOf(features: FeatureSet, parameters: Float64Array): LinearModel {
  const S = features.spec.species.length, D = features.dimension;
  const weights = new Float64Array(S * D), biases = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    const { weights: w, bias } = speciesParameters(features, parameters, s);
    weights.set(w, s * D);
    biases[s] = bias;
  }
  return new LinearModel(features, { weights, biases });
}

describe('channel choice', () => {
  const molecule = randomSystem({ seed: 3, atoms: 9, types: species, box: 5, minDistance: 1.1 });
  const periodic = randomSystem({ seed: 4, atoms: 10, types: species, cell: TRICLINIC_CELL, minDistance: 1.1 });
  for (const speciesWeights of ['per-species', 'shared'] as const) {
    it(`the K-channel model is the K_max model without the other columns: energies and forces (${speciesWeights} weights)`, () => {
      const spec: FeatureSetSpec = {
        species,
        blocks: [{ kind: 'soap', hypers: density }, { kind: 'multiscale', density, potential }],
        contraction: { channels: 5, candidates: [2, 3, 5] },
        speciesWeights,
      };
      const wide = new FeatureSet(spec);
      const random = rng(11);
      wide.setContractions(spec.blocks.map((b) => (b.kind === 'soap' ? [1] : [1, 2]).map(() => Float64Array.from({ length: 3 * 5 * 6 }, () => random() - 0.5))));
      wide.scales = [0.7, 1.9];
      const choice = channelChoice(wide)!;
      expect(choice.channels).toEqual([2, 3, 5]);
      // K = 3 keeps 6 of the 15 rho x rho and 9 of the 25 rho x V columns per l.
      const D3 = 3 * (6 + 9);
      expect(choice.columns[1].length).toBe(speciesWeights === 'shared' ? D3 + 3 : 3 * (D3 + 1));
      const parameters = new Float64Array(parameterCount(wide));
      for (const j of choice.columns[1]) parameters[j] = random() - 0.5;
      const narrow = narrowModel(wide, choice, 3, parameters);
      expect(narrow.features.spec.contraction).toEqual({ channels: 3 });
      expect(narrow.features.dimension).toBe(D3);
      const a = modelOf(wide, parameters), b = modelOf(narrow.features, narrow.parameters);
      for (const system of [molecule, periodic]) {
        const x = a.compute(system, { forces: true }), y = b.compute(system, { forces: true });
        expect(Math.abs(x.energy - y.energy)).toBeLessThan(1e-10 * Math.max(1, Math.abs(x.energy)));
        expect(relativeError(y.forces!, x.forces!)).toBeLessThan(1e-10);
      }
      // The largest candidate is the feature set itself.
      expect(narrowModel(wide, choice, 5, parameters).features).toBe(wide);
    });
  }

  it('a fit keeps the candidate of least cross-validated loss, and its model has the errors the fit reports', () => {
    const frames: TrainingFrame[] = readFrames(`${DATA_DIR}/xtb-dimers.xyz`)
      .filter((f, k) => k % 4 === 0 && ['methanol+formamide', 'methane+methane', 'methanol+methanol'].includes(String(f.info.pair)))
      .map((f) => ({ system: frameSystem(f), energy: f.info.energy as number, forces: f.arrays.forces as Float64Array, group: `${String(f.info.pair)}/${String(f.info.orientation)}` }));
    const spec = presetFeatures('local', [1, 6, 7, 8], { cutoff: 3, maxRadial: 1, maxAngular: 2 });
    expect(spec.contraction).toEqual({ channels: 8, candidates: [4, 6, 8] });
    const regularizations = [1e-8, 1e-5, 1e-2];
    const { model, report } = fitLinearModel(spec, frames, { regularizations, folds: 3 });
    expect(report.channels!.candidates).toEqual([4, 6, 8]);
    expect(report.scan.map((s) => [s.channels, s.regularization])).toEqual([4, 6, 8].flatMap((K) => regularizations.map((l) => [K, l])));
    // The loss the folds minimise: weighted squared errors (energy weight 1 per eV/atom, forces 0.1 per eV/A).
    const components = 3 * frames.reduce((n, f) => n + f.system.types.length, 0);
    const loss = (s: (typeof report.scan)[number]) => frames.length * s.energyRmsePerAtom ** 2 + 0.01 * components * s.forceRmse ** 2;
    const best = report.scan.reduce((a, b) => (loss(b) < loss(a) ? b : a));
    expect([report.channels!.chosen, report.regularization]).toEqual([best.channels, best.regularization]);
    expect(model.features.spec.contraction!.channels).toBe(report.channels!.chosen);
    expect(report.parameters).toBe(parameterCount(model.features));
    // The narrow model on the training frames: the errors the fit reports for its solution.
    let energy = 0, forces = 0;
    for (const f of frames) {
      const r = model.compute(f.system, { forces: true });
      energy += ((r.energy - f.energy) / f.system.types.length) ** 2;
      r.forces!.forEach((v, k) => (forces += (v - f.forces![k]) ** 2));
    }
    expect(Math.sqrt(energy / frames.length)).toBeCloseTo(report.train.energyRmsePerAtom, 9);
    expect(Math.sqrt(forces / components)).toBeCloseTo(report.train.forceRmse, 9);

    // A kernel model's linear part chooses the same way; its kernel compares all 8 channels, so the
    // model keeps them, with linear weights only on the chosen channels' features.
    const kernel = fitSparseKernelModel(spec, frames, { regularizations, folds: 3, sparsePoints: 5 });
    const linearChannels = kernel.report.channels!.chosen;
    expect(kernel.report.stages![0].channels).toBe(linearChannels);
    expect(kernel.model.features.spec.contraction!.channels).toBe(8);
    const choice = channelChoice(kernel.model.features)!;
    const kept = new Set(choice.columns[choice.channels.indexOf(linearChannels)]);
    const D = kernel.model.features.dimension;
    const linear = kernel.model.linear!;
    const outside = Array.from(linear).filter((w, k) => !kept.has(Math.floor(k / D) * (D + 1) + (k % D)) && w !== 0);
    expect(outside).toEqual([]);
  });

  it('tensor fits do not score candidates: they take the smallest', () => {
    const random = rng(7);
    const frames = Array.from({ length: 6 }, (_, k) => ({
      system: randomSystem({ seed: 20 + k, atoms: 6, types: species, box: 5, minDistance: 1.1 }),
      target: [random(), random(), random()],
    }));
    const features: FeatureSetSpec = { species, blocks: [{ kind: 'soap', hypers: density }], contraction: { channels: 5, candidates: [3, 5] } };
    const { model } = fitTensorModel({ target: 'dipole', features }, frames, { folds: 2, regularizations: [1e-3] });
    expect(model.features.spec.contraction).toEqual({ channels: 3 });
  });

  it('default candidates: K0 = max_radial + 3, 1.5 K0 and 2 K0 while the model has at most CHANNEL_BUDGET parameters', () => {
    const five = [1, 6, 7, 8, 17];
    const count = (spec: FeatureSetSpec, channels?: number) => parameterCount(new FeatureSet(channels ? { ...spec, contraction: { channels } } : spec));
    const local = presetFeatures('local', five);
    expect(local.contraction).toEqual({ channels: 16, candidates: [8, 12, 16] });
    expect(count(local)).toBeLessThanOrEqual(CHANNEL_BUDGET);
    // rho x V has K^2 columns per l: with four species only K0 fits the budget.
    const field = presetFeatures('multiscale', [1, 6, 8, 17], { longRange: 'field' });
    expect(field.contraction).toEqual({ channels: 8 });
    expect(count(field, 12)).toBeGreaterThan(CHANNEL_BUDGET);
    // Shared weights count the features once: 2 K0 fits again.
    const shared = presetFeatures('multiscale', [1, 6, 8, 17], { longRange: 'field', speciesWeights: 'shared' });
    expect(shared.contraction).toEqual({ channels: 16, candidates: [8, 12, 16] });
    expect(count(shared)).toBeLessThanOrEqual(CHANNEL_BUDGET);
    // Never more channels than (species x radial functions), and none for two species.
    const three = presetFeatures('local', [1, 6, 8], { maxRadial: 2 });
    expect(three.contraction).toEqual({ channels: 9, candidates: [5, 8, 9] });
    expect(new FeatureSet(three).maxChannels).toBe(9);
    expect(presetFeatures('local', [11, 17]).contraction).toBeUndefined();
    expect(defaultContraction(2, local.blocks)).toBeNull();
    // Given: one count, or candidates in any order.
    expect(presetFeatures('local', five, { channels: 10 }).contraction).toEqual({ channels: 10 });
    expect(presetFeatures('local', five, { channels: [12, 6] }).contraction).toEqual({ channels: 12, candidates: [6, 12] });
    expect(() => new FeatureSet({ ...local, contraction: { channels: 16, candidates: [8, 12] } })).toThrow(
      /features.contraction.candidates: expected increasing integers >= 1 ending with channels \(16\), got \[8,12\]/,
    );
    expect(() => new FeatureSet({ ...local, contraction: { channels: 16, candidates: [12, 8, 16] } })).toThrow(/expected increasing integers/);
  });
});
