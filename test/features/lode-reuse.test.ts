// The k-space LODE sum keeps the last block's phases and structure factors
// for the next call on the same structure (a values pass then the backward
// pass of one MD step), and, once a backward pass has been asked for, the
// last values-only result (a kernel model computes the values, then the
// backward pass, whose products compute them again). Any change of
// positions, cell, types, centres, neighbour types or k-vectors must
// recompute them: every result here is compared, bit for bit, with a fresh
// expansion object that has nothing to reuse.
import { describe, expect, it } from 'vitest';
import { LodeSphericalExpansion, type LodeSphericalExpansionHypers } from '../../lib/index.js';
import { randomSystem, rng, type TestSystem } from '../support/random-systems.js';

const CUBIC = [8, 0, 0, 0, 8, 0, 0, 0, 8];
const hypers = (smearing: number): LodeSphericalExpansionHypers => ({
  density: { type: 'SmearedPowerLaw', smearing, exponent: 1 },
  basis: { type: 'TensorProduct', max_angular: 3, radial: { type: 'Gto', max_radial: 3, radius: 3.5 } },
  method: 'direct',
});

const base = randomSystem({ seed: 5, atoms: 16, types: [11, 17], cell: CUBIC, minDistance: 1.4 });

function moved(system: TestSystem, seed: number): TestSystem {
  const random = rng(seed);
  return { ...system, positions: Float64Array.from(system.positions as ArrayLike<number>, (x) => x + 0.05 * (random() - 0.5)) };
}

function adjoint(length: number): Float64Array {
  return Float64Array.from({ length }, (_, i) => Math.sin(0.7 * i));
}

describe('LODE k-space work shared between calls', () => {
  const variants: [string, TestSystem][] = [
    ['moved atoms', moved(base, 9)],
    ['swapped types', { ...base, types: Int32Array.from(base.types as ArrayLike<number>, (z) => (z === 11 ? 17 : 11)) }],
    ['strained cell', { ...base, cell: Float64Array.from(CUBIC, (x, k) => (k === 0 ? x * 1.001 : x)) }],
  ];
  // Forces alone (as MD asks) keep the k cache of the values pass; with the
  // strain the cache gains the coefficients' derivatives.
  for (const [name, other] of variants) {
    for (const gradients of [['positions'], ['positions', 'strain']] as const) {
      it(`values, then the backward pass (${gradients.join(' + ')}) of another structure (${name}): as computed afresh`, () => {
        const lode = new LodeSphericalExpansion(hypers(1.2));
        const values = lode.compute(base).values;
        const g = adjoint(values.length);
        const reused = lode.backward(other, g, { gradients });
        const fresh = new LodeSphericalExpansion(hypers(1.2)).backward(other, g, { gradients });
        expect(Array.from(reused.positions)).toEqual(Array.from(fresh.positions));
        expect(Array.from(reused.strain)).toEqual(Array.from(fresh.strain));
        expect(Array.from(lode.compute(other).values)).toEqual(Array.from(new LodeSphericalExpansion(hypers(1.2)).compute(other).values));
      });
    }
  }

  it('another list of neighbour types (one more, absent from the structure): as computed afresh', () => {
    const wider = { neighborTypes: [11, 17, 35] };
    const g = adjoint(new LodeSphericalExpansion(hypers(1.2)).compute(base, wider).values.length);
    const lode = new LodeSphericalExpansion(hypers(1.2));
    lode.compute(base, { neighborTypes: [11, 17] });
    const after = lode.backward(base, g, { ...wider, gradients: ['positions'] });
    const fresh = new LodeSphericalExpansion(hypers(1.2)).backward(base, g, { ...wider, gradients: ['positions'] });
    expect(Array.from(after.positions)).toEqual(Array.from(fresh.positions));
  });

  it('two expansions with different k-vectors on one structure do not share', () => {
    const wide = new LodeSphericalExpansion(hypers(1.2));
    const sharp = new LodeSphericalExpansion(hypers(0.8));
    const values = wide.compute(base).values;
    const g = adjoint(values.length);
    const after = sharp.backward(base, g, { gradients: ['positions'] });
    const fresh = new LodeSphericalExpansion(hypers(0.8)).backward(base, g, { gradients: ['positions'] });
    expect(Array.from(after.positions)).toEqual(Array.from(fresh.positions));
  });

  it('the same structure again gives the same numbers', () => {
    const lode = new LodeSphericalExpansion(hypers(1.2));
    const first = lode.compute(base).values;
    const g = adjoint(first.length);
    const b1 = lode.backward(base, g, { gradients: ['positions'] });
    const b2 = lode.backward(base, g, { gradients: ['positions'] });
    expect(Array.from(lode.compute(base).values)).toEqual(Array.from(first));
    expect(Array.from(b2.positions)).toEqual(Array.from(b1.positions));
  });
});

describe('LODE values kept after a backward pass', () => {
  const variants: [string, TestSystem, object][] = [
    ['moved atoms', moved(base, 9), {}],
    ['one atom moved by 1e-12 A', { ...base, positions: Float64Array.from(base.positions as ArrayLike<number>, (x, k) => (k === 7 ? x + 1e-12 : x)) }, {}],
    ['swapped types', { ...base, types: Int32Array.from(base.types as ArrayLike<number>, (z) => (z === 11 ? 17 : 11)) }, {}],
    ['strained cell', { ...base, cell: Float64Array.from(CUBIC, (x, k) => (k === 0 ? x * 1.001 : x)) }, {}],
    ['some centres only', base, { centers: [1, 4, 5] }],
    ['another list of neighbour types', base, { neighborTypes: [11, 17, 35] }],
  ];
  for (const method of ['direct', 'mesh'] as const) {
    it(`${method}: the same structure gives the kept values; any other input, a fresh expansion's`, () => {
      const h = { ...hypers(1.2), method };
      const lode = new LodeSphericalExpansion(h);
      const first = lode.compute(base).values;
      lode.backward(base, adjoint(first.length), { gradients: ['positions'] });
      expect(Array.from(lode.compute(base).values)).toEqual(Array.from(first));
      for (const [name, other, options] of variants) {
        lode.compute(base);
        const got = Array.from(lode.compute(other, options).values);
        expect(got, name).toEqual(Array.from(new LodeSphericalExpansion(h).compute(other, options).values));
      }
    });
  }
});
