// What every per-centre calculator does around its native object: normalise
// the arguments (lib/core/request.ts), call the addon, label its dense output.
// A subclass supplies the native object and the names of its columns.
import { finiteBackward, toAdjoint, type Backward, type BackwardGradient } from '../core/backward.js';
import { makeLabels, type FeatureBlock } from '../core/labels.js';
import { prepare, type ComputeOptions } from '../core/request.js';
import type { System } from '../core/system.js';
import type { NativeExpansionResult, NativeInvariants, NativeRequest, NativeSystem } from '../native/types.js';

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
    const samples = makeLabels([request.sumCenters ? 'type' : 'sample', 'system', 'atom'], r.positionsGradientSamples);
    block.gradients.positions = { values: r.positionsGradient, shape: [samples.count, 3, P], samples };
  }
  if (request.strain) block.gradients.strain = { values: r.strainGradient, shape: [r.nSamples, 3, 3, P] };
  if (request.cell) block.gradients.cell = { values: r.cellGradient, shape: [r.nSamples, 3, 3, P] };
  return block;
}

export interface BackwardOptions extends Omit<ComputeOptions, 'gradients'> {
  /**
   * The derivatives to return, default both. One left out comes back as an
   * empty array and costs nothing: MD without a barostat needs no strain,
   * and for the k-space LODE sum the strain is a second product as large
   * as the forces' one.
   */
  gradients?: readonly BackwardGradient[];
}

const BACKWARD_GRADIENTS: readonly BackwardGradient[] = ['positions', 'strain'];

/** The compute options of a backward pass, its gradients checked. */
export function backwardOptions(options: BackwardOptions): ComputeOptions {
  const gradients = options.gradients ?? BACKWARD_GRADIENTS;
  if (!Array.isArray(gradients) || !gradients.every((g) => BACKWARD_GRADIENTS.includes(g))) {
    throw new Error(`options.gradients: a backward pass returns ${BACKWARD_GRADIENTS.join(' and ')}; got ${JSON.stringify(gradients)}`);
  }
  return { ...options, gradients };
}

/** A calculator whose blocks are labelled by the subclass (those with component axes). */
export abstract class LabelledCalculator<N extends NativeCalculator<B>, B extends Backward, Block extends FeatureBlock<number[]>> {
  /**
   * @param handle the addon object
   * @param propertyNames names of the columns' labels
   * @param adjointName how errors name the backward pass's input
   */
  protected constructor(
    protected readonly handle: N,
    protected readonly propertyNames: readonly string[],
    private readonly adjointName = 'dL/dx',
  ) {}

  /** Labels the addon's output. */
  protected abstract toBlock(r: NativeExpansionResult, request: NativeRequest): Block;

  /** Values and the requested gradient tensors. */
  compute(systems: System | readonly System[], options: ComputeOptions = {}): Block {
    const { systems: s, request } = prepare(systems, options);
    return this.toBlock(this.handle.compute(s, request), request);
  }

  /** Same as compute, off the main thread. */
  async computeAsync(systems: System | readonly System[], options: ComputeOptions = {}): Promise<Block> {
    const { systems: s, request } = prepare(systems, options);
    return this.toBlock(await this.handle.computeAsync(s, request), request);
  }

  /**
   * Vector-Jacobian product: given dL/dx laid out like compute()'s values
   * ([samples x properties], or with the component axes between; same
   * systems and options), returns dL/dr per
   * atom ([atoms of all systems] x 3) and dL/dstrain per system (9 each),
   * without forming dx/dr; `options.gradients` picks one of the two.
   */
  backward(systems: System | readonly System[], dLdx: ArrayLike<number>, options: BackwardOptions = {}): B {
    const { systems: s, request } = prepare(systems, backwardOptions(options));
    const adjoint = toAdjoint(dLdx, this.adjointName);
    return finiteBackward(this.handle.backward(s, request, adjoint), [adjoint], () => this.adjointName);
  }

  /**
   * Same as backward, off the main thread where the addon offers it (the
   * invariants); the expansions' native backward runs on the calling thread
   * and this returns its result as a promise.
   */
  async backwardAsync(
    systems: System | readonly System[],
    dLdx: ArrayLike<number>,
    options: BackwardOptions = {},
  ): Promise<B> {
    const { systems: s, request } = prepare(systems, backwardOptions(options));
    const adjoint = toAdjoint(dLdx, this.adjointName);
    const out = this.handle.backwardAsync ? await this.handle.backwardAsync(s, request, adjoint) : this.handle.backward(s, request, adjoint);
    return finiteBackward(out, [adjoint], () => this.adjointName);
  }
}

/** A calculator of [samples, properties] blocks. */
export abstract class Calculator<N extends NativeCalculator<B>, B extends Backward = Backward> extends LabelledCalculator<N, B, FeatureBlock> {
  protected toBlock(r: NativeExpansionResult, request: NativeRequest): FeatureBlock {
    return toFeatureBlock(r, request, this.propertyNames);
  }
}

/** The native side of a pair calculator's linear models (Invariants, EquivariantInvariants). */
export type NativeWeighted = Pick<NativeInvariants, 'computeWeighted' | 'backwardWeighted'>;

/**
 * y[sample][component] = weights[species[sample]] . x[sample][component]
 * ([samples][components]; weights [species][properties]): a linear model on
 * a calculator's values without the values (as large as a design matrix)
 * crossing to JS.
 */
export function computeWeighted(handle: NativeWeighted, systems: System | readonly System[], weights: Float64Array, species: Int32Array, options: ComputeOptions = {}): Float64Array {
  const { systems: s, request } = prepare(systems, options);
  return handle.computeWeighted(s, request, weights, species);
}

/** The backward pass of computeWeighted, from dL/dy laid out like y. */
export function backwardWeighted(
  handle: NativeWeighted,
  systems: System | readonly System[],
  weights: Float64Array,
  species: Int32Array,
  dLdy: ArrayLike<number>,
  options: BackwardOptions = {},
): Backward {
  const { systems: s, request } = prepare(systems, backwardOptions(options));
  const adjoint = toAdjoint(dLdy, 'dL/dy');
  return finiteBackward(handle.backwardWeighted(s, request, weights, species, adjoint), [adjoint], () => 'dL/dy');
}
