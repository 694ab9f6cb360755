import { appendFileSync, writeFileSync } from 'node:fs';
import { loadModel, loadTensorModel, modelFileKind, trainingClosestPairs } from '../../model/serialize.js';
import { formatExtxyz, type ExtxyzFrameInput } from '../../structures/index.js';
import type { Frame } from '../../io/extxyz.js';
import { CONTACT_FACTOR, outsideTraining } from '../../core/contacts.js';
import type { ForceFieldResult } from '../../core/forcefield.js';
import { toNativeSystem } from '../../core/system.js';
import { helpText, parseArgs, stringOption, type CommandSpec, type ParsedArgs } from '../args.js';
import { checkFrameSpecies, frameSystem, readFrames, references, tensorValue } from '../frames.js';
import { cartesianLength } from '../../model/tensor/target.js';
import { checkWritable } from '../output.js';
import { Progress } from '../progress.js';

export const spec: CommandSpec = {
  name: 'eval',
  usage: 'lodestone eval MODEL FRAMES.xyz [options]',
  summary: 'Energies (eV) and forces (eV/A) of every frame, or the dipole / polarizability of a tensor model; error tables where the file has references.',
  details:
    '--out writes the predictions as extended XYZ in ASE\'s dialect: energy (eV), forces (eV/A), stress\n' +
    '(eV/A^3, periodic frames) and per-atom energies (eV, column "energies"), with the reference energy\n' +
    'and forces, when the input has them, as reference_energy and reference_forces. A tensor model writes\n' +
    'its target under its name (dipole: 3 numbers, e A; polarizability: 9, A^3) and the reference as\n' +
    'reference_dipole / reference_polarizability.',
  options: [
    { name: 'out', value: 'FILE.xyz', description: 'write the predictions (extended XYZ, readable by ase.io.read)' },
    { name: 'energy-key', value: 'KEY', description: 'info key of reference energies', default: 'energy' },
    { name: 'forces-key', value: 'KEY', description: 'per-atom column of reference forces', default: 'forces' },
    { name: 'target-key', value: 'KEY', description: 'tensor models: info key of the reference dipole or polarizability', default: 'the target name' },
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
  if (modelFileKind(modelPath) === 'tensor') return evalTensor(modelPath, framesPath, args);
  if (args.options.has('target-key')) throw new Error('--target-key: only meaningful with a dipole or polarizability model');
  const { model, metadata } = loadModel(modelPath);
  const closestPairs = trainingClosestPairs(metadata);
  const frames = readFrames(framesPath);
  const energyKey = stringOption(args, 'energy-key', 'energy');
  const forcesKey = stringOption(args, 'forces-key', 'forces');
  const quiet = args.options.has('quiet');
  // Everything that can be wrong is checked before the first frame is evaluated.
  const refs = frames.map((f) => references(f, energyKey, forcesKey));
  if (args.options.has('energy-key') && refs.every((r) => r.energy === undefined)) {
    throw new Error(`--energy-key: no frame of ${framesPath} has a '${energyKey}' energy`);
  }
  if (args.options.has('forces-key') && refs.every((r) => r.forces === undefined)) {
    throw new Error(`--forces-key: no frame of ${framesPath} has a per-atom '${forcesKey}' column of 3 numbers per atom`);
  }
  checkFrameSpecies(model.features, frames, framesPath);
  const out = args.options.has('out') ? stringOption(args, 'out', '') : undefined;
  if (out !== undefined) {
    checkWritable(out, '--out');
    writeFileSync(out, '');
  }
  const progress = out !== undefined && quiet ? new Progress('eval', frames.length, 'frames') : null;
  let eAbs = 0, eSq = 0, eCount = 0, fAbs = 0, fSq = 0, fRef = 0, fCount = 0;
  const extrapolated: number[] = [];
  if (!quiet) console.log('frame  atoms  energy/eV          reference/eV        error/meV/atom');
  frames.forEach((frame, k) => {
    const periodic = frame.cell !== null && frame.pbc.some(Boolean);
    const system = frameSystem(frame);
    const result = model.compute(system, { forces: true, stress: periodic, perAtom: out !== undefined });
    if (closestPairs && outsideTraining(toNativeSystem(system), closestPairs)) extrapolated.push(k);
    const ref = refs[k];
    if (out !== undefined) appendFileSync(out, formatExtxyz(prediction(frame, result, ref, energyKey, forcesKey)));
    progress?.update(k + 1);
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
  if (out !== undefined) console.log(`predictions of ${frames.length} frames written to ${out}`);
  if (extrapolated.length) {
    const list = extrapolated.length > 10 ? `${extrapolated.slice(0, 10).join(', ')}, ...` : extrapolated.join(', ');
    console.log(
      `${extrapolated.length} of ${frames.length} frames (${list}) hold atoms closer than ${CONTACT_FACTOR} x the closest pair of their ` +
        "species in the model's training data: the model extrapolates there",
    );
  }
  if (eCount || fCount) {
    console.log('\n| quantity | MAE | RMSE | reference RMS |\n|---|---|---|---|');
    if (eCount) console.log(`| energy (meV/atom) | ${(1000 * eAbs / eCount).toFixed(3)} | ${(1000 * Math.sqrt(eSq / eCount)).toFixed(3)} | |`);
    if (fCount) {
      console.log(`| force (eV/A) | ${(fAbs / fCount).toFixed(4)} | ${Math.sqrt(fSq / fCount).toFixed(4)} | ${Math.sqrt(fRef / fCount).toFixed(4)} |`);
    }
  }
}

/** A predicted frame: the input's atoms and info, the model's results, the references renamed. */
function prediction(
  frame: Frame,
  result: ForceFieldResult,
  ref: { energy?: number; forces?: Float64Array },
  energyKey: string,
  forcesKey: string,
): ExtxyzFrameInput {
  const info: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(frame.info)) if (![energyKey, 'energy', 'free_energy', 'stress'].includes(key)) info[key] = value;
  if (ref.energy !== undefined) info.reference_energy = ref.energy;
  const arrays: NonNullable<ExtxyzFrameInput['arrays']> = {};
  for (const [key, value] of Object.entries(frame.arrays)) {
    if (![forcesKey, 'forces', 'energies', 'momenta', 'velocities', 'masses'].includes(key)) arrays[key] = value;
  }
  if (ref.forces) arrays.reference_forces = ref.forces;
  return {
    ...frameSystem(frame),
    symbols: frame.symbols,
    energy: result.energy,
    forces: result.forces,
    ...(result.stress ? { stress: result.stress } : {}),
    ...(result.energies ? { energies: result.energies } : {}),
    info,
    arrays,
  };
}

/** Predictions of a dipole or polarizability model, with RMSE where the frames have the reference. */
function evalTensor(modelPath: string, framesPath: string, args: ParsedArgs): void {
  for (const name of ['energy-key', 'forces-key']) {
    if (args.options.has(name)) throw new Error(`--${name}: not used by a tensor model (${modelPath} predicts a dipole or polarizability)`);
  }
  const { model } = loadTensorModel(modelPath);
  const target = model.target;
  const key = stringOption(args, 'target-key', target);
  const frames = readFrames(framesPath);
  const length = cartesianLength(target);
  const refs = frames.map((f) => tensorValue(f, key, target));
  if (args.options.has('target-key') && refs.every((r) => r === undefined)) throw new Error(`--target-key: no frame of ${framesPath} has a '${key}' of ${length} numbers`);
  checkFrameSpecies(model.features, frames, framesPath);
  const out = args.options.has('out') ? stringOption(args, 'out', '') : undefined;
  if (out !== undefined) {
    checkWritable(out, '--out');
    writeFileSync(out, '');
  }
  const quiet = args.options.has('quiet');
  const unit = target === 'dipole' ? 'e A' : 'A^3';
  if (!quiet) console.log(`frame  atoms  ${target} / ${unit}${refs.some(Boolean) ? '  |  RMSE vs reference' : ''}`);
  let sq = 0, ref2 = 0, count = 0, perAtom = 0;
  frames.forEach((frame, k) => {
    const predicted = model.predict(frameSystem(frame));
    const ref = refs[k];
    let line = `${String(k).padStart(5)}  ${String(frame.types.length).padStart(5)}  ${Array.from(predicted, (v) => v.toFixed(4)).join(' ')}`;
    if (ref) {
      let e = 0;
      predicted.forEach((v, c) => (e += (v - ref[c]) ** 2));
      sq += e;
      perAtom += e / frame.types.length ** 2;
      ref2 += ref.reduce((a, v) => a + v * v, 0);
      count += length;
      line += `  |  ${Math.sqrt(e / length).toPrecision(3)}`;
    }
    if (!quiet) console.log(line);
    if (out !== undefined) {
      const info: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(frame.info)) if (name !== key && name !== target) info[name] = value;
      info[target] = Array.from(predicted);
      if (ref) info[`reference_${target}`] = Array.from(ref);
      appendFileSync(out, formatExtxyz({ ...frameSystem(frame), symbols: frame.symbols, info, arrays: { ...frame.arrays } }));
    }
  });
  if (out !== undefined) console.log(`predictions of ${frames.length} frames written to ${out}`);
  if (count) {
    console.log(`\n| quantity | RMSE | RMSE per atom | reference RMS |\n|---|---|---|---|`);
    console.log(`| ${target} component (${unit}) | ${Math.sqrt(sq / count).toPrecision(4)} | ${Math.sqrt(perAtom / count).toPrecision(4)} | ${Math.sqrt(ref2 / count).toPrecision(4)} |`);
  }
}
