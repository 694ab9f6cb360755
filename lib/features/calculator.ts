// What every per-centre calculator does around its native object: normalise
// the arguments (lib/core/request.ts), call the addon, label its dense output.
// A subclass supplies the native object and the names of its columns.
import { toAdjoint, type Backward } from '../core/backward.js';
import { makeLabels, type FeatureBlock } from '../core/labels.js';
import { prepare, type ComputeOptions } from '../core/request.js';
import type { System } from '../core/system.js';
import type { NativeExpansionResult, NativeRequest, NativeSystem } from '../native/types.js';

/** The native side of a calculator: values, gradients and the backward pass. */
export interface NativeCalculator<B extends Backward> {
  compute(systems: NativeSystem[], request: NativeRequest): NativeExpansionResult;
  computeAsync(systems: NativeSystem[], request: NativeRequest): Promise<NativeExpansionResult>;
  backward(systems: NativeSystem[], request: NativeRequest, dLdx: Float64Array): B;
  /** Absent when the addon runs this calculator's backward pass only on the calling thread. */
  backwardAsync?(systems: NativeSystem[], request: NativeRequest, dLdx: Float64Array): Promise<B>;
}

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

// The backward pass needs the positions and strain derivatives, whatever
// compute() was asked for.
const BACKWARD_GRADIENTS = ['positions', 'strain'] as const;

export abstract class Calculator<N extends NativeCalculator<B>, B extends Backward = Backward> {
  /**
   * @param handle the addon object
   * @param propertyNames names of the columns' labels
   * @param adjointName how errors name the backward pass's input
   */
  protected constructor(
    protected readonly handle: N,
    private readonly propertyNames: readonly string[],
    private readonly adjointName = 'dL/dx',
  ) {}

  /** Values and the requested gradient tensors. */
  compute(systems: System | readonly System[], options: ComputeOptions = {}): FeatureBlock {
    const { systems: s, request } = prepare(systems, options);
    return toFeatureBlock(this.handle.compute(s, request), request, this.propertyNames);
  }

  /** Same as compute, off the main thread. */
  async computeAsync(systems: System | readonly System[], options: ComputeOptions = {}): Promise<FeatureBlock> {
    const { systems: s, request } = prepare(systems, options);
    return toFeatureBlock(await this.handle.computeAsync(s, request), request, this.propertyNames);
  }

  /**
   * Vector-Jacobian product: given dL/dx for every row of compute()'s values
   * ([samples x properties], same systems and options), returns dL/dr per
   * atom ([atoms of all systems] x 3) and dL/dstrain per system (9 each),
   * without forming dx/dr.
   */
  backward(systems: System | readonly System[], dLdx: ArrayLike<number>, options: Omit<ComputeOptions, 'gradients'> = {}): B {
    const { systems: s, request } = prepare(systems, { ...options, gradients: BACKWARD_GRADIENTS });
    return this.handle.backward(s, request, toAdjoint(dLdx, this.adjointName));
  }

  /**
   * Same as backward, off the main thread where the addon offers it (the
   * invariants); the expansions' native backward runs on the calling thread
   * and this returns its result as a promise.
   */
  async backwardAsync(
    systems: System | readonly System[],
    dLdx: ArrayLike<number>,
    options: Omit<ComputeOptions, 'gradients'> = {},
  ): Promise<B> {
    const { systems: s, request } = prepare(systems, { ...options, gradients: BACKWARD_GRADIENTS });
    const adjoint = toAdjoint(dLdx, this.adjointName);
    return this.handle.backwardAsync ? this.handle.backwardAsync(s, request, adjoint) : this.handle.backward(s, request, adjoint);
  }
}
