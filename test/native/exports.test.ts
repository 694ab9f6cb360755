// The addon exports what lib/ uses and nothing else: checks of its building
// blocks (harmonics, radial integrals, neighbour lists, FFTs, the smeared
// power law) are C++ tests in native/tests/, not entry points of the addon.
import { describe, expect, it } from 'vitest';
import { releaseCachedMemory, SphericalExpansion } from '../../lib/index.js';
import { native } from '../../lib/native/addon.js';
import { randomSystem } from '../support/random-systems.js';

describe('addon exports', () => {
  it('are the classes and settings of lib/native/types.ts only', () => {
    expect(Object.keys(native).sort()).toEqual([
      'ContractedExpansion',
      'EquivariantInvariants',
      'Ewald',
      'Invariants',
      'LodeSphericalExpansion',
      'NormalEquations',
      'RidgePath',
      'SparseKernel',
      'SphericalExpansion',
      'backwardInvariants',
      'backwardInvariantsAsync',
      'closestPairs',
      'coulombConstant',
      'getNumThreads',
      'releaseCachedMemory',
      'setNumThreads',
      'smearedMultipoles',
    ]);
  });

  it('NormalEquations, RidgePath and SparseKernel expose what the models call, nothing more', () => {
    const members = (object: object) => Object.getOwnPropertyNames(Object.getPrototypeOf(object)).filter((k) => k !== 'constructor').sort();
    expect(members(new native.NormalEquations(2))).toEqual(['add', 'merge', 'release', 'residual', 'rows', 'solve']);
    expect(members(new native.RidgePath(Float64Array.of(1, 0, 0, 1), Float64Array.of(1, 2)))).toEqual(['solve']);
    expect(members(new native.SparseKernel(Float64Array.of(1), Float64Array.of(1), Int32Array.of(1), 1, 2))).toEqual(['designRows', 'evaluate', 'evaluateAsync']);
  });
});

describe('releaseCachedMemory', () => {
  it('empties the pool of native output buffers: a second call frees nothing', () => {
    // Outputs of at least 4 MiB go through the pool.
    const expansion = new SphericalExpansion({
      cutoff: { radius: 5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
      density: { type: 'Gaussian', width: 0.5 },
      basis: { type: 'TensorProduct', max_angular: 6, radial: { type: 'Gto', max_radial: 7 } },
    });
    const system = randomSystem({ seed: 9, atoms: 700, types: [1, 8], box: 18, minDistance: 0.9 });
    for (let k = 0; k < 3; k++) expect(expansion.compute(system).values.length).toBeGreaterThan(2 ** 19);
    const freed = releaseCachedMemory();
    expect(Number.isInteger(freed) && freed >= 0).toBe(true);
    expect(releaseCachedMemory()).toBe(0);
  });
});
