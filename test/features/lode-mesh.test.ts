// Particle-mesh LODE (method 'mesh' / 'auto'): the same k sum as 'direct'
// up to the aliasing error of the assignment window (B-spline or
// Kaiser-Bessel), which must stay below the estimate.
import { describe, expect, it } from 'vitest';
import { LodeSphericalExpansion, type LodeSphericalExpansionHypers } from '../../lib/index.js';
import { relativeError } from '../support/finite-differences.js';
import { checkGradients } from '../support/check-gradients.js';
import { randomSystem, rng, TRICLINIC_CELL, type TestSystem } from '../support/random-systems.js';

const hypers = (exponent: number, extra: Partial<LodeSphericalExpansionHypers> = {}): LodeSphericalExpansionHypers => ({
  density: { type: 'SmearedPowerLaw', smearing: 1.2, exponent },
  basis: { type: 'TensorProduct', max_angular: 3, radial: { type: 'Gto', max_radial: 3, radius: 3.5 }, spline_accuracy: 1e-10 },
  ...extra,
});

/** Derivatives of the mesh values (backward) against the direct ones: at most this times the requested accuracy. */
const MESH_DERIVATIVE_FACTOR = 20;

const SKEWED = [7.0, 0, 0, 1.2, 6.5, 0, -0.8, 0.9, 7.3];

/** RMS of a [samples][P] array about each column's mean. */
function centredRms(values: Float64Array, P: number): number {
  const S = values.length / P;
  let sum = 0;
  for (let q = 0; q < P; q++) {
    let mean = 0;
    for (let i = 0; i < S; i++) mean += values[i * P + q] / S;
    for (let i = 0; i < S; i++) sum += (values[i * P + q] - mean) ** 2;
  }
  return Math.sqrt(sum / values.length);
}

function rmsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

describe('LODE on a mesh equals the direct k sum', () => {
  const systems: [string, TestSystem][] = [
    ['skewed cell, 2 types', randomSystem({ seed: 11, atoms: 24, types: [1, 8], cell: SKEWED })],
    ['triclinic cell, 3 types', randomSystem({ seed: 12, atoms: 18, types: [1, 8, 11], cell: TRICLINIC_CELL, minDistance: 0.8 })],
  ];
  for (const [name, system] of systems) {
    for (const exponent of [1, 3, 6]) {
      for (const accuracy of [1e-5, 1e-8]) {
        it(`p = ${exponent}, accuracy ${accuracy}, ${name}: error below the estimate`, () => {
          const block = new LodeSphericalExpansion(hypers(exponent)).compute(system);
          const direct = block.values;
          const lode = new LodeSphericalExpansion(hypers(exponent, { method: 'mesh', accuracy }));
          const p = lode.parameters(system);
          expect(p.method).toBe('mesh');
          expect(p.estimatedError!).toBeLessThanOrEqual(accuracy);
          // the accuracy's scale, measured here: the RMS of the direct values
          // about their column means (the k = 0 term is the same for every
          // centre); valueScale is its random-phase estimate (measured 0.94-1.15 of it)
          const scale = centredRms(direct, block.shape[1]);
          expect(p.valueScale / scale).toBeGreaterThan(0.8);
          expect(p.valueScale / scale).toBeLessThan(1.25);
          const error = rmsDifference(lode.compute(system).values, direct) / scale;
          expect(error).toBeLessThan(p.estimatedError!);
          // the estimate is a bound, not a wild over-estimate (the alias sums
          // track the measured error; the margin is the safety factor 2)
          expect(error).toBeGreaterThan(p.estimatedError! / 5);
        });
      }
    }
  }

  it('an explicit mesh and order are used as given; a coarser mesh is less accurate', () => {
    const system = systems[0][1];
    const direct = new LodeSphericalExpansion(hypers(1)).compute(system).values;
    const errors = [12, 16, 24].map((k) => {
      const lode = new LodeSphericalExpansion(hypers(1, { method: 'mesh', mesh: [k, k, k], mesh_order: 5 }));
      const p = lode.parameters(system);
      expect(p.mesh).toEqual([k, k, k]);
      expect(p.meshOrder).toBe(5);
      const error = rmsDifference(lode.compute(system).values, direct) / p.valueScale;
      expect(error).toBeLessThan(p.estimatedError!);
      return error;
    });
    expect(errors[1]).toBeLessThan(errors[0]);
    expect(errors[2]).toBeLessThan(errors[1]);
  });

  it('a melt-like box at the multi-scale preset\'s hypers: the Kaiser-Bessel window on a coarser mesh, within its estimate', () => {
    // 216 ions at the density of molten NaCl (18.9 A box): for the 1e-6 of
    // the default accuracy, the B-spline of order 7 needs 24^3 points, the
    // Kaiser-Bessel window of width 7 20^3 (estimates: lode_mesh_error)
    const melt = randomSystem({ seed: 13, atoms: 216, types: [11, 17], cell: [18.9, 0, 0, 0, 18.9, 0, 0, 0, 18.9], minDistance: 2.2 });
    const h: LodeSphericalExpansionHypers = {
      density: { type: 'SmearedPowerLaw', smearing: 1.5, exponent: 1 },
      basis: { type: 'TensorProduct', max_angular: 4, radial: { type: 'Gto', max_radial: 5, radius: 4.5 } },
    };
    const lode = new LodeSphericalExpansion({ ...h, method: 'mesh' });
    const p = lode.parameters(melt);
    expect(p.meshWindow).toBe('kaiser-bessel');
    expect(p.meshBeta! / p.meshOrder!).toBeGreaterThan(1.7);
    expect(p.meshBeta! / p.meshOrder!).toBeLessThan(3.3);
    expect(p.estimatedError!).toBeLessThanOrEqual(1e-6);
    const direct = new LodeSphericalExpansion(h).compute(melt);
    const scale = centredRms(direct.values, direct.shape[1]);
    const error = rmsDifference(lode.compute(melt).values, direct.values) / scale;
    expect(error).toBeLessThan(p.estimatedError!);
    expect(error).toBeGreaterThan(p.estimatedError! / 5);
    // the B-spline of the same order on the same mesh is less accurate
    const bspline = new LodeSphericalExpansion({ ...h, method: 'mesh', mesh: p.mesh, mesh_order: p.meshOrder, accuracy: 0.5 });
    expect(bspline.parameters(melt).meshWindow).toBe('bspline');
    expect(rmsDifference(bspline.compute(melt).values, direct.values) / scale).toBeGreaterThan(2 * error);
  });

  it('rock salt: l = 0 coefficients (the Madelung field) equal the direct ones, l = 1 vanish', () => {
    const a = 5.64;
    const positions: number[] = [];
    const types: number[] = [];
    for (const [x, y, z] of [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]) {
      positions.push(x * a, y * a, z * a);
      types.push(11);
      positions.push((x + 0.5) * a, y * a, z * a);
      types.push(17);
    }
    const system = { positions: Float64Array.from(positions), types: Int32Array.from(types), cell: Float64Array.from([a, 0, 0, 0, a, 0, 0, 0, a]) };
    const h = hypers(1);
    const direct = new LodeSphericalExpansion(h).compute(system);
    const mesh = new LodeSphericalExpansion({ ...h, method: 'mesh', accuracy: 1e-8 }).compute(system);
    const P = direct.shape[1];
    const T = 2, N = 4;
    for (let i = 0; i < 8; i++) {
      for (let k = 0; k < T * N; k++) {
        // l = 0 block: (t, n)
        expect(Math.abs(mesh.values[i * P + k] - direct.values[i * P + k])).toBeLessThan(1e-7 * Math.abs(direct.values[i * P + k]) + 1e-9);
      }
      for (let k = T * N; k < 4 * T * N; k++) expect(Math.abs(mesh.values[i * P + k])).toBeLessThan(1e-7);
    }
    // every Na (and every Cl) sees the same field
    for (let i = 2; i < 8; i++) expect(Math.abs(mesh.values[i * P] - mesh.values[(i % 2) * P])).toBeLessThan(1e-9);
  });
});

describe('LODE mesh backward', () => {
  const system = randomSystem({ seed: 31, atoms: 10, types: [1, 8], cell: TRICLINIC_CELL });
  for (const exponent of [1, 6]) {
    const lode = new LodeSphericalExpansion(hypers(exponent, { method: 'mesh', mesh: [16, 16, 16], mesh_order: 6 }));
    const random = rng(5 + exponent);
    const n = 10;
    const P = lode.compute(system).shape[1];
    const dLdv = Float64Array.from({ length: n * P }, () => random() - 0.5);

    // on 16^3 the B-spline meets the default accuracy; on 12^3 only the Kaiser-Bessel window comes close
    for (const [k, window] of [[16, 'bspline'], [12, 'kaiser-bessel']] as const) {
      it(`p = ${exponent}, ${window} window: backward equals finite differences of the mesh values at every coordinate and strain component`, () => {
        const onMesh = new LodeSphericalExpansion(hypers(exponent, { method: 'mesh', mesh: [k, k, k], mesh_order: 6 }));
        expect(onMesh.parameters(system).meshWindow).toBe(window);
        checkGradients(onMesh, system, { positions: false, strain: false, seed: 5 + exponent });
      });
    }

    it(`p = ${exponent}: backward on the mesh agrees with the direct backward`, () => {
      const direct = new LodeSphericalExpansion(hypers(exponent)).backward(system, dLdv);
      const accuracy = 1e-9;
      const accurate = new LodeSphericalExpansion(hypers(exponent, { method: 'mesh', accuracy })).backward(system, dLdv);
      // accuracy bounds the RMS error of the values; a derivative of the
      // aliasing error carries one more power of k (up to k_cut times the
      // atoms' spacing, ~10 here): measured 8e-9 (positions), 7e-10 (strain)
      expect(relativeError(accurate.positions, direct.positions)).toBeLessThan(MESH_DERIVATIVE_FACTOR * accuracy);
      expect(relativeError(accurate.strain, direct.strain)).toBeLessThan(MESH_DERIVATIVE_FACTOR * accuracy);
    });
  }

  it("backward after compute() of the same system (which keeps the centres' mesh values) equals a fresh backward", () => {
    // 3 channels: not a multiple of the interleaved block of 4
    const h = hypers(1, { method: 'mesh', mesh: [15, 16, 18], mesh_order: 5 });
    h.basis = { ...h.basis, max_angular: 0, radial: { type: 'Gto', max_radial: 2, radius: 3.5 } };
    const options = { neighborTypes: [8] };
    const other = { ...system, positions: system.positions.map((x, k) => x + 0.01 * Math.sin(k)) };
    const random = rng(17);
    const lode = new LodeSphericalExpansion(h);
    const dLdv = Float64Array.from(lode.compute(system, options).values, () => random() - 0.5);
    const fresh = new LodeSphericalExpansion(h).backward(system, dLdv, options);
    // the first backward() recomputes; from then on compute() keeps what it needs
    expect(relativeError(lode.backward(system, dLdv, options).positions, fresh.positions)).toBeLessThan(1e-13);
    lode.compute(system, options);
    const kept = lode.backward(system, dLdv, options);
    expect(relativeError(kept.positions, fresh.positions)).toBeLessThan(1e-13);
    expect(relativeError(kept.strain, fresh.strain)).toBeLessThan(1e-13);
    // a compute() of another system must not leak into this system's backward
    lode.compute(other, options);
    const again = lode.backward(system, dLdv, options);
    expect(relativeError(again.positions, fresh.positions)).toBeLessThan(1e-13);
    expect(relativeError(lode.backward(other, dLdv, options).positions, fresh.positions)).toBeGreaterThan(1e-6);
  });

  it('a subset of centres and a single neighbour type', () => {
    const lode = new LodeSphericalExpansion(hypers(1, { method: 'mesh', accuracy: 1e-9 }));
    const direct = new LodeSphericalExpansion(hypers(1));
    const options = { centers: [1, 4, 7], neighborTypes: [8] };
    const values = lode.compute(system, options);
    expect(relativeError(values.values, direct.compute(system, options).values)).toBeLessThan(1e-9);
    const random = rng(9);
    const dLdv = Float64Array.from(values.values, () => random() - 0.5);
    const a = lode.backward(system, dLdv, options);
    const b = direct.backward(system, dLdv, options);
    expect(relativeError(a.positions, b.positions)).toBeLessThan(MESH_DERIVATIVE_FACTOR * 1e-9);
    expect(relativeError(a.strain, b.strain)).toBeLessThan(MESH_DERIVATIVE_FACTOR * 1e-9);
  });
});

describe('LODE method options', () => {
  const system = randomSystem({ seed: 41, atoms: 8, types: [1, 8], cell: TRICLINIC_CELL });

  it("'direct' stays the default and reports no mesh", () => {
    const lode = new LodeSphericalExpansion(hypers(1));
    expect(lode.parameters(system).method).toBe('direct');
    expect(lode.parameters(system).mesh).toBeUndefined();
  });

  it("'auto' picks direct for a small cell and the mesh for a large one; gradients force direct", () => {
    const lode = new LodeSphericalExpansion(hypers(1, { method: 'auto' }));
    expect(lode.parameters(system).method).toBe('direct');
    const big = randomSystem({ seed: 42, atoms: 3000, types: [1, 8], cell: [32, 0, 0, 0, 32, 0, 0, 0, 32], minDistance: 0.5 });
    const p = lode.parameters(big);
    expect(p.method).toBe('mesh');
    expect(p.meshCost).toBeLessThan(p.directCost);
    expect(lode.parameters(big, { gradients: true }).method).toBe('direct');
    // the choice is kept per cell, atom count and gradients: none leaks into another
    expect(lode.parameters(big)).toEqual(p);
    const few = { ...big, positions: big.positions.slice(0, 300), types: big.types.slice(0, 100) };
    expect(lode.parameters(few).method).toBe('direct');
    expect(lode.parameters(big)).toEqual(p);
    // a smaller cell: fewer k-vectors, chosen afresh
    expect(lode.parameters({ ...big, cell: [16, 0, 0, 0, 16, 0, 0, 0, 16] }).kVectors).toBeLessThan(p.kVectors / 4);
    expect(lode.parameters(system).method).toBe('direct');
    // and compute with gradients works: it is the direct sum
    const direct = new LodeSphericalExpansion(hypers(1));
    expect(lode.compute(system, { gradients: ['strain'] }).gradients.strain!.values).toEqual(direct.compute(system, { gradients: ['strain'] }).gradients.strain!.values);
  });

  it('molecules are unaffected by the method', () => {
    const molecule = randomSystem({ seed: 43, atoms: 5, types: [1, 8], box: 4 });
    const a = new LodeSphericalExpansion(hypers(1)).compute(molecule).values;
    const b = new LodeSphericalExpansion(hypers(1, { method: 'mesh' })).compute(molecule).values;
    expect(b).toEqual(a);
  });

  it('bad options give clear errors', () => {
    const make = (extra: Record<string, unknown>) => () => new LodeSphericalExpansion(hypers(1, extra as Partial<LodeSphericalExpansionHypers>));
    expect(make({ method: 'pme' })).toThrow(/hypers.method: expected one of 'direct', 'mesh', 'split', 'auto'/);
    expect(make({ method: 'mesh', mesh_order: 2 })).toThrow(/mesh_order: expected a B-spline order between 3 and 7, got 2/);
    expect(make({ method: 'mesh', mesh_order: 8 })).toThrow(/mesh_order: expected a B-spline order between 3 and 7, got 8/);
    expect(make({ method: 'mesh', accuracy: Number.NaN })).toThrow(/accuracy: expected a finite number/);
    expect(make({ method: 'mesh', accuracy: 0 })).toThrow(/accuracy: expected a number > 0/);
    expect(make({ method: 'mesh', mesh: [8, 8] })).toThrow(/hypers.mesh: expected 3 integers/);
    expect(make({ mesh: [8, 8, 8] })).toThrow(/only apply to method 'mesh' or 'auto'/);
    const explicit = new LodeSphericalExpansion(hypers(1, { method: 'mesh', mesh: [8, 8, 8], mesh_order: 5 }));
    expect(explicit.parameters({ ...system, cell: [4, 0, 0, 0, 4, 0, 0, 0, 4] })).toMatchObject({ method: 'mesh', mesh: [8, 8, 8], meshOrder: 5 });
    const small = new LodeSphericalExpansion(hypers(1, { method: 'mesh', mesh: [6, 6, 6], mesh_order: 5 }));
    expect(() => small.compute(system)).toThrow(/mesh: too coarse to hold k_cutoff: axis 0 has 6 points, the k-vectors need at least \d+/);
    const mesh = new LodeSphericalExpansion(hypers(1, { method: 'mesh', mesh: [16, 16, 16], mesh_order: 8 - 3 }));
    expect(() => mesh.compute(system, { gradients: ['positions'] })).toThrow(/method 'mesh': compute\(\) gives values only \(use backward\(\)/);
    expect(() => mesh.compute(system, { gradients: ['strain'] })).toThrow(/need method 'direct'/);
    const tight = new LodeSphericalExpansion(hypers(1, { method: 'mesh', accuracy: 1e-15 }));
    expect(() => tight.compute(system)).toThrow(/accuracy: no LODE mesh of at most/);
  });
});
