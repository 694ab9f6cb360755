// Atomic energy = w[Z] . x_i + b[Z], summed over atoms; forces and stress by
// backpropagation through the feature blocks (never through dX/dr).
import type { ForceField, ForceFieldRequest, ForceFieldResult } from '../core/forcefield.js';
import { cellVolume, toNativeSystem, type System } from '../core/system.js';
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

  /** dE/dx for every centre of one block: w[Z_i] restricted to that block, times its scale. */
  private blockAdjoint(block: number, species: Int32Array): Float64Array {
    const D = this.features.dimension;
    const size = this.features.sizes[block];
    const offset = this.features.offsets[block];
    const scale = this.features.scales[block];
    const out = new Float64Array(species.length * size);
    for (let i = 0; i < species.length; i++) {
      const w = this.weights.subarray(species[i] * D + offset, species[i] * D + offset + size);
      for (let k = 0; k < size; k++) out[i * size + k] = scale * w[k];
    }
    return out;
  }

  compute(system: System, request: ForceFieldRequest = {}): ForceFieldResult {
    const pass = this.start(system, request);
    const outputs = this.features.invariants.map((inv, b) => inv.backward(pass.native, pass.adjoints[b], pass.options));
    return this.finish(pass, outputs, request);
  }

  async computeAsync(system: System, request: ForceFieldRequest = {}): Promise<ForceFieldResult> {
    const pass = this.start(system, request);
    const outputs = await Promise.all(
      this.features.invariants.map((inv, b) => inv.backwardAsync(pass.native, pass.adjoints[b], pass.options)),
    );
    return this.finish(pass, outputs, request);
  }

  private start(system: System, request: ForceFieldRequest) {
    const native = toNativeSystem(system);
    this.features.checkSpecies(native);
    const species = speciesIndices(this.features.spec.species, native.types);
    const adjoints = this.features.invariants.map((_, b) => this.blockAdjoint(b, species));
    return { native, species, adjoints, options: this.features.backwardOptions(request) };
  }

  /** Energy = bias + dE/dx . x per centre (the model is linear in x); forces and strain from the backward passes. */
  private finish(
    pass: ReturnType<LinearModel['start']>,
    outputs: Array<{ values: Float64Array; positions: Float64Array; strain: Float64Array }>,
    request: ForceFieldRequest,
  ): ForceFieldResult {
    const N = pass.species.length;
    const energies = Float64Array.from(pass.species, (s) => this.biases[s]);
    const forces = new Float64Array(3 * N);
    const strain = new Float64Array(9);
    outputs.forEach((out, b) => {
      const size = this.features.sizes[b];
      const adjoint = pass.adjoints[b];
      for (let i = 0; i < N; i++) {
        let e = 0;
        for (let k = 0; k < size; k++) e += adjoint[i * size + k] * out.values[i * size + k];
        energies[i] += e;
      }
      for (let k = 0; k < 3 * N; k++) forces[k] -= out.positions[k];
      for (let k = 0; k < out.strain.length; k++) strain[k] += out.strain[k];
    });
    this.features.baseline?.addTo(pass.native, energies, forces, request.stress ? strain : null);
    return assemble(pass.native, energies, forces, strain, request);
  }
}

/** Sums atomic energies and packs forces, stress and virial as the ForceField contract lays them out. */
export function assemble(
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
