import { loadModel } from '../../model/index.js';
import { helpText, parseArgs, stringOption, type CommandSpec } from '../args.js';
import { frameSystem, readFrames, references } from '../frames.js';

export const spec: CommandSpec = {
  name: 'eval',
  usage: 'lodestone eval MODEL FRAMES.xyz [options]',
  summary: 'Energies (eV) and forces (eV/A) of every frame; error tables where the file has references.',
  options: [
    { name: 'energy-key', value: 'KEY', description: 'info key of reference energies', default: 'energy' },
    { name: 'forces-key', value: 'KEY', description: 'per-atom column of reference forces', default: 'forces' },
    { name: 'quiet', description: 'print only the error table' },
    { name: 'help', description: 'show this help' },
  ],
};

export interface ErrorTable {
  frames: number;
  energyMaePerAtom: number;
  energyRmsePerAtom: number;
  forceMae: number;
  forceRmse: number;
  forceRms: number;
}

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv, spec);
  if (args.options.has('help')) return void console.log(helpText(spec));
  if (args.positionals.length !== 2) throw new Error(`expected a model and a frames file\n\n${helpText(spec)}`);
  const [modelPath, framesPath] = args.positionals;
  const { model } = loadModel(modelPath);
  const frames = readFrames(framesPath);
  const energyKey = stringOption(args, 'energy-key', 'energy');
  const forcesKey = stringOption(args, 'forces-key', 'forces');
  const quiet = args.options.has('quiet');
  let eAbs = 0, eSq = 0, eCount = 0, fAbs = 0, fSq = 0, fRef = 0, fCount = 0;
  if (!quiet) console.log('frame  atoms  energy/eV          reference/eV        error/meV/atom');
  frames.forEach((frame, k) => {
    const result = model.compute(frameSystem(frame), { forces: true });
    const ref = references(frame, energyKey, forcesKey);
    const N = frame.types.length;
    let line = `${String(k).padStart(5)}  ${String(N).padStart(5)}  ${result.energy.toFixed(6).padStart(18)}`;
    if (ref.energy !== undefined) {
      const err = (result.energy - ref.energy) / N;
      eAbs += Math.abs(err);
      eSq += err * err;
      eCount++;
      line += `  ${ref.energy.toFixed(6).padStart(18)}  ${(1000 * err).toFixed(3).padStart(12)}`;
    }
    if (ref.forces) {
      for (let c = 0; c < 3 * N; c++) {
        const d = result.forces![c] - ref.forces[c];
        fAbs += Math.abs(d);
        fSq += d * d;
        fRef += ref.forces[c] ** 2;
        fCount++;
      }
    }
    if (!quiet) console.log(line);
  });
  if (eCount || fCount) {
    console.log('\n| quantity | MAE | RMSE | reference RMS |\n|---|---|---|---|');
    if (eCount) console.log(`| energy (meV/atom) | ${(1000 * eAbs / eCount).toFixed(3)} | ${(1000 * Math.sqrt(eSq / eCount)).toFixed(3)} | |`);
    if (fCount) {
      console.log(`| force (eV/A) | ${(fAbs / fCount).toFixed(4)} | ${Math.sqrt(fSq / fCount).toFixed(4)} | ${Math.sqrt(fRef / fCount).toFixed(4)} |`);
    }
  }
}
