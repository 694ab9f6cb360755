// The multi-scale claim on quantum data, in small: a model fitted on some
// orientations of the chloride + ammonium binding curves (GFN2-xTB) must
// predict the interaction of the other orientations where the ions are
// farther apart than the local cutoff. There the interaction is mostly the
// Coulomb tail of two unit charges (-14.4 eV A / R): a local model sees two
// isolated ions and misses all of it, so the bound is set from the
// interaction itself, not from the code's own output.
import { describe, expect, it } from 'vitest';
import { frameSystem, readFrames } from '../../lib/cli/frames.js';
import type { System } from '../../lib/core/system.js';
import { fitLinearModel, fitSparseKernelModel, learnedChargesBaseline, presetFeatures, type TrainingFrame } from '../../lib/index.js';
import { DATA_DIR } from '../support/reference.js';
import { isFar, monomers } from '../../bench/support/dimers.js';

const CUTOFF = 3;
const hypers = { cutoff: CUTOFF, maxRadial: 2, maxAngular: 2 };
const frames = readFrames(`${DATA_DIR}/xtb-dimers.xyz`).filter((f) => f.info.pair === 'chloride+ammonium');
const species = [1, 7, 17];

/** Dimer frames of orientations 0-3 and, once per curve, the two isolated ions (energies only). */
function trainingFrames(): TrainingFrame[] {
  const train = frames.filter((f) => (f.info.orientation as number) <= 3);
  const out: TrainingFrame[] = train.map((f) => ({
    system: frameSystem(f),
    energy: f.info.energy as number,
    forces: f.arrays.forces as Float64Array,
    group: f.info.orientation as number,
  }));
  for (const orientation of new Set(train.map((f) => f.info.orientation as number))) {
    const f = train.find((g) => g.info.orientation === orientation)!;
    monomers(f, f.info.atomsA as number).forEach((system, k) => out.push({ system, energy: f.info[k === 0 ? 'energyA' : 'energyB'] as number, group: orientation }));
  }
  return out;
}

const test = frames.filter((f) => (f.info.orientation as number) >= 4 && isFar(f.positions, f.info.atomsA as number, CUTOFF));

/** Mean absolute error of the model's binding energy E(dimer) - E(Cl-) - E(NH4+) over the far test frames (eV). */
function bindingError(model: { compute(s: System): { energy: number } }): number {
  let sum = 0;
  for (const f of test) {
    const [a, b] = monomers(f, f.info.atomsA as number);
    const binding = model.compute(frameSystem(f)).energy - model.compute(a).energy - model.compute(b).energy;
    sum += Math.abs(binding - (f.info.binding_energy as number));
  }
  return sum / test.length;
}

describe('multi-scale features on GFN2-xTB chloride + ammonium', () => {
  const train = trainingFrames();
  const interaction = test.reduce((s, f) => s + Math.abs(f.info.binding_energy as number), 0) / test.length;

  it('has far test frames with a Coulomb-sized interaction', () => {
    expect(test.length).toBeGreaterThan(20);
    // Two unit charges 5-15 A apart: 1-3 eV.
    expect(interaction).toBeGreaterThan(0.8);
  });

  it('a local model misses the interaction; a multi-scale linear model recovers at least 90 % of it', () => {
    const local = fitLinearModel(presetFeatures('local', species, hypers), train).model;
    const multiscale = fitLinearModel(presetFeatures('multiscale', species, hypers), train).model;
    expect(bindingError(local)).toBeGreaterThan(0.5 * interaction);
    expect(bindingError(multiscale)).toBeLessThan(0.1 * interaction);
  });

  it('the multi-scale kernel model recovers it as well', () => {
    const kernel = fitSparseKernelModel(presetFeatures('multiscale', species, hypers), train, { sparsePoints: 30 }).model;
    expect(bindingError(kernel)).toBeLessThan(0.1 * interaction);
  });
});

describe('learned charges on an ion pair never seen together (GFN2-xTB)', () => {
  // Training: chloride only with methane, ammonium only with methylammonium,
  // and an anion-cation pair of other molecules. Test: chloride + ammonium
  // beyond the cutoff, where the interaction is the Coulomb tail of two
  // unit charges. Species-resolved features cannot know the two charges;
  // charges learned from each ion's environment and the data's partial
  // charges can.
  const cutoff = 3.5;
  const all = readFrames(`${DATA_DIR}/xtb-dimers.xyz`);
  const pick = (pair: string) => all.filter((f) => f.info.pair === pair && (f.info.orientation as number) <= 2);
  const train = ['chloride+methane', 'methylammonium+ammonium', 'acetate+methylammonium'].flatMap(pick);
  const charged = (f: (typeof all)[number]): System => ({ ...frameSystem(f), charge: (f.info.chargeA as number) + (f.info.chargeB as number) });
  const frames: TrainingFrame[] = train.map((f) => ({
    system: charged(f),
    energy: f.info.energy as number,
    forces: f.arrays.forces as Float64Array,
    charges: f.arrays.charges as Float64Array,
    group: `${f.info.pair}/${f.info.orientation}`,
  }));
  const test = all.filter((f) => f.info.pair === 'chloride+ammonium' && isFar(f.positions, f.info.atomsA as number, cutoff));

  const tailError = (withCharges: boolean) => {
    const hypers = { cutoff, maxRadial: 2, maxAngular: 2 };
    const spec = { ...presetFeatures('local', [1, 6, 7, 8, 17], hypers), baseline: learnedChargesBaseline(hypers) };
    const { model } = fitLinearModel(spec, withCharges ? frames : frames.map(({ charges: _, ...f }) => f));
    let error = 0, interaction = 0;
    for (const f of test) {
      const [a, b] = monomers(f, f.info.atomsA as number);
      const binding =
        model.compute(charged(f)).energy - model.compute({ ...a, charge: f.info.chargeA as number }).energy - model.compute({ ...b, charge: f.info.chargeB as number }).energy;
      error += Math.abs(binding - (f.info.binding_energy as number));
      interaction += Math.abs(f.info.binding_energy as number);
    }
    expect(test.length).toBeGreaterThan(20);
    // Two unit charges 5-15 A apart: 1-3 eV; a local model predicts 0 here.
    expect(interaction / test.length).toBeGreaterThan(0.8);
    return error / interaction;
  };

  it('recovers at least 90 % of the Coulomb tail that a local model misses entirely', () => {
    expect(tailError(true)).toBeLessThan(0.1);
  });

  it('recovers it from the energies alone, without the reference charges (latent charges)', () => {
    expect(tailError(false)).toBeLessThan(0.1);
  });
});
