// The dimer part of `npm run accuracy`: local vs multi-scale, linear vs
// sparse-kernel models on the GFN2-xTB binding curves of data/xtb-dimers.xyz,
// per class of pair, under three train/test protocols (see
// bench/support/dimers.ts). Every number is computed here from the models'
// predictions; markdown to stdout, progress to stderr, JSON to
// bench/results/accuracy-dimers.json, binding curves to docs/.
//
// Standalone: `tsx bench/accuracy-dimers.ts [options]`; usually through
// `npm run accuracy -- --only dimers [options]`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, type CommandSpec } from '../lib/cli/args.js';
import { frameSystem, readFrames, speciesOf } from '../lib/cli/frames.js';
import type { ForceField } from '../lib/core/forcefield.js';
import type { Frame } from '../lib/io/extxyz.js';
import {
  fitLinearModel,
  fitSparseKernelModel,
  DEFAULT_FIELD,
  defaultLongRange,
  FIELDS,
  localHypers,
  lodeHypers,
  presetFeatures,
  channelsText,
  regularizationText,
  type LongRange,
  type PresetName,
  type FeatureSetSpec,
  type PresetOptions,
  type ChargeTrainingFrame,
  type TrainingFrame,
} from '../lib/index.js';
import { lineChart } from '../lib/plot/svg.js';
import {
  CHARGE_TRANSFER_THRESHOLD,
  CLASSES,
  chargeTransfer,
  dimerOf,
  dimerSystem,
  extrapolationSplit,
  heldOutPairs,
  interpolationSplit,
  isFar,
  leavePairsOutSplit,
  monomers,
  type Dimer,
  type Split,
} from './support/dimers.js';
import { markdownTable, type Row } from './support/table.js';

export interface ModelOptions {
  /** The same list for every model: all species of the data set, not of the training split. */
  species: number[];
  hypers: PresetOptions;
  /** Blocks the sparse-kernel models compare (their default when absent). */
  kernelBlocks?: 'local' | 'all';
  /** Frames whose charges only learned charges learn from (the distorted monomers with --distorted charges). */
  chargeFrames: ChargeTrainingFrame[];
  log: (message: string) => void;
}

export interface ModelConfig {
  name: string;
  /** Run only when asked for by name (--models): a variant that repeats another model on the shipped data. */
  onRequest?: boolean;
  /** The model this one is compared with in the ratio columns (e.g. local for multi-scale). */
  baseline?: string;
  fit: (train: TrainingFrame[], options: ModelOptions) => ForceField;
}

/**
 * The preset with the long range chosen as `lodestone fit` chooses it
 * ('auto': learned charges for these molecules, which carry per-atom
 * charges) or as asked.
 */
function features(preset: PresetName, o: ModelOptions, train: TrainingFrame[], longRange: LongRange | 'auto'): FeatureSetSpec {
  // the learned charges' own option, and the rho x V blocks' (field, exponents, smearing), each to its own preset
  const { atomicDipoles, ...fieldHypers } = o.hypers;
  if (preset === 'local') return presetFeatures(preset, o.species, fieldHypers);
  const { field, exponents, smearing, ...rest } = fieldHypers;
  const chosen = longRange === 'auto' ? defaultLongRange(train) : longRange;
  return presetFeatures(preset, o.species, chosen === 'field' ? fieldHypers : { ...rest, atomicDipoles, longRange: chosen });
}

/** The charge-only frames, for a model whose long range is learned charges (none otherwise). */
function chargeFrames(spec: FeatureSetSpec, o: ModelOptions): { chargeFrames?: ChargeTrainingFrame[] } {
  return spec.baseline?.kind === 'charges' && o.chargeFrames.length > 0 ? { chargeFrames: o.chargeFrames } : {};
}

function linear(preset: PresetName, longRange: LongRange | 'auto' = 'auto') {
  return (train: TrainingFrame[], o: ModelOptions): ForceField => {
    const spec = features(preset, o, train, longRange);
    const { model, report } = fitLinearModel(spec, train, chargeFrames(spec, o));
    o.log(`regularisation ${regularizationText(report)}${channelsText(report)}`);
    return model;
  };
}

function kernel(preset: PresetName, longRange: LongRange | 'auto' = 'auto') {
  return (train: TrainingFrame[], o: ModelOptions): ForceField => {
    const spec = features(preset, o, train, longRange);
    const { model, report } = fitSparseKernelModel(spec, train, { ...(o.kernelBlocks ? { kernelBlocks: o.kernelBlocks } : {}), ...chargeFrames(spec, o) });
    o.log(`regularisation ${regularizationText(report)}${channelsText(report)}, sparse points ${report.sparsePoints.join('/')}${report.notes.length ? `; ${report.notes.join('; ')}` : ''}`);
    return model;
  };
}

/** One line per variant; `--models` picks among these by name. */
export const MODELS: ModelConfig[] = [
  { name: 'local', fit: linear('local') },
  { name: 'multiscale', baseline: 'local', fit: linear('multiscale') },
  { name: 'multiscale-field', baseline: 'local', fit: linear('multiscale', 'field') },
  // Learned charges whatever the data: with --no-charges --no-monomers, where auto takes the field.
  { name: 'multiscale-charges', baseline: 'local', onRequest: true, fit: linear('multiscale', 'charges') },
  { name: 'local-kernel', fit: kernel('local') },
  { name: 'multiscale-kernel', baseline: 'local-kernel', fit: kernel('multiscale') },
  { name: 'multiscale-field-kernel', baseline: 'local-kernel', fit: kernel('multiscale', 'field') },
];

const DISTORTED = ['charges', 'all', 'none'] as const;
type Distorted = (typeof DISTORTED)[number];

const PROTOCOLS = ['interpolation', 'extrapolation', 'pairs'] as const;
type Protocol = (typeof PROTOCOLS)[number];

const TITLES: Record<Protocol, string> = {
  interpolation: '(a) interpolation: train on orientations 0-3 of every pair, test on orientations 4-5',
  extrapolation: '(b) extrapolation along the curve: train on frames that are not far, test on far frames',
  pairs: '(c) leave pairs out: train on the other pairs, test on the held-out pairs at all distances',
};

export const DIMERS_SPEC: CommandSpec = {
  name: 'accuracy',
  usage: 'npm run accuracy -- [--only nacl|dimers|tensors] [--quick] [options]',
  summary: 'Accuracy report: NaCl learning curves, per-class errors on the xtb dimers, polarizabilities and dipoles.',
  details: 'All options but --only and --quick apply to the dimer part; the NaCl part keeps its own fixed settings.',
  options: [
    { name: 'only', value: 'PART', description: 'run one part: nacl, dimers or tensors' },
    { name: 'quick', description: 'every 4th dimer frame (with --stride unset) and smaller NaCl learning curves' },
    { name: 'stride', value: 'N', description: 'keep every N-th dimer frame of the file', default: '1 (4 with --quick)' },
    { name: 'cutoff', value: 'A', description: 'local cutoff of every model; far = closest intermolecular atoms > cutoff + 1 A', default: 'the preset default' },
    { name: 'max-radial', value: 'N', description: 'max_radial of the SOAP and LODE bases', default: 'the preset default' },
    { name: 'max-angular', value: 'L', description: 'max_angular of the SOAP and LODE bases', default: 'the preset default' },
    { name: 'smearing', value: 'A', description: 'LODE smearing', default: 'the preset default' },
    { name: 'exponents', value: 'P,...', description: 'LODE exponents of the multi-scale models, one rho x V block each', default: '1' },
    { name: 'kernel-blocks', value: 'local|all', description: 'blocks the sparse-kernel models compare', default: 'local' },
    { name: 'field', value: 'far|full', description: 'potential of the rho x V blocks: beyond the cutoff only, or the whole field', default: 'the preset default' },
    { name: 'models', value: 'LIST', description: `comma-separated, of ${MODELS.map((m) => m.name).join(', ')}`, default: 'all but multiscale-charges' },
    { name: 'protocols', value: 'LIST', description: `comma-separated, of ${PROTOCOLS.join(', ')}`, default: 'all' },
    { name: 'no-monomers', description: 'train on the dimer frames alone, without the isolated monomers of each curve' },
    {
      name: 'distorted',
      value: 'WHAT',
      description:
        "what of the distorted monomers of data/xtb-monomers.xyz every training set holds: charges (their charges, for the learned charges only: how each molecule's charges change with its own atoms), all (also their energies and forces, for every model) or none",
      default: 'charges',
    },
    {
      name: 'atomic-dipoles',
      value: 'HOW',
      description:
        "what the learned charges make of the data's atomic dipoles: learned (atomic dipoles learned beside the charges, with their own electrostatics: PresetOptions.atomicDipoles), charges (each carried by charges on its atom and bonded neighbours) or none (the partial charges alone)",
      default: 'learned',
    },
    { name: 'no-charges', description: 'train without the per-atom reference charges (multiscale then learns latent charges from the energies)' },
    { name: 'holdout', value: 'PAIRS', description: 'comma-separated pairs held out by the pairs protocol', default: 'one per class, see heldOutPairs' },
    { name: 'help', description: 'this text' },
  ],
};

function positive(value: string | true | undefined, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value === true || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`--${name}: expected a ${integer ? 'positive integer' : 'positive number'}, got ${String(value)}`);
  }
  return v;
}

function list<T extends string>(value: string | true | undefined, name: string, known: readonly T[]): T[] {
  if (value === undefined) return [...known];
  const items = String(value).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !known.includes(s as T));
  if (bad.length || items.length === 0) throw new Error(`--${name}: expected a comma-separated list of ${known.join(', ')}, got ${String(value)}`);
  return items as T[];
}

interface Prediction {
  energy: number;
  binding: number;
  forces: Float64Array;
  /** Forces of each molecule alone, A's atoms then B's, when the data has monomer forces. */
  alone?: Float64Array;
}

function predict(model: ForceField, d: Dimer): Prediction {
  const r = model.compute(dimerSystem(d), { forces: true });
  const [a, b] = monomers(d.frame, d.atomsA, d.charges);
  const withForces = d.monomerForces !== undefined;
  const ra = model.compute(a, { forces: withForces });
  const rb = model.compute(b, { forces: withForces });
  const binding = r.energy - ra.energy - rb.energy;
  if (!withForces) return { energy: r.energy, binding, forces: r.forces! };
  const alone = new Float64Array(r.forces!.length);
  alone.set(ra.forces!);
  alone.set(rb.forces!, ra.forces!.length);
  return { energy: r.energy, binding, forces: r.forces!, alone };
}

interface Metrics {
  frames: number;
  farFrames: number;
  /** meV per dimer */
  energyMaeFar: number;
  energyMaeAll: number;
  bindingMaeFar: number;
  bindingMaeAll: number;
  /** eV/A */
  forceRmseFar: number;
  /** Far frames where the reference kept whole charges on both molecules (see chargeTransfer). */
  forceRmseFarWhole: number;
  forceRmseAll: number;
  /**
   * The interaction's forces on far frames: F(dimer) - F(A) - F(B) of the
   * model against the reference's dimer forces minus its monomer forces
   * (NaN without monomer forces). The forces' analogue of the binding energy:
   * what each molecule feels from the other, without its own forces.
   */
  interactionForceRmseFar: number;
  /** The monomers' own forces on far frames: F(A), F(B) of the model against monomer_forces. */
  monomerForceRmseFar: number;
  /** The same two on the far frames where the reference kept whole charges (JSON only). */
  interactionForceRmseFarWhole: number;
  monomerForceRmseFarWhole: number;
}

function metrics(items: { d: Dimer; p: Prediction; far: boolean; transfer: boolean }[]): Metrics {
  const acc = (subset: typeof items) => {
    let e = 0, b = 0, f = 0, n = 0, fi = 0, fm = 0, ni = 0;
    for (const { d, p } of subset) {
      e += Math.abs(p.energy - d.energy);
      b += Math.abs(p.binding - d.bindingEnergy);
      for (let c = 0; c < d.forces.length; c++) f += (p.forces[c] - d.forces[c]) ** 2;
      n += d.forces.length;
      if (!p.alone || !d.monomerForces) continue;
      const [fa, fb] = d.monomerForces;
      for (let c = 0; c < d.forces.length; c++) {
        const alone = c < fa.length ? fa[c] : fb[c - fa.length];
        fi += (p.forces[c] - p.alone[c] - (d.forces[c] - alone)) ** 2;
        fm += (p.alone[c] - alone) ** 2;
      }
      ni += d.forces.length;
    }
    const m = subset.length;
    return { e: m ? (1000 * e) / m : NaN, b: m ? (1000 * b) / m : NaN, f: n ? Math.sqrt(f / n) : NaN, fi: ni ? Math.sqrt(fi / ni) : NaN, fm: ni ? Math.sqrt(fm / ni) : NaN };
  };
  const far = items.filter((x) => x.far);
  const all = acc(items), farAcc = acc(far), whole = acc(far.filter((x) => !x.transfer));
  return {
    frames: items.length,
    farFrames: far.length,
    energyMaeFar: farAcc.e,
    energyMaeAll: all.e,
    bindingMaeFar: farAcc.b,
    bindingMaeAll: all.b,
    forceRmseFar: farAcc.f,
    forceRmseFarWhole: whole.f,
    forceRmseAll: all.f,
    interactionForceRmseFar: farAcc.fi,
    monomerForceRmseFar: farAcc.fm,
    interactionForceRmseFarWhole: whole.fi,
    monomerForceRmseFarWhole: whole.fm,
  };
}

/**
 * The training frames of a split: every dimer frame, plus the two isolated
 * monomers of each training curve, with their energies and forces (the
 * forces when the file has them: `scripts/xtb-monomer-forces.py`). The
 * monomers pin the R -> infinity limit of the total energy, which every
 * binding curve is measured from, and of the forces inside each molecule,
 * which a model otherwise extrapolates from frames where the molecules
 * touch; without
 * them a multi-scale model, whose long-range features never vanish over
 * the training window, must extrapolate the monomers' energies. The
 * cross-validation folds hold out what the protocol tests: whole curves
 * (another orientation of a known pair), or whole pairs when the test pairs
 * are unseen, so the regularisation is chosen for that kind of prediction.
 */
function training(dimers: Dimer[], groupBy: 'curve' | 'pair', withMonomers: boolean, withCharges: boolean, withDipoles: boolean, distorted: Frame[]): TrainingFrame[] {
  const groupOf = (d: Dimer) => (groupBy === 'pair' ? d.pair : `${d.pair}/${d.orientation}`);
  const frames: TrainingFrame[] = dimers.map((d) => ({
    system: dimerSystem(d),
    energy: d.energy,
    forces: d.forces,
    group: groupOf(d),
    ...(withCharges && d.frame.arrays.charges instanceof Float64Array ? { charges: d.frame.arrays.charges } : {}),
    ...(withCharges && withDipoles ? { atomicDipoles: d.frame.arrays.atomic_dipoles as Float64Array } : {}),
  }));
  for (const f of distorted) {
    const { charges, ...frame } = distortedMonomer(f, withDipoles);
    frames.push({ ...frame, energy: f.info.energy as number, forces: f.arrays.forces as Float64Array, ...(withCharges ? { charges } : {}) });
  }
  if (!withMonomers) return frames;
  const seen = new Set<string>();
  for (const d of dimers) {
    const curve = `${d.pair}/${d.orientation}`;
    if (seen.has(curve)) continue;
    seen.add(curve);
    const group = groupOf(d);
    monomers(d.frame, d.atomsA, d.charges).forEach((system, k) =>
      frames.push({ system, energy: d.monomerEnergies[k], group, ...(d.monomerForces ? { forces: d.monomerForces[k] } : {}) }),
    );
  }
  return frames;
}

/**
 * A distorted monomer of data/xtb-monomers.xyz with its charges. A lone
 * molecule has no pair and no distance to leak: one cross-validation group
 * per molecule.
 */
function distortedMonomer(f: Frame, withDipoles: boolean): ChargeTrainingFrame {
  return {
    system: { ...frameSystem(f), charge: f.info.charge as number },
    charges: f.arrays.charges as Float64Array,
    group: `molecule/${String(f.info.molecule)}`,
    ...(withDipoles ? { atomicDipoles: f.arrays.atomic_dipoles as Float64Array } : {}),
  };
}

/** NaN (an empty subset) prints as a dash rather than a number. */
function cell(v: number): number | string {
  return Number.isFinite(v) ? v : '-';
}

function ratio(a: number, b: number): number | string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : '-';
}

export const ATOMIC_DIPOLES = ['learned', 'charges', 'none'] as const;
export type AtomicDipoles = (typeof ATOMIC_DIPOLES)[number];

export interface DimerSettings {
  quick: boolean;
  stride: number;
  hypers: PresetOptions;
  models: ModelConfig[];
  protocols: Protocol[];
  holdout?: string[];
  kernelBlocks?: 'local' | 'all';
  monomers: boolean;
  charges: boolean;
  /** What of the distorted monomers (data/xtb-monomers.xyz) every training set holds. */
  distorted: Distorted;
  /** What the learned charges make of the frames' atomic dipoles (TrainingFrame.atomicDipoles). */
  dipoles: AtomicDipoles;
}

/** Parsed before any fitting, so a typo fails at once rather than after the NaCl part. */
export function dimerSettings(argv: string[]): DimerSettings {
  const args = parseArgs(argv, DIMERS_SPEC).options;
  const quick = args.has('quick');
  const stride = positive(args.get('stride'), 'stride', true) ?? (quick ? 4 : 1);
  const hypers: PresetOptions = {};
  // Only options given on the command line are set, so the rest stay the library's preset defaults.
  const cutoffArg = positive(args.get('cutoff'), 'cutoff', false);
  if (cutoffArg !== undefined) hypers.cutoff = cutoffArg;
  const maxRadial = args.has('max-radial') ? Number(args.get('max-radial')) : undefined;
  if (maxRadial !== undefined) {
    if (!Number.isInteger(maxRadial) || maxRadial < 0) throw new Error(`--max-radial: expected an integer >= 0`);
    hypers.maxRadial = maxRadial;
  }
  const maxAngular = args.has('max-angular') ? Number(args.get('max-angular')) : undefined;
  if (maxAngular !== undefined) {
    if (!Number.isInteger(maxAngular) || maxAngular < 0) throw new Error(`--max-angular: expected an integer >= 0`);
    hypers.maxAngular = maxAngular;
  }
  const smearing = positive(args.get('smearing'), 'smearing', false);
  if (smearing !== undefined) hypers.smearing = smearing;
  if (args.has('field')) hypers.field = list(args.get('field'), 'field', FIELDS)[0];
  if (args.has('exponents')) {
    hypers.exponents = String(args.get('exponents')).split(',').map(Number);
    if (!hypers.exponents.every((p) => Number.isInteger(p) && p >= 0 && p <= 6)) throw new Error('--exponents: expected integers 0..6 separated by commas');
  }
  const kernelBlocks = args.has('kernel-blocks') ? list(args.get('kernel-blocks'), 'kernel-blocks', ['local', 'all'] as const)[0] : undefined;
  const names = args.has('models') ? list(args.get('models'), 'models', MODELS.map((m) => m.name)) : MODELS.filter((m) => !m.onRequest).map((m) => m.name);
  const models = MODELS.filter((m) => names.includes(m.name));
  const protocols = list(args.get('protocols'), 'protocols', PROTOCOLS);
  const holdout = args.has('holdout') ? String(args.get('holdout')).split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  return { quick, stride, hypers, models, protocols, holdout, kernelBlocks, monomers: !args.has('no-monomers'), charges: !args.has('no-charges'), dipoles: args.has('atomic-dipoles') ? list(args.get('atomic-dipoles'), 'atomic-dipoles', ATOMIC_DIPOLES)[0] : 'learned', distorted: args.has('distorted') ? list(args.get('distorted'), 'distorted', DISTORTED)[0] : 'charges' };
}

export async function runDimers({ quick, stride, hypers, models, protocols, holdout, kernelBlocks, monomers: withMonomers, charges: withCharges, dipoles, distorted: withDistorted }: DimerSettings): Promise<void> {
  const withDipoles = dipoles !== 'none';
  if (dipoles === 'learned' && withCharges) hypers = { ...hypers, atomicDipoles: true };
  const cutoff = localHypers(hypers).cutoff.radius;
  const path = fileURLToPath(new URL('../data/xtb-dimers.xyz', import.meta.url));
  const frames = readFrames(path);
  const distortedFrames = withDistorted === 'none' ? [] : readFrames(fileURLToPath(new URL('../data/xtb-monomers.xyz', import.meta.url)));
  // Their charges alone go to the learned charges: reference charges of frames every model fits would be used anyway.
  const distorted = withDistorted === 'all' ? distortedFrames : [];
  const chargeFrames = withDistorted === 'charges' && withCharges ? distortedFrames.map((f) => distortedMonomer(f, withDipoles)) : [];
  const species = speciesOf(frames);
  const dimers = frames.map(dimerOf).filter((_, k) => k % stride === 0);
  const far = new Map(dimers.map((d) => [d, isFar(d.frame.positions, d.atomsA, cutoff)]));
  const transfer = new Map(dimers.map((d) => [d, chargeTransfer(d) > CHARGE_TRANSFER_THRESHOLD]));
  const heldOut = holdout ?? heldOutPairs(dimers);
  const classOf = new Map(dimers.map((d) => [d.pair, d.cls]));

  const splits: Record<Protocol, () => Split<Dimer>> = {
    interpolation: () => interpolationSplit(dimers),
    extrapolation: () => extrapolationSplit(dimers, (d) => far.get(d)!),
    pairs: () => leavePairsOutSplit(dimers, heldOut),
  };
  const local = localHypers(hypers), lode = lodeHypers(hypers);
  const field = hypers.field ?? DEFAULT_FIELD;
  const exponents = hypers.exponents ?? [1];
  const hyperText = `cutoff ${cutoff} A, max_radial ${local.basis.radial.max_radial}, max_angular ${local.basis.max_angular}; multiscale: long range chosen from the data (learned charges for these molecules); multiscale-field: rho x V, smearing ${lode.density.smearing} A, field ${field}, exponents ${exponents.join(',')}${kernelBlocks ? `, kernel on ${kernelBlocks} blocks` : ''}${{ learned: '; atomic dipoles learned beside the charges', charges: '; the atomic dipoles carried by the learned charges', none: '; the learned charges without the atomic dipoles' }[dipoles]}`;
  const shortHypers = `cutoff ${cutoff} A, n_max ${local.basis.radial.max_radial}, l_max ${local.basis.max_angular}, smearing ${lode.density.smearing} A`;
  console.error(`xtb dimers: ${dimers.length} frames (stride ${stride}), ${[...far.values()].filter(Boolean).length} far (closest intermolecular atoms > ${cutoff + 1} A); species ${species.join(',')}; ${hyperText}${distorted.length ? `; every training set also holds the ${distorted.length} distorted monomers of data/xtb-monomers.xyz` : ''}${chargeFrames.length ? `; the learned charges also learn from the charges of the ${chargeFrames.length} distorted monomers of data/xtb-monomers.xyz` : ''}`);
  if (protocols.includes('pairs')) console.error(`leave-pairs-out holds out: ${heldOut.map((p) => `${p} (${classOf.get(p)})`).join(', ')}`);

  const classes = [...CLASSES.filter((c) => dimers.some((d) => d.cls === c)), ...new Set(dimers.map((d) => d.cls).filter((c) => !(CLASSES as readonly string[]).includes(c)))];
  const json: Record<string, unknown> = {
    date: new Date().toISOString(),
    quick,
    stride,
    frames: dimers.length,
    species,
    hypers: { cutoff, maxRadial: local.basis.radial.max_radial, maxAngular: local.basis.max_angular, smearing: lode.density.smearing, field, exponents },
    kernelBlocks: kernelBlocks ?? 'local',
    models: models.map((m) => ({ name: m.name, baseline: m.baseline })),
    farDefinition: `closest intermolecular atom pair > cutoff + 1 A = ${cutoff + 1} A`,
    heldOutPairs: heldOut,
    distortedMonomers: { fitted: distorted.length, chargesOnly: chargeFrames.length },
    atomicDipoles: dipoles,
    protocols: {} as Record<string, unknown>,
  };
  const curves: Record<string, { d: Dimer; p: Map<string, Prediction> }[]> = {};

  for (const protocol of protocols) {
    const { train, test } = splits[protocol]();
    if (train.length < 2 || test.length === 0) throw new Error(`${protocol}: ${train.length} training and ${test.length} test frames; nothing to measure`);
    console.error(`\n${protocol}: ${train.length} training frames, ${test.length} test frames`);
    const byModel = new Map<string, Map<string, Metrics>>();
    const fits: Row[] = [];
    const predictions = new Map<Dimer, Map<string, Prediction>>(test.map((d) => [d, new Map()]));
    for (const config of models) {
      const start = Date.now();
      const model = config.fit(training(train, protocol === 'pairs' ? 'pair' : 'curve', withMonomers, withCharges, withDipoles, distorted), { species, hypers, kernelBlocks, chargeFrames, log: (m) => console.error(`  ${config.name}: ${m}`) });
      const fitSeconds = (Date.now() - start) / 1000;
      const evalStart = Date.now();
      for (const d of test) predictions.get(d)!.set(config.name, predict(model, d));
      const evalSeconds = (Date.now() - evalStart) / 1000;
      console.error(`  ${config.name}: fit ${fitSeconds.toFixed(1)} s, ${test.length} test dimers (+ monomers) ${evalSeconds.toFixed(1)} s`);
      fits.push({ model: config.name, 'train frames': train.length, 'fit s': fitSeconds, 'predict s': evalSeconds });
      const perClass = new Map<string, Metrics>();
      const items = (subset: Dimer[]) => subset.map((d) => ({ d, p: predictions.get(d)!.get(config.name)!, far: far.get(d)!, transfer: transfer.get(d)! }));
      for (const c of classes) perClass.set(c, metrics(items(test.filter((d) => d.cls === c))));
      perClass.set('all', metrics(items(test)));
      byModel.set(config.name, perClass);
    }

    // Binding energy for unseen pairs: their monomers' total energies are
    // partly unseen too, and would swamp the interaction in a total-energy error.
    const useBinding = protocol === 'pairs';
    const energyOf = (m: Metrics, which: 'Far' | 'All') => (useBinding ? m[`bindingMae${which}`] : m[`energyMae${which}`]);
    const rows: Row[] = [];
    for (const c of [...classes, 'all']) {
      for (const config of models) {
        const m = byModel.get(config.name)!.get(c)!;
        if (m.frames === 0) continue;
        const base = config.baseline ? byModel.get(config.baseline)?.get(c) : undefined;
        rows.push({
          class: c,
          model: config.name,
          'test frames': m.frames,
          far: m.farFrames,
          'E MAE far / meV': cell(energyOf(m, 'Far')),
          'E MAE all / meV': cell(energyOf(m, 'All')),
          // A local model's far binding energy is ~0, so this column is how much of the interaction it misses.
          ...(useBinding ? {} : { 'Eb MAE far / meV': cell(m.bindingMaeFar) }),
          'F RMSE far / eV/A': cell(m.forceRmseFar),
          'F RMSE far, whole q / eV/A': cell(m.forceRmseFarWhole),
          // F split as E is: the interaction (as Eb takes out the monomers' energies) and the monomers' own.
          'Fb RMSE far / eV/A': cell(m.interactionForceRmseFar),
          'Fm RMSE far / eV/A': cell(m.monomerForceRmseFar),
          'F RMSE all / eV/A': cell(m.forceRmseAll),
          'E far / baseline': base ? ratio(energyOf(m, 'Far'), energyOf(base, 'Far')) : '',
          'F all / baseline': base ? ratio(m.forceRmseAll, base.forceRmseAll) : '',
        });
      }
    }
    const energyText = useBinding
      ? 'E = binding energy E(dimer) - E(A) - E(B), each term from the model'
      : 'E = total energy of the dimer, Eb = binding energy E(dimer) - E(A) - E(B), each term from the model';
    const interactionText =
      'Fb = interaction forces F(dimer) - F(A) - F(B) (reference: dimer forces minus monomer_forces), Fm = the monomers\' own forces F(A), F(B) (reference: monomer_forces)';
    console.log(`\n## accuracy: xtb dimers, ${TITLES[protocol]}\n`);
    console.log(`${train.length} training, ${test.length} test frames; ${hyperText}; far = closest intermolecular atoms > ${cutoff + 1} A; whole q = the far frames where the reference's partial charges of each molecule sum to its formal charge within ${CHARGE_TRANSFER_THRESHOLD} e (in ${test.filter((d) => far.get(d) && transfer.get(d)).length} far test frames xtb has moved part of an electron between distant ions, which no frame of touching molecules shows); ${energyText} (MAE in meV per dimer); ${interactionText}; baseline = ${models.filter((m) => m.baseline).map((m) => `${m.name} vs ${m.baseline}`).join(', ') || 'none'}.`);
    if (protocol === 'pairs') console.log(`Held out: ${heldOut.map((p) => `${p} (${classOf.get(p)})`).join(', ')}.`);
    console.log('');
    console.log(markdownTable(rows));
    (json.protocols as Record<string, unknown>)[protocol] = {
      title: TITLES[protocol],
      energy: useBinding ? 'binding' : 'total',
      trainFrames: train.length,
      testFrames: test.length,
      fits,
      metrics: Object.fromEntries([...byModel].map(([name, perClass]) => [name, Object.fromEntries(perClass)])),
      predictions: test.map((d) => ({
        index: d.index,
        pair: d.pair,
        class: d.cls,
        orientation: d.orientation,
        distance: d.distance,
        far: far.get(d),
        chargeTransfer: chargeTransfer(d),
        energy: d.energy,
        binding: d.bindingEnergy,
        models: Object.fromEntries([...predictions.get(d)!].map(([name, p]) => [name, { energy: p.energy, binding: p.binding }])),
      })),
    };
    if (protocol === 'interpolation') curves.interpolation = test.map((d) => ({ d, p: predictions.get(d)! }));
  }

  const results = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(results, { recursive: true });
  writeFileSync(`${results}accuracy-dimers.json`, JSON.stringify(json, null, 1));

  if (curves.interpolation) {
    const docs = fileURLToPath(new URL('../docs/', import.meta.url));
    mkdirSync(docs, { recursive: true });
    const points = curves.interpolation.map(({ d, p }) => ({
      pair: d.pair,
      cls: d.cls,
      orientation: d.orientation,
      distance: d.distance,
      far: far.get(d)!,
      binding: d.bindingEnergy,
      models: Object.fromEntries([...p].map(([name, q]) => [name, q.binding])),
    }));
    for (const [pair, svg] of bindingCurves(points, models.map((m) => m.name), shortHypers)) {
      writeFileSync(`${docs}binding-curve-${pair}.svg`, svg);
      console.error(`wrote docs/binding-curve-${pair}.svg`);
    }
  }
}

export interface CurvePoint {
  pair: string;
  cls: string;
  orientation: number;
  distance: number;
  far: boolean;
  /** Reference binding energy (eV). */
  binding: number;
  /** Each model's binding energy (eV). */
  models: Record<string, number>;
}

/**
 * One chart per class shown (the pair whose name sorts first, its lowest test
 * orientation): plain data in, so the charts can be redrawn from
 * bench/results/accuracy-dimers.json without refitting.
 */
export function bindingCurves(points: CurvePoint[], modelNames: string[], hyperText: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of ['charged-charged', 'charged-polar', 'polar-polar', 'apolar-apolar']) {
    const pair = [...new Set(points.filter((x) => x.cls === c).map((x) => x.pair))].sort()[0];
    if (!pair) continue;
    const orientation = Math.min(...points.filter((x) => x.pair === pair).map((x) => x.orientation));
    const curve = points.filter((x) => x.pair === pair && x.orientation === orientation).sort((a, b) => a.distance - b.distance);
    const x = curve.map((p) => p.distance);
    const firstFar = curve.find((p) => p.far);
    out.set(
      pair,
      lineChart({
        title: `${pair} (${c}), orientation ${orientation} (not in training)`,
        xLabel: `centre-of-mass distance / A${firstFar ? ` (far from ${firstFar.distance.toFixed(2)} A)` : ''}; ${hyperText}`,
        width: 760,
        yLabel: 'binding energy E(dimer) - E(A) - E(B) / eV',
        series: [
          { name: 'GFN2-xTB', x, y: curve.map((p) => p.binding) },
          ...modelNames.map((name) => ({ name, x, y: curve.map((p) => p.models[name]) })),
        ],
      }),
    );
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runDimers(dimerSettings(process.argv.slice(2)));
}
