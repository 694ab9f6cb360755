// The calculator contract every feature calculator shares (features/calculator.ts):
// backward takes any ArrayLike dL/dx, and backwardAsync gives the same result.
import { describe, expect, it } from 'vitest';
import {
  EquivariantInvariants,
  Invariants,
  LodeSphericalExpansion,
  SoapPowerSpectrum,
  SphericalExpansion,
  type LodeSphericalExpansionHypers,
  type SphericalExpansionHypers,
} from '../../lib/index.js';
import { randomSystem, TRICLINIC_CELL } from '../support/random-systems.js';

const soap: SphericalExpansionHypers = {
  cutoff: { radius: 3.5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.4 },
  basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: 2 } },
};
const lode: LodeSphericalExpansionHypers = {
  density: { type: 'SmearedPowerLaw', smearing: 1, exponent: 1 },
  basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: 2, radius: 3 } },
};

const system = randomSystem({ seed: 7, atoms: 6, types: [1, 8], cell: TRICLINIC_CELL });

const density = new SphericalExpansion(soap);
const potential = new LodeSphericalExpansion(lode);
const calculators = [
  ['SphericalExpansion', density],
  ['LodeSphericalExpansion', potential],
  ["LodeSphericalExpansion, method 'split'", new LodeSphericalExpansion({ ...lode, method: 'split', split_smearing: 2 })],
  ['SoapPowerSpectrum', new SoapPowerSpectrum(soap)],
  ['Invariants (rho x V)', new Invariants(density, potential)],
  ['EquivariantInvariants (rho x V, lambda = 2)', new EquivariantInvariants(density, potential, { lambda: 2 })],
] as const;

describe.each(calculators)('%s', (_, calculator) => {
  const values = calculator.compute(system).values;
  const dLdx = Float64Array.from(values, (_, k) => Math.sin(0.3 * k + 1));

  it('backward takes a Float64Array or a plain array alike', () => {
    const typed = calculator.backward(system, dLdx);
    const plain = calculator.backward(system, Array.from(dLdx));
    expect(plain.positions).toEqual(typed.positions);
    expect(plain.strain).toEqual(typed.strain);
    expect(typed.positions.length).toBe(3 * system.types.length);
    expect(typed.strain.length).toBe(9);
  });

  it('computeAsync and backwardAsync equal the synchronous results', async () => {
    expect((await calculator.computeAsync(system)).values).toEqual(values);
    const sync = calculator.backward(system, dLdx);
    const async_ = await calculator.backwardAsync(system, dLdx);
    expect(async_.positions).toEqual(sync.positions);
    expect(async_.strain).toEqual(sync.strain);
  });

  it('rejects a dL/dx of the wrong size, synchronously and asynchronously', async () => {
    const P = values.length / system.types.length;
    const message = new RegExp(
      `^gradient of the loss: expected ${system.types.length} x ${P} = ${values.length} numbers \\(samples x properties\\), got ${values.length - 1}$`,
    );
    expect(() => calculator.backward(system, new Float64Array(values.length - 1))).toThrow(message);
    await expect(calculator.backwardAsync(system, new Float64Array(values.length - 1))).rejects.toThrow(message);
  });

  it('names a non-finite dL/dx entry instead of returning NaN gradients, synchronously and asynchronously', async () => {
    const bad = dLdx.slice();
    bad[7] = Infinity;
    const message = /^dL\/d[xv]\[7\]: expected finite numbers, got Infinity$/;
    expect(() => calculator.backward(system, bad)).toThrow(message);
    await expect(calculator.backwardAsync(system, bad)).rejects.toThrow(message);
  });
});
