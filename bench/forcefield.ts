// ForceField energy + forces + stress per step (issue 5): local and
// multi-scale linear models on NaCl boxes of 64, 216 and 1728 ions. The
// weights are random: the cost does not depend on their values.
import { FeatureSet, LinearModel, presetFeatures, setNumThreads, type PresetName } from '../lib/index.js';
import { rockSalt216 } from './md.js';
import { moltenNaCl } from './support/structures.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';

function randomModel(preset: PresetName): LinearModel {
  const features = new FeatureSet(presetFeatures(preset, [11, 17]));
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
  return new LinearModel(features, {
    weights: Float64Array.from({ length: 2 * features.dimension }, () => 1e-3 * random()),
    biases: Float64Array.of(0, 0),
  });
}

export async function run(quick: boolean): Promise<Row[]> {
  const systems = [moltenNaCl(1), rockSalt216(), ...(quick ? [] : [moltenNaCl(3)])];
  const rows: Row[] = [];
  for (const preset of ['local', 'multiscale'] as const) {
    const model = randomModel(preset);
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      for (const { name, ...system } of systems) {
        const t = await time(() => model.compute(system, { forces: true, stress: true }), { runs: quick ? 3 : 5, warmup: 1 });
        const atoms = system.types.length;
        rows.push({
          features: preset,
          structure: name,
          threads,
          'ms/step': 1e3 * t.median,
          'atom-steps/s': atoms / t.median,
        });
      }
    }
  }
  return rows;
}
