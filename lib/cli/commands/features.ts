import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { symbolOf } from '../../io/elements.js';
import { writeNpy } from '../../io/npy.js';
import { FeatureSet, type FeatureSetSpec } from '../../model/feature-set.js';
import { loadModel } from '../../model/index.js';
import { presetFeatures, PRESETS, type PresetName } from '../../model/presets.js';
import { helpText, numberOption, parseArgs, stringOption, type CommandSpec, type ParsedArgs } from '../args.js';
import { checkFrameSpecies, frameSystem, readFrames, speciesOf } from '../frames.js';
import { checkWritable } from '../output.js';
import { Progress } from '../progress.js';
import { parseTypes } from '../species.js';

export const spec: CommandSpec = {
  name: 'features',
  usage: 'lodestone features FRAMES.xyz [options]',
  summary: 'Per-atom features of every frame: NumPy .npy arrays with their labels in JSON.',
  details:
    'Writes OUT/values.npy (float64, [atoms of all frames, dimension]), OUT/samples.npy (int32, [atoms, 3] =\n' +
    'frame, atom, atomic number) and OUT/labels.json: the sample names, the property labels of every block\'s\n' +
    'columns (offset, size, names such as neighbor_1_type, l, n_1, n_2, one row of values per column), the\n' +
    'species, the block scales, the feature spec and the source file. The species fix the columns: give --species (or --model) so that the files of different\n' +
    'data sets line up; by default they are the species of FRAMES.xyz. Presets and JSON specs give raw\n' +
    'invariants (scale 1); --model gives the features exactly as that model sees them (its hypers, species,\n' +
    'contraction and block scales).',
  options: [
    { name: 'out', value: 'DIR', description: 'output directory', default: 'features' },
    { name: 'features', value: 'NAME|FILE.json', description: `preset (${PRESETS.join(' | ')}) or a FeatureSet JSON file`, default: 'local' },
    { name: 'species', value: 'LIST', description: 'species of the columns, e.g. Na,Cl or 11,17 (presets; default: those of FRAMES.xyz)' },
    { name: 'model', value: 'MODEL', description: 'use the features of a fitted model (instead of --features)' },
    { name: 'cutoff', value: 'A', description: 'local cutoff radius for presets (A)', default: '4.5' },
    { name: 'help', description: 'show this help' },
  ],
};

function featureSet(args: ParsedArgs, framesSpecies: number[]): { features: FeatureSet; source: string } {
  const choice = stringOption(args, 'features', 'local');
  const species = args.options.has('species') ? [...new Set(parseTypes(stringOption(args, 'species', ''), '--species'))].sort((a, b) => a - b) : undefined;
  if (args.options.has('model')) {
    for (const name of ['features', 'species', 'cutoff']) if (args.options.has(name)) throw new Error(`--${name}: the model fixes it; give either --model or --${name}`);
    const path = stringOption(args, 'model', '');
    return { features: loadModel(path).model.features, source: `model ${path}` };
  }
  if (choice.endsWith('.json')) {
    if (species) throw new Error('--species: a FeatureSet JSON file lists its own species');
    let parsed: FeatureSetSpec;
    try {
      parsed = JSON.parse(readFileSync(choice, 'utf8')) as FeatureSetSpec;
    } catch (e) {
      throw new Error(`--features ${choice}: ${(e as Error).message}`);
    }
    return { features: new FeatureSet(parsed), source: choice };
  }
  const cutoff = numberOption(args, 'cutoff', 4.5, (v) => v > 0);
  return { features: new FeatureSet(presetFeatures(choice as PresetName, species ?? framesSpecies, { cutoff })), source: `preset ${choice}` };
}

interface BlockLabels {
  kind: string;
  /** First column of the block in values.npy. */
  offset: number;
  size: number;
  /** Label names of the block's columns, e.g. neighbor_1_type, neighbor_2_type, l, n_1, n_2. */
  names: string[];
  /** One row of label values per column. */
  values: number[][];
}

/** Property labels of every block's columns (probed on one frame: they do not depend on it). */
function propertyLabels(features: FeatureSet, probe: Parameters<FeatureSet['compute']>[0]): BlockLabels[] {
  const offsets = features.offsets;
  return features.invariants.map((inv, b) => {
    const properties = inv.compute(probe, features.options()).properties;
    const width = properties.names.length;
    const values = Array.from({ length: properties.count }, (_, k) => Array.from(properties.values.subarray(k * width, (k + 1) * width)));
    return { kind: features.spec.blocks[b].kind, offset: offsets[b], size: features.sizes[b], names: [...properties.names], values };
  });
}

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv, spec);
  if (args.options.has('help')) return void console.log(helpText(spec));
  if (args.positionals.length !== 1) throw new Error(`expected one frames file\n\n${helpText(spec)}`);
  const path = args.positionals[0];
  const frames = readFrames(path);
  const out = stringOption(args, 'out', 'features');
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new Error(`--out: cannot create the directory ${out} (${(e as Error).message})`);
  }
  checkWritable(join(out, 'values.npy'), '--out');
  const { features, source } = featureSet(args, speciesOf(frames));
  const species = features.spec.species;
  checkFrameSpecies(features, frames, path);
  if (!args.options.has('species') && !args.options.has('model') && !stringOption(args, 'features', 'local').endsWith('.json')) {
    console.log(`species: ${species.map(symbolOf).join(', ')} (those of ${path}; --species fixes them so that other files line up)`);
  }
  const total = frames.reduce((n, f) => n + f.types.length, 0);
  const dimension = features.dimension;
  const values = new Float64Array(total * dimension);
  const samples = new Int32Array(total * 3);
  const progress = new Progress('features', frames.length, 'frames');
  let row = 0;
  frames.forEach((frame, k) => {
    values.set(features.compute(frameSystem(frame)).values, row * dimension);
    for (let i = 0; i < frame.types.length; i++) samples.set([k, i, frame.types[i]], 3 * (row + i));
    row += frame.types.length;
    progress.update(k + 1);
  });
  const blocks = propertyLabels(features, frameSystem(frames[0]));
  writeNpy(join(out, 'values.npy'), values, [total, dimension]);
  writeNpy(join(out, 'samples.npy'), samples, [total, 3]);
  const labels = {
    values: { file: 'values.npy', dtype: 'float64', shape: [total, dimension] },
    samples: { file: 'samples.npy', dtype: 'int32', shape: [total, 3], names: ['frame', 'atom', 'type'] },
    properties: blocks,
    species,
    scales: features.scales,
    features: features.spec,
    source: { frames: path, features: source },
  };
  writeFileSync(join(out, 'labels.json'), `${JSON.stringify(labels)}\n`);
  console.log(`${total} atoms x ${dimension} features -> ${join(out, 'values.npy')}, ${join(out, 'samples.npy')}, labels in ${join(out, 'labels.json')}`);
}
