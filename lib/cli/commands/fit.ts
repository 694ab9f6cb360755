import { fitLinearModel, fitSparseKernelModel, saveModel, SPECIES_WEIGHTS, type FitOptions, type SpeciesWeights } from '../../model/index.js';
import { channelsText, formatBytes, regularizationText, type FitProgress } from '../../model/training.js';
import { DEFAULT_FIELD, defaultLongRange, FIELDS, lacksIsolatedMolecules, learnedChargesBaseline, LONG_RANGES, presetFeatures, PRESETS, type LongRange, type PresetName } from '../../model/presets.js';
import { helpText, numberOption, parseArgs, stringOption, type CommandSpec, type ParsedArgs } from '../args.js';
import { chargeOnlyFrames, readFrames, speciesOf, tensorFrames, trainingFrames } from '../frames.js';
import { fitTensorModel, type TensorFrame } from '../../model/tensor/fit.js';
import { saveTensorModel } from '../../model/serialize.js';
import { TENSOR_TARGETS, type TensorTarget } from '../../model/tensor/target.js';
import type { FeatureSetSpec } from '../../model/feature-set.js';
import type { TrainingFrame } from '../../model/training-frame.js';
import { checkWritable } from '../output.js';
import { symbolOf } from '../../io/elements.js';
import { Progress } from '../progress.js';

export const spec: CommandSpec = {
  name: 'fit',
  usage: 'lodestone fit DATA.xyz [options]',
  summary: 'Fit a linear or sparse-kernel potential on the energies (eV) and forces (eV/A) of an extended-XYZ file, or a linear model of dipoles or polarizabilities.',
  details:
    'Features: "local" = SOAP power spectrum; "multiscale" = SOAP + a long-range part: rho x V (LODE, p = 1) or,\n' +
    'for molecules in vacuum, the electrostatics of learned charges (fitted to per-atom reference charges, or read off\n' +
    'the energies when the data has none; --long-range).\n' +
    'Models: "linear" = w[Z].x + b[Z] per atom; "sparse-kernel" = sum_m alpha[Z,m] (x^.y^_m)^zeta + b[Z] over\n' +
    'sparse environments chosen by farthest-point sampling.\n' +
    'Energy errors are per atom (eV/atom); the regularisation is chosen by k-fold cross-validation over frames\n' +
    '(over groups of frames with --group-key). With 3 or more species the multiscale and local presets contract\n' +
    'each expansion\'s (species, radial) channels to learned channels per l (--channels): K0 = max-radial + 3,\n' +
    '1.5 K0 or 2 K0, as cross-validation chooses (the larger ones while the model has at most 4096 parameters).\n' +
    '--target dipole|polarizability fits an equivariant linear model of a per-frame vector (e A) or symmetric\n' +
    '3x3 tensor (A^3) instead: sums of per-atom terms of the features coupled to order lambda = 1, or 0 and 2.',
  options: [
    { name: 'out', value: 'MODEL', description: 'where to write the model', default: 'model.lsm' },
    { name: 'target', value: 'KIND', description: `what to fit: energy (energies and forces: a potential) | ${TENSOR_TARGETS.join(' | ')}`, default: 'energy' },
    { name: 'target-key', value: 'KEY', description: 'info key of the dipole (3 numbers, e A) or polarizability (9 numbers, A^3)', default: 'the target name' },
    { name: 'model', value: 'KIND', description: 'model kind: linear | sparse-kernel', default: 'linear' },
    { name: 'sparse-points', value: 'M', description: 'sparse-kernel: sparse environments per species', default: '200 (100 for --target)' },
    { name: 'zeta', value: 'Z', description: 'sparse-kernel: kernel exponent (integer >= 1)', default: '2' },
    { name: 'kernel-blocks', value: 'WHICH', description: 'sparse-kernel: local (kernel on the SOAP block, long range linear) | all', default: 'local' },
    { name: 'features', value: 'NAME', description: `feature preset: ${PRESETS.join(' | ')}`, default: 'multiscale' },
    { name: 'cutoff', value: 'A', description: 'local cutoff radius (A)', default: '4.5' },
    { name: 'max-radial', value: 'N', description: 'GTO max_radial (inclusive)', default: '5' },
    { name: 'max-angular', value: 'L', description: 'max_angular', default: '4' },
    { name: 'energy-key', value: 'KEY', description: 'info key of the energy (eV)', default: 'energy' },
    { name: 'forces-key', value: 'KEY', description: 'per-atom column of the forces (eV/A)', default: 'forces' },
    { name: 'force-weight', value: 'W', description: 'weight of force errors relative to per-atom energy errors', default: '0.1' },
    { name: 'folds', value: 'K', description: 'cross-validation folds for the regularisation', default: '5' },
    { name: 'group-key', value: 'KEY,...', description: 'info key(s) whose frames share a fold, e.g. pair,orientation (one binding curve)' },
    { name: 'channels', value: 'K[,K...]', description: 'contracted channels per l, candidates for cross-validation to choose among, or "none" (default: none up to 2 species, else max-radial + 3 and up to twice that within 4096 parameters)' },
    { name: 'field', value: 'far|full', description: 'multiscale: potential of rho x V from the atoms beyond the cutoff only, or the whole field', default: DEFAULT_FIELD },
    { name: 'exponents', value: 'P,...', description: 'multiscale: LODE exponents, one rho x V block each (1: electrostatics, 6: dispersion)', default: '1' },
    { name: 'species-weights', value: 'KIND', description: 'per-species | shared (one weight vector for all centres, per-species offsets)', default: 'per-species' },
    { name: 'max-memory', value: 'GB', description: 'refuse a fit whose estimated peak memory exceeds this (GiB)', default: 'half the RAM' },
    { name: 'frames', value: 'N', description: 'use only the first N frames' },
    {
      name: 'long-range',
      value: 'KIND',
      description:
        "multiscale: field (rho x V) | charges (electrostatics of learned charges, molecules in vacuum: fitted to per-atom reference charges when the data has them, else each molecule's whole charge read off the energies) | auto (charges when every frame is a molecule or cluster in vacuum and some carry the charges column, or some are lone molecules and others complexes; else field)",
      default: 'auto',
    },
    {
      name: 'learn-charges',
      value: 'KEY',
      description:
        "learn charges from this per-atom column of reference charges (e) (default column: charges): the long range of multiscale, added to local (and to rho x V with --long-range field); molecules only; the frames' info 'charge' is their total charge",
    },
    {
      name: 'charge-data',
      value: 'FILE',
      description:
        'extended XYZ of more frames for the learned charges only, e.g. each molecule at distorted geometries: their per-atom charges (the --learn-charges column) join the charge fit, nothing else is fitted to them',
    },
    {
      name: 'atomic-dipoles',
      value: 'KEY',
      description:
        "per-atom column of reference atomic dipoles (e A), e.g. atomic_dipoles (GFN2-xTB's electrostatics has both charges and atomic dipoles): the learned charges' model learns atomic dipoles from it too, with their charge-dipole and dipole-dipole energy",
    },
    {
      name: 'atomic-dipoles-as',
      value: 'HOW',
      description: '--atomic-dipoles: learned (atomic dipoles beside the charges) | charges (each carried by charges on its atom and bonded neighbours, no dipoles in the model)',
      default: 'learned',
    },
    { name: 'charge-group-key', value: 'KEY,...', description: '--charge-data: info key(s) whose frames share a fold of the charge fit, e.g. molecule' },
    { name: 'baseline-charges', value: 'Z:Q,...', description: 'add an Ewald baseline with these fixed charges (e), e.g. 11:1,17:-1; the model learns the rest' },
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
  if (args.options.has('baseline-charges') && args.options.has('learn-charges')) {
    throw new Error('--learn-charges and --baseline-charges: choose one baseline');
  }
  const askedCharges = args.options.has('learn-charges') ? stringOption(args, 'learn-charges', '') : undefined;
  const chargesKey = askedCharges ?? 'charges';
  const groupKey = args.options.has('group-key') ? stringOption(args, 'group-key', '') : undefined;
  const target = args.options.has('target') ? choiceOption(args, 'target', ['energy', ...TENSOR_TARGETS] as const) : 'energy';
  if (target !== 'energy') {
    for (const name of ['kernel-blocks', 'energy-key', 'forces-key', 'force-weight', 'baseline-charges', 'species-weights', 'max-memory', 'charge-data', 'charge-group-key', 'atomic-dipoles', 'atomic-dipoles-as']) {
      if (args.options.has(name)) throw new Error(`--${name}: not used by a ${target} model (a linear model of per-frame tensors)`);
    }
    if (askedCharges !== undefined && target !== 'dipole') throw new Error('--learn-charges: only a dipole model adds the dipole of learned charges');
  } else if (args.options.has('target-key')) throw new Error('--target-key: only meaningful with --target dipole or polarizability');
  const forcesKey = stringOption(args, 'forces-key', 'forces');
  const dipolesKey = args.options.has('atomic-dipoles') ? stringOption(args, 'atomic-dipoles', '') : undefined;
  if (args.options.has('atomic-dipoles-as') && dipolesKey === undefined) throw new Error('--atomic-dipoles-as: only meaningful with --atomic-dipoles');
  const dipolesAs = args.options.has('atomic-dipoles-as') ? choiceOption(args, 'atomic-dipoles-as', ['learned', 'charges'] as const) : 'learned';
  const learnDipoles = dipolesKey !== undefined && dipolesAs === 'learned';
  const data =
    target === 'energy'
      ? trainingFrames(path, frames, stringOption(args, 'energy-key', 'energy'), forcesKey, groupKey, chargesKey, dipolesKey)
      : tensorFrames(path, frames, target, stringOption(args, 'target-key', target), groupKey, chargesKey);
  // A named force column that no frame has is a typo, not a request to fit energies only (--force-weight 0 is that).
  if (args.options.has('forces-key') && (data as TrainingFrame[]).every((f) => f.forces === undefined)) {
    throw new Error(`--forces-key: no frame of ${path} has a per-atom '${forcesKey}' column of 3 numbers per atom`);
  }
  if (args.options.has('charge-group-key') && !args.options.has('charge-data')) throw new Error('--charge-group-key: only meaningful with --charge-data');
  const chargeFrames = args.options.has('charge-data')
    ? chargeOnlyFrames(stringOption(args, 'charge-data', ''), chargesKey, args.options.has('charge-group-key') ? stringOption(args, 'charge-group-key', '') : undefined, dipolesKey)
    : [];
  if (preset !== 'multiscale' && args.options.has('long-range')) throw new Error('--long-range: only meaningful with --features multiscale');
  const longRangeOption = args.options.has('long-range') ? choiceOption(args, 'long-range', ['auto', ...LONG_RANGES] as const) : 'auto';
  const longRange: LongRange | undefined =
    preset !== 'multiscale' ? undefined : longRangeOption !== 'auto' ? longRangeOption : askedCharges !== undefined ? 'charges' : defaultLongRange([...data, ...chargeFrames], target === 'energy');
  const cutoff = numberOption(args, 'cutoff', 4.5, (v) => v > 0);
  const features = presetFeatures(preset, speciesOf(frames), {
    cutoff,
    maxRadial: numberOption(args, 'max-radial', 5, (v) => Number.isInteger(v) && v >= 0),
    maxAngular: numberOption(args, 'max-angular', 4, (v) => Number.isInteger(v) && v >= 0),
    ...channelsOption(args),
    ...(args.options.has('exponents') ? { exponents: exponentsOption(args) } : {}),
    ...(args.options.has('field') ? { field: choiceOption(args, 'field', FIELDS) } : {}),
    ...(longRange ? { longRange } : {}),
    ...(learnDipoles && longRange === 'charges' ? { atomicDipoles: true } : {}),
    speciesWeights: speciesWeightsOption(args),
  });
  if (args.options.has('baseline-charges')) {
    if (longRange === 'charges') throw new Error('--baseline-charges: the long range is already learned charges (use --long-range field for rho x V)');
    features.baseline = { kind: 'ewald', charges: parseCharges(stringOption(args, 'baseline-charges', '')) };
  }
  if (askedCharges !== undefined && longRange !== 'charges') features.baseline = learnedChargesBaseline({ cutoff, atomicDipoles: learnDipoles }, features.species);
  // Latent charges (learned from the energies) need energies: an explicit column, or a tensor target, needs the charges themselves.
  if (features.baseline?.kind === 'charges' && data.every((f) => f.charges === undefined) && (askedCharges !== undefined || target !== 'energy')) {
    const flag = askedCharges !== undefined ? '--learn-charges' : '--long-range charges';
    throw new Error(`${flag}: no frame of ${path} has a per-atom '${chargesKey}' column of one number per atom`);
  }
  if (dipolesKey !== undefined && data.every((f) => f.charges === undefined) && chargeFrames.length === 0) {
    throw new Error(`--atomic-dipoles: no frame of ${path} has the per-atom '${chargesKey}' charges they go with`);
  }
  for (const [flag, used] of [['--charge-data', chargeFrames.length > 0], ['--atomic-dipoles', dipolesKey !== undefined]] as const) {
    if (used && features.baseline?.kind !== 'charges') {
      throw new Error(`${flag}: only learned charges learn from it, and this model has none (use --features multiscale with --long-range charges or auto, or --learn-charges)`);
    }
  }
  if (longRange === 'field' && lacksIsolatedMolecules(data)) {
    console.error(
      'note: every frame holds two or more molecules and none a lone one: the energy of molecules far apart is extrapolated ' +
        'from molecules that interact, which the rho x V long range does poorly; add frames of the isolated molecules ' +
        "(their energies) or per-atom reference charges (a 'charges' column): the long range is then learned charges",
    );
  }
  const out = stringOption(args, 'out', 'model.lsm');
  checkWritable(out, '--out');
  if (target !== 'energy') return fitTensor(target, features, data as TensorFrame[], out, path, preset, args);
  const energies = data as TrainingFrame[];
  const kind = stringOption(args, 'model', 'linear');
  if (kind !== 'linear' && kind !== 'sparse-kernel') throw new Error(`--model: expected linear or sparse-kernel, got ${JSON.stringify(kind)}`);
  if (kind === 'linear') {
    for (const name of ['sparse-points', 'zeta', 'kernel-blocks']) {
      if (args.options.has(name)) throw new Error(`--${name}: only meaningful with --model sparse-kernel`);
    }
  }
  const common: FitOptions = {
    ...(chargeFrames.length > 0 ? { chargeFrames } : {}),
    forceWeight: numberOption(args, 'force-weight', 0.1, (v) => v >= 0),
    folds: numberOption(args, 'folds', 5, (v) => Number.isInteger(v) && v >= 2),
    ...(args.options.has('max-memory') ? { maxMemory: numberOption(args, 'max-memory', 0, (v) => v > 0) * 2 ** 30 } : {}),
    onPlan: (plan) =>
      console.error(
        `fit: ${plan.parameters} parameters${features.contraction?.candidates ? ` (${features.contraction.channels} channels per l, the largest candidate)` : ''}, ${plan.folds} folds, expected peak memory ${formatBytes(plan.bytes)} (limit ${formatBytes(plan.maxMemory)})`,
      ),
    onProgress: progressBars(),
  };
  const sparsePoints = numberOption(args, 'sparse-points', 200);
  if (!Number.isInteger(sparsePoints) || sparsePoints < 1) throw new Error(`--sparse-points: expected an integer >= 1 (per species), got ${sparsePoints}`);
  const zeta = numberOption(args, 'zeta', 2);
  if (!Number.isInteger(zeta) || zeta < 1) throw new Error(`--zeta: expected an integer >= 1 (kernel exponent), got ${zeta}`);
  const { model, report } =
    kind === 'sparse-kernel'
      ? fitSparseKernelModel(features, energies, {
          ...common,
          sparsePoints,
          zeta,
          ...(args.options.has('kernel-blocks') ? { kernelBlocks: choiceOption(args, 'kernel-blocks', ['local', 'all'] as const) } : {}),
        })
      : fitLinearModel(features, energies, common);
  saveModel(out, model, { datasetHash: report.datasetHash, fit: report, source: path });
  const longRangeText = longRange === undefined ? '' : `, long range ${longRange === 'charges' ? 'learned charges' : 'rho x V'}${longRangeOption === 'auto' && askedCharges === undefined ? ' (auto)' : ''}`;
  console.log(`features: ${preset} (${model.features.dimension} per atom${longRangeText}), species ${features.species.join(', ')}`);
  if ('notes' in report) {
    console.log(`sparse-kernel: zeta ${report.zeta}, sparse points ${report.sparsePoints.join(', ')} (per species)`);
    for (const note of report.notes) console.log(`note: ${note}`);
  }
  const learned = model.features.spec.baseline;
  if (learned?.kind === 'charges' && learned.molecules) {
    const found = Object.entries(learned.molecules).map(([name, q]) => `${name} ${q > 0 ? '+' : ''}${q}`).join(', ');
    console.log(`baseline: electrostatics of charges learned from the energies (no per-atom charges in the data; Gaussian width ${learned.smearing} A), added to the learned energy`);
    console.log(`  whole charges (e) found per molecule: ${found}`);
  } else if (features.baseline?.kind === 'charges') {
    const more = chargeFrames.length > 0 ? ` and those of the ${chargeFrames.length} frames of ${stringOption(args, 'charge-data', '')}` : '';
    const dipoles =
      dipolesKey === undefined ? '' : features.baseline.atomicDipoles ? `, and atomic dipoles learned from column ${dipolesKey} (cross-validated RMSE ${model.features.baseline!.charges!.dipoleError.toExponential(2)} e A)` : `, carrying the atomic dipoles of column ${dipolesKey}`;
    console.log(`baseline: electrostatics of charges learned from the data's per-atom charges${more}${dipoles} (Gaussian width ${features.baseline.smearing} A), added to the learned energy`);
  } else if (features.baseline) {
    const charges = Object.entries(features.baseline.charges).map(([z, q]) => `${z}:${q > 0 ? '+' : ''}${q}`).join(', ');
    console.log(`baseline: Ewald of fixed charges ${charges} (e), added to the learned energy; the fit learned the rest`);
  } else {
    console.log('baseline: none');
  }
  console.log(`reference energies (eV/atom, fitted to the compositions first, part of the biases): ${features.species.map((z, s) => `${symbolOf(z)} ${report.referenceEnergies[s].toFixed(4)}`).join(', ')}`);
  console.log(`regularisation: ${regularizationText(report)}${channelsText(report)}`);
  const channels = report.channels;
  const most = model.features.maxChannels;
  if (channels && channels.chosen === channels.candidates[channels.candidates.length - 1] && channels.chosen < most) {
    // The edge of the scan: a larger count may fit better still.
    console.log(`note: the largest channel candidate fitted best; more channels (--channels ${channels.chosen},${Math.min(most, Math.ceil(1.5 * channels.chosen))}) may fit better, at more memory and time`);
  }
  // No frame with forces: no force error to report (not NaN). An error in
  // eV/A says little without the size of the forces it is made on, hence
  // the share of the reference forces' RMS.
  const rms = forceRms(energies);
  const forceText = (rmse: number, ofWhat: string) => {
    if (!Number.isFinite(rmse)) return '- (no forces in the data)';
    // Reference forces all zero (relaxed structures): no share to give.
    return rms > 0 ? `${rmse.toFixed(4)} eV/A (${((100 * rmse) / rms).toFixed(1)} %${ofWhat})` : `${rmse.toFixed(4)} eV/A (the reference forces are all zero)`;
  };
  console.log(
    `train (${report.frames} frames): energy RMSE ${(1000 * report.train.energyRmsePerAtom).toFixed(3)} meV/atom, ` +
      `force RMSE ${forceText(report.train.forceRmse, ` of the reference forces' RMS, ${rms.toFixed(4)} eV/A`)}`,
  );
  console.log(`${report.folds}-fold cross-validation: energy RMSE ${(1000 * report.validation.energyRmsePerAtom).toFixed(3)} meV/atom, force RMSE ${forceText(report.validation.forceRmse, '')}`);
  console.log(`model written to ${out} (${report.seconds.toFixed(1)} s)`);
}

/** RMS of the reference force components of the frames that have forces (eV/A); NaN without any. */
function forceRms(frames: readonly TrainingFrame[]): number {
  let sum = 0;
  let count = 0;
  for (const { forces } of frames) {
    if (!forces) continue;
    for (let k = 0; k < forces.length; k++) sum += forces[k] * forces[k];
    count += forces.length;
  }
  return Math.sqrt(sum / count);
}

function fitTensor(target: TensorTarget, features: FeatureSetSpec, data: TensorFrame[], out: string, path: string, preset: string, args: ParsedArgs): void {
  const kind = args.options.has('model') ? choiceOption(args, 'model', ['linear', 'sparse-kernel'] as const) : 'linear';
  if (kind === 'linear') {
    for (const name of ['sparse-points', 'zeta']) if (args.options.has(name)) throw new Error(`--${name}: only meaningful with --model sparse-kernel`);
  }
  const kernel =
    kind === 'sparse-kernel'
      ? {
          ...(args.options.has('sparse-points') ? { sparsePoints: numberOption(args, 'sparse-points', 100, (v) => Number.isInteger(v) && v >= 1) } : {}),
          ...(args.options.has('zeta') ? { zeta: numberOption(args, 'zeta', 2, (v) => Number.isInteger(v) && v >= 1) } : {}),
        }
      : undefined;
  const { model, report } = fitTensorModel({ target, features, ...(kernel ? { kernel } : {}) }, data, {
    folds: numberOption(args, 'folds', 5, (v) => Number.isInteger(v) && v >= 2),
    onProgress: progressBars(),
  });
  saveTensorModel(out, model, { fit: report, source: path });
  const unit = target === 'dipole' ? 'e A' : 'A^3';
  const orders = model.orders.map((o) => `lambda ${o.lambda}: ${o.dimension} per atom`).join(', ');
  console.log(`${target} model: ${preset} features (${orders}), species ${features.species.join(', ')}, ${report.parameters} parameters`);
  if (features.baseline?.kind === 'charges') console.log("baseline: the dipole of charges learned from the data's per-atom charges (sum q_i r_i)");
  const kernelText = (o: (typeof report.orders)[number]) =>
    o.kernel ? `, kernel ${o.kernel.regularization === Infinity ? 'none (no kernel validated best)' : o.kernel.regularization}` : '';
  console.log(`regularisation: ${report.orders.map((o) => `lambda ${o.lambda} ${o.regularization}${kernelText(o)}`).join('; ')}`);
  console.log(`train (${report.frames} frames): RMSE ${report.train.rmsePerAtom.toPrecision(4)} ${unit} per atom (Cartesian components)`);
  console.log(`${report.folds}-fold cross-validation: RMSE ${report.validation.rmsePerAtom.toPrecision(4)} ${unit} per atom`);
  console.log(`model written to ${out} (${report.seconds.toFixed(1)} s)`);
}

/** One progress bar per fit stage, on stderr. */
function progressBars(): (progress: FitProgress) => void {
  const bars = new Map<string, Progress>();
  const unit = (stage: string) =>
    stage === 'regularisation' ? 'values' : stage === 'sparse-points' ? 'species' : stage === 'solving' ? 'solves' : stage === 'charges' ? 'steps' : 'frames';
  return (p) => {
    if (!bars.has(p.stage)) bars.set(p.stage, new Progress(p.stage.padEnd(14), p.total, unit(p.stage)));
    bars.get(p.stage)!.update(p.done);
  };
}

function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T {
  const value = stringOption(args, name, '');
  if (!(choices as readonly string[]).includes(value)) throw new Error(`--${name}: expected ${choices.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function channelsOption(args: ParsedArgs): { channels?: number | number[] | null } {
  const raw = args.options.get('channels');
  if (raw === undefined) return {};
  if (raw === 'none') return { channels: null };
  const list = String(raw).split(',').map((v) => Number(v.trim()));
  if (!list.every((k) => Number.isInteger(k) && k >= 1) || new Set(list).size !== list.length) {
    throw new Error(`--channels: invalid value ${JSON.stringify(raw)} (expected "none", an integer >= 1, or distinct integers separated by commas)`);
  }
  return { channels: list.length === 1 ? list[0] : list };
}

function exponentsOption(args: ParsedArgs): number[] {
  const text = stringOption(args, 'exponents', '1');
  const list = text.split(',').map((v) => Number(v.trim()));
  if (!list.every((p) => Number.isInteger(p) && p >= 0 && p <= 6)) throw new Error(`--exponents: expected integers 0..6 separated by commas, got "${text}"`);
  return list;
}

function speciesWeightsOption(args: ParsedArgs): SpeciesWeights {
  const kind = stringOption(args, 'species-weights', 'per-species');
  if (!(SPECIES_WEIGHTS as readonly string[]).includes(kind)) {
    throw new Error(`--species-weights: expected ${SPECIES_WEIGHTS.join(' or ')}, got ${JSON.stringify(kind)}`);
  }
  return kind as SpeciesWeights;
}

/** "11:1,17:-1" -> {"11": 1, "17": -1} */
function parseCharges(text: string): Record<string, number> {
  const charges: Record<string, number> = {};
  for (const item of text.split(',')) {
    const match = /^\s*(\d+)\s*:\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\s*$/i.exec(item);
    if (!match) throw new Error(`--baseline-charges: expected Z:Q pairs like 11:1,17:-1, got "${item}"`);
    charges[match[1]] = Number(match[2]);
  }
  return charges;
}
