// Rows of the least-squares design matrix of a linear model for one frame:
// the per-atom energy row and one row per force component.
import { makeLabels, type FeatureBlock } from '../core/labels.js';
import type { NativeSystem } from '../native/types.js';
import { toNativeSystem, type System } from '../core/system.js';
import type { FeatureSet } from './feature-set.js';
import { speciesIndices } from './species.js';

/**
 * Parameters are laid out [species][dimension + 1] (weights then the bias)
 * with per-species weights, or [dimension] shared weights then [species]
 * biases with speciesWeights 'shared'.
 */
export function parameterCount(features: FeatureSet): number {
  const S = features.spec.species.length;
  const D = features.dimension;
  return features.speciesWeights === 'shared' ? D + S : S * (D + 1);
}

/** First weight column and bias column of species s in the parameter vector. */
export function speciesColumns(features: FeatureSet, s: number): { weights: number; bias: number } {
  const D = features.dimension;
  return features.speciesWeights === 'shared' ? { weights: 0, bias: D + s } : { weights: s * (D + 1), bias: s * (D + 1) + D };
}

/** The weights (dimension) and bias of species s from a solved parameter vector. */
export function speciesParameters(features: FeatureSet, parameters: Float64Array, s: number): { weights: Float64Array; bias: number } {
  const c = speciesColumns(features, s);
  return { weights: parameters.subarray(c.weights, c.weights + features.dimension), bias: parameters[c.bias] };
}

export interface DesignRows {
  /** Energy row (energy = row . parameters), length parameterCount. */
  energy: Float64Array;
  /** Force rows [3N][parameterCount] (force = row . parameters), when asked. */
  forces?: Float64Array;
  atoms: number;
}

/** One feature block of one frame, with where its columns sit in the concatenated features. */
export interface BlockPass {
  index: number;
  size: number;
  offset: number;
  scale: number;
  /** Unscaled values and (when asked) the full position gradient tensor. */
  block: FeatureBlock;
}

/** A frame checked against the model's species, with species indices per atom. */
export interface FramePass {
  native: NativeSystem;
  species: Int32Array;
  blocks: BlockPass[];
}

/**
 * Computes every feature block of a frame, with full position gradients when
 * asked: what every design-row builder (linear, kernel) starts from.
 */
export function featurePass(features: FeatureSet, system: System, withGradients: boolean): FramePass {
  return featurePasses(features, [system], withGradients)[0];
}

/**
 * featurePass() of several frames with one native call per block: the
 * calculators then spread all their centres over the threads, where one
 * small molecule alone would leave most of them idle. With `sumCenters` the
 * positions gradients are summed over the centres of each species (rows
 * (type, system, atom)): all a linear model's force rows need. `only`
 * computes those blocks (indices into the feature set) and no others.
 */
export function featurePasses(
  features: FeatureSet,
  systems: readonly System[],
  withGradients: boolean,
  sumCenters = false,
  only?: readonly number[],
): FramePass[] {
  const natives = systems.map((system) => toNativeSystem(system));
  natives.forEach((native) => features.checkSpecies(native));
  const offsets = features.offsets;
  const options = { neighborTypes: features.spec.species, gradients: withGradients ? (['positions'] as const) : [], sumCenters };
  const indices = only ?? features.invariants.map((_, b) => b);
  const computed = indices.map((b) => features.invariants[b].compute(natives, options));
  const gradientRow = computed.map(() => 0);
  let sampleStart = 0;
  return natives.map((native, s) => {
    const atoms = native.types.length;
    const blocks = computed.map((block, k) => {
      const b = indices[k];
      const size = features.sizes[b];
      const part: FeatureBlock = {
        values: block.values.subarray(sampleStart * size, (sampleStart + atoms) * size),
        shape: [atoms, size],
        samples: makeLabels(block.samples.names, block.samples.values.subarray(2 * sampleStart, 2 * (sampleStart + atoms))),
        properties: block.properties,
        gradients: {},
      };
      const gradient = block.gradients.positions;
      if (gradient) {
        // Rows are grouped by sample and samples by system: this frame's rows are contiguous.
        const labels = gradient.samples!;
        const first = gradientRow[k];
        let end = first;
        while (end < labels.count && labels.values[3 * end + 1] === s) end++;
        gradientRow[k] = end;
        const values = Int32Array.from(labels.values.subarray(3 * first, 3 * end));
        if (!sumCenters) for (let r = 0; r < end - first; r++) values[3 * r] -= sampleStart;
        part.gradients.positions = {
          values: gradient.values.subarray(first * 3 * size, end * 3 * size),
          shape: [end - first, 3, size],
          samples: makeLabels(labels.names, values),
        };
      }
      return { index: b, size, offset: offsets[b], scale: features.scales[b], block: part };
    });
    sampleStart += atoms;
    return { native, species: speciesIndices(features.spec.species, native.types), blocks };
  });
}

export function designRows(features: FeatureSet, system: System, withForces: boolean): DesignRows {
  return passDesignRows(features, featurePass(features, system, withForces), withForces);
}

/** designRows() of a frame whose features are already computed. */
export function passDesignRows(features: FeatureSet, pass: FramePass, withForces: boolean): DesignRows {
  const species = pass.species;
  const N = species.length;
  const nParams = parameterCount(features);
  const layout = features.spec.species.map((_, s) => speciesColumns(features, s));
  const energy = new Float64Array(nParams);
  for (let i = 0; i < N; i++) energy[layout[species[i]].bias] += 1;
  const forces = withForces ? new Float64Array(3 * N * nParams) : undefined;

  for (const { size, offset, scale, block } of pass.blocks) {
    for (let i = 0; i < N; i++) {
      const base = layout[species[i]].weights + offset;
      for (let k = 0; k < size; k++) energy[base + k] += scale * block.values[i * size + k];
    }
    if (!forces) continue;
    const gradient = block.gradients.positions!;
    const labels = gradient.samples!.values;
    // Rows per (centre, atom), or already summed per (centre species, atom).
    const summed = gradient.samples!.names[0] === 'type';
    const speciesOf = (z: number) => features.spec.species.indexOf(z);
    const values = gradient.values;
    for (let r = 0; r < labels.length / 3; r++) {
      const base = layout[summed ? speciesOf(labels[3 * r]) : species[labels[3 * r]]].weights + offset;
      const j = labels[3 * r + 2];
      for (let x = 0; x < 3; x++) {
        const out = (3 * j + x) * nParams + base;
        const from = (3 * r + x) * size;
        for (let k = 0; k < size; k++) forces[out + k] -= scale * values[from + k];
      }
    }
  }
  return { energy, forces, atoms: N };
}
