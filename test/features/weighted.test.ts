// Linear models on a pair calculator's values evaluated natively
// (computeWeighted / backwardWeighted of Invariants and
// EquivariantInvariants, used by the learned charges and dipoles): the same
// numbers as compute() contracted in JS and backward() of the explicit
// adjoint, and clear errors for weights, species or dL/dy of the wrong shape.
import { describe, expect, it } from 'vitest';
import { EquivariantInvariants, Invariants, SphericalExpansion } from '../../lib/index.js';
import { relativeError } from '../support/finite-differences.js';
import { randomSystem, rng, TRICLINIC_CELL } from '../support/random-systems.js';
import { smallSoap } from '../support/small-hypers.js';

const species = [1, 8];
const options = { neighborTypes: species };
const expansion = new SphericalExpansion(smallSoap());
const system = randomSystem({ seed: 31, atoms: 10, types: species, cell: TRICLINIC_CELL, minDistance: 0.9 });
const index = Int32Array.from(system.types as ArrayLike<number>, (z) => species.indexOf(z));

function random(length: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length }, () => next() - 0.5);
}

describe.each([
  ['Invariants', new Invariants(expansion, expansion), 1],
  ['EquivariantInvariants, lambda = 1', new EquivariantInvariants(expansion, expansion, { lambda: 1 }), 3],
] as const)('%s', (_, calculator, C) => {
  const block = calculator.compute(system, options);
  const P = block.shape[block.shape.length - 1];
  const N = index.length;
  const weights = random(species.length * P, 3);

  it('computeWeighted is weights[species] . x per sample and component', () => {
    const expected = new Float64Array(N * C);
    for (let i = 0; i < N; i++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) expected[i * C + c] += weights[index[i] * P + p] * block.values[(i * C + c) * P + p];
    expect(relativeError(calculator.computeWeighted(system, weights, index, options), expected)).toBeLessThan(1e-13);
  });

  it('backwardWeighted is backward() of the adjoint dL/dy (x) weights[species]', () => {
    const dLdy = random(N * C, 4);
    const adjoint = new Float64Array(N * C * P);
    for (let i = 0; i < N; i++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) adjoint[(i * C + c) * P + p] = dLdy[i * C + c] * weights[index[i] * P + p];
    const expected = calculator.backward(system, adjoint, options);
    const got = calculator.backwardWeighted(system, weights, index, dLdy, options);
    expect(relativeError(got.positions, expected.positions)).toBeLessThan(1e-13);
    expect(relativeError(got.strain, expected.strain)).toBeLessThan(1e-13);
  });

  it('refuses weights, species and dL/dy of the wrong shape, and dL/dy that is not finite', () => {
    expect(() => calculator.computeWeighted(system, weights.subarray(1), index, options)).toThrow(new RegExp(`weights: expected \\[species\\]\\[${P}\\] numbers, got ${weights.length - 1}`));
    expect(() => calculator.computeWeighted(system, weights, index.subarray(1), options)).toThrow(/species: expected one index per sample \(10\), got 9/);
    expect(() => calculator.computeWeighted(system, weights, Int32Array.from(index, () => 2), options)).toThrow(/species\[0\]: expected an index below 2, got 2/);
    expect(() => calculator.backwardWeighted(system, weights, index, new Float64Array(N * C + 1), options)).toThrow(new RegExp(`dL/dy: expected ${N * C} numbers`));
    const bad = new Float64Array(N * C);
    bad[4] = NaN;
    expect(() => calculator.backwardWeighted(system, weights, index, bad, options)).toThrow(/dL\/dy\[4\]: expected finite numbers, got NaN/);
  });
});
