import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../io/npy.js';
import { FeatureSet, type FeatureSetSpec } from '../../model/feature-set.js';
import { presetFeatures, PRESETS, type PresetName } from '../../model/presets.js';
import { helpText, numberOption, parseArgs, stringOption, type CommandSpec } from '../args.js';
import { frameSystem, readFrames, speciesOf } from '../frames.js';
import { Progress } from '../progress.js';

export const spec: CommandSpec = {
  name: 'features',
  usage: 'lodestone features FRAMES.xyz [options]',
  summary: 'Per-atom features of every frame, written as NumPy .npy arrays.',
  details:
    'Writes OUT/values.npy (float64, [atoms of all frames, dimension]) and OUT/samples.npy\n' +
    '(int32, [atoms, 2] = frame, atom). Blocks are scaled by 1 (raw invariants).',
  options: [
    { name: 'out', value: 'DIR', description: 'output directory', default: 'features' },
    { name: 'features', value: 'NAME|FILE.json', description: `preset (${PRESETS.join(' | ')}) or a FeatureSet JSON file`, default: 'local' },
    { name: 'cutoff', value: 'A', description: 'local cutoff radius for presets (A)', default: '4.5' },
    { name: 'help', description: 'show this help' },
  ],
};

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv, spec);
  if (args.options.has('help')) return void console.log(helpText(spec));
  if (args.positionals.length !== 1) throw new Error(`expected one frames file\n\n${helpText(spec)}`);
  const frames = readFrames(args.positionals[0]);
  const choice = stringOption(args, 'features', 'local');
  const featureSpec: FeatureSetSpec = choice.endsWith('.json')
    ? (JSON.parse(readFileSync(choice, 'utf8')) as FeatureSetSpec)
    : presetFeatures(choice as PresetName, speciesOf(frames), { cutoff: numberOption(args, 'cutoff', 4.5, (v) => v > 0) });
  const features = new FeatureSet(featureSpec);
  const total = frames.reduce((n, f) => n + f.types.length, 0);
  const values = new Float64Array(total * features.dimension);
  const samples = new Int32Array(total * 2);
  const progress = new Progress('features', frames.length, 'frames');
  let row = 0;
  frames.forEach((frame, k) => {
    const x = features.compute(frameSystem(frame)).values;
    values.set(x, row * features.dimension);
    for (let i = 0; i < frame.types.length; i++) samples.set([k, i], 2 * (row + i));
    row += frame.types.length;
    progress.update(k + 1);
  });
  const out = stringOption(args, 'out', 'features');
  mkdirSync(out, { recursive: true });
  writeNpy(join(out, 'values.npy'), values, [total, features.dimension]);
  writeNpy(join(out, 'samples.npy'), samples, [total, 2]);
  console.log(`${total} atoms x ${features.dimension} features -> ${join(out, 'values.npy')}, ${join(out, 'samples.npy')}`);
}
