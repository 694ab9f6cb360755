import { fitLinearModel, saveModel } from '../../model/index.js';
import { presetFeatures, PRESETS, type PresetName } from '../../model/presets.js';
import { helpText, numberOption, parseArgs, stringOption, type CommandSpec } from '../args.js';
import { readFrames, speciesOf, trainingFrames } from '../frames.js';
import { Progress } from '../progress.js';

export const spec: CommandSpec = {
  name: 'fit',
  usage: 'lodestone fit DATA.xyz [options]',
  summary: 'Fit a linear potential on the energies (eV) and forces (eV/A) of an extended-XYZ file.',
  details:
    'Features: "local" = SOAP power spectrum; "multiscale" = SOAP + rho x V (LODE, p = 1).\n' +
    'Energy errors are per atom (eV/atom); the regularisation is chosen on a held-out split.',
  options: [
    { name: 'out', value: 'MODEL', description: 'where to write the model', default: 'model.lsm' },
    { name: 'features', value: 'NAME', description: `feature preset: ${PRESETS.join(' | ')}`, default: 'multiscale' },
    { name: 'cutoff', value: 'A', description: 'local cutoff radius (A)', default: '4.5' },
    { name: 'max-radial', value: 'N', description: 'GTO max_radial (inclusive)', default: '5' },
    { name: 'max-angular', value: 'L', description: 'max_angular', default: '4' },
    { name: 'energy-key', value: 'KEY', description: 'info key of the energy (eV)', default: 'energy' },
    { name: 'forces-key', value: 'KEY', description: 'per-atom column of the forces (eV/A)', default: 'forces' },
    { name: 'force-weight', value: 'W', description: 'weight of force errors relative to per-atom energy errors', default: '0.1' },
    { name: 'validation', value: 'F', description: 'fraction of frames held out to choose the regularisation', default: '0.1' },
    { name: 'frames', value: 'N', description: 'use only the first N frames' },
    { name: 'help', description: 'show this help' },
  ],
};

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv, spec);
  if (args.options.has('help')) return void console.log(helpText(spec));
  if (args.positionals.length !== 1) throw new Error(`expected one data file\n\n${helpText(spec)}`);
  const path = args.positionals[0];
  let frames = readFrames(path);
  const limit = numberOption(args, 'frames', frames.length, (v) => Number.isInteger(v) && v >= 2);
  frames = frames.slice(0, limit);
  const preset = stringOption(args, 'features', 'multiscale') as PresetName;
  const features = presetFeatures(preset, speciesOf(frames), {
    cutoff: numberOption(args, 'cutoff', 4.5, (v) => v > 0),
    maxRadial: numberOption(args, 'max-radial', 5, (v) => Number.isInteger(v) && v >= 0),
    maxAngular: numberOption(args, 'max-angular', 4, (v) => Number.isInteger(v) && v >= 0),
  });
  const data = trainingFrames(path, frames, stringOption(args, 'energy-key', 'energy'), stringOption(args, 'forces-key', 'forces'));
  const bars = new Map<string, Progress>();
  const { model, report } = fitLinearModel(features, data, {
    forceWeight: numberOption(args, 'force-weight', 0.1, (v) => v >= 0),
    validationFraction: numberOption(args, 'validation', 0.1, (v) => v > 0 && v < 1),
    onProgress: (p) => {
      if (!bars.has(p.stage)) bars.set(p.stage, new Progress(p.stage.padEnd(14), p.total, p.stage === 'regularisation' ? 'values' : 'frames'));
      bars.get(p.stage)!.update(p.done);
    },
  });
  const out = stringOption(args, 'out', 'model.lsm');
  saveModel(out, model, { datasetHash: report.datasetHash, fit: report, source: path });
  console.log(`features: ${preset} (${model.features.dimension} per atom), species ${features.species.join(', ')}`);
  console.log(`regularisation: ${report.regularization}`);
  console.log(`train (${report.trainFrames} frames): energy RMSE ${(1000 * report.train.energyRmsePerAtom).toFixed(3)} meV/atom, force RMSE ${report.train.forceRmse.toFixed(4)} eV/A`);
  console.log(`validation (${report.validationFrames} frames): energy RMSE ${(1000 * report.validation.energyRmsePerAtom).toFixed(3)} meV/atom, force RMSE ${report.validation.forceRmse.toFixed(4)} eV/A`);
  console.log(`model written to ${out} (${report.seconds.toFixed(1)} s)`);
}
