// Labelled dense arrays returned by every calculator.

/** Row-major integer labels: `values[i * names.length + k]` is entry `names[k]` of row i. */
export interface Labels {
  names: readonly string[];
  values: Int32Array;
  count: number;
}

export type GradientKind = 'positions' | 'strain' | 'cell';

export interface Gradient {
  /** Row-major values. */
  values: Float64Array;
  /** positions: [gradient samples, 3, properties]; strain and cell: [samples, 3, 3, properties]. */
  shape: number[];
  /** positions only: (sample, system, atom) of each gradient row. */
  samples?: Labels;
}

/**
 * Features of many centres: values [samples, properties] with labels, or
 * [samples, components..., properties] for features with component axes.
 */
export interface FeatureBlock<Shape extends number[] = [number, number]> {
  values: Float64Array;
  shape: Shape;
  samples: Labels;
  /** Axes between samples and properties (o3_mu of equivariants); absent for invariant features. */
  components?: Labels[];
  properties: Labels;
  gradients: Partial<Record<GradientKind, Gradient>>;
}

/**
 * Equivariants of order lambda: values [samples, 2 lambda + 1, properties],
 * one component axis o3_mu = -lambda..lambda; gradients keep it just before
 * the properties (positions [rows, 3, 2 lambda + 1, properties], strain and
 * cell [samples, 3, 3, 2 lambda + 1, properties]).
 */
export interface EquivariantBlock extends FeatureBlock<[number, number, number]> {
  components: [Labels];
}

export function makeLabels(names: readonly string[], values: Int32Array): Labels {
  return { names, values, count: names.length ? values.length / names.length : 0 };
}

/** Column index of a property with the given label values, or -1. */
export function findLabel(labels: Labels, entry: readonly number[]): number {
  const w = labels.names.length;
  outer: for (let i = 0; i < labels.count; i++) {
    for (let k = 0; k < w; k++) if (labels.values[i * w + k] !== entry[k]) continue outer;
    return i;
  }
  return -1;
}
