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
      'SphericalExpansion',
      'coulombConstant',
      'getNumThreads',
      'releaseCachedMemory',
      'rowDots',
      'setNumThreads',
    ]);
  });

  it('NormalEquations and RidgePath expose what the fits call, nothing more', () => {
    const members = (object: object) => Object.getOwnPropertyNames(Object.getPrototypeOf(object)).filter((k) => k !== 'constructor').sort();
    expect(members(new native.NormalEquations(2))).toEqual(['add', 'merge', 'residual', 'rows', 'solve']);
    expect(members(new native.RidgePath(Float64Array.of(1, 0, 0, 1), Float64Array.of(1, 2)))).toEqual(['solve']);
  });
});

describe('rowDots', () => {
  it('is the dot product of each row pair, above and below the size where it threads', () => {
    for (const [rows, width] of [[3, 5], [300, 1001]]) {
      let seed = rows;
      const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
      const a = Float64Array.from({ length: rows * width }, random);
      const b = Float64Array.from({ length: rows * width }, random);
      const dots = native.rowDots(a, b, width);
      expect(dots.length).toBe(rows);
      for (let r = 0; r < rows; r++) {
        let expected = 0;
        for (let k = 0; k < width; k++) expected += a[r * width + k] * b[r * width + k];
        expect(Math.abs(dots[r] - expected)).toBeLessThan(1e-12 * width);
      }
    }
    expect(native.rowDots(new Float64Array(0), new Float64Array(0), 4)).toEqual(new Float64Array(0));
  });

  it('rejects arrays that are not rows of the width', () => {
    expect(() => native.rowDots(new Float64Array(6), new Float64Array(4), 2)).toThrow(/rowDots: expected two arrays of rows x 2 numbers, got 6 and 4/);
    expect(() => native.rowDots(new Float64Array(6), new Float64Array(6), 4)).toThrow(/rows x 4/);
    expect(() => native.rowDots(new Float64Array(6), new Float64Array(6), 1.5)).toThrow(/width: expected a positive integer/);
    expect(() => native.rowDots(new Float64Array(6), new Float64Array(6), 0)).toThrow(/width: expected a positive integer/);
    expect(() => native.rowDots([1, 2] as unknown as Float64Array, new Float64Array(2), 1)).toThrow(/rowDots: a: expected a Float64Array/);
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
