// The shipped default potential: fitted on data/nacl-melt-64.xyz the first
// time it is needed (progress shown), then cached, keyed by the data, the
// feature preset and the lodestone version so a stale model is never reused.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Progress } from '../../lib/cli/progress.js';
import { frameSystem, readFrames } from '../../lib/cli/frames.js';
import { fitLinearModel, loadModel, presetFeatures, saveModel, trainingClosestPairs, type FitProgress, type PresetName } from '../../lib/index.js';
import type { ClosestPairs } from '../../lib/core/contacts.js';
import type { ForceField } from '../../lib/core/forcefield.js';

export const DATA_FILE = fileURLToPath(new URL('../../data/nacl-melt-64.xyz', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'lodestone');
}

export interface DefaultModel {
  model: ForceField;
  preset: PresetName;
  path: string;
  fitted: boolean;
  /** The training frames' closest pairs (FitReport.closestPairs), for the MD watchdog; absent in a model cached before they were kept. */
  closestPairs?: ClosestPairs;
}

export function defaultModel(preset: PresetName, log: (line: string) => void = console.log): DefaultModel {
  const version = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')).version as string;
  const key = createHash('sha256').update(readFileSync(DATA_FILE)).update(preset).update('ewald-baseline').update(version).digest('hex').slice(0, 16);
  const dir = cacheDir();
  const path = join(dir, `nacl-${preset}-${key}.lsm`);
  if (existsSync(path)) {
    try {
      const { model, metadata } = loadModel(path);
      return { model, preset, path, fitted: false, closestPairs: trainingClosestPairs(metadata) };
    } catch (error) {
      log(`cached model ${path} unreadable (${(error as Error).message}); refitting`);
    }
  }
  log(`fitting the default ${preset} model on ${DATA_FILE} (first run only; cached in ${dir})`);
  const frames = readFrames(DATA_FILE).map((frame) => ({
    system: frameSystem(frame),
    energy: frame.info.energy as number,
    forces: frame.arrays.forces as Float64Array,
  }));
  const species = [...new Set(frames.flatMap((f) => Array.from(f.system.types)))].sort((a, b) => a - b);
  let bar: Progress | null = null;
  let stage = '';
  const onProgress = (p: FitProgress) => {
    if (p.stage !== stage) {
      stage = p.stage;
      bar = new Progress(p.stage.padEnd(14), p.total, p.stage === 'regularisation' ? 'values' : 'frames');
    }
    bar!.update(p.done);
  };
  // The data's reference force field has fixed charges +-1: an Ewald baseline
  // with them leaves only short-range physics for the features to learn.
  const features = { ...presetFeatures(preset, species), baseline: { kind: 'ewald' as const, charges: { '11': 1, '17': -1 } } };
  const { model, report } = fitLinearModel(features, frames, { onProgress });
  log(
    `fit: cross-validated energy RMSE ${(1000 * report.validation.energyRmsePerAtom).toFixed(2)} meV/atom, ` +
      `force RMSE ${report.validation.forceRmse.toPrecision(3)} eV/A (${report.frames} frames, ${report.folds} folds)`,
  );
  mkdirSync(dir, { recursive: true });
  saveModel(path, model, { fit: report });
  return { model, preset, path, fitted: true, closestPairs: report.closestPairs };
}
