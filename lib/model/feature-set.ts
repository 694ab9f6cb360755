// A declared combination of feature blocks (rho x rho, rho x V, V x V), each
// with its own hyper-parameters, evaluated for a fixed list of species.
import { backwardGradients, type Backward } from '../core/backward.js';
import type { ForceFieldRequest } from '../core/forcefield.js';
import type { SphericalExpansionHypers } from '../core/hypers.js';
import { featureCount, Invariants, type ExpansionLike } from '../features/invariants.js';
import { SphericalExpansion } from '../features/spherical-expansion.js';
import type { System } from '../core/system.js';
import { Baseline, type BaselineSpec } from './baseline.js';
import {
  ChannelMoments,
  checkContraction,
  ContractedExpansion,
  channelShape,
  contractionLength,
  firstChannels,
  leadingChannels,
  type BasisHypers,
  type ChannelShape,
  type ContractibleExpansion,
  type ContractionSpec,
} from './contraction.js';
import { createLodeExpansion, type LodeHypersLike } from './lode-factory.js';
import type { ChargeTrainingFrame, TrainingFrame } from './training-frame.js';
import { toNativeSystem } from '../core/system.js';

export type BlockSpec =
  | { kind: 'soap'; hypers: SphericalExpansionHypers }
  | { kind: 'multiscale'; density: SphericalExpansionHypers; potential: LodeHypersLike }
  | { kind: 'lode'; potential: LodeHypersLike };

export interface FeatureSetSpec {
  /** Atomic numbers the model knows (centres and neighbours), ascending. */
  species: number[];
  blocks: BlockSpec[];
  /** Physics term added to the learned energy (Ewald with fixed charges); none by default. */
  baseline?: BaselineSpec;
  /**
   * Contract every expansion's (species, radial) channels to `channels`
   * learned channels per l before forming invariants (fitted on the training
   * frames): the feature count then no longer grows as species squared.
   * None by default.
   */
  contraction?: ContractionSpec;
  /**
   * 'per-species' (default): one weight vector per centre species.
   * 'shared': one weight vector for every centre plus a per-species energy
   * offset (the centre's species still enters the features through its own
   * density term): species times fewer parameters.
   */
  speciesWeights?: SpeciesWeights;
}

export const SPECIES_WEIGHTS = ['per-species', 'shared'] as const;
export type SpeciesWeights = (typeof SPECIES_WEIGHTS)[number];

/** One expansion of a block: what it is built from and the shape of its coefficients. */
interface BlockExpansion {
  expansion: ContractibleExpansion;
  shape: ChannelShape;
}

/** Per-centre features of one system and the block layout. */
export interface Features {
  /** [atoms][dimension] with every block scaled. */
  values: Float64Array;
  dimension: number;
}

export class FeatureSet {
  readonly spec: FeatureSetSpec;
  invariants: Invariants[];
  /** Number of features of each block. */
  readonly sizes: number[];
  /** Scale of each block (set by fitting; 1 until then). */
  scales: number[];
  readonly baseline: Baseline | null;
  /** The expansions of each block (one for rho x rho and V x V, two for rho x V), before any contraction. */
  private readonly expansions: BlockExpansion[][];
  /** With spec.contraction: the contraction matrices of each block's expansions (learned by fitting). */
  private contractionMatrices: Float64Array[][] | null = null;

  /** `baseline`: an existing (learned) baseline object of the same spec to share instead of building one. */
  constructor(spec: FeatureSetSpec, baseline?: Baseline | null) {
    validateSpec(spec);
    this.spec = structuredClone(spec);
    // Blocks with equal hypers share one expansion object, so their backward
    // passes can share its pass over neighbour pairs (backwardDots).
    const made = new Map<string, BlockExpansion>();
    this.expansions = spec.blocks.map((block) => blockExpansions(block, spec.species.length, made));
    if (spec.contraction) {
      const K = spec.contraction.channels;
      this.contractionMatrices = this.expansions.map((list) => list.map((e) => leadingChannels(e.shape, K)));
    }
    this.invariants = this.buildInvariants();
    this.sizes = this.invariants.map((inv) => featureCount(inv, spec.species));
    this.scales = spec.blocks.map(() => 1);
    // built on the clone: a baseline that learns (charges) writes what it learned into this.spec, not the caller's spec
    this.baseline = baseline !== undefined ? baseline : this.spec.baseline ? new Baseline(this.spec.baseline, spec.species) : null;
  }

  get speciesWeights(): SpeciesWeights {
    return this.spec.speciesWeights ?? 'per-species';
  }

  /** The contraction matrices in use ([block][expansion]), or null without a contraction. */
  get contractions(): Float64Array[][] | null {
    return this.contractionMatrices;
  }

  /** The most contracted channels per l its expansions allow (types x radial functions of the narrowest). */
  get maxChannels(): number {
    return Math.min(...this.expansions.flat().map((e) => e.shape.types * e.shape.radial));
  }

  /**
   * The same features with the first K of the learned contracted channels
   * per l (the K-channel contraction of the same data: the channels are
   * principal directions in order) and the same block scales, so each of
   * its features is one of this set's (channel-choice.ts).
   */
  withChannels(K: number): FeatureSet {
    const channels = this.spec.contraction?.channels;
    if (channels === undefined || !this.contractionMatrices) throw new Error('withChannels: this feature set has no contraction');
    const narrow = new FeatureSet({ ...this.spec, contraction: { channels: K } }, this.baseline);
    const matrices = this.contractionMatrices;
    narrow.setContractions(this.expansions.map((list, b) => list.map((e, k) => firstChannels(e.shape, matrices[b][k], channels, K))));
    narrow.scales = [...this.scales];
    return narrow;
  }

  /** Sets the contraction matrices (learned, or read from a model file), checking their sizes. */
  setContractions(matrices: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>): void {
    const K = this.spec.contraction?.channels;
    if (K === undefined) throw new Error('contractions: this feature set has no contraction');
    if (!Array.isArray(matrices) || matrices.length !== this.expansions.length) {
      throw new Error(`contractions: expected one list per feature block (${this.expansions.length})`);
    }
    this.contractionMatrices = this.expansions.map((list, b) => {
      if (!Array.isArray(matrices[b]) || matrices[b].length !== list.length) {
        throw new Error(`contractions[${b}]: expected ${list.length} matrices (one per expansion of the block)`);
      }
      return list.map((e, k) => {
        const m = Float64Array.from(matrices[b][k]);
        const expected = contractionLength(e.shape, K);
        if (m.length !== expected || !m.every(Number.isFinite)) {
          throw new Error(`contractions[${b}][${k}]: expected ${expected} finite numbers, got ${m.length}`);
        }
        return m;
      });
    });
    this.invariants = this.buildInvariants();
  }

  /**
   * Learns the contraction from the coefficients of `frames` (principal
   * channels per l, see contraction.ts); a no-op without spec.contraction.
   */
  learnContractions(frames: readonly TrainingFrame[], onFrame?: (done: number) => void): void {
    const K = this.spec.contraction?.channels;
    if (K === undefined) return;
    const moments = this.expansions.map((list) => list.map((e) => new ChannelMoments(e.shape)));
    frames.forEach((frame, f) => {
      this.checkSpecies(frame.system, `frames[${f}].system`);
      this.expansions.forEach((list, b) =>
        list.forEach((e, k) => moments[b][k].add(e.expansion.compute(frame.system, this.options()).values)),
      );
      onFrame?.(f + 1);
    });
    this.setContractions(moments.map((list) => list.map((m) => m.contraction(K))));
  }

  /**
   * The two expansions each block couples (contracted when the set has a
   * contraction): the same object twice for rho x rho and V x V, density then
   * potential for rho x V. Equivariant models couple them at other orders.
   */
  blockInputs(): Array<[ExpansionLike, ExpansionLike]> {
    const species = this.spec.species;
    return this.expansions.map((list, b) => {
      const inputs: ExpansionLike[] = list.map((e, k) => {
        const matrices = this.contractionMatrices?.[b][k];
        if (!matrices) return e.expansion;
        return new ContractedExpansion(e.expansion, species, this.spec.contraction!.channels, matrices);
      });
      return [inputs[0], inputs[inputs.length - 1]];
    });
  }

  private buildInvariants(): Invariants[] {
    // One expansion: its invariants with itself (the power spectrum's symmetric storage).
    return this.blockInputs().map(([a, b]) => new Invariants(a, b));
  }

  /**
   * Training frames with the baseline's energy and forces taken out (the
   * frames themselves without a baseline); `onProgress` follows a baseline
   * that learns from the energies (latent charges). `chargeFrames` join the
   * charge fit of a learned-charge baseline (and are an error without one).
   */
  residualFrames(
    frames: readonly TrainingFrame[],
    onProgress?: (done: number, total: number) => void,
    chargeFrames: readonly ChargeTrainingFrame[] = [],
  ): TrainingFrame[] {
    const baseline = this.baseline;
    if (chargeFrames.length > 0 && !baseline?.charges) {
      throw new Error("chargeFrames: only the learned charges of a 'charges' baseline (the multiscale preset's longRange 'charges') learn from them, and this feature set has none");
    }
    chargeFrames.forEach((f, k) => this.checkSpecies(f.system, `chargeFrames[${k}].system`));
    if (!baseline) return [...frames];
    const systems = frames.map((frame, k) => toNativeSystem(frame.system, `frames[${k}].system`));
    // A baseline that learns (charges) learns first; this.spec.baseline then holds what it learned.
    baseline.learn(frames, systems, true, onProgress, chargeFrames);
    return frames.map((frame, k) => baseline.residual(frame, systems[k]));
  }

  get dimension(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  /** Offsets of each block's columns in the concatenated feature vector. */
  get offsets(): number[] {
    const out: number[] = [];
    let o = 0;
    for (const s of this.sizes) {
      out.push(o);
      o += s;
    }
    return out;
  }

  options() {
    return { neighborTypes: this.spec.species };
  }

  /**
   * Every block's backward pass at once, given each block's dE/dx: forces'
   * and strain's gradients summed over blocks, and per block dE/dx . x per
   * centre (a linear model's atomic energies). Blocks over the same density
   * expansion share its pass over neighbour pairs.
   */
  backwardDots(system: System, adjoints: readonly Float64Array[], request: ForceFieldRequest): Backward & { dots: Float64Array[] } {
    return Invariants.jointBackwardDots(this.invariants, system, adjoints, this.backwardOptions(request));
  }

  /** Same as backwardDots, off the main thread. */
  backwardDotsAsync(system: System, adjoints: readonly Float64Array[], request: ForceFieldRequest): Promise<Backward & { dots: Float64Array[] }> {
    return Invariants.jointBackwardDotsAsync(this.invariants, system, adjoints, this.backwardOptions(request));
  }

  /** Options of the blocks' backward passes for a force-field request (the strain only for a stress). */
  private backwardOptions(request: ForceFieldRequest) {
    return { ...this.options(), gradients: backwardGradients(request) };
  }

  checkSpecies(system: System, where = 'system'): void {
    const known = new Set(this.spec.species);
    for (let i = 0; i < system.types.length; i++) {
      if (!known.has(system.types[i])) {
        throw new Error(
          `${where}.types[${i}]: atomic number ${system.types[i]} is unknown to this model (species ${this.spec.species.join(', ')})`,
        );
      }
    }
  }

  /** Unscaled values of every block (one FeatureBlock-like array per block). */
  blockValues(system: System): Float64Array[] {
    this.checkSpecies(system);
    return this.invariants.map((inv) => inv.compute(system, this.options()).values);
  }

  /** Scaled, concatenated per-centre features. */
  compute(system: System): Features {
    const blocks = this.blockValues(system);
    return { values: this.concatenate(blocks, system.types.length), dimension: this.dimension };
  }

  /**
   * Scaled values of the blocks [atoms][columns], or of the blocks `only`
   * (indices, ascending) side by side in that order.
   */
  concatenate(blocks: readonly Float64Array[], atoms: number, only?: readonly number[]): Float64Array {
    const indices = only ?? this.sizes.map((_, b) => b);
    const width = indices.reduce((n, b) => n + this.sizes[b], 0);
    const out = new Float64Array(atoms * width);
    let offset = 0;
    for (const b of indices) {
      const size = this.sizes[b];
      const scale = this.scales[b];
      const values = blocks[b];
      for (let i = 0; i < atoms; i++) {
        for (let k = 0; k < size; k++) out[i * width + offset + k] = scale * values[i * size + k];
      }
      offset += size;
    }
    return out;
  }

}

/**
 * The spec with its smallest candidate channel count, for fits that do not
 * score the candidates (the tensor models): the default contraction's K0.
 */
export function smallestChannels(spec: FeatureSetSpec): FeatureSetSpec {
  const candidates = spec.contraction?.candidates;
  return candidates ? { ...spec, contraction: { channels: candidates[0] } } : spec;
}

function validateSpec(spec: FeatureSetSpec): void {
  if (typeof spec !== 'object' || spec === null) throw new Error('features: expected {species, blocks}');
  if (!Array.isArray(spec.species) || spec.species.length === 0 || !spec.species.every((z) => Number.isInteger(z) && z > 0)) {
    throw new Error('features.species: expected a non-empty array of atomic numbers');
  }
  for (let k = 1; k < spec.species.length; k++) {
    if (spec.species[k] <= spec.species[k - 1]) throw new Error('features.species: expected unique atomic numbers in increasing order');
  }
  if (!Array.isArray(spec.blocks) || spec.blocks.length === 0) throw new Error('features.blocks: expected at least one block');
  spec.blocks.forEach((b, k) => {
    if (!b || !['soap', 'multiscale', 'lode'].includes(b.kind)) {
      throw new Error(`features.blocks[${k}].kind: expected 'soap', 'multiscale' or 'lode'`);
    }
  });
  if (spec.contraction !== undefined) checkContraction(spec.contraction);
  if (spec.speciesWeights !== undefined && !SPECIES_WEIGHTS.includes(spec.speciesWeights)) {
    throw new Error(`features.speciesWeights: expected ${SPECIES_WEIGHTS.map((w) => `'${w}'`).join(' or ')}, got ${JSON.stringify(spec.speciesWeights)}`);
  }
}

function blockExpansions(block: BlockSpec, types: number, made: Map<string, BlockExpansion>): BlockExpansion[] {
  const once = (kind: string, hypers: BasisHypers, make: () => ContractibleExpansion): BlockExpansion => {
    const key = `${kind} ${JSON.stringify(hypers)}`;
    let e = made.get(key);
    if (!e) made.set(key, (e = { expansion: make(), shape: channelShape(hypers, types) }));
    return e;
  };
  const density = (hypers: SphericalExpansionHypers) => once('density', hypers, () => new SphericalExpansion(hypers));
  const potential = (hypers: LodeHypersLike) => once('potential', hypers, () => createLodeExpansion(hypers));
  switch (block.kind) {
    case 'soap':
      return [density(block.hypers)];
    case 'multiscale':
      return [density(block.density), potential(block.potential)];
    case 'lode':
      return [potential(block.potential)];
  }
}
