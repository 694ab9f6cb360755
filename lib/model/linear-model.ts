// Atomic energy = w[Z] . x_i + b[Z], summed over atoms; forces and stress by
// backpropagation through the feature blocks (never through dX/dr).
import type { Backward } from '../core/backward.js';
import type { ForceField, ForceFieldRequest, ForceFieldResult } from '../core/forcefield.js';
import { cellVolume, toNativeSystem, type System } from '../core/system.js';
import type { NativeSystem } from '../native/types.js';
import type { FeatureSet } from './feature-set.js';
import { speciesIndices } from './species.js';

export interface LinearWeights {
  /** [species][dimension] */
  weights: Float64Array;
  /** [species] */
  biases: Float64Array;
}

export class LinearModel implements ForceField {
  readonly features: FeatureSet;
  readonly weights: Float64Array;
  readonly biases: Float64Array;
  private adjoints?: { species: Int32Array; weights: Float64Array; scales: number[]; arrays: Float64Array[] };

  constructor(features: FeatureSet, parameters: LinearWeights) {
    const D = features.dimension;
    const S = features.spec.species.length;
    if (parameters.weights.length !== S * D) {
      throw new Error(`linear model: expected ${S} x ${D} weights, got ${parameters.weights.length}`);
    }
    if (parameters.biases.length !== S) throw new Error(`linear model: expected ${S} biases, got ${parameters.biases.length}`);
    this.features = features;
    this.weights = parameters.weights;
    this.biases = parameters.biases;
  }

  /**
   * The blocks' dE/dx, kept while the species, weights and block scales stay
   * the same (each compared in full, since all three are mutable arrays): an
   * MD step otherwise spends ~5 % of its time rebuilding them.
   */
  private blockAdjoints(species: Int32Array): Float64Array[] {
    const kept = this.adjoints;
    const { scales } = this.features;
    if (kept && sameValues(kept.species, species) && sameValues(kept.weights, this.weights) && sameValues(kept.scales, scales)) {
      return kept.arrays;
    }
    const arrays = this.features.invariants.map((_, b) => linearBlockAdjoint(this.features, this.weights, b, species));
    this.adjoints = { species: species.slice(), weights: this.weights.slice(), scales: [...scales], arrays };
    return arrays;
  }

  compute(system: System, request: ForceFieldRequest = {}): ForceFieldResult {
    const pass = this.start(system, request);
    return this.finish(pass, this.features.backwardDots(pass.native, pass.adjoints, request), request);
  }

  async computeAsync(system: System, request: ForceFieldRequest = {}): Promise<ForceFieldResult> {
    const pass = this.start(system, request);
    return this.finish(pass, await this.features.backwardDotsAsync(pass.native, pass.adjoints, request), request);
  }

  private start(system: System, request: ForceFieldRequest) {
    const converted = toNativeSystem(system);
    this.features.checkSpecies(converted);
    const species = speciesIndices(this.features.spec.species, converted.types);
    const adjoints = this.blockAdjoints(species);
    return { native: converted, species, adjoints };
  }

  /** Energy = bias + dE/dx . x per centre (the model is linear in x); forces and strain from the backward pass. */
  private finish(pass: ReturnType<LinearModel['start']>, out: Backward & { dots: Float64Array[] }, request: ForceFieldRequest): ForceFieldResult {
    const N = pass.species.length;
    const energies = Float64Array.from(pass.species, (s) => this.biases[s]);
    for (const dots of out.dots) for (let i = 0; i < N; i++) energies[i] += dots[i];
    return fromBackward(this.features, pass.native, energies, out, request);
  }
}

/** dE/d(unscaled values) of one block for every centre of a linear part w [species][dimension]: w[Z_i] restricted to that block, times its scale. */
export function linearBlockAdjoint(features: FeatureSet, weights: Float64Array, block: number, species: Int32Array): Float64Array {
  const D = features.dimension;
  const size = features.sizes[block];
  const offset = features.offsets[block];
  const scale = features.scales[block];
  const out = new Float64Array(species.length * size);
  for (let i = 0; i < species.length; i++) out.set(weights.subarray(species[i] * D + offset, species[i] * D + offset + size), i * size);
  if (scale !== 1) for (let k = 0; k < out.length; k++) out[k] *= scale;
  return out;
}

/**
 * A model's result from its atomic energies and the backward pass of dE/dx
 * through its feature blocks (forces = -dE/dr), with the feature set's
 * baseline added.
 */
export function fromBackward(
  features: FeatureSet,
  system: NativeSystem,
  energies: Float64Array,
  out: Backward,
  request: ForceFieldRequest,
): ForceFieldResult {
  const forces = new Float64Array(out.positions.length);
  for (let k = 0; k < forces.length; k++) forces[k] -= out.positions[k];
  const strain = out.strain.length ? out.strain : new Float64Array(9);
  features.baseline?.addTo(system, energies, forces, request.stress ? strain : null);
  return assemble(system, energies, forces, strain, request);
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Sums atomic energies and packs forces, stress and virial as the ForceField contract lays them out. */
function assemble(
  system: { cell: Float64Array | null },
  energies: Float64Array,
  forces: Float64Array,
  strain: Float64Array,
  request: ForceFieldRequest,
): ForceFieldResult {
  let energy = 0;
  for (const e of energies) energy += e;
  const result: ForceFieldResult = { energy };
  if (request.forces ?? true) result.forces = forces;
  if (request.perAtom) result.energies = energies;
  if (request.stress) {
    if (!system.cell) throw new Error('stress: the system has no cell (stress needs a periodic system)');
    const V = cellVolume(system.cell);
    result.stress = strain.map((v) => v / V);
    result.virial = strain.map((v) => -v);
  }
  return result;
}
