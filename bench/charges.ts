// A step of the learned charges and atomic dipoles (the long range that
// `presetFeatures('multiscale')` chooses for molecules in vacuum, with
// `atomicDipoles`) on clusters of the GFN2-xTB dimers of data/xtb-dimers.xyz
// set on a cubic grid 14 A apart: 1 to 64 dimers (15 to ~830 atoms). Its
// Coulomb sum runs over all pairs, so it is the part of a molecular MD step
// that grows as N^2; the table splits the step into the charges' own
// features (charges, dipoles and their backward passes) and the pair sum.
// The weights are random: the cost does not depend on their values.
import { fileURLToPath } from 'node:url';
import { learnedChargesBaseline, readExtxyz, setNumThreads } from '../lib/index.js';
import { toNativeSystem } from '../lib/core/system.js';
import type { NativeSystem } from '../lib/native/types.js';
import { smearedMultipoles } from '../lib/longrange/smeared-coulomb.js';
import { ChargeModel } from '../lib/model/charge-model.js';
import { lcg } from './support/random.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';

const SPECIES = [1, 6, 7, 8, 17];

function randomChargeModel(): ChargeModel {
  const spec = learnedChargesBaseline({ atomicDipoles: true }, SPECIES);
  const probe = new ChargeModel(spec, SPECIES);
  const random = lcg(5);
  const weights = Array.from({ length: SPECIES.length * (probe.dimension + 1) }, () => 1e-3 * (random() - 0.5));
  const dipoleWeights = Array.from({ length: SPECIES.length * probe.dipoleDimension }, () => 1e-3 * (random() - 0.5));
  return new ChargeModel({ ...spec, weights, dipoleWeights }, SPECIES);
}

/** side^3 dimers of the data on a grid 14 A apart. */
function cluster(side: number): NativeSystem {
  const frames = readExtxyz(fileURLToPath(new URL('../data/xtb-dimers.xyz', import.meta.url)));
  const positions: number[] = [], types: number[] = [];
  let k = 0;
  for (let a = 0; a < side; a++) {
    for (let b = 0; b < side; b++) {
      for (let c = 0; c < side; c++) {
        const f = frames[(k++ * 37) % frames.length];
        f.types.forEach((t, i) => {
          positions.push(f.positions[3 * i] + 14 * a, f.positions[3 * i + 1] + 14 * b, f.positions[3 * i + 2] + 14 * c);
          types.push(t);
        });
      }
    }
  }
  return toNativeSystem({ positions, types, cell: null, pbc: [false, false, false] });
}

export async function run(quick: boolean): Promise<Row[]> {
  const model = randomChargeModel();
  const rows: Row[] = [];
  for (const threads of [1, 2]) {
    setNumThreads(threads);
    for (const side of quick ? [1, 2, 3] : [1, 2, 3, 4]) {
      const system = cluster(side);
      const options = { runs: quick ? 3 : 7, warmup: 1 };
      const step = await time(() => model.evaluate(system), options);
      const { charges, groups } = model.charges(system);
      const dipoles = model.dipoles(system)!;
      const pairs = await time(() => smearedMultipoles({ positions: system.positions, charges, dipoles, sigma: model.spec.smearing, groups }), options);
      const atoms = system.types.length;
      rows.push({
        atoms,
        threads,
        'ms/step': 1e3 * step.median,
        'atom-steps/s': atoms / step.median,
        'pair sum, ms': 1e3 * pairs.median,
      });
    }
  }
  return rows;
}
