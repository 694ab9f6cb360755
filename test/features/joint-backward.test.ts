// One backward pass through several invariants (a model's blocks): the
// blocks over one density expansion, or over contractions of it, share its
// pass over neighbour pairs. The result must be the sum of the blocks' own
// backward passes, and the dots each block's dL/dx . x per centre.
import { describe, expect, it } from 'vitest';
import {
  FeatureSet,
  Invariants,
  LodeSphericalExpansion,
  presetFeatures,
  SphericalExpansion,
  type LodeSphericalExpansionHypers,
  type System,
} from '../../lib/index.js';
import { prepare } from '../../lib/core/request.js';
import { ContractedExpansion } from '../../lib/model/contraction.js';
import { native } from '../../lib/native/addon.js';
import { relativeError } from '../support/finite-differences.js';
import { randomSystem, rng, TRICLINIC_CELL } from '../support/random-systems.js';
import { smallSoap } from '../support/small-hypers.js';

const soap = smallSoap();
const lode: LodeSphericalExpansionHypers = {
  density: { type: 'SmearedPowerLaw', smearing: 1.2, exponent: 1 },
  basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: 2, radius: 3.5 } },
  method: 'direct',
};
const species = [11, 17];
const options = { neighborTypes: species };

const periodic = randomSystem({ seed: 51, atoms: 12, types: species, cell: TRICLINIC_CELL, minDistance: 1.6 });
const molecule = randomSystem({ seed: 52, atoms: 9, types: species, box: 5, minDistance: 1.6 });

function random(length: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length }, () => next() - 0.5);
}

/** The blocks' own backward passes summed, and their dots from the values. */
function separately(list: Invariants[], system: System, dLdx: Float64Array[], gradients: Array<'positions' | 'strain'>) {
  const outs = list.map((inv, k) => inv.backward(system, dLdx[k], { ...options, gradients }));
  const sum = (key: 'positions' | 'strain') => outs.reduce((acc, o) => acc.map((v, i) => v + o[key][i]), new Float64Array(outs[0][key].length));
  const dots = outs.map((o, k) => {
    const atoms = system.types.length;
    const P = o.values.length / atoms;
    return Float64Array.from({ length: atoms }, (_, i) => {
      let e = 0;
      for (let p = 0; p < P; p++) e += dLdx[k][i * P + p] * o.values[i * P + p];
      return e;
    });
  });
  return { positions: sum('positions'), strain: sum('strain'), dots };
}

function expectJointEqualsSeparate(list: Invariants[], system: System, seed: number) {
  const dLdx = list.map((inv, k) => random(inv.compute(system, options).values.length, seed + k));
  for (const gradients of [['positions', 'strain'], ['positions']] as Array<Array<'positions' | 'strain'>>) {
    const expected = separately(list, system, dLdx, gradients);
    const joint = Invariants.jointBackwardDots(list, system, dLdx, { ...options, gradients });
    expect(relativeError(joint.positions, expected.positions)).toBeLessThan(1e-13);
    expect(joint.strain.length).toBe(expected.strain.length);
    if (expected.strain.length) expect(relativeError(joint.strain, expected.strain)).toBeLessThan(1e-13);
    expect(joint.dots.length).toBe(list.length);
    joint.dots.forEach((dots, k) => expect(relativeError(dots, expected.dots[k])).toBeLessThan(1e-13));
  }
}

describe('joint backward pass of several invariants', () => {
  const density = new SphericalExpansion(soap);
  const potential = new LodeSphericalExpansion(lode);
  const blocks = () => [new Invariants(density, density), new Invariants(density, potential), new Invariants(potential, potential)];

  for (const [where, system] of [['periodic', periodic], ['vacuum', molecule]] as const) {
    it(`rho x rho, rho x V and V x V over one density: the sum of their own passes (${where})`, () => {
      expectJointEqualsSeparate(blocks(), system, 7);
    });

    it(`contractions of one density (different matrices) share it and still sum exactly (${where})`, () => {
      const W = species.length * 3;
      const K = 2;
      const contract = (seed: number) => new ContractedExpansion(density, species, K, random(3 * K * W, seed));
      const [a, b] = [contract(1), contract(2)];
      const potentialContracted = new ContractedExpansion(potential, species, K, random(3 * K * W, 3));
      expectJointEqualsSeparate([new Invariants(a, a), new Invariants(b, potentialContracted), new Invariants(density, density)], system, 11);
    });
  }

  it('normalised invariants: the dots are dL/dx . x of the normalised x', () => {
    const normalize = { normalize: true };
    expectJointEqualsSeparate([new Invariants(density, density, normalize), new Invariants(density, potential, normalize)], periodic, 23);
  });

  it('blocks over different densities, and one block alone, give their own passes', () => {
    const other = new SphericalExpansion({ ...soap, cutoff: { ...soap.cutoff, radius: 3 } });
    expectJointEqualsSeparate([new Invariants(density, density), new Invariants(other, potential)], periodic, 13);
    expectJointEqualsSeparate([new Invariants(density, potential)], periodic, 17);
  });

  it('async equals sync bit for bit', async () => {
    const list = blocks();
    const dLdx = list.map((inv, k) => random(inv.compute(periodic, options).values.length, 19 + k));
    const sync = Invariants.jointBackwardDots(list, periodic, dLdx, options);
    const async_ = await Invariants.jointBackwardDotsAsync(list, periodic, dLdx, options);
    expect(async_.positions).toEqual(sync.positions);
    expect(async_.strain).toEqual(sync.strain);
    expect(async_.dots).toEqual(sync.dots);
  });

  it('rejects a wrong list and a missing, short or non-finite dL/dx', () => {
    const list = blocks();
    const dLdx = list.map((inv) => new Float64Array(inv.compute(periodic, options).values.length));
    expect(() => Invariants.jointBackwardDots([], periodic, [], options)).toThrow(/invariants: expected a non-empty array of Invariants/);
    expect(() => Invariants.jointBackwardDots([density as never], periodic, [dLdx[0]], options)).toThrow(/invariants\[0\]: expected an Invariants object/);
    expect(() => Invariants.jointBackwardDots(list, periodic, dLdx.slice(1), options)).toThrow(/dL\/dx: expected one array per invariant \(3\)/);
    expect(() => Invariants.jointBackwardDots(list, periodic, [dLdx[0], dLdx[1].subarray(1), dLdx[2]], options)).toThrow(
      /^backwardInvariants: dL\/dx\[1\]: gradient of the loss: expected 12 x \d+ = \d+ numbers/,
    );
    const bad = dLdx.map((d) => d.slice());
    bad[2][5] = NaN;
    expect(() => Invariants.jointBackwardDots(list, periodic, bad, options)).toThrow(/^dL\/dx\[2\]\[5\]: expected finite numbers, got NaN$/);
    // the addon's own checks (lib/ checks the list and the count first)
    const { systems, request } = prepare(periodic, options);
    const handles = list.map((inv) => (inv as unknown as { handle: unknown }).handle);
    expect(() => (native.backwardInvariants as (...a: unknown[]) => unknown)(handles, systems, request, dLdx.slice(1))).toThrow(
      /backwardInvariants: expected one dL\/dx array per invariant \(3\)/,
    );
    expect(() => (native.backwardInvariants as (...a: unknown[]) => unknown)([{}], systems, request, [dLdx[0]])).toThrow(
      /backwardInvariants: invariants\[0\]: expected a native Invariants object/,
    );
  });
});

describe('feature sets', () => {
  it('give blocks with equal density hypers one expansion object, whose pass their backward shares', () => {
    const features = new FeatureSet(presetFeatures('multiscale', species, { maxRadial: 2, maxAngular: 2 }));
    const [[a0, b0], [a1]] = features.blockInputs();
    expect(a0).toBe(b0);
    expect(a1).toBe(a0);
    const adjoints = features.sizes.map((size, b) => random(periodic.types.length * size, 23 + b));
    const joint = features.backwardDots(periodic, adjoints, { stress: true });
    const expected = separately(features.invariants, periodic, adjoints, ['positions', 'strain']);
    expect(relativeError(joint.positions, expected.positions)).toBeLessThan(1e-13);
    expect(relativeError(joint.strain, expected.strain)).toBeLessThan(1e-13);
  });
});
