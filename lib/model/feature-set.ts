// A declared combination of feature blocks (rho x rho, rho x V, V x V), each
// with its own hyper-parameters, evaluated for a fixed list of species.
import type { SphericalExpansionHypers } from '../core/hypers.js';
import { Invariants, SoapPowerSpectrum, type ExpansionLike } from '../features/invariants.js';
import { SphericalExpansion } from '../features/spherical-expansion.js';
import type { System } from '../core/system.js';
import { Baseline, type BaselineSpec } from './baseline.js';
import { createLodeExpansion, type LodeHypersLike } from './lode-factory.js';
import type { TrainingFrame } from './training-frame.js';
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
}

/** Per-centre features of one system and the block layout. */
export interface Features {
  /** [atoms][dimension] with every block scaled. */
  values: Float64Array;
  dimension: number;
}

export class FeatureSet {
  readonly spec: FeatureSetSpec;
  readonly invariants: Invariants[];
  /** Number of features of each block. */
  readonly sizes: number[];
  /** Scale of each block (set by fitting; 1 until then). */
  scales: number[];
  readonly baseline: Baseline | null;

  constructor(spec: FeatureSetSpec) {
    validateSpec(spec);
    this.spec = structuredClone(spec);
    this.invariants = spec.blocks.map((block) => buildInvariants(block));
    this.sizes = this.invariants.map((inv) => probeSize(inv, spec.species));
    this.scales = spec.blocks.map(() => 1);
    this.baseline = spec.baseline ? new Baseline(spec.baseline, spec.species) : null;
  }

  /** Training frames with the baseline's energy and forces taken out (the frames themselves without a baseline). */
  residualFrames(frames: readonly TrainingFrame[]): TrainingFrame[] {
    const baseline = this.baseline;
    if (!baseline) return [...frames];
    return frames.map((frame, k) => baseline.residual(frame, toNativeSystem(frame.system, `frames[${k}].system`)));
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

  concatenate(blocks: Float64Array[], atoms: number): Float64Array {
    const D = this.dimension;
    const out = new Float64Array(atoms * D);
    const offsets = this.offsets;
    blocks.forEach((values, b) => {
      const size = this.sizes[b];
      const scale = this.scales[b];
      for (let i = 0; i < atoms; i++) {
        for (let k = 0; k < size; k++) out[i * D + offsets[b] + k] = scale * values[i * size + k];
      }
    });
    return out;
  }
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
}

function buildInvariants(block: BlockSpec): Invariants {
  switch (block.kind) {
    case 'soap':
      return new SoapPowerSpectrum(block.hypers);
    case 'multiscale': {
      const density: ExpansionLike = new SphericalExpansion(block.density);
      return new Invariants(density, createLodeExpansion(block.potential));
    }
    case 'lode': {
      const potential = createLodeExpansion(block.potential);
      return new Invariants(potential, potential);
    }
  }
}

/** Number of features of a block: computed once on a one-atom probe per species. */
function probeSize(invariants: Invariants, species: number[]): number {
  const probe = {
    positions: [[0, 0, 0]],
    types: [species[0]],
    cell: [[20, 0, 0], [0, 20, 0], [0, 0, 20]],
  };
  return invariants.compute(probe, { neighborTypes: species }).shape[1];
}
