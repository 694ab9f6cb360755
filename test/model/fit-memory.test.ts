// A fit's normal equations are n x n native matrices that the garbage
// collector does not see: the fit frees each one as soon as it is done with
// it (NormalEquations.release), so at most the folds' own and one more (a
// fold's complement, then the final sum) live at once, as the memory plan
// counts (fitMemory). Left to the collector, every complement of the scan stayed
// alive: a 13 505-parameter fit of the memory plan's 10.1 GiB peaked at
// 13.6 GiB.
import { afterEach, describe, expect, it } from 'vitest';
import { FeatureSet, fitLinearModel, LinearModel } from '../../lib/index.js';
import { native } from '../../lib/native/addon.js';
import type { NativeNormalEquations } from '../../lib/native/types.js';
import { randomSystem, rng } from '../support/random-systems.js';
import { smallSoap } from '../support/small-hypers.js';

const Original = native.NormalEquations;
afterEach(() => {
  native.NormalEquations = Original;
});

/** Replaces the native class by one that counts the matrices alive (constructed, not yet released). */
function countLive(): { peak: () => number; live: () => number } {
  let live = 0;
  let peak = 0;
  native.NormalEquations = class extends (Original as unknown as new (n: number) => NativeNormalEquations) {
    constructor(n: number) {
      super(n);
      peak = Math.max(peak, ++live);
    }
    release(): void {
      live--;
      super.release();
    }
  } as unknown as typeof Original;
  return { peak: () => peak, live: () => live };
}

describe('memory of a fit', () => {
  it('a released NormalEquations refuses further use with a clear error', () => {
    const equations = new native.NormalEquations(3);
    equations.add(Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), Float64Array.of(1, 2, 3));
    expect(Array.from(equations.solve(0, 'absolute'))).toEqual([1, 2, 3]);
    equations.release();
    expect(() => equations.solve(0, 'absolute')).toThrow(/normal equations: already released/);
    expect(() => equations.add(Float64Array.of(1, 0, 0), Float64Array.of(1))).toThrow(/already released/);
    expect(() => new native.NormalEquations(3).merge(equations)).toThrow(/already released/);
    expect(() => equations.residual(new Float64Array(3))).toThrow(/already released/);
  });

  it('a cross-validated fit keeps at most folds + 1 sets of normal equations alive', () => {
    const spec = { species: [11, 17], blocks: [{ kind: 'soap' as const, hypers: smallSoap() }] };
    const random = rng(5);
    const truth = new LinearModel(new FeatureSet(spec), {
      weights: Float64Array.from({ length: 2 * new FeatureSet(spec).dimension }, () => random() - 0.5),
      biases: new Float64Array(2),
    });
    const frames = Array.from({ length: 10 }, (_, k) => {
      const system = randomSystem({ seed: 40 + k, atoms: 8, types: [11, 17], minDistance: 1.8 });
      const r = truth.compute(system, { forces: true });
      return { system, energy: r.energy, forces: r.forces! };
    });
    const folds = 4;
    const counter = countLive();
    fitLinearModel(spec, frames, { folds, regularizations: [1e-9, 1e-6, 1e-3] });
    // The folds' own stay until the fit returns (their errors are read last).
    expect(counter.peak()).toBe(folds + 1);
  });
});
