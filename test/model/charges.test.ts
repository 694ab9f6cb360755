// Learned charges and their electrostatics (lib/model/charge-model.ts,
// lib/longrange/smeared-coulomb.ts): erf against tabulated values, the
// smeared Coulomb sum against the point-charge law and its own derivatives,
// a model with a 'charges' baseline against finite differences (with and
// without a total charge), and the fit against charges it can represent.
import { describe, expect, it } from 'vitest';
import { checkForceField } from '../support/check-gradients.js';
import {
  defaultLongRange,
  lacksIsolatedMolecules,
  deserializeModel,
  FeatureSet,
  fitLinearModel,
  LinearModel,
  learnedChargesBaseline,
  localHypers,
  presetFeatures,
  serializeModel,
  type FeatureSetSpec,
  type TrainingFrame,
} from '../../lib/index.js';
import { COULOMB_CONSTANT } from '../../lib/longrange/ewald.js';
import { erf, smearedCoulomb, smearedMultipoles } from '../../lib/longrange/smeared-coulomb.js';
import { ChargeModel, type ChargeBaselineSpec } from '../../lib/model/charge-model.js';
import { CHARGE_CHANNELS } from '../../lib/model/presets.js';
import { bondedFragments, integerCharges } from '../../lib/model/fragments.js';
import { toNativeSystem } from '../../lib/core/system.js';
import { derivative, relativeError } from '../support/finite-differences.js';
import { randomSystem, rng, TRICLINIC_CELL } from '../support/random-systems.js';

describe('erf', () => {
  it('matches tabulated values on both sides of the series / continued-fraction switch', () => {
    // Abramowitz & Stegun table 7.1 and standard 16-digit values
    const table: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
    ];
    for (const [x, v] of table) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(2e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
  });

  it('has the derivative 2/sqrt(pi) exp(-x^2) everywhere, across x = 2', () => {
    for (const x of [0.3, 1.2, 1.9999, 2, 2.0001, 2.7, 4.1]) {
      const fd = derivative((v) => erf(v[0]), [x], 0, 1e-3)[0];
      expect(Math.abs(fd - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x))).toBeLessThan(1e-11);
    }
  });
});

describe('smeared Coulomb in vacuum', () => {
  const system = randomSystem({ seed: 3, atoms: 7, types: [1, 8], box: 6, minDistance: 1.0 });
  const random = rng(5);
  const charges = Float64Array.from({ length: 7 }, () => random() - 0.5);

  it('is the point-charge Coulomb law between distant Gaussians', () => {
    const positions = Float64Array.of(0, 0, 0, 0.3, 9.5, -4.0);
    const r = Math.hypot(0.3, 9.5, -4.0);
    const e = smearedCoulomb(positions, [0.7, -1.3], 0.8).energy;
    expect(Math.abs(e - (COULOMB_CONSTANT * 0.7 * -1.3) / r)).toBeLessThan(1e-12);
  });

  // the exclusion's switching shell (2-3.5 A) holds some of the pairs
  for (const exclusion of [undefined, { radius: 3.5, width: 1.5 }]) {
    it(`forces are -dE/dr and potentials dE/dq (${exclusion ? 'near pairs excluded' : 'all pairs'})`, () => {
      const base = smearedCoulomb(system.positions, charges, 0.9, exclusion);
      for (let k = 0; k < 21; k++) {
        const fd = derivative((p) => smearedCoulomb(p, charges, 0.9, exclusion).energy, system.positions, k)[0];
        expect(Math.abs(base.forces[k] + fd)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)));
      }
      for (let i = 0; i < 7; i++) {
        const fd = derivative((q) => smearedCoulomb(system.positions, q, 0.9, exclusion).energy, charges, i)[0];
        expect(Math.abs(base.potentials[i] - fd)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)));
      }
    });
  }

  const dipoles = Float64Array.from({ length: 21 }, () => 0.6 * (random() - 0.5));
  for (const exclusion of [undefined, { radius: 3.5, width: 1.5 }]) {
    it(`with atomic dipoles: forces are -dE/dr, potentials dE/dq, fields dE/dmu (${exclusion ? 'near pairs excluded' : 'all pairs'})`, () => {
      const energy = (p: ArrayLike<number>, q: ArrayLike<number>, m: ArrayLike<number>) =>
        smearedMultipoles({ positions: p, charges: q, dipoles: m, sigma: 0.9, exclusion }).energy;
      const base = smearedMultipoles({ positions: system.positions, charges, dipoles, sigma: 0.9, exclusion });
      expect(Math.abs(base.energies.reduce((s, e) => s + e, 0) - base.energy)).toBeLessThan(1e-12 * Math.abs(base.energy));
      for (let k = 0; k < 21; k++) {
        const fd = derivative((p) => energy(p, charges, dipoles), system.positions, k)[0];
        expect(Math.abs(base.forces[k] + fd)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)));
        const fdMu = derivative((m) => energy(system.positions, charges, m), dipoles, k)[0];
        expect(Math.abs(base.fields[k] - fdMu)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fdMu)));
      }
      for (let i = 0; i < 7; i++) {
        const fd = derivative((q) => energy(system.positions, q, dipoles), charges, i)[0];
        expect(Math.abs(base.potentials[i] - fd)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)));
      }
    });
  }

  it('is the point charge-dipole and dipole-dipole law between distant atoms', () => {
    // E = k [q1 q2 / r + q1 mu2.r^/r^2 - q2 mu1.r^/r^2 + (mu1.mu2 - 3 (mu1.r^)(mu2.r^)) / r^3], r^ from 2 to 1
    const positions = Float64Array.of(0.2, -0.4, 0.1, 0.3, 9.5, -4.0);
    const q = [0.7, -1.3];
    const m1 = [0.11, -0.3, 0.25], m2 = [-0.2, 0.05, 0.4];
    const d = [0.2 - 0.3, -0.4 - 9.5, 0.1 + 4.0];
    const r = Math.hypot(...d);
    const u = d.map((x) => x / r);
    const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    const expected = COULOMB_CONSTANT * ((q[0] * q[1]) / r + (q[0] * dot(m2, u) - q[1] * dot(m1, u)) / r ** 2 + (dot(m1, m2) - 3 * dot(m1, u) * dot(m2, u)) / r ** 3);
    const e = smearedMultipoles({ positions, charges: q, dipoles: [...m1, ...m2], sigma: 0.8 }).energy;
    expect(Math.abs(e - expected)).toBeLessThan(1e-12 * Math.abs(expected));
  });

  it('bad input is a clear error, not NaN', () => {
    expect(() => smearedCoulomb([0, 0, 0], [1, -1], 0.5)).toThrow(/smearedMultipoles.positions: expected 6 numbers \(one per atom, times 3\), got 3/);
    expect(() => smearedCoulomb([0, 0, 0, 1, 0, NaN], [1, -1], 0.5)).toThrow(/positions\[5\]: expected a finite number, got NaN/);
    expect(() => smearedCoulomb([0, 0, 0, 0, 0, 0], [1, -1], 0.5)).toThrow(/atoms 0 and 1 are at the same position/);
    expect(() => smearedCoulomb([0, 0, 0, 1, 0, 0], [1, -1], -1)).toThrow(/sigma: expected a positive finite width/);
  });

  it('an exclusion leaves out exactly the pairs closer than radius - width', () => {
    const positions = Float64Array.of(0, 0, 0, 1.5, 0, 0, 9, 0, 0);
    const q = [0.4, -0.9, 0.6];
    const excluded = smearedCoulomb(positions, q, 0.5, { radius: 3, width: 1 }).energy;
    const farPairs = smearedCoulomb(positions, q, 0.5).energy - smearedCoulomb(positions.subarray(0, 6), q.slice(0, 2), 0.5).energy;
    expect(Math.abs(excluded - farPairs)).toBeLessThan(1e-14);
  });
});

const species = [1, 8];
const chargeSpec = (weights?: number[]): ChargeBaselineSpec => ({
  kind: 'charges',
  hypers: localHypers({ cutoff: 3.5, maxRadial: 2, maxAngular: 1 }),
  smearing: 0.9,
  exclusion: { radius: 2.5, width: 1 },
  ...(weights ? { weights } : {}),
});

/** A charge model with random weights (scaled so that charges stay O(1)). */
function randomChargeModel(seed: number): ChargeModel {
  const probe = new ChargeModel(chargeSpec(), species);
  const random = rng(seed);
  const weights = Array.from({ length: species.length * (probe.dimension + 1) }, () => 0.5 * (random() - 0.5));
  return new ChargeModel(chargeSpec(weights), species);
}

describe("a model with a 'charges' baseline", () => {
  const charges = randomChargeModel(11);
  const spec: FeatureSetSpec = {
    species,
    blocks: [{ kind: 'soap', hypers: localHypers({ cutoff: 3.5, maxRadial: 2, maxAngular: 2 }) }],
    baseline: charges.spec,
  };
  const features = new FeatureSet(spec);
  const random = rng(12);
  const model = new LinearModel(features, {
    weights: Float64Array.from({ length: species.length * features.dimension }, () => 0.1 * (random() - 0.5)),
    biases: Float64Array.of(-13.6, -430),
  });
  const molecule = randomSystem({ seed: 13, atoms: 6, types: species, box: 4, minDistance: 0.9 });

  for (const total of [undefined, -1]) {
    it(`forces at every coordinate are -dE/dr, per-atom energies sum to E (total charge ${total ?? 'free'})`, () => {
      checkForceField(model, { ...molecule, cell: null, ...(total !== undefined ? { charge: total } : {}) }, { tolerance: 1e-7 });
    });
  }

  it('charges add up to the given total and the baseline energy is their Coulomb energy', () => {
    const native = toNativeSystem({ ...molecule, charge: -1 });
    const q = charges.charges(native).charges;
    expect(Math.abs(q.reduce((a, b) => a + b, 0) + 1)).toBeLessThan(1e-12);
    const expected = smearedCoulomb(native.positions, q, 0.9, { radius: 2.5, width: 1 }).energy;
    const energies = charges.evaluate(native).energies;
    expect(Math.abs(energies.reduce((a, b) => a + b, 0) - expected)).toBeLessThan(1e-12 * Math.abs(expected));
  });

  it('model files keep the learned charges', () => {
    const loaded = deserializeModel(serializeModel(model)).model;
    expect(loaded.compute({ ...molecule, charge: -1 }).energy).toBe(model.compute({ ...molecule, charge: -1 }).energy);
  });

  it('periodic systems are refused with a clear error', () => {
    const box = randomSystem({ seed: 14, atoms: 6, types: species, cell: TRICLINIC_CELL, minDistance: 1.2 });
    expect(() => model.compute(box)).toThrow(/charges baseline: periodic systems are not supported yet/);
  });
});

describe('learned atomic dipoles (atomicDipoles)', () => {
  const dipoleSpec = (weights?: number[], dipoleWeights?: number[]): ChargeBaselineSpec => ({
    ...chargeSpec(weights),
    atomicDipoles: true,
    ...(dipoleWeights ? { dipoleWeights } : {}),
  });
  const probe = new ChargeModel(dipoleSpec(), species);
  const random = rng(61);
  const weights = Array.from({ length: species.length * (probe.dimension + 1) }, () => 0.5 * (random() - 0.5));
  const dipoleWeights = Array.from({ length: species.length * probe.dipoleDimension }, () => 0.5 * (random() - 0.5));
  const truth = new ChargeModel(dipoleSpec(weights, dipoleWeights), species);
  const molecule = toNativeSystem({ ...randomSystem({ seed: 62, atoms: 6, types: species, box: 4, minDistance: 0.9 }), cell: null });

  it('forces are -dE/dr through the dipoles as well as the charges, and per-atom energies sum to the multipole energy', () => {
    const { charges } = truth.charges(molecule);
    const dipoles = truth.dipoles(molecule)!;
    expect(Math.max(...dipoles.map(Math.abs))).toBeGreaterThan(1e-2);
    const expected = smearedMultipoles({ positions: molecule.positions, charges, dipoles, sigma: 0.9, exclusion: { radius: 2.5, width: 1 } }).energy;
    const energy = (p: Float64Array) => truth.evaluate({ ...molecule, positions: p }).energies.reduce((a, b) => a + b, 0);
    expect(Math.abs(energy(molecule.positions) - expected)).toBeLessThan(1e-12 * Math.abs(expected));
    const fd = Float64Array.from({ length: molecule.positions.length }, (_, k) => -derivative(energy, molecule.positions, k)[0]);
    expect(relativeError(truth.evaluate(molecule).forces, fd)).toBeLessThan(1e-7);
  });

  it('rotate with the molecule', () => {
    const t = 0.7, c = Math.cos(t), s = Math.sin(t);
    const R = [c, -s, 0, s * 0.6, c * 0.6, -0.8, s * 0.8, c * 0.8, 0.6]; // rotation about z, then about x
    const rotate = (v: ArrayLike<number>) => Float64Array.from({ length: v.length }, (_, k) => {
      const i = Math.floor(k / 3), x = k % 3;
      return R[3 * x] * v[3 * i] + R[3 * x + 1] * v[3 * i + 1] + R[3 * x + 2] * v[3 * i + 2];
    });
    const turned = truth.dipoles({ ...molecule, positions: rotate(molecule.positions) })!;
    expect(relativeError(turned, rotate(truth.dipoles(molecule)!))).toBeLessThan(1e-10);
  });

  it('the fit recovers charges and dipoles that the model can represent', () => {
    const frames = Array.from({ length: 12 }, (_, k) => {
      const system = toNativeSystem({ ...randomSystem({ seed: 70 + k, atoms: 6, types: species, box: 4, minDistance: 0.9 }), cell: null });
      return { system, charges: truth.charges(system).charges, dipoles: truth.dipoles(system)!, group: k };
    });
    const fitted = new ChargeModel(dipoleSpec(), species);
    fitted.fit(frames.slice(0, 10), 5, [1e-10]);
    expect(fitted.dipoleError).toBeLessThan(1e-6);
    for (const { system, dipoles } of frames.slice(10)) expect(relativeError(fitted.dipoles(system)!, dipoles)).toBeLessThan(1e-5);
    // without the frames' dipoles there is nothing to learn them from
    expect(() => new ChargeModel(dipoleSpec(), species).fit(frames.map(({ dipoles, ...f }) => f))).toThrow(/frames\[0\]: a 'charges' baseline with atomicDipoles learns them from every charge frame's reference atomic dipoles/);
  });

  it('refuses dipole weights of the wrong size, without the charges, or without atomicDipoles', () => {
    expect(() => new ChargeModel(dipoleSpec(weights, [1, 2]), species)).toThrow(/features.baseline.dipoleWeights: expected \d+ finite numbers/);
    expect(() => new ChargeModel(dipoleSpec(undefined, dipoleWeights), species)).toThrow(/weights and dipoleWeights come together/);
    expect(() => new ChargeModel({ ...chargeSpec(weights), dipoleWeights }, species)).toThrow(/dipoleWeights: set without atomicDipoles: true/);
    expect(() => new ChargeModel({ ...chargeSpec(), atomicDipoles: 'yes' as never }, species)).toThrow(/atomicDipoles: expected true or false/);
  });

  it('a fit refuses frames with charges and without atomic dipoles, naming the frame', () => {
    const frames: TrainingFrame[] = [0, 1, 2].map((k) => {
      const system = { ...randomSystem({ seed: 90 + k, atoms: 6, types: species, box: 4, minDistance: 0.9 }), cell: null };
      return { system, energy: -1, charges: truth.charges(toNativeSystem(system)).charges, group: k, ...(k === 1 ? {} : { atomicDipoles: new Float64Array(18) }) };
    });
    const spec: FeatureSetSpec = { species, blocks: [{ kind: 'soap', hypers: localHypers({ cutoff: 3.5, maxRadial: 2, maxAngular: 1 }) }], baseline: dipoleSpec() };
    expect(() => fitLinearModel(spec, frames)).toThrow(/frames\[1\]\.atomicDipoles: a 'charges' baseline with atomicDipoles learns them from every frame with charges, and this one has none/);
    // and with no charges at all, no latent charges either: the dipoles need their reference
    expect(() => fitLinearModel(spec, frames.map(({ charges, atomicDipoles, ...f }) => f))).toThrow(/a 'charges' baseline with atomicDipoles learns from per-atom reference charges and atomic dipoles, and no training frame has `charges`/);
  });

  it('model files keep the learned dipoles', () => {
    const features = new FeatureSet({ species, blocks: [{ kind: 'soap', hypers: localHypers({ cutoff: 3.5, maxRadial: 2, maxAngular: 1 }) }], baseline: truth.spec });
    const model = new LinearModel(features, { weights: new Float64Array(species.length * features.dimension), biases: new Float64Array(2) });
    const loaded = deserializeModel(serializeModel(model)).model;
    const a = model.compute({ ...molecule, charge: 0 }, { forces: true }), b = loaded.compute({ ...molecule, charge: 0 }, { forces: true });
    expect(b.energy).toBe(a.energy);
    expect(Array.from(b.forces!)).toEqual(Array.from(a.forces!));
  });
});

describe('a contracted charge model (contraction)', () => {
  // species 1 and 8 with max_radial 2: W = 6 (type, radial) channels per l
  const W = 6;
  const contracted = (channels: number, extra: Partial<ChargeBaselineSpec> = {}): ChargeBaselineSpec => ({ ...chargeSpec(), atomicDipoles: true, contraction: { channels }, ...extra });
  const truth = (() => {
    const probe = new ChargeModel({ ...chargeSpec(), atomicDipoles: true }, species);
    const random = rng(81);
    const weights = Array.from({ length: species.length * (probe.dimension + 1) }, () => 0.5 * (random() - 0.5));
    const dipoleWeights = Array.from({ length: species.length * probe.dipoleDimension }, () => 0.5 * (random() - 0.5));
    return new ChargeModel({ ...chargeSpec(weights), atomicDipoles: true, dipoleWeights }, species);
  })();
  // 40 molecules of 8 atoms: each fold trains on ~120 atoms per species, against 43 unknowns
  const frames = Array.from({ length: 40 }, (_, k) => {
    const system = toNativeSystem({ ...randomSystem({ seed: 100 + k, atoms: 8, types: species, box: 4.5, minDistance: 0.9 }), cell: null });
    return { system, charges: truth.charges(system).charges, dipoles: truth.dipoles(system)!, group: k };
  });

  it('a full-rank contraction loses nothing: the fit learns it and recovers an uncontracted model', () => {
    const fitted = new ChargeModel(contracted(W), species);
    const error = fitted.fit(frames.slice(0, 36), 4, [1e-10]);
    expect(fitted.spec.contractionMatrices).toHaveLength(2 * W * W); // one W x W matrix per l = 0, 1
    expect(error).toBeLessThan(1e-6);
    expect(fitted.dipoleError).toBeLessThan(1e-6);
    for (const { system, charges, dipoles } of frames.slice(36)) {
      expect(relativeError(fitted.charges(system).charges, charges)).toBeLessThan(1e-5);
      expect(relativeError(fitted.dipoles(system)!, dipoles)).toBeLessThan(1e-5);
    }
    // fewer channels than the truth needs cannot represent it, but the
    // learned ones (principal channels of both species) do better than the
    // first three (hydrogen's radial functions alone), which frames that
    // bring their values keep
    const learned = new ChargeModel(contracted(3), species).fit(frames.slice(0, 36), 4);
    const leading = new ChargeModel(contracted(3), species);
    const kept = leading.fit(frames.slice(0, 36).map((f) => ({ ...f, values: leading.values(f.system) })), 4);
    expect(leading.spec.contractionMatrices).toBeUndefined();
    expect(learned).toBeGreaterThan(1e-3);
    expect(learned).toBeLessThan(0.8 * kept);
  });

  it('forces are -dE/dr through the contracted expansion, and model files keep the matrices', () => {
    const fitted = new ChargeModel(contracted(3), species);
    fitted.fit(frames.slice(0, 36), 4);
    const molecule = frames[39].system;
    const energy = (p: Float64Array) => fitted.evaluate({ ...molecule, positions: p }).energies.reduce((a, b) => a + b, 0);
    const fd = Float64Array.from({ length: molecule.positions.length }, (_, k) => -derivative(energy, molecule.positions, k)[0]);
    expect(relativeError(fitted.evaluate(molecule).forces, fd)).toBeLessThan(1e-7);

    const features = new FeatureSet({ species, blocks: [{ kind: 'soap', hypers: localHypers({ cutoff: 3.5, maxRadial: 2, maxAngular: 1 }) }], baseline: fitted.spec });
    const model = new LinearModel(features, { weights: new Float64Array(species.length * features.dimension), biases: new Float64Array(2) });
    const loaded = deserializeModel(serializeModel(model)).model;
    const system = { ...molecule, charge: 0 };
    expect(Array.from(loaded.compute(system, { forces: true }).forces!)).toEqual(Array.from(model.compute(system, { forces: true }).forces!));
  });

  it('refuses matrices of the wrong size, matrices without a contraction, and weights without their matrices', () => {
    expect(() => new ChargeModel(contracted(3, { contractionMatrices: [1, 2] }), species)).toThrow(/features.baseline.contractionMatrices: expected 36 finite numbers/);
    expect(() => new ChargeModel({ ...chargeSpec(), contractionMatrices: [1] }, species)).toThrow(/contractionMatrices: set without contraction/);
    expect(() => new ChargeModel({ ...chargeSpec([1, 2]), contraction: { channels: 3 } }, species)).toThrow(/weights of a contracted charge model come with their contractionMatrices/);
    expect(() => new ChargeModel(contracted(0), species)).toThrow(/features.baseline.contraction: expected \{channels: an integer >= 1\}/);
    expect(() => new ChargeModel(contracted(W + 1), species)).toThrow(/channels: expected at most 6/);
  });

  it('is the default only past CHARGE_CHANNELS (type, radial) channels', () => {
    expect(learnedChargesBaseline({}, [1, 6, 7, 8, 17]).contraction).toBeUndefined();
    expect(learnedChargesBaseline({}, [1, 6, 7, 8, 9, 17]).contraction).toEqual({ channels: CHARGE_CHANNELS });
    expect(presetFeatures('multiscale', [1, 5, 6, 7, 8, 9, 17], { longRange: 'charges' }).baseline).toMatchObject({ contraction: { channels: CHARGE_CHANNELS } });
  });
});

describe('whole charges per bonded fragment', () => {
  // Two waters 3 A apart (O-H 0.96 A, an O...H hydrogen bond of 2 A) and an ammonium far off.
  const water = [0, 0, 0, 0.96, 0, 0, -0.24, 0.93, 0];
  const positions = [
    ...water,
    ...water.map((v, k) => v + (k % 3 === 0 ? 2.96 : 0)),
    ...[0, 0, 0, 0.63, 0.63, 0.63, -0.63, -0.63, 0.63, -0.63, 0.63, -0.63, 0.63, -0.63, -0.63].map((v, k) => v + (k % 3 === 1 ? 8 : 0)),
  ];
  const types = [8, 1, 1, 8, 1, 1, 7, 1, 1, 1, 1];

  it('finds the covalently bonded molecules, not the hydrogen bond', () => {
    expect(Array.from(bondedFragments(positions, types))).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(() => bondedFragments([0, 0, 0], [118])).toThrow(/system.types\[0\]: no covalent radius for atomic number 118/);
  });

  it('rounds each fragment to the nearest integer, moving the closest calls to meet the total', () => {
    expect(integerCharges([0.8, -0.3, 0.45], undefined)).toEqual([1, -0, 0]);
    expect(integerCharges([0.8, -0.3, 0.45], 1)).toEqual([1, -0, 0]);
    expect(integerCharges([0.8, -0.3, 0.45], 2)).toEqual([1, -0, 1]);
    expect(integerCharges([0.8, -0.3, 0.45], -1)).toEqual([0, -1, 0]);
    expect(integerCharges([0.2], 1)).toEqual([1]);
  });

  const spec = { ...chargeSpec(), fragments: true };
  const probe = new ChargeModel(spec, [1, 7, 8]);
  const random = rng(31);
  const model = new ChargeModel({ ...spec, weights: Array.from({ length: 3 * (probe.dimension + 1) }, () => 0.3 * (random() - 0.5)) }, [1, 7, 8]);
  const system = { positions: Float64Array.from(positions), types: Int32Array.from(types), cell: null, pbc: [false, false, false] as [boolean, boolean, boolean] };

  for (const total of [undefined, 1]) {
    it(`every fragment carries a whole charge, and forces are -dE/dr (total ${total ?? 'free'})`, () => {
      const native = toNativeSystem({ ...system, ...(total !== undefined ? { charge: total } : {}) });
      const { charges, groups } = model.charges(native);
      const sums = [0, 0, 0];
      charges.forEach((q, i) => (sums[groups[i]] += q));
      for (const q of sums) expect(Math.abs(q - Math.round(q))).toBeLessThan(1e-12);
      if (total !== undefined) expect(Math.round(sums[0] + sums[1] + sums[2])).toBe(total);
      const energy = (p: Float64Array) => model.evaluate({ ...native, positions: p }).energies.reduce((a, b) => a + b, 0);
      const fd = Float64Array.from({ length: 3 * types.length }, (_, k) => -derivative(energy, native.positions, k)[0]);
      expect(relativeError(model.evaluate(native).forces, fd)).toBeLessThan(1e-7);
    });
  }

  it('sums the Coulomb energy between fragments only', () => {
    const native = toNativeSystem(system);
    const { charges: q, groups } = model.charges(native);
    const unexcluded = new ChargeModel({ ...model.spec, exclusion: undefined }, [1, 7, 8]);
    const total = unexcluded.evaluate(native).energies.reduce((a, b) => a + b, 0);
    let expected = 0;
    for (let i = 0; i < q.length; i++) {
      for (let j = i + 1; j < q.length; j++) {
        if (groups[i] === groups[j]) continue;
        const r = Math.hypot(...[0, 1, 2].map((x) => native.positions[3 * j + x] - native.positions[3 * i + x]));
        expected += (COULOMB_CONSTANT * q[i] * q[j] * erf(r / (2 * 0.9))) / r;
      }
    }
    expect(Math.abs(total - expected)).toBeLessThan(1e-12 * Math.abs(expected));
  });

  it('rejects a fragments flag that is not a boolean', () => {
    expect(() => new ChargeModel({ ...spec, fragments: 'yes' as never }, [1, 7, 8])).toThrow(/features.baseline.fragments: expected true or false/);
  });
});

describe('the multiscale long range chosen from the data', () => {
  const molecule = randomSystem({ seed: 41, atoms: 4, types: species, box: 4, minDistance: 0.9 });
  const box = randomSystem({ seed: 42, atoms: 4, types: species, cell: TRICLINIC_CELL, minDistance: 1.2 });
  const q = [0.1, -0.1, 0.2, -0.2];
  // A lone water, and water with an N-H 3 A away (two bonded fragments).
  const water = { positions: [0, 0, 0, 0.96, 0, 0, -0.24, 0.93, 0], types: [8, 1, 1] };
  const pair = { positions: [...water.positions, 3, 3, 0, 3, 4.01, 0], types: [...water.types, 7, 1] };

  it('is learned charges for molecules in vacuum with per-atom charges, or with a lone molecule to read them off the energies; else the field', () => {
    expect(defaultLongRange([{ system: molecule, charges: q }, { system: molecule }])).toBe('charges');
    expect(defaultLongRange([{ system: pair }, { system: water }])).toBe('charges');
    // Lone molecules only: no interaction to read charges from.
    expect(defaultLongRange([{ system: water }, { system: water }])).toBe('field');
    // Only complexes, no charges: the products of their charges are poorly pinned; the field.
    expect(defaultLongRange([{ system: pair }, { system: pair }])).toBe('field');
    // Targets that are not energies learn charges from reference charges only.
    expect(defaultLongRange([{ system: pair }, { system: water }], false)).toBe('field');
    expect(defaultLongRange([{ system: molecule, charges: q }, { system: molecule }], false)).toBe('charges');
    expect(defaultLongRange([{ system: molecule, charges: q }, { system: box, charges: q }])).toBe('field');
    const spec = presetFeatures('multiscale', species, { longRange: 'charges' });
    expect(spec.blocks.map((b) => b.kind)).toEqual(['soap']);
    expect(spec.baseline).toMatchObject({ kind: 'charges', fragments: true });
    expect(() => presetFeatures('multiscale', species, { longRange: 'charges', exponents: [1, 6] })).toThrow(/exponents: shapes the rho x V blocks/);
    expect(() => presetFeatures('multiscale', species, { longRange: 'ions' as never })).toThrow(/longRange: expected one of field, charges/);
  });
});

describe('fitting the charges', () => {
  const truth = randomChargeModel(21);
  const molecules = Array.from({ length: 24 }, (_, k) => randomSystem({ seed: 100 + k, atoms: 5, types: species, box: 4, minDistance: 0.9 }));
  const frames: TrainingFrame[] = molecules.map((system, k) => ({
    system,
    energy: truth.evaluate(toNativeSystem(system)).energies.reduce((a, b) => a + b, 0),
    charges: truth.charges(toNativeSystem(system)).charges,
    group: k % 6,
  }));

  it('recovers charges that are a linear function of the features, and the energy of the baseline alone', () => {
    const spec: FeatureSetSpec = { species, blocks: [{ kind: 'soap', hypers: localHypers({ cutoff: 3.5, maxRadial: 1, maxAngular: 1 }) }], baseline: chargeSpec() };
    const { model } = fitLinearModel(spec, frames, { forceWeight: 0 });
    // learned into the model's copy of the spec: the caller's spec can fit other data afresh
    expect((spec.baseline as ChargeBaselineSpec).weights).toBeUndefined();
    expect((model.features.spec.baseline as ChargeBaselineSpec).weights).toHaveLength(model.features.baseline!.charges!.species.length * (model.features.baseline!.charges!.dimension + 1));
    const fitted = model.features.baseline!.charges!;
    const test = toNativeSystem(randomSystem({ seed: 999, atoms: 5, types: species, box: 4, minDistance: 0.9 }));
    const scale = Math.max(...truth.charges(test).charges.map(Math.abs));
    expect(relativeError(fitted.charges(test).charges, truth.charges(test).charges)).toBeLessThan(1e-3 * scale);
    // The learned part has nothing left to fit: the energies are the baseline's.
    const e = truth.evaluate(test).energies.reduce((a, b) => a + b, 0);
    expect(Math.abs(model.compute(test).energy - e)).toBeLessThan(1e-3 * Math.abs(e) + 1e-3);
  });

  describe('with frames that teach the charges only (chargeFrames)', () => {
    const spec = (): FeatureSetSpec => ({ species, blocks: [{ kind: 'soap', hypers: localHypers({ cutoff: 3.5, maxRadial: 1, maxAngular: 1 }) }], baseline: chargeSpec() });
    // Three frames with energies cannot pin the charge model's weights; the other 21 molecules' charges can.
    const few = frames.slice(0, 3).map(({ system, energy, group }) => ({ system, energy, group, charges: truth.charges(toNativeSystem(system)).charges }));
    const chargeFrames = frames.slice(3).map(({ system, charges, group }) => ({ system, charges: charges!, group }));
    const test = toNativeSystem(randomSystem({ seed: 999, atoms: 5, types: species, box: 4, minDistance: 0.9 }));
    const chargeError = (model: LinearModel) => relativeError(model.features.baseline!.charges!.charges(test).charges, truth.charges(test).charges);

    it('learn the charges from them, and fit the energies of the training frames alone', () => {
      const alone = fitLinearModel(spec(), few, { forceWeight: 0, folds: 3 });
      const joined = fitLinearModel(spec(), few, { forceWeight: 0, folds: 3, chargeFrames });
      const scale = Math.max(...truth.charges(test).charges.map(Math.abs));
      expect(chargeError(joined.model)).toBeLessThan(1e-3 * scale);
      expect(chargeError(alone.model)).toBeGreaterThan(10 * chargeError(joined.model));
      expect(joined.report.frames).toBe(few.length);
    });

    it('are refused without learned charges, with charges that are not one finite number per atom, or with an unknown species', () => {
      const local: FeatureSetSpec = { ...spec(), baseline: undefined };
      expect(() => fitLinearModel(local, few, { chargeFrames })).toThrow(/chargeFrames: only the learned charges/);
      const short = [{ ...chargeFrames[0], charges: Array.from(chargeFrames[0].charges).slice(1) }];
      expect(() => fitLinearModel(spec(), few, { chargeFrames: short })).toThrow(/chargeFrames\[0\]\.charges: expected 5 charges/);
      const nan = [chargeFrames[0], { ...chargeFrames[1], charges: Float64Array.of(0.1, NaN, 0, 0, 0) }];
      expect(() => fitLinearModel(spec(), few, { chargeFrames: nan })).toThrow(/chargeFrames\[1\]\.charges\[1\]: expected a finite number/);
      const nitrogen = [{ ...chargeFrames[0], system: { ...chargeFrames[0].system, types: [7, ...Array.from(chargeFrames[0].system.types).slice(1)] } }];
      expect(() => fitLinearModel(spec(), few, { chargeFrames: nitrogen })).toThrow(/chargeFrames\[0\]\.system\.types\[0\]: atomic number 7 is unknown/);
    });
  });
});

describe('training sets without lone molecules', () => {
  // Water (O at the origin) and an ammonium-like N with one H, 3 A apart: two bonded fragments.
  const water = { positions: [0, 0, 0, 0.96, 0, 0, -0.24, 0.93, 0], types: [8, 1, 1] };
  const pair = { positions: [...water.positions, 3, 3, 0, 3, 4.01, 0], types: [...water.types, 7, 1] };
  const periodic = { ...pair, cell: [10, 0, 0, 0, 10, 0, 0, 0, 10] };

  it('are told apart from sets with a lone molecule, and from periodic ones', () => {
    expect(lacksIsolatedMolecules([{ system: pair }, { system: pair }])).toBe(true);
    expect(lacksIsolatedMolecules([{ system: pair }, { system: water }])).toBe(false);
    expect(lacksIsolatedMolecules([{ system: pair }, { system: periodic }])).toBe(false);
    expect(lacksIsolatedMolecules([])).toBe(false);
  });
});
