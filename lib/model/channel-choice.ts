// Contracted channels chosen by cross-validation. The learned contraction's
// channels are principal directions in order of their share of the
// coefficients' second moments (contraction.ts), so the first K of K_max
// channels are the K-channel contraction of the same data, and every
// invariant of two K-channel expansions is one of the K_max invariants (both
// channel labels below K). A linear model on K channels is then the K_max
// model with the other columns left out: its normal equations are a sub-block
// of the K_max ones, and one accumulation scores every candidate K.
import { INVARIANT_PROPERTY_NAMES, probeSystem } from '../features/invariants.js';
import { parameterCount, speciesColumns } from './design.js';
import type { FeatureSet } from './feature-set.js';

/** Per candidate channel count, the parameters (of the K_max layout) of a model on that many channels. */
export interface ChannelChoice {
  channels: number[];
  columns: Int32Array[];
  /** Per block, the property labels of the K_max features' columns. */
  labels: number[][][];
}

/** Per block, the property labels of every column (K-channel expansions label their channels 0..K-1). */
function propertyLabels(features: FeatureSet): number[][][] {
  const probe = probeSystem(features.spec.species);
  return features.invariants.map((inv) => {
    const { properties } = inv.compute(probe, features.options());
    const w = properties.names.length;
    return Array.from({ length: properties.count }, (_, k) => Array.from(properties.values.subarray(k * w, (k + 1) * w)));
  });
}

const FIRST = INVARIANT_PROPERTY_NAMES.indexOf('neighbor_1_type');
const SECOND = INVARIANT_PROPERTY_NAMES.indexOf('neighbor_2_type');
const within = (label: number[], K: number) => label[FIRST] < K && label[SECOND] < K;

/** The feature columns (of the concatenated features) whose channels are all below K. */
function featureColumns(features: FeatureSet, labels: number[][][], K: number): number[] {
  const offsets = features.offsets;
  return labels.flatMap((block, b) => block.flatMap((label, k) => (within(label, K) ? [offsets[b] + k] : [])));
}

/** The candidates of the feature set's contraction, or null when there is nothing to choose. */
export function channelChoice(features: FeatureSet): ChannelChoice | null {
  const candidates = features.spec.contraction?.candidates;
  if (!candidates || candidates.length < 2) return null;
  const labels = propertyLabels(features);
  const columns = candidates.map((K) => {
    const kept = featureColumns(features, labels, K);
    // Each species' weights at those columns and its bias (shared weights: the same columns for all).
    const used = new Set(features.spec.species.flatMap((_, s) => {
      const { weights, bias } = speciesColumns(features, s);
      return [...kept.map((c) => weights + c), bias];
    }));
    return Int32Array.from([...used].sort((a, b) => a - b));
  });
  return { channels: [...candidates], columns, labels };
}

/**
 * The model on `K` channels: its feature set (features.withChannels) and its
 * parameters, read off a solution over the K_max layout whose other columns
 * are zero. Checks that the narrow set's columns are those columns, in order.
 */
export function narrowModel(features: FeatureSet, choice: ChannelChoice, K: number, parameters: Float64Array): { features: FeatureSet; parameters: Float64Array } {
  const c = choice.channels.indexOf(K);
  if (c < 0) throw new Error(`internal: ${K} channels is not a candidate`);
  if (K === features.spec.contraction!.channels) return { features, parameters };
  const narrow = features.withChannels(K);
  const expected = JSON.stringify(choice.labels.map((block) => block.filter((label) => within(label, K))));
  const same = JSON.stringify(propertyLabels(narrow)) === expected;
  if (!same || parameterCount(narrow) !== choice.columns[c].length) {
    throw new Error(`internal: the ${K}-channel features are not the matching columns of the ${features.spec.contraction!.channels}-channel ones`);
  }
  return { features: narrow, parameters: Float64Array.from(choice.columns[c], (j) => parameters[j]) };
}
