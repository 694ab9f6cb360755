// The local atom-density (SOAP) expansion c[i][(l, m, neighbor_type, n)].
import { parseSphericalExpansionHypers, type SphericalExpansionHypers } from '../core/hypers.js';
import { makeLabels, type FeatureBlock } from '../core/labels.js';
import { native, type NativeExpansion, type NativeExpansionResult, type NativeRequest } from '../native/addon.js';
import { prepare, type ComputeOptions } from '../core/request.js';
import type { System } from '../core/system.js';
import { toAdjoint, type Backward } from '../core/backward.js';

/** Converts the addon's dense output to a labelled block. */
export function toFeatureBlock(r: NativeExpansionResult, request: NativeRequest, propertyNames: readonly string[]): FeatureBlock {
  const P = r.nProperties;
  const block: FeatureBlock = {
    values: r.values,
    shape: [r.nSamples, P],
    samples: makeLabels(['system', 'atom'], r.samples),
    properties: makeLabels(propertyNames, r.properties),
    gradients: {},
  };
  if (request.positions) {
    const samples = makeLabels(['sample', 'system', 'atom'], r.positionsGradientSamples);
    block.gradients.positions = { values: r.positionsGradient, shape: [samples.count, 3, P], samples };
  }
  if (request.strain) block.gradients.strain = { values: r.strainGradient, shape: [r.nSamples, 3, 3, P] };
  if (request.cell) block.gradients.cell = { values: r.cellGradient, shape: [r.nSamples, 3, 3, P] };
  return block;
}

/**
 * Spherical expansion of the smooth Gaussian atom density around each centre
 * on a GTO x real-spherical-harmonics basis (featomic's SphericalExpansion).
 * Columns are (l, m, neighbor_type, n) row-major. Lengths in A.
 */
export class SphericalExpansion {
  readonly hypers: SphericalExpansionHypers;
  /** @internal the addon object, shared with invariants built on this expansion. */
  readonly calculator: NativeExpansion;

  constructor(hypers: SphericalExpansionHypers) {
    const parsed = parseSphericalExpansionHypers(hypers);
    this.hypers = structuredClone(hypers);
    this.calculator = new native.SphericalExpansion(parsed);
  }

  compute(systems: System | readonly System[], options: ComputeOptions = {}): FeatureBlock {
    const { systems: s, request } = prepare(systems, options);
    return toFeatureBlock(this.calculator.compute(s, request), request, ['l', 'm', 'neighbor_type', 'n']);
  }

  /**
   * Vector-Jacobian product: given dL/dc for every row of compute()'s values
   * (same systems and options), returns dL/dr per atom ([atoms of all
   * systems] x 3) and dL/dstrain per system (9 each), without forming dc/dr.
   */
  backward(systems: System | readonly System[], dLdc: Float64Array, options: Omit<ComputeOptions, 'gradients'> = {}): Backward {
    const { systems: s, request } = prepare(systems, { ...options, gradients: ['positions', 'strain'] });
    return this.calculator.backward(s, request, toAdjoint(dLdc));
  }

  /** Same as compute, off the main thread. */
  async computeAsync(systems: System | readonly System[], options: ComputeOptions = {}): Promise<FeatureBlock> {
    const { systems: s, request } = prepare(systems, options);
    return toFeatureBlock(await this.calculator.computeAsync(s, request), request, ['l', 'm', 'neighbor_type', 'n']);
  }
}
