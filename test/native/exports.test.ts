// The addon exports what lib/ uses and nothing else: checks of its building
// blocks (harmonics, radial integrals, neighbour lists, FFTs, the smeared
// power law) are C++ tests in native/tests/, not entry points of the addon.
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native/addon.js';

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
      'SphericalExpansion',
      'coulombConstant',
      'getNumThreads',
      'releaseCachedMemory',
      'setNumThreads',
    ]);
  });
});
