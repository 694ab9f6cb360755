// Per-species reference energies: exact on energies that are pure
// composition, minimum-norm when the composition never varies, and what
// makes a fit independent of each element's energy zero (a physical
// invariance: shifting every atom of species s by c_s shifts every energy
// by sum_s n_s c_s and must not change any prediction beyond that shift).
import { describe, expect, it } from 'vitest';
import { frameSystem, readFrames } from '../../lib/cli/frames.js';
import { fitLinearModel, fitSparseKernelModel, presetFeatures, type TrainingFrame } from '../../lib/index.js';
import { referenceEnergies, withoutReference } from '../../lib/model/composition.js';
import { DATA_DIR } from '../support/reference.js';

const molecule = (types: number[]): TrainingFrame['system'] => ({
  positions: types.flatMap((_, k) => [1.1 * k, 0.3 * k * k, 0]),
  types,
});

describe('referenceEnergies', () => {
  it('recovers per-species energies exactly from energies that are pure composition', () => {
    const e = { 1: -13.6, 6: -1030.2, 8: -2040.8 } as Record<number, number>;
    const frames = [[1, 1, 8], [6, 8, 8], [6, 1, 1, 1, 1], [6, 6, 1, 1], [8, 8]].map((types) => ({
      system: molecule(types),
      energy: types.reduce((s, z) => s + e[z], 0),
    }));
    const got = referenceEnergies(frames, [1, 6, 8]);
    [1, 6, 8].forEach((z, s) => expect(got[s]).toBeCloseTo(e[z], 9));
    for (const f of withoutReference(frames, [1, 6, 8], got)) expect(Math.abs(f.energy)).toBeLessThan(1e-9);
  });

  it('shares the offset between species whose counts never vary apart (minimum norm)', () => {
    const frames = [2, 3, 5].map((n) => ({
      system: molecule([...Array(n).fill(11), ...Array(n).fill(17)]),
      energy: -7 * 2 * n + 0.01 * n,
    }));
    const got = referenceEnergies(frames, [11, 17]);
    expect(got[0]).toBeCloseTo(got[1], 10);
    // The least-squares energy per ion pair of those frames.
    const perAtom = frames.map((f) => f.energy / f.system.types.length);
    expect(got[0]).toBeCloseTo(perAtom.reduce((a, b) => a + b, 0) / perAtom.length, 10);
  });

});

describe('fits do not depend on the elements\' energy zero', () => {
  // Curves of three pairs of molecules (5 species), energies only: the case
  // where parameters outnumber the energy rows and the offsets mattered most.
  const frames = readFrames(`${DATA_DIR}/xtb-dimers.xyz`).filter(
    (f, k) => k % 3 === 0 && ['acetate+methylammonium', 'methanol+formamide', 'chloride+methane'].includes(String(f.info.pair)),
  );
  const species = [1, 6, 7, 8, 17];
  const hypers = { cutoff: 3, maxRadial: 2, maxAngular: 2 };
  const shift: Record<number, number> = { 1: 40, 6: -900, 7: 1200, 8: -3000, 17: 500 };
  const data = (shifted: boolean): TrainingFrame[] =>
    frames.map((f) => ({
      system: frameSystem(f),
      energy: (f.info.energy as number) + (shifted ? Array.from(f.types).reduce((s, z) => s + shift[z], 0) : 0),
      group: `${String(f.info.pair)}/${String(f.info.orientation)}`,
    }));

  for (const preset of ['local', 'multiscale'] as const) {
    it(`${preset} linear and sparse-kernel models shift their predictions by the composition energy only`, () => {
      const spec = presetFeatures(preset, species, hypers);
      const fits = [
        (d: TrainingFrame[]) => fitLinearModel(spec, d).model,
        (d: TrainingFrame[]) => fitSparseKernelModel(spec, d, { sparsePoints: 20 }).model,
      ];
      for (const fit of fits) {
        const plain = fit(data(false));
        const shifted = fit(data(true));
        let worst = 0;
        for (const f of frames.slice(0, 40)) {
          const system = frameSystem(f);
          const expected = plain.compute(system).energy + Array.from(f.types).reduce((s, z) => s + shift[z], 0);
          worst = Math.max(worst, Math.abs(shifted.compute(system).energy - expected));
        }
        // Shifts of up to 3 keV per atom: what is left is round-off of those sums.
        expect(worst).toBeLessThan(1e-5);
      }
    }, 120_000);
  }
});
