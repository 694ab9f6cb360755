// Named feature sets for `lodestone fit --features NAME`: a local SOAP model
// and the multi-scale model (SOAP + rho x V, p = 1 LODE by default) of
// Grisafi, Nigam & Ceriotti, at the same local cutoff.
import type { LodeSphericalExpansionHypers, SphericalExpansionHypers } from '../core/hypers.js';
import type { BlockSpec, FeatureSetSpec, SpeciesWeights } from './feature-set.js';
import type { ChargeBaselineSpec } from './charge-model.js';

export interface PresetOptions {
  /** Local cutoff (A). Default 4.5. */
  cutoff?: number;
  maxRadial?: number;
  maxAngular?: number;
  /** Gaussian smearing of the LODE potential (A). Default 1.5: as accurate as 1.0 on the NaCl melt, at 1/3 of its k-vectors. */
  smearing?: number;
  /**
   * Contract each expansion's (species, radial) channels to this many per l
   * (null: no contraction). Default: none up to 2 species, else
   * `defaultChannels(maxRadial)`.
   */
  channels?: number | null;
  /** Default 'per-species'. */
  speciesWeights?: SpeciesWeights;
  /**
   * LODE exponents p of the multi-scale preset, one rho x V block each:
   * 1 (electrostatics; the default), 6 for dispersion (C6/r^6 tails of
   * apolar molecules), 3 or 4 for induction-like terms.
   */
  exponents?: number[];
  /**
   * What the rho x V blocks' potential holds. 'far' (default): the field of
   * the atoms beyond the local cutoff only (the near field is excluded,
   * switched off over the last 1 A inside the cutoff), so the long-range
   * weights are learned from what the local features cannot see and not
   * from each molecule's own field; 'full': the whole field (featomic and
   * pyLODE's LODE).
   */
  field?: 'far' | 'full';
}

export const FIELDS = ['far', 'full'] as const;
export const DEFAULT_FIELD: (typeof FIELDS)[number] = 'full';

/**
 * Channels of the default contraction: none for one or two species (their
 * invariants are few), else the radial functions plus two: about as many
 * channels per l as a one-species expansion, and a parameter count that no
 * longer grows with the species (the 5-species GFN2-xTB dimers: 2505
 * parameters, against 36 000 uncontracted).
 */
export function defaultChannels(species: number, maxRadial: number): number | null {
  return species <= 2 ? null : maxRadial + 3;
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
  if (name === 'multiscale') {
    const exponents = options.exponents ?? [1];
    if (!Array.isArray(exponents) || exponents.length === 0 || new Set(exponents).size !== exponents.length) {
      throw new Error(`exponents: expected a non-empty list of distinct LODE exponents (0..6), got ${JSON.stringify(exponents)}`);
    }
    for (const p of exponents) blocks.push({ kind: 'multiscale', density: localHypers(options), potential: lodeHypers(options, p) });
  } else if (name !== 'local') throw new Error(`features preset: expected one of ${PRESETS.join(', ')}, got ${JSON.stringify(name)}`);
  const channels = options.channels === undefined ? defaultChannels(species.length, options.maxRadial ?? 5) : options.channels;
  return {
    species: [...species].sort((a, b) => a - b),
    blocks,
    ...(channels === null ? {} : { contraction: { channels } }),
    ...(options.speciesWeights ? { speciesWeights: options.speciesWeights } : {}),
  };
}

/**
 * Baseline of learned charges (fitted to the training frames' per-atom
 * charges): a smaller local basis than the energy's (max_radial 3,
 * max_angular 2; a charge is a simpler function of the environment) at the
 * same cutoff, Gaussian charges 1 A wide, and only the pairs beyond the
 * cutoff interacting (switched in over its last 1 A): inside it the local
 * model learns the rest. Add it as `baseline` of a preset.
 */
export function learnedChargesBaseline(options: PresetOptions = {}): ChargeBaselineSpec {
  const cutoff = options.cutoff ?? 4.5;
  return {
    kind: 'charges',
    hypers: localHypers({ ...options, maxRadial: 3, maxAngular: 2 }),
    smearing: 1,
    exclusion: { radius: cutoff, width: Math.min(1, cutoff) },
    fragments: true,
  };
}
