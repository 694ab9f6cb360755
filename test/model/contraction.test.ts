// The channel contraction is a linear map of the expansion coefficients per l,
// so invariants of contracted expansions are quadratic forms of the
// uncontracted ones: a linear model on contracted features equals a linear
// model on the full features with expanded weights W_l = U_l^T W~_l U_l
// (U_a^T W~ U_b for rho x V). Checked on energies and on forces (which go
// through the contracted expansions' backward passes).
import { describe, expect, it } from 'vitest';
import {
  FeatureSet,
  fitLinearModel,
  LinearModel,
  loadModel,
  saveModel,
  type FeatureSetSpec,
  type SphericalExpansionHypers,
} from '../../lib/index.js';
import { ChannelMoments, leadingChannels, symmetricEigen } from '../../lib/model/contraction.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derivative, relativeError } from '../support/finite-differences.js';
import { randomSystem, rng, TRICLINIC_CELL } from '../support/random-systems.js';

const L = 3, N = 2; // max_angular 2, max_radial 1
const species = [1, 8];
const W = species.length * N;
const density: SphericalExpansionHypers = {
  cutoff: { radius: 4, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.5 },
  basis: { type: 'TensorProduct', max_angular: L - 1, radial: { type: 'Gto', max_radial: N - 1 } },
};
const potential = {
  density: { type: 'SmearedPowerLaw' as const, smearing: 1.2, exponent: 1 },
  basis: { type: 'TensorProduct' as const, max_angular: L - 1, radial: { type: 'Gto' as const, max_radial: N - 1, radius: 4 } },
};
const base: FeatureSetSpec = {
  species,
  blocks: [
    { kind: 'soap', hypers: density },
    { kind: 'multiscale', density, potential },
  ],
};

/** W x W matrix per l (row-major) from a contraction's K x W matrices. */
function matrix(m: Float64Array, K: number, l: number, k: number, w: number): number {
  return m[(l * K + k) * W + w];
}

/** Weights on the uncontracted features that give the same energies as `weights` on the contracted ones. */
function expandWeights(contracted: FeatureSet, full: FeatureSet, weights: Float64Array, K: number): Float64Array {
  const S = species.length;
  const out = new Float64Array(S * full.dimension);
  const probe = { positions: [[0, 0, 0]], types: [1], cell: [[20, 0, 0], [0, 20, 0], [0, 0, 20]] };
  const options = { neighborTypes: species };
  contracted.invariants.forEach((inv, b) => {
    const symmetric = contracted.spec.blocks[b].kind === 'soap';
    const [Ua, Ub] = [contracted.contractions![b][0], contracted.contractions![b][symmetric ? 0 : 1]];
    const small = inv.compute(probe, options).properties;
    const large = full.invariants[b].compute(probe, options).properties;
    for (let s = 0; s < S; s++) {
      // Full (non-symmetric-storage) K x K matrix per l of the contracted weights.
      const Wt = Array.from({ length: L }, () => new Float64Array(K * K));
      for (let p = 0; p < small.count; p++) {
        const [k1, k2, l] = small.values.subarray(5 * p, 5 * p + 3);
        const w = weights[s * contracted.dimension + contracted.offsets[b] + p];
        if (symmetric && k1 !== k2) Wt[l][k1 * K + k2] = Wt[l][k2 * K + k1] = w / Math.SQRT2;
        else Wt[l][k1 * K + k2] = w;
      }
      for (let p = 0; p < large.count; p++) {
        const [z1, z2, l, n1, n2] = large.values.subarray(5 * p, 5 * p + 5);
        const a = species.indexOf(z1) * N + n1, c = species.indexOf(z2) * N + n2;
        let sum = 0;
        for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) sum += matrix(Ua, K, l, i, a) * Wt[l][i * K + j] * matrix(Ub, K, l, j, c);
        out[s * full.dimension + full.offsets[b] + p] = symmetric && z1 !== z2 ? Math.SQRT2 * sum : sum;
      }
    }
  });
  return out;
}

describe('channel contraction', () => {
  const K = W; // full rank: the contraction loses nothing
  const random = rng(5);
  const contracted = new FeatureSet({ ...base, contraction: { channels: K } });
  contracted.setContractions(base.blocks.map((b) => (b.kind === 'soap' ? [1] : [1, 2]).map(() => Float64Array.from({ length: L * K * W }, () => random() - 0.5))));
  const full = new FeatureSet(base);
  const weights = Float64Array.from({ length: species.length * contracted.dimension }, () => random() - 0.5);
  const biases = Float64Array.of(0.3, -0.7);
  const small = new LinearModel(contracted, { weights, biases });
  const large = new LinearModel(full, { weights: expandWeights(contracted, full, weights, K), biases });

  const molecule = randomSystem({ seed: 3, atoms: 9, types: species, box: 5, minDistance: 1.1 });
  const periodic = randomSystem({ seed: 4, atoms: 10, types: species, cell: TRICLINIC_CELL, minDistance: 1.1 });
  for (const [name, system] of [['molecule', molecule], ['periodic', periodic]] as const) {
    it(`contracted model = uncontracted model with expanded weights: energy and forces (${name})`, () => {
      const a = small.compute(system, { forces: true });
      const b = large.compute(system, { forces: true });
      expect(Math.abs(a.energy - b.energy)).toBeLessThan(1e-10 * Math.max(1, Math.abs(b.energy)));
      expect(relativeError(a.forces!, b.forces!)).toBeLessThan(1e-10);
    });
  }

  it('forces of a contracted model are -dE/dr', () => {
    const r = small.compute(molecule, { forces: true });
    for (const k of [0, 13, 26]) {
      const fd = derivative((p) => small.compute({ ...molecule, positions: p }).energy, molecule.positions, k);
      expect(Math.abs(r.forces![k] + fd[0])).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd[0])));
    }
  });

  it('K channels give K(K+1)/2 x L rho x rho and K^2 x L rho x V features, whatever the species count', () => {
    const three = new FeatureSet({ ...base, species: [1, 6, 8], contraction: { channels: 3 } });
    expect(three.sizes).toEqual([6 * L, 9 * L]);
    expect(() => new FeatureSet({ ...base, contraction: { channels: 0 } })).toThrow(/features.contraction: expected \{channels: an integer >= 1\}/);
    expect(() => new FeatureSet({ ...base, contraction: { channels: W + 1 } })).toThrow(/channels: expected at most 4 \(2 species x 2 radial functions\), got 5/);
    expect(() => contracted.setContractions([[new Float64Array(3)], [new Float64Array(3), new Float64Array(3)]])).toThrow(
      /contractions\[0\]\[0\]: expected 48 finite numbers, got 3/,
    );
  });

  it('learns the leading channels of the data: a rank-1 moment matrix gives its own direction', () => {
    const shape = { angular: 1, types: 2, radial: 2 };
    const moments = new ChannelMoments(shape);
    // One l = 0 coefficient vector, repeated: the only direction with variance.
    moments.add(Float64Array.of(1, 2, 0, 0, 2, 4, 0, 0));
    const u = moments.contraction(1);
    // Type 0 alone carries weight here; the type scaling leaves its direction (1, 2)/sqrt(5).
    expect(Math.abs(u[0] / u[1] - 0.5)).toBeLessThan(1e-12);
    expect(Math.abs(u[2]) + Math.abs(u[3])).toBe(0);
    expect(Array.from(leadingChannels(shape, 2))).toEqual([1, 0, 0, 0, 0, 1, 0, 0]);
    const { values } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect(Array.from(values).sort()).toEqual([1, 3].map((v) => expect.closeTo(v, 12)));
  });

  it('a fit learns the contraction, and the model file keeps it', () => {
    const frames = Array.from({ length: 8 }, (_, k) => {
      const system = randomSystem({ seed: 40 + k, atoms: 7, types: species, box: 5, minDistance: 1.1 });
      return { system, energy: small.compute(system).energy, forces: small.compute(system, { forces: true }).forces! };
    });
    const { model } = fitLinearModel({ ...base, contraction: { channels: 3 } }, frames, { regularizations: [1e-8] });
    expect(model.features.contractions![1].length).toBe(2);
    const path = join(mkdtempSync(join(tmpdir(), 'lodestone-')), 'c.lsm');
    saveModel(path, model);
    const loaded = loadModel(path).model;
    // Not bit for bit: the molecular LODE tabulates its radial kernel up to
    // the largest distance seen so far, so a fresh expansion interpolates on
    // another grid (to the spline accuracy).
    const expected = model.compute(molecule).energy;
    expect(Math.abs(loaded.compute(molecule).energy - expected)).toBeLessThan(1e-8 * Math.abs(expected));
    expect(loaded.features.contractions).toEqual(model.features.contractions);
  });
});
