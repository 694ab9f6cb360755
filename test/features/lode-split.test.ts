// Range-separated LODE (method 'split'): a k sum of a larger smearing plus
// real-space pairs of the difference. It converges to the field without the
// band limit of 'direct', so the reference is the direct sum with k_cutoff
// 9 / smearing, where the Fourier transform of the field times k^2 is below
// 1e-17 of its peak.
import { describe, expect, it } from 'vitest';
import { LodeSphericalExpansion, type LodeSphericalExpansionHypers } from '../../lib/index.js';
import { checkGradients, contractGradients } from '../support/check-gradients.js';
import { relativeError } from '../support/finite-differences.js';
import { randomSystem, rng, TRICLINIC_CELL, type TestSystem } from '../support/random-systems.js';

const hypers = (exponent: number, smearing: number, extra: Partial<LodeSphericalExpansionHypers> = {}): LodeSphericalExpansionHypers => ({
  density: { type: 'SmearedPowerLaw', smearing, exponent },
  basis: { type: 'TensorProduct', max_angular: 3, radial: { type: 'Gto', max_radial: 3, radius: 3.5 }, spline_accuracy: 1e-10 },
  ...extra,
});

const converged = (exponent: number, smearing: number, extra: Partial<LodeSphericalExpansionHypers> = {}) =>
  new LodeSphericalExpansion(hypers(exponent, smearing, { ...extra, method: 'direct', k_cutoff: 9 / smearing }));

/** Rock salt, 2 x 2 x 2 conventional cells of side a (64 ions), atoms moved by up to 0.15 A, the cell sheared by `shear`. */
function rockSalt(a: number, shear: number, seed: number): TestSystem {
  const random = rng(seed);
  const fractional: number[] = [];
  const types: number[] = [];
  for (let x = 0; x < 4; x++)
    for (let y = 0; y < 4; y++)
      for (let z = 0; z < 4; z++) {
        fractional.push(x / 4, y / 4, z / 4);
        types.push((x + y + z) % 2 === 0 ? 11 : 17);
      }
  const L = 2 * a;
  const cell = [L, 0, 0, shear * L, L, 0, -0.5 * shear * L, 0.7 * shear * L, L];
  const positions = new Float64Array(fractional.length);
  for (let i = 0; i < types.length; i++)
    for (let x = 0; x < 3; x++) {
      const f = fractional.slice(3 * i, 3 * i + 3);
      positions[3 * i + x] = f[0] * cell[x] + f[1] * cell[3 + x] + f[2] * cell[6 + x] + 0.3 * (random() - 0.5);
    }
  return { positions, types: Int32Array.from(types), cell: Float64Array.from(cell), pbc: [true, true, true] };
}

/** max |a - b| / max |b| */
function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

describe('split LODE equals the converged direct sum', () => {
  const cases: [string, number, number, TestSystem][] = [
    ['p = 1, cubic', 1, 1.0, rockSalt(5.64, 0, 1)],
    ['p = 1, triclinic', 1, 1.0, rockSalt(5.64, 0.25, 2)],
    ['p = 6, cubic', 6, 1.0, rockSalt(5.64, 0, 3)],
    ['p = 6, triclinic', 6, 0.8, rockSalt(5.64, 0.25, 4)],
    ['p = 2, triclinic', 2, 1.0, rockSalt(5.64, 0.25, 5)],
    ['p = 3, cubic', 3, 1.0, rockSalt(5.64, 0, 6)],
  ];
  it.each(cases)('%s, with a real-space part, to 1e-8 of the largest coefficient', (_, p, smearing, system) => {
    const split = new LodeSphericalExpansion(hypers(p, smearing, { method: 'split', split_smearing: 2 * smearing, accuracy: 1e-11 }));
    const parameters = split.parameters(system);
    expect(parameters.method).toBe('split');
    expect(parameters.splitSmearing).toBe(2 * smearing);
    // the pairs reach beyond the first shells: the real-space part is exercised
    expect(parameters.splitCutoff).toBeGreaterThan(8);
    const reference = converged(p, smearing).compute(system).values;
    expect(maxRelative(split.compute(system).values, reference)).toBeLessThan(1e-8);
  });

  it('with the smearing and cutoffs it chooses (p = 1)', () => {
    const system = rockSalt(5.64, 0.25, 7);
    const split = new LodeSphericalExpansion(hypers(1, 1.0, { method: 'split', accuracy: 1e-11 }));
    const reference = converged(1, 1.0).compute(system).values;
    expect(maxRelative(split.compute(system).values, reference)).toBeLessThan(1e-8);
  });

  it("differs from the default band-limited direct sum by the band limit (~1e-4), which 'split' does not have", () => {
    const system = rockSalt(5.64, 0, 8);
    const reference = converged(1, 1.0).compute(system).values;
    const band = new LodeSphericalExpansion(hypers(1, 1.0)).compute(system).values;
    const error = maxRelative(band, reference);
    expect(error).toBeGreaterThan(1e-5);
    expect(error).toBeLessThan(1e-3);
  });

  it('with center_atom_weight and the near-field exclusion as the direct sum applies them', () => {
    const system = rockSalt(5.64, 0.25, 9);
    for (const extra of [{ center_atom_weight: 0.3 }, { exclusion: { radius: 3.2, width: 1.5 } }]) {
      const split = new LodeSphericalExpansion(hypers(1, 1.0, { ...extra, method: 'split', split_smearing: 1.8, accuracy: 1e-11 }));
      const reference = converged(1, 1.0, extra).compute(system).values;
      expect(maxRelative(split.compute(system).values, reference)).toBeLessThan(1e-8);
    }
  });

  it('with a larger accuracy, stays within it of the converged field on a random melt-like box', () => {
    const system = randomSystem({ seed: 12, atoms: 40, types: [11, 17], cell: [10, 0, 0, 1, 9.5, 0, -0.5, 0.8, 10.5], minDistance: 2 });
    const split = new LodeSphericalExpansion(hypers(1, 1.0, { method: 'split', split_smearing: 2, accuracy: 1e-5 }));
    const { valueScale } = split.parameters(system);
    const reference = converged(1, 1.0).compute(system).values;
    const values = split.compute(system).values;
    let s = 0;
    for (let i = 0; i < values.length; i++) s += (values[i] - reference[i]) ** 2;
    const rms = Math.sqrt(s / values.length) / valueScale;
    expect(rms).toBeLessThan(1e-5);
    // and the estimate is not vacuous: the error is there
    expect(rms).toBeGreaterThan(1e-9);
  });
});

describe('split LODE gradients', () => {
  const system = randomSystem({ seed: 21, atoms: 10, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.5 });
  // splines to 1e-12: the derivative of a Hermite spline is a few hundred
  // times less accurate than its values, and the forces are compared to 1e-8
  const fine = (h: LodeSphericalExpansionHypers): LodeSphericalExpansionHypers => ({ ...h, basis: { ...h.basis, spline_accuracy: 1e-12 } });
  const cases: [string, LodeSphericalExpansionHypers][] = [
    ['p = 1', fine(hypers(1, 1.0, { method: 'split', split_smearing: 1.7, accuracy: 1e-10 }))],
    ['p = 6', fine(hypers(6, 0.8, { method: 'split', split_smearing: 1.6, accuracy: 1e-10 }))],
    ['p = 1, near field excluded', fine(hypers(1, 1.0, { method: 'split', split_smearing: 1.7, accuracy: 1e-10, exclusion: { radius: 3.2, width: 1.5 } }))],
  ];
  it.each(cases)('%s: positions, strain, cell and backward match finite differences', (_, h) => {
    const lode = new LodeSphericalExpansion(h);
    expect(lode.parameters(system).splitCutoff).toBeGreaterThan(5);
    checkGradients(lode, system, { cell: true });
  });

  it.each(cases)('%s: backward equals the gradient tensors contracted with dL/dv, and the direct sum', (_, h) => {
    const lode = new LodeSphericalExpansion(h);
    const n = system.types.length;
    const centers = [0, 3, n - 1];
    const block = lode.compute(system, { gradients: ['positions', 'strain'], centers });
    const dLdv = Float64Array.from(block.values, (_, k) => Math.sin(k));
    const expected = contractGradients(block, dLdv, n);
    const out = lode.backward(system, dLdv, { centers });
    expect(relativeError(out.positions, expected.positions)).toBeLessThan(1e-11);
    expect(relativeError(out.strain, expected.strain!)).toBeLessThan(1e-11);
    // forces and stress of the converged direct sum
    const { method: _m, split_smearing: _s, accuracy: _a, ...rest } = h;
    const direct = new LodeSphericalExpansion({ ...rest, method: 'direct', k_cutoff: 9 / h.density.smearing }).backward(system, dLdv, { centers });
    expect(maxRelative(out.positions, direct.positions)).toBeLessThan(1e-8);
    expect(maxRelative(out.strain, direct.strain)).toBeLessThan(1e-8);
  });
});

describe("split LODE options and 'auto'", () => {
  const system = rockSalt(5.64, 0, 31);

  it("'auto' considers 'split' only when the band limit is within the accuracy", () => {
    const banded = new LodeSphericalExpansion(hypers(1, 1.0, { method: 'auto' })).parameters(system);
    expect(banded.method).toBe('direct');
    expect(banded.splitCost).toBe(Infinity);
    // k_cutoff 9 / smearing: the direct sum is converged, and split (here a
    // direct sum with the k cutoff the accuracy needs) is cheaper
    const full = new LodeSphericalExpansion(hypers(1, 1.0, { method: 'auto', k_cutoff: 9 })).parameters(system);
    expect(full.method).toBe('split');
    expect(full.splitCost).toBeLessThan(full.directCost);
    expect(full.kVectors).toBeLessThan(new LodeSphericalExpansion(hypers(1, 1.0, { k_cutoff: 9 })).parameters(system).kVectors);
  });

  it('rejects what does not apply to it, naming the option', () => {
    expect(() => new LodeSphericalExpansion(hypers(1, 1.0, { method: 'split', k_cutoff: 5 }))).toThrow(/k_cutoff: method 'split' sums the field to convergence/);
    expect(() => new LodeSphericalExpansion(hypers(1, 1.0, { method: 'split', split_smearing: 0.5 }))).toThrow(/split_smearing: expected a number >= 1/);
    expect(() => new LodeSphericalExpansion(hypers(1, 1.0, { method: 'direct', split_smearing: 2 }))).toThrow(/split_smearing: only applies to method 'split'/);
    expect(() => new LodeSphericalExpansion(hypers(1, 1.0, { method: 'split', mesh: 0.5 }))).toThrow(/mesh and mesh_order only apply to method 'mesh' or 'auto', not 'split'/);
    expect(() => new LodeSphericalExpansion(hypers(1, 1.0, { method: 'spilt' as 'split' }))).toThrow(/'direct', 'mesh', 'split', 'auto'/);
  });

  it('a cell smaller than the wavelengths of the smooth part, and an accuracy below the kernel rounding', () => {
    const tiny: TestSystem = { positions: Float64Array.of(0, 0, 0, 1.4, 1.5, 1.6), types: Int32Array.of(11, 17), cell: Float64Array.of(3, 0, 0, 0, 3, 0, 0, 0, 3), pbc: [true, true, true] };
    const split = new LodeSphericalExpansion(hypers(1, 1.0, { method: 'split', split_smearing: 6, accuracy: 1e-9 }));
    expect(maxRelative(split.compute(tiny).values, converged(1, 1.0).compute(tiny).values)).toBeLessThan(2e-8);
  });

  it('molecules use the converged real-space kernel', () => {
    const molecule = randomSystem({ seed: 41, atoms: 8, types: [11, 17], box: 6, minDistance: 1.5 });
    const split = new LodeSphericalExpansion(hypers(1, 1.0, { method: 'split' })).compute(molecule).values;
    const reference = converged(1, 1.0).compute(molecule).values;
    expect(maxRelative(split, reference)).toBeLessThan(1e-12);
  });
});
