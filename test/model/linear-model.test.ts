import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  deserializeModel,
  FeatureSet,
  fitLinearModel,
  LinearModel,
  loadModel,
  saveModel,
  serializeModel,
  type FeatureSetSpec,
} from '../../lib/index.js';
import { relativeError } from '../support/finite-differences.js';
import { checkForceField } from '../support/check-gradients.js';
import { randomRotation, randomSystem, rotate, rng, TRICLINIC_CELL } from '../support/random-systems.js';
import { smallSoap } from '../support/small-hypers.js';

const hypers = smallSoap;

const spec: FeatureSetSpec = {
  species: [11, 17],
  blocks: [
    { kind: 'soap', hypers: hypers(3.5, 0.4) },
    { kind: 'soap', hypers: hypers(5, 0.8) },
  ],
};

function randomModel(seed: number): LinearModel {
  const features = new FeatureSet(spec);
  features.scales = [0.7, 1.9];
  const random = rng(seed);
  const S = spec.species.length, D = features.dimension;
  return new LinearModel(features, {
    weights: Float64Array.from({ length: S * D }, () => random() - 0.5),
    biases: Float64Array.from({ length: S }, () => random() - 0.5),
  });
}

const periodic = randomSystem({ seed: 21, atoms: 12, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.5 });
const molecule = randomSystem({ seed: 22, atoms: 8, types: [11, 17], box: 5, minDistance: 1.5 });

describe('linear model as a force field', () => {
  const model = randomModel(1);

  for (const [name, system] of [['periodic', periodic], ['molecule', molecule]] as const) {
    it(`forces are -dE/dr at every coordinate and the stress (1/V) dE/dstrain in full (${name})`, () => {
      checkForceField(model, system);
    });

    it(`forces sum to zero and rotate with the system (${name})`, () => {
      const result = model.compute(system);
      for (let x = 0; x < 3; x++) {
        let sum = 0;
        for (let i = 0; i < system.types.length; i++) sum += result.forces![3 * i + x];
        expect(Math.abs(sum)).toBeLessThan(1e-10);
      }
      const R = randomRotation(9);
      const rotated = model.compute({
        ...system,
        positions: rotate(system.positions, R),
        cell: system.cell ? rotate(system.cell, R) : null,
      });
      expect(Math.abs(rotated.energy - result.energy)).toBeLessThan(1e-10 * Math.abs(result.energy));
      expect(relativeError(rotated.forces!, rotate(result.forces!, R))).toBeLessThan(1e-10);
    });
  }

  it('per-atom energies sum to the energy; async equals sync', async () => {
    const sync = model.compute(periodic, { perAtom: true, stress: true });
    expect(sync.energies!.reduce((a, b) => a + b, 0)).toBeCloseTo(sync.energy, 10);
    const async_ = await model.computeAsync(periodic, { perAtom: true, stress: true });
    expect(async_.energy).toBe(sync.energy);
    expect(async_.forces).toEqual(sync.forces);
    expect(async_.stress).toEqual(sync.stress);
  });

  it('follows weights, block scales and species changed in place between calls, as a fresh model does', () => {
    const changing = randomModel(5);
    const fresh = () => {
      const features = new FeatureSet(spec);
      features.scales = [...changing.features.scales];
      return new LinearModel(features, { weights: changing.weights.slice(), biases: changing.biases.slice() });
    };
    const same = (system: typeof periodic) => {
      const a = changing.compute(system, { perAtom: true });
      const b = fresh().compute(system, { perAtom: true });
      expect(a.energies).toEqual(b.energies);
      expect(a.forces).toEqual(b.forces);
    };
    same(periodic);
    changing.weights[7] += 0.25;
    same(periodic);
    changing.features.scales[1] = 0.3;
    same(periodic);
    same({ ...periodic, types: periodic.types.map((t) => (t === 11 ? 17 : 11)) });
    same(molecule);
  });

  it('rejects species the model does not know', () => {
    expect(() => model.compute({ ...molecule, types: molecule.types.map((t, i) => (i === 3 ? 8 : t)) })).toThrow(
      /types\[3\]: atomic number 8 is unknown to this model/,
    );
  });
});

describe('fitting', () => {
  it('recovers a model that generated the data', () => {
    const truth = randomModel(2);
    const frames = Array.from({ length: 24 }, (_, k) => {
      const system = randomSystem({ seed: 100 + k, atoms: 10, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.4 });
      const r = truth.compute(system);
      return { system, energy: r.energy, forces: r.forces };
    });
    const { model, report } = fitLinearModel(spec, frames, { forceWeight: 1, regularizations: [1e-12, 1e-10] });
    expect(report.validation.forceRmse).toBeLessThan(1e-6);
    const test = randomSystem({ seed: 999, atoms: 10, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.4 });
    const expected = truth.compute(test);
    const got = model.compute(test);
    expect(Math.abs(got.energy - expected.energy)).toBeLessThan(1e-6 * Math.abs(expected.energy));
    expect(relativeError(got.forces!, expected.forces!)).toBeLessThan(1e-6);
  });

  it('reports progress and validates options', () => {
    const frames = [0, 1, 2].map((k) => {
      const system = randomSystem({ seed: 200 + k, atoms: 6, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.4 });
      return { system, energy: k };
    });
    const stages = new Set<string>();
    fitLinearModel(spec, frames, { onProgress: (p) => stages.add(p.stage), regularizations: [1e-6] });
    expect([...stages]).toEqual(['scaling', 'accumulating', 'regularisation', 'solving']);
    expect(() => fitLinearModel(spec, frames, { validationFraction: 0.1 } as object)).toThrow(/validationFraction: no longer used/);
    // The default candidates print as decades (1e-7, 0.001), not 0.00009999999999999999.
    const { report } = fitLinearModel(spec, frames);
    expect(report.scan.map((s) => String(s.regularization))).toEqual(['1e-12', '1e-11', '1e-10', '1e-9', '1e-8', '1e-7', '0.000001', '0.00001', '0.0001', '0.001', '0.01']);
    expect(() => fitLinearModel(spec, frames, { folds: 1 })).toThrow(/folds: expected an integer >= 2/);
    expect(() => fitLinearModel(spec, frames.slice(0, 1))).toThrow(/at least 2 training frames/);
    expect(() => fitLinearModel(spec, [frames[0], { ...frames[1], energy: NaN }])).toThrow(
      /energy: expected a finite number/,
    );
  });
});

describe('model files', () => {
  const model = randomModel(3);
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-model-'));

  it('save -> load gives identical predictions bit for bit', () => {
    const path = join(dir, 'model.lsm');
    saveModel(path, model, { note: 'test' });
    const { model: loaded, metadata } = loadModel(path);
    expect(metadata.note).toBe('test');
    expect(typeof metadata.created).toBe('string');
    expect(loaded.weights).toEqual(model.weights);
    const a = model.compute(periodic, { stress: true });
    const b = loaded.compute(periodic, { stress: true });
    expect(b.energy).toBe(a.energy);
    expect(b.forces).toEqual(a.forces);
    expect(b.stress).toEqual(a.stress);
  });

  it('rejects unknown, truncated and corrupt files with clear errors', () => {
    const bytes = serializeModel(model);
    expect(() => deserializeModel(Buffer.from('hello world, not a model'), 'x.lsm')).toThrow(/x.lsm: not a lodestone model file/);
    expect(() => deserializeModel(bytes.subarray(0, bytes.length - 8), 'x.lsm')).toThrow(/truncated or padded/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] ^= 0xff;
    expect(() => deserializeModel(flipped, 'x.lsm')).toThrow(/checksum mismatch/);
    const future = Buffer.from(bytes);
    future.writeUInt32LE(99, 8);
    expect(() => deserializeModel(future, 'x.lsm')).toThrow(/version 99 is not supported/);
    const badHeader = Buffer.from(bytes);
    badHeader[16] = 0x78; // 'x' where the JSON header opens with '{'

    expect(() => deserializeModel(badHeader, 'x.lsm')).toThrow(/corrupt header/);
    expect(() => loadModel(join(dir, 'missing.lsm'))).toThrow(/cannot read the model file/);
    writeFileSync(join(dir, 'empty.lsm'), '');
    expect(() => loadModel(join(dir, 'empty.lsm'))).toThrow(/not a lodestone model file/);
    expect(readFileSync(join(dir, 'empty.lsm')).length).toBe(0);
  });
});
