import { describe, expect, it } from 'vitest';
import { getNumThreads, Invariants, setNumThreads, SoapPowerSpectrum, SphericalExpansion, type SphericalExpansionHypers } from '../../lib/index.js';
import { relativeError } from '../support/finite-differences.js';
import { randomRotation, randomSystem, rotate, TRICLINIC_CELL } from '../support/random-systems.js';
import { loadReference } from '../support/reference.js';
import { checkGradients, contractGradients } from '../support/check-gradients.js';

const small = (radius: number, width: number, maxRadial = 3, maxAngular = 3): SphericalExpansionHypers => ({
  cutoff: { radius, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width },
  basis: { type: 'TensorProduct', max_angular: maxAngular, radial: { type: 'Gto', max_radial: maxRadial } },
});

const periodic = randomSystem({ seed: 7, atoms: 10, types: [1, 8, 6], cell: TRICLINIC_CELL });
const molecule = randomSystem({ seed: 11, atoms: 8, types: [1, 8], box: 4 });

describe('SOAP power spectrum', () => {
  it('reproduces featomic', () => {
    const ref = loadReference('featomic/soap-power-spectrum-values.json');
    const s = ref.input.systems[0];
    const x = new SoapPowerSpectrum(ref.input.hyperparameters as unknown as SphericalExpansionHypers).compute({
      positions: s.positions,
      types: s.types,
      cell: s.cell,
    });
    expect(x.shape).toEqual(ref.shape);
    expect(relativeError(x.values, ref.values)).toBeLessThan(1e-8);
  });

  it('labels properties (t1 <= t2, l, n1, n2)', () => {
    const x = new SoapPowerSpectrum(small(4, 0.4, 1, 1)).compute(molecule);
    expect(x.properties.names).toEqual(['neighbor_1_type', 'neighbor_2_type', 'l', 'n_1', 'n_2']);
    // pairs (1,1), (1,8), (8,8) x 2 l x 2 x 2
    expect(x.properties.count).toBe(3 * 2 * 4);
    for (let p = 0; p < x.properties.count; p++) {
      expect(x.properties.values[5 * p]).toBeLessThanOrEqual(x.properties.values[5 * p + 1]);
    }
  });
});

describe.each([
  ['power spectrum', () => {
    const e = new SphericalExpansion(small(3.5, 0.4));
    return new Invariants(e, e);
  }],
  ['power spectrum, normalised', () => new SoapPowerSpectrum(small(3.5, 0.4), { normalize: true })],
  ['two different expansions', () => new Invariants(new SphericalExpansion(small(3.5, 0.4)), new SphericalExpansion(small(4.5, 0.7, 2)))],
])('gradients of the %s', (_, make) => {
  const invariants = make();

  for (const [name, system] of [['periodic triclinic', periodic], ['molecule', molecule]] as const) {
    it(`positions, strain${name === 'molecule' ? '' : ', cell'} and backward (${name}) match finite differences everywhere`, () => {
      checkGradients(invariants, system, { cell: name !== 'molecule' });
      const x = invariants.compute(system);
      expect(relativeError(invariants.backward(system, Float64Array.from(x.values, (_, k) => Math.sin(k))).values, x.values)).toBeLessThan(1e-14);
    });
  }

  it('backward matches the full gradient tensors contracted with dL/dx', () => {
    const block = invariants.compute(periodic, { gradients: ['positions', 'strain'] });
    const dLdx = Float64Array.from(block.values, (_, k) => Math.sin(k));
    const expected = contractGradients(block, dLdx, periodic.types.length);
    const out = invariants.backward(periodic, dLdx);
    expect(relativeError(out.positions, expected.positions)).toBeLessThan(1e-12);
  });

  it('is invariant under rotations and translations', () => {
    const x = invariants.compute(molecule).values;
    const R = randomRotation(5);
    const rotated = invariants.compute({ ...molecule, positions: rotate(molecule.positions, R) }).values;
    expect(relativeError(rotated, x)).toBeLessThan(1e-12);
    const shifted = molecule.positions.map((v, k) => v + [1.3, -2.1, 0.7][k % 3]);
    expect(relativeError(invariants.compute({ ...molecule, positions: shifted }).values, x)).toBeLessThan(1e-12);
    // periodic: rotate positions and cell together
    const xp = invariants.compute(periodic).values;
    const rp = invariants.compute({ ...periodic, positions: rotate(periodic.positions, R), cell: rotate(periodic.cell!, R) }).values;
    expect(relativeError(rp, xp)).toBeLessThan(1e-12);
  });
});

describe('invariant options', () => {
  it('selected properties are the matching columns of the full computation', () => {
    const full = new SoapPowerSpectrum(small(3.5, 0.4)).compute(periodic);
    const selection = [
      [1, 8, 2, 1, 0],
      [6, 6, 0, 3, 3],
      [1, 1, 3, 2, 1],
    ] as const;
    const part = new SoapPowerSpectrum(small(3.5, 0.4), { selectedProperties: selection }).compute(periodic, {
      gradients: ['positions'],
    });
    expect(part.shape[1]).toBe(3);
    selection.forEach((entry, c) => {
      let column = -1;
      for (let p = 0; p < full.properties.count; p++) {
        if (entry.every((v, k) => full.properties.values[5 * p + k] === v)) column = p;
      }
      expect(column).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < full.shape[0]; i++) expect(part.values[i * 3 + c]).toBe(full.values[i * full.shape[1] + column]);
    });
  });

  it('backward with a selection equals the full backward with dL/dx zero outside the selection', () => {
    const selection = [
      [1, 8, 2, 1, 0],
      [6, 6, 0, 3, 3],
      [1, 1, 3, 2, 1],
      [8, 8, 1, 0, 2],
    ] as const;
    const fullPs = new SoapPowerSpectrum(small(3.5, 0.4));
    const full = fullPs.compute(periodic);
    const part = new SoapPowerSpectrum(small(3.5, 0.4), { selectedProperties: selection });
    const S = full.shape[0], P = full.shape[1], Q = selection.length;
    const dLdx = Float64Array.from({ length: S * Q }, (_, k) => Math.cos(1.3 * k));
    const scattered = new Float64Array(S * P);
    selection.forEach((entry, c) => {
      let column = -1;
      for (let p = 0; p < P; p++) if (entry.every((v, k) => full.properties.values[5 * p + k] === v)) column = p;
      for (let i = 0; i < S; i++) scattered[i * P + column] = dLdx[i * Q + c];
    });
    const a = part.backward(periodic, dLdx);
    const b = fullPs.backward(periodic, scattered);
    expect(relativeError(a.positions, b.positions)).toBeLessThan(1e-12);
    expect(relativeError(a.strain, b.strain)).toBeLessThan(1e-12);
  });

  it('backward: 1 and 2 OpenMP threads agree to 1e-13 relative', () => {
    const saved = getNumThreads();
    try {
      const system = randomSystem({ seed: 17, atoms: 48, types: [1, 6, 8], cell: [9, 0, 0, 1.2, 8.7, 0, -0.9, 0.6, 9.1], minDistance: 1.1 });
      const ps = new SoapPowerSpectrum(small(3.5, 0.4, 4, 3));
      const x = ps.compute(system);
      const dLdx = Float64Array.from(x.values, (_, k) => Math.sin(0.3 * k));
      setNumThreads(1);
      const one = ps.backward(system, dLdx);
      setNumThreads(2);
      const two = ps.backward(system, dLdx);
      expect(relativeError(two.positions, one.positions)).toBeLessThan(1e-13);
      expect(relativeError(two.strain, one.strain)).toBeLessThan(1e-13);
      expect(relativeError(two.values, one.values)).toBeLessThan(1e-13);
    } finally {
      setNumThreads(saved);
    }
  });

  it('normalised features have unit norm per centre', () => {
    const x = new SoapPowerSpectrum(small(3.5, 0.4), { normalize: true }).compute(periodic);
    const P = x.shape[1];
    for (let i = 0; i < x.shape[0]; i++) {
      let n = 0;
      for (let p = 0; p < P; p++) n += x.values[i * P + p] ** 2;
      expect(Math.sqrt(n)).toBeCloseTo(1, 14);
    }
  });

  it('rejects bad selections and mismatched expansions', () => {
    expect(() => new SoapPowerSpectrum(small(3.5, 0.4), { selectedProperties: [[8, 1, 0, 0, 0]] }).compute(periodic)).toThrow(
      /selection\[0\].*t1 <= t2/,
    );
    expect(() => new SoapPowerSpectrum(small(3.5, 0.4), { selectedProperties: [[1, 1, 9, 0, 0]] }).compute(periodic)).toThrow(
      /selection\[0\].*not a property/,
    );
    expect(() => new SoapPowerSpectrum(small(3.5, 0.4), { selectedProperties: [[1, 1, 0]] as never })).toThrow(
      /selectedProperties\[0\]: expected 5 integers/,
    );
    expect(() => new SoapPowerSpectrum(small(3.5, 0.4), { bogus: true } as never)).toThrow(/options.bogus: unknown option/);
    const a = new SphericalExpansion(small(3.5, 0.4, 3, 3));
    const b = new SphericalExpansion(small(3.5, 0.4, 3, 2));
    expect(() => new Invariants(a, b)).toThrow(/same max_angular/);
    const ps = new SoapPowerSpectrum(small(3.5, 0.4));
    expect(() => ps.backward(periodic, new Float64Array(5))).toThrow(/expected 10 x \d+ = \d+ numbers/);
  });

  it('computeAsync and backwardAsync equal the synchronous results', async () => {
    const ps = new SoapPowerSpectrum(small(3.5, 0.4));
    const x = ps.compute(periodic);
    expect((await ps.computeAsync(periodic)).values).toEqual(x.values);
    const dLdx = Float64Array.from(x.values, (_, k) => Math.cos(k));
    const sync = ps.backward(periodic, dLdx);
    const async_ = await ps.backwardAsync(periodic, dLdx);
    expect(async_.positions).toEqual(sync.positions);
    expect(async_.strain).toEqual(sync.strain);
  });
});
