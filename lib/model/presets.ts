// Named feature sets for `lodestone fit --features NAME`: a local SOAP model
// and the multi-scale model (SOAP + rho x V, p = 1 LODE by default) of
// Grisafi, Nigam & Ceriotti, at the same local cutoff.
import type { LodeSphericalExpansionHypers, SphericalExpansionHypers } from '../core/hypers.js';
import type { BlockSpec, FeatureSetSpec, SpeciesWeights } from './feature-set.js';
import type { ChargeBaselineSpec } from './charge-model.js';
import type { ContractionSpec } from './contraction.js';
import type { TrainingFrame } from './training-frame.js';
import { toNativeSystem } from '../core/system.js';
import { bondedFragments } from './fragments.js';

export interface PresetOptions {
  /** Local cutoff (A). Default 4.5. */
  cutoff?: number;
  maxRadial?: number;
  maxAngular?: number;
  /** Gaussian smearing of the LODE potential (A). Default 1.5: as accurate as 1.0 on the NaCl melt, at 1/3 of its k-vectors. */
  smearing?: number;
  /**
   * Contract each expansion's (species, radial) channels to this many per l,
   * or to as many as cross-validation chooses among a list (null: no
   * contraction). Default: defaultContraction().
   */
  channels?: number | readonly number[] | null;
  /** Default 'per-species'. */
  speciesWeights?: SpeciesWeights;
  /**
   * LODE exponents p of the multi-scale preset, one rho x V block each:
   * 1 (electrostatics; the default), 6 for dispersion (C6/r^6 tails of
   * apolar molecules), 3 or 4 for induction-like terms.
   */
  exponents?: number[];
  /**
   * What the rho x V blocks' potential holds. 'full' (default): the whole
   * field (featomic and pyLODE's LODE); 'far': the field of the atoms beyond
   * the local cutoff only (the near field is excluded, switched off over the
   * last 1 A inside the cutoff), so the long-range weights are learned from
   * what the local features cannot see and not from each molecule's own field.
   */
  field?: 'far' | 'full';
  /**
   * The multi-scale preset's long-range part. 'field' (default): rho x V
   * blocks, the LODE features; 'charges': the electrostatics of learned
   * charges (`learnedChargesBaseline`; fitted to the data's per-atom
   * charges, or without them to each molecule's whole charge read off the
   * energies), for molecules in vacuum, which transfers to pairs of
   * molecules never seen together where species-resolved fields cannot.
   * `defaultLongRange` chooses from the training data.
   */
  longRange?: LongRange;
  /**
   * With longRange 'charges': learn atomic dipoles beside the charges, from
   * the training frames' reference atomic dipoles (TrainingFrame.atomicDipoles),
   * instead of making the charges carry them (ChargeBaselineSpec.atomicDipoles).
   */
  atomicDipoles?: boolean;
}

export const LONG_RANGES = ['field', 'charges'] as const;
export type LongRange = (typeof LONG_RANGES)[number];

export const FIELDS = ['far', 'full'] as const;
export const DEFAULT_FIELD: (typeof FIELDS)[number] = 'full';

/**
 * Largest parameter count of a default channel search: its fit holds about
 * 1 GiB of normal equations (five folds) and takes a minute or two on two
 * cores for a few thousand molecular frames.
 */
export const CHANNEL_BUDGET = 4096;

/**
 * The default contraction: none for one or two species (their invariants
 * are few); else K0 = max_radial + 3 channels per l (about as many as a
 * one-species expansion), 1.5 K0 and 2 K0 as candidates that the fit
 * chooses among by cross-validation, each kept only while the linear model
 * has at most CHANNEL_BUDGET parameters. Why candidates: how much more
 * channels give depends on the data (cross-validated force RMSE of the
 * 5-species GFN2-xTB binding curves 0.081 / 0.075 / 0.072 eV/A at 8 / 12 /
 * 16 channels, of thermal frames of the same molecules 0.30 / - / 0.12).
 */
export function defaultContraction(species: number, blocks: readonly BlockSpec[], options: PresetOptions = {}): ContractionSpec | null {
  if (species <= 2) return null;
  const maxRadial = options.maxRadial ?? 5;
  const L = (options.maxAngular ?? 4) + 1;
  const K0 = maxRadial + 3;
  const width = species * (maxRadial + 1);
  const features = (K: number) => blocks.reduce((n, b) => n + L * (b.kind === 'multiscale' ? K * K : (K * (K + 1)) / 2), 0);
  const parameters = (K: number) => (options.speciesWeights === 'shared' ? features(K) + species : species * (features(K) + 1));
  const ladder = [...new Set([K0, Math.ceil(1.5 * K0), 2 * K0].map((K) => Math.min(K, width)))];
  return givenContraction(ladder.filter((K, i) => i === 0 || parameters(K) <= CHANNEL_BUDGET));
}

/** A contraction from an explicit channel count or list of candidates (null: none). */
function givenContraction(channels: number | readonly number[] | null): ContractionSpec | null {
  if (channels === null) return null;
  if (typeof channels === 'number') return { channels };
  const candidates = [...channels].sort((a, b) => a - b);
  return candidates.length > 1 ? { channels: candidates[candidates.length - 1], candidates } : { channels: candidates[0] };
}

/**
 * Most (type, radial) channels per l of the learned charges' expansion: the
 * 5-species GFN2-xTB dimers have 20 (4 radial functions each) and fit their
 * charges and dipoles in ~4 s and 0.85 GB; uncontracted, the power spectrum
 * grows as the square of the species. Contracting those 20 to fewer (8, 16)
 * gave worse interaction forces there, so the contraction only caps the size.
 */
export const CHARGE_CHANNELS = 20;

/** Channels of the learned charges' contraction for `species` species (null: none, up to CHARGE_CHANNELS channels). */
export function defaultChargeChannels(species: number, maxRadial: number): number | null {
  return species * (maxRadial + 1) > CHARGE_CHANNELS ? CHARGE_CHANNELS : null;
}

export function localHypers(options: PresetOptions = {}): SphericalExpansionHypers {
  const cutoff = options.cutoff ?? 4.5;
  return {
    cutoff: { radius: cutoff, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
    density: { type: 'Gaussian', width: 0.5 },
    basis: { type: 'TensorProduct', max_angular: options.maxAngular ?? 4, radial: { type: 'Gto', max_radial: options.maxRadial ?? 5 } },
  };
}

export function lodeHypers(options: PresetOptions = {}, exponent = 1): LodeSphericalExpansionHypers {
  const cutoff = options.cutoff ?? 4.5;
  const field = options.field ?? DEFAULT_FIELD;
  if (!(FIELDS as readonly string[]).includes(field)) throw new Error(`field: expected one of ${FIELDS.join(', ')}, got ${JSON.stringify(field)}`);
  return {
    ...(field === 'far' ? { exclusion: { radius: cutoff, width: Math.min(1, cutoff) } } : {}),
    density: { type: 'SmearedPowerLaw', smearing: options.smearing ?? 1.5, exponent },
    basis: {
      type: 'TensorProduct',
      max_angular: options.maxAngular ?? 4,
      radial: { type: 'Gto', max_radial: options.maxRadial ?? 5, radius: cutoff },
    },
    method: 'auto',
  };
}

export const PRESETS = ['local', 'multiscale'] as const;
export type PresetName = (typeof PRESETS)[number];

export function presetFeatures(name: PresetName, species: number[], options: PresetOptions = {}): FeatureSetSpec {
  const blocks: BlockSpec[] = [{ kind: 'soap', hypers: localHypers(options) }];
  const longRange = options.longRange ?? 'field';
  if (!(LONG_RANGES as readonly string[]).includes(longRange)) {
    throw new Error(`longRange: expected one of ${LONG_RANGES.join(', ')}, got ${JSON.stringify(longRange)}`);
  }
  if (name === 'multiscale' && longRange === 'charges') {
    for (const key of ['exponents', 'field', 'smearing'] as const) {
      if (options[key] !== undefined) throw new Error(`${key}: shapes the rho x V blocks of longRange 'field'; longRange 'charges' has none`);
    }
  } else if (options.atomicDipoles) {
    throw new Error("atomicDipoles: belongs to the learned charges of the multiscale preset with longRange 'charges'");
  }
  if (name === 'multiscale' && longRange === 'field') {
    const exponents = options.exponents ?? [1];
    if (!Array.isArray(exponents) || exponents.length === 0 || new Set(exponents).size !== exponents.length) {
      throw new Error(`exponents: expected a non-empty list of distinct LODE exponents (0..6), got ${JSON.stringify(exponents)}`);
    }
    for (const p of exponents) blocks.push({ kind: 'multiscale', density: localHypers(options), potential: lodeHypers(options, p) });
  } else if (name !== 'local' && name !== 'multiscale') throw new Error(`features preset: expected one of ${PRESETS.join(', ')}, got ${JSON.stringify(name)}`);
  const contraction = options.channels === undefined ? defaultContraction(species.length, blocks, options) : givenContraction(options.channels);
  return {
    species: [...species].sort((a, b) => a - b),
    blocks,
    ...(contraction === null ? {} : { contraction }),
    ...(options.speciesWeights ? { speciesWeights: options.speciesWeights } : {}),
    ...(name === 'multiscale' && longRange === 'charges' ? { baseline: learnedChargesBaseline(options, species) } : {}),
  };
}

/**
 * The long-range part the data supports, when every frame is a molecule
 * (or cluster) in vacuum: learned charges fitted to per-atom reference
 * charges when some frames carry them; without them, charges read off the
 * energies (latent-charges.ts) when some frames are lone molecules, whose
 * energy pins the separated limit, and some hold two or more (never with
 * `fromEnergies` false, for targets that are not energies such as
 * dipoles). Otherwise, and for periodic data, the rho x V field. Why: rho x V transfers badly to pairs of
 * molecules never seen together (each species' field counts atoms, and a
 * neutral partner's N_b / R does not cancel: README, leave pairs out, 651
 * meV per dimer against the local model's 308, latent charges 14.9), but
 * the products of charges that latent charges rest on are poorly pinned
 * by binding curves of touching molecules alone (README, "Without the
 * monomers").
 */
export function defaultLongRange(frames: ReadonlyArray<Pick<TrainingFrame, 'system' | 'charges'>>, fromEnergies = true): LongRange {
  if (!frames.every(({ system }) => toNativeSystem(system).cell === null)) return 'field';
  if (frames.some((f) => f.charges !== undefined)) return 'charges';
  // Both kinds of frame: lone molecules pin the separated limit, complexes give the charges' products.
  const counts = frames.map(({ system }) => fragmentCount(system) ?? 0);
  return fromEnergies && counts.includes(1) && counts.some((n) => n >= 2) ? 'charges' : 'field';
}

/**
 * Baseline of learned charges (fitted to the training frames' per-atom
 * charges, or to the molecules' whole charges found from the energies when
 * there are none): a smaller local basis than the energy's (max_radial 3,
 * max_angular 2; a charge is a simpler function of the environment) at the
 * same cutoff, Gaussian charges 1 A wide, whole charges per molecule and
 * the Coulomb energy between molecules only, at every distance: the local
 * model learns what differs at contact. (Switching the pairs off inside
 * the cutoff instead put forces of several eV/A on ion pairs at contact,
 * the slope of a Coulomb energy of volts switched off over 1 A, which the
 * local model could not learn.) Add it as `baseline` of a preset. With
 * more than CHARGE_CHANNELS (type, radial) channels (`species`: more than
 * five) they are contracted to that many per l (defaultChargeChannels).
 */
export function learnedChargesBaseline(options: PresetOptions = {}, species?: readonly number[]): ChargeBaselineSpec {
  const maxRadial = 3;
  const channels = species ? defaultChargeChannels(species.length, maxRadial) : null;
  return {
    kind: 'charges',
    hypers: localHypers({ ...options, maxRadial, maxAngular: 2 }),
    ...(channels === null ? {} : { contraction: { channels } }),
    smearing: 1,
    fragments: true,
    ...(options.atomicDipoles ? { atomicDipoles: true } : {}),
  };
}

/** Bonded fragments of a system in vacuum; null for a periodic one or an element without a covalent radius. */
function fragmentCount(system: TrainingFrame['system']): number | null {
  const native = toNativeSystem(system);
  if (native.cell !== null) return null;
  try {
    return bondedFragments(native.positions, native.types).reduce((m, f) => Math.max(m, f), -1) + 1;
  } catch {
    return null; // an element without a covalent radius: no fragments to judge by
  }
}

/**
 * Whether every frame is a molecular complex in vacuum (two or more bonded
 * fragments, no cell) and none is a lone molecule: the energy at large
 * separations is then extrapolated from molecules that interact, which a
 * rho x V model does poorly (README, "Without the monomers").
 */
export function lacksIsolatedMolecules(frames: ReadonlyArray<Pick<TrainingFrame, 'system'>>): boolean {
  return frames.length > 0 && frames.every(({ system }) => (fragmentCount(system) ?? 0) >= 2);
}
