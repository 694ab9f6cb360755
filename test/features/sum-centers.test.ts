// The positions gradient summed over the centres of each type
// (sumCenters): the sum of the full gradient's rows, for the products of
// expansions, periodic and molecular, with a LODE (all-pairs) factor.
import { describe, expect, it } from 'vitest';
import {
  EquivariantInvariants,
  Invariants,
  LodeSphericalExpansion,
  SphericalExpansion,
  type EquivariantBlock,
  type FeatureBlock,
} from '../../lib/index.js';
import { FeatureSet, presetFeatures } from '../../lib/index.js';
import { featurePasses, passDesignRows } from '../../lib/model/design.js';
import { randomSystem, TRICLINIC_CELL } from '../support/random-systems.js';

/** The atom density and the p = 1 potential expansions, with maxRadial + 1 radial functions. */
const density = (maxRadial: number) =>
  new SphericalExpansion({
    cutoff: { radius: 3.5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
    density: { type: 'Gaussian', width: 0.4 },
    basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: maxRadial } },
  });
const field = (maxRadial: number) =>
  new LodeSphericalExpansion({
    density: { type: 'SmearedPowerLaw', smearing: 1.0, exponent: 1 },
    basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: maxRadial, radius: 2.5 } },
  });
const rho = density(2);
const potential = field(1);
// Wider radial bases: the summed contraction's register blocks of 4 radial
// rows and 4 columns, their remainders, and a symmetric block starting mid-vector.
const rhoWide = density(4);
const potentialWide = field(5);
const systems = [
  randomSystem({ seed: 3, atoms: 6, types: [1, 8], box: 4 }),
  randomSystem({ seed: 4, atoms: 7, types: [1, 8, 8], cell: TRICLINIC_CELL }),
];

/** The full gradient's rows summed by (centre type, system, atom), keyed "type system atom". */
function summedByHand(block: FeatureBlock | EquivariantBlock, width: number): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const gradient = block.gradients.positions!;
  const labels = gradient.samples!.values;
  for (let r = 0; r < gradient.samples!.count; r++) {
    const [sample, system, atom] = [labels[3 * r], labels[3 * r + 1], labels[3 * r + 2]];
    const center = block.samples.values[2 * sample + 1];
    const key = `${systems[system].types[center]} ${system} ${atom}`;
    if (!out.has(key)) out.set(key, new Float64Array(3 * width));
    const sum = out.get(key)!;
    for (let k = 0; k < 3 * width; k++) sum[k] += gradient.values[r * 3 * width + k];
  }
  return out;
}

describe('positions gradient summed over the centres of each type', () => {
  const calculators = [
    ['power spectrum', new Invariants(rho, rho)],
    ['rho x V', new Invariants(rho, potential)],
    ['power spectrum, 5 radial functions', new Invariants(rhoWide, rhoWide)],
    ['rho x V, 5 and 6 radial functions', new Invariants(rhoWide, potentialWide)],
    // Normalised invariants take the general per-row path, the others a summed contraction.
    ['normalised rho x V', new Invariants(rho, potential, { normalize: true })],
    ['rho x V of order 2', new EquivariantInvariants(rho, potential, { lambda: 2 })],
  ] as const;
  for (const [name, calculator] of calculators) {
    it(`${name}: equals the sum of the full gradient's rows, rows grouped by system`, () => {
      const full = calculator.compute(systems, { gradients: ['positions'] });
      const summed = calculator.compute(systems, { gradients: ['positions'], sumCenters: true });
      expect(Array.from(summed.values)).toEqual(Array.from(full.values));
      const width = full.values.length / full.shape[0];
      const expected = summedByHand(full, width);
      const labels = summed.gradients.positions!.samples!;
      expect(labels.names).toEqual(['type', 'system', 'atom']);
      expect(labels.count).toBe(expected.size);
      let scale = 0;
      for (const v of full.gradients.positions!.values) scale = Math.max(scale, Math.abs(v));
      for (let r = 0; r < labels.count; r++) {
        if (r > 0) expect(labels.values[3 * r + 1]).toBeGreaterThanOrEqual(labels.values[3 * r - 2]);
        const want = expected.get(`${labels.values[3 * r]} ${labels.values[3 * r + 1]} ${labels.values[3 * r + 2]}`)!;
        for (let k = 0; k < 3 * width; k++) expect(Math.abs(summed.gradients.positions!.values[r * 3 * width + k] - want[k])).toBeLessThan(1e-13 * scale);
      }
    });
  }

  it('is refused by the expansions themselves, and must be a boolean', () => {
    expect(() => rho.compute(systems[0], { gradients: ['positions'], sumCenters: true })).toThrow(/sumCenters: .* offered by invariants and equivariants, not by expansions/);
    expect(() => new Invariants(rho, rho).compute(systems[0], { sumCenters: 'yes' as unknown as boolean })).toThrow(/options.sumCenters: expected a boolean/);
  });
});

describe('design rows from summed gradients', () => {
  it("a linear model's force rows are the same from the summed and from the full gradients", () => {
    const features = new FeatureSet(presetFeatures('multiscale', [1, 8], { cutoff: 3.5, maxRadial: 2, maxAngular: 2 }));
    const full = featurePasses(features, systems, true).map((pass) => passDesignRows(features, pass, true));
    const summed = featurePasses(features, systems, true, true).map((pass) => passDesignRows(features, pass, true));
    full.forEach((rows, k) => {
      expect(Array.from(summed[k].energy)).toEqual(Array.from(rows.energy));
      let scale = 0;
      for (const v of rows.forces!) scale = Math.max(scale, Math.abs(v));
      rows.forces!.forEach((v, c) => expect(Math.abs(summed[k].forces![c] - v)).toBeLessThan(1e-12 * scale));
    });
  });
});
