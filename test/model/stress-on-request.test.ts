// The strain derivative is computed only when a stress is asked for: a
// backward pass returns the gradients its options name, and a model asks
// its blocks for the strain only with `stress: true`. Forces must not
// depend on whether the strain was computed alongside them.
import { describe, expect, it } from 'vitest';
import {
  FeatureSet,
  Invariants,
  LinearModel,
  LodeSphericalExpansion,
  SphericalExpansion,
  type FeatureSetSpec,
  type LodeSphericalExpansionHypers,
} from '../../lib/index.js';
import { relativeError } from '../support/finite-differences.js';
import { randomSystem, rng, TRICLINIC_CELL } from '../support/random-systems.js';
import { smallSoap } from '../support/small-hypers.js';

const soap = smallSoap();
const lode = (method: LodeSphericalExpansionHypers['method']): LodeSphericalExpansionHypers => ({
  density: { type: 'SmearedPowerLaw', smearing: 1.2, exponent: 1 },
  basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: 2, radius: 3.5 } },
  method,
  ...(method === 'direct' ? {} : { accuracy: 1e-6 }),
});

// Neutral NaCl: 6 + 6 ions in a triclinic cell, and the same atoms in vacuum.
const periodic = randomSystem({ seed: 41, atoms: 12, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.6 });
periodic.types = Int32Array.from({ length: 12 }, (_, i) => (i % 2 ? 17 : 11));
const molecule = { ...periodic, cell: null, pbc: [false, false, false] as [boolean, boolean, boolean] };

function randomAdjoint(length: number, seed: number): Float64Array {
  const random = rng(seed);
  return Float64Array.from({ length }, () => random() - 0.5);
}

describe('backward passes return the gradients asked for', () => {
  const calculators = [
    ['SOAP expansion', () => new SphericalExpansion(soap)],
    ["LODE 'direct'", () => new LodeSphericalExpansion(lode('direct'))],
    ["LODE 'mesh'", () => new LodeSphericalExpansion(lode('mesh'))],
    ["LODE 'split'", () => new LodeSphericalExpansion(lode('split'))],
    ['rho x V invariants', () => new Invariants(new SphericalExpansion(soap), new LodeSphericalExpansion(lode('direct')))],
  ] as const;
  for (const [name, make] of calculators) {
    for (const [where, system] of [['periodic', periodic], ['vacuum', molecule]] as const) {
      it(`${name}, ${where}: positions alone, strain alone, both`, () => {
        const calculator = make();
        const values = calculator.compute(system).values;
        const adjoint = randomAdjoint(values.length, 3);
        const both = calculator.backward(system, adjoint);
        expect(both.positions.length).toBe(3 * system.types.length);
        expect(both.strain.length).toBe(9);
        const positions = calculator.backward(system, adjoint, { gradients: ['positions'] });
        expect(positions.strain.length).toBe(0);
        expect(relativeError(positions.positions, both.positions)).toBeLessThan(1e-14);
        const strain = calculator.backward(system, adjoint, { gradients: ['strain'] });
        expect(strain.positions.length).toBe(0);
        expect(relativeError(strain.strain, both.strain)).toBeLessThan(1e-14);
      });
    }
  }

  it('rejects a gradient a backward pass cannot return', async () => {
    const calculator = new SphericalExpansion(soap);
    const adjoint = randomAdjoint(calculator.compute(periodic).values.length, 4);
    for (const gradients of [['cell'], ['positions', 'forces'], 'positions']) {
      expect(() => calculator.backward(periodic, adjoint, { gradients: gradients as never })).toThrow(
        /options\.gradients: a backward pass returns positions and strain/,
      );
    }
    await expect(calculator.backwardAsync(periodic, adjoint, { gradients: ['cell'] as never })).rejects.toThrow(/options\.gradients/);
  });
});

describe('a model computes the strain only for a stress', () => {
  const spec: FeatureSetSpec = {
    species: [11, 17],
    blocks: [
      { kind: 'soap', hypers: soap },
      { kind: 'multiscale', density: soap, potential: lode('direct') },
    ],
    baseline: { kind: 'ewald', charges: { '11': 1, '17': -1 }, accuracy: 1e-8 },
  };
  const features = new FeatureSet(spec);
  const random = rng(8);
  const model = new LinearModel(features, {
    weights: Float64Array.from({ length: 2 * features.dimension }, () => 0.01 * (random() - 0.5)),
    biases: Float64Array.of(-1, -2),
  });

  it('gives the same energy and forces with and without a stress, and no stress unless asked', async () => {
    const full = model.compute(periodic, { stress: true });
    expect(full.stress).toHaveLength(9);
    for (const lean of [model.compute(periodic), await model.computeAsync(periodic)]) {
      expect(lean.stress).toBeUndefined();
      expect(lean.virial).toBeUndefined();
      expect(Math.abs(lean.energy - full.energy)).toBeLessThan(1e-13 * Math.abs(full.energy));
      expect(relativeError(lean.forces!, full.forces!)).toBeLessThan(1e-13);
    }
  });
});
