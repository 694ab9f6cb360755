import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FeatureSet,
  fitTensorModel,
  loadModel,
  loadTensorModel,
  presetFeatures,
  saveModel,
  saveTensorModel,
  TensorModel,
  LinearModel,
  type FeatureSetSpec,
  type TensorFrame,
  type TensorTarget,
} from '../../lib/index.js';
import { OrderFeatures } from '../../lib/model/tensor/model.js';
import { kernelInputs, selectEnvironments } from '../../lib/model/tensor/kernel.js';
import { targetOrders } from '../../lib/model/tensor/target.js';
import { randomRotation, randomSystem, rng, rotate, type TestSystem } from '../support/random-systems.js';

const SPECIES = [18, 36];
const HYPERS = { cutoff: 3.5, maxRadial: 2, maxAngular: 2 };
const local = (): FeatureSetSpec => presetFeatures('local', SPECIES, HYPERS);
const multiscale = (): FeatureSetSpec => presetFeatures('multiscale', SPECIES, { ...HYPERS, longRange: 'field' });
const dir = mkdtempSync(join(tmpdir(), 'lodestone-tensor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model with random weights (and scales near 1) on these features. */
function randomModel(target: TensorTarget, spec: FeatureSetSpec, seed: number): TensorModel {
  const features = new FeatureSet(spec);
  const random = rng(seed);
  const parameters = targetOrders(target).map((lambda) => {
    const order = new OrderFeatures(features, lambda);
    return {
      lambda,
      scales: order.sizes.map(() => 0.5 + random()),
      weights: Float64Array.from({ length: SPECIES.length * order.dimension }, () => random() - 0.5),
      biases: Float64Array.from(SPECIES, () => (lambda === 0 ? random() : 0)),
    };
  });
  return new TensorModel(target, features, parameters);
}

function cluster(seed: number, atoms = 9): TestSystem {
  return randomSystem({ seed, atoms, types: SPECIES, box: 7, minDistance: 2.2 });
}

/** R t for a vector, R t R^T for a 3x3 tensor. */
function rotateTarget(t: ArrayLike<number>, R: Float64Array): Float64Array {
  if (t.length === 3) return rotate(t, R);
  const out = new Float64Array(9);
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++) {
      let s = 0;
      for (let c = 0; c < 3; c++) for (let d = 0; d < 3; d++) s += R[3 * a + c] * t[3 * c + d] * R[3 * b + d];
      out[3 * a + b] = s;
    }
  return out;
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0, diff = 0;
  for (let k = 0; k < a.length; k++) {
    scale = Math.max(scale, Math.abs(b[k]));
    diff = Math.max(diff, Math.abs(a[k] - b[k]));
  }
  return diff / scale;
}

/** A kernel part on the local block of `model`'s orders, sparse environments from `systems`, random weights. */
function withRandomKernel(model: TensorModel, systems: TestSystem[], seed: number): TensorModel {
  const random = rng(seed);
  const parameters = model.parameters.map((p, k) => {
    // Features of their own: the model's LODE engines then see only what it predicts (their
    // real-space tables grow with the largest molecule met, which moves the last digits).
    const features = new FeatureSet(model.features.spec);
    const order = new OrderFeatures(features, p.lambda, model.isotropic);
    const inputs = systems.map((s) => kernelInputs(order, features, s, order.values(s, features.spec.species)));
    const kernel = selectEnvironments(order, features, inputs, 4, 2);
    return { ...p, kernel: { ...kernel, weights: Float64Array.from({ length: kernel.species.length * (2 * p.lambda + 1) }, () => random() - 0.5) } };
  });
  return new TensorModel(model.target, model.features, parameters, model.isotropic);
}

describe('tensor models', () => {
  for (const target of ['dipole', 'polarizability'] as const) {
    for (const [name, spec] of [['local', local], ['multiscale', multiscale]] as const) {
      it(`${target}, ${name}: the prediction of a rotated system is the rotated prediction`, () => {
        const model = randomModel(target, spec(), 3);
        const system = cluster(5);
        const before = model.predict(system);
        for (const seed of [1, 2]) {
          const R = randomRotation(seed);
          const after = model.predict({ ...system, positions: rotate(system.positions, R) });
          expect(maxRelative(after, rotateTarget(before, R))).toBeLessThan(1e-12);
        }
        // and a translation changes nothing
        const moved = model.predict({ ...system, positions: system.positions.map((v, k) => v + [1.3, -0.7, 2.1][k % 3]) });
        expect(maxRelative(moved, before)).toBeLessThan(1e-12);
      });
    }
  }

  for (const target of ['dipole', 'polarizability'] as const) {
    it(`${target} with a lambda-SOAP kernel part: rotations, translations, and a save/load round trip`, () => {
      const model = withRandomKernel(randomModel(target, multiscale(), 21), [cluster(30), cluster(31)], 3);
      expect(model.parameters.every((p) => p.kernel && p.kernel.species.length > 0)).toBe(true);
      const system = cluster(32);
      const before = model.predict(system);
      const R = randomRotation(9);
      expect(maxRelative(model.predict({ ...system, positions: rotate(system.positions, R) }), rotateTarget(before, R))).toBeLessThan(1e-12);
      // the kernel part is not zero: without it the prediction changes
      const linear = new TensorModel(target, model.features, model.parameters.map(({ kernel: _, ...p }) => p), model.isotropic);
      expect(maxRelative(linear.predict(system), before)).toBeGreaterThan(1e-6);
      const path = join(dir, `${target}-kernel.lsm`);
      saveTensorModel(path, model);
      expect(Array.from(loadTensorModel(path).model.predict(system))).toEqual(Array.from(before));
    });
  }

  // In two stages the kernel fits what the linear part leaves, so it cannot
  // undo what the linear part took of a kernel target: better, not exact.
  it('on a target made by a kernel of the same environments the kernel stage is kept and validates better than the linear part alone', () => {
    const train = Array.from({ length: 60 }, (_, k) => cluster(300 + k, 6 + (k % 4)));
    // The same 4 environments per species as the fit will choose (farthest-point sampling is deterministic).
    const teacher = withRandomKernel(randomModel('dipole', local(), 5), train, 6);
    // Only the kernel part: zero linear weights.
    const kernelOnly = new TensorModel('dipole', teacher.features, teacher.parameters.map((p) => ({ ...p, weights: new Float64Array(p.weights.length) })), 'local');
    const frames = train.map((system) => ({ system, target: kernelOnly.predict(system) }));
    const linear = fitTensorModel({ target: 'dipole', features: local() }, frames);
    const kernel = fitTensorModel({ target: 'dipole', features: local(), kernel: { sparsePoints: 4 } }, frames);
    expect(kernel.report.orders[0].kernel!.regularization).not.toBe(Infinity);
    expect(kernel.report.validation.rmsePerAtom).toBeLessThan(0.8 * linear.report.validation.rmsePerAtom);
    let kernelError = 0, linearError = 0;
    for (const seed of [990, 991, 992, 993]) {
      const unseen = cluster(seed, 8);
      const reference = kernelOnly.predict(unseen);
      kernelError += maxRelative(kernel.model.predict(unseen), reference);
      linearError += maxRelative(linear.model.predict(unseen), reference);
    }
    expect(kernelError).toBeLessThan(linearError);
  });

  it('a polarizability prediction is symmetric', () => {
    const p = randomModel('polarizability', multiscale(), 4).predict(cluster(6));
    for (const [a, b] of [[1, 3], [2, 6], [5, 7]]) expect(p[a]).toBe(p[b]);
  });

  it('fitting targets made by a model with the same features recovers its predictions on new systems', () => {
    for (const target of ['dipole', 'polarizability'] as const) {
      // Few features (maxRadial 1), many more rows than parameters: the fit is determined.
      const small = () => presetFeatures('multiscale', SPECIES, { ...HYPERS, maxRadial: 1, longRange: 'field' });
      const teacher = randomModel(target, small(), 11);
      const frames: TensorFrame[] = Array.from({ length: 150 }, (_, k) => {
        const system = cluster(100 + k, 6 + (k % 5));
        return { system, target: teacher.predict(system) };
      });
      const { model, report } = fitTensorModel({ target, features: small(), isotropic: 'local' }, frames, { regularizations: [1e-12, 1e-10, 1e-8, 1e-4] });
      expect(report.orders.map((o) => o.lambda)).toEqual(targetOrders(target));
      expect(report.validation.rmsePerAtom).toBeLessThan(1e-5 * Math.sqrt(frames.reduce((s, f) => s + Array.from(f.target).reduce((a, v) => a + v * v, 0), 0) / frames.length));
      for (const seed of [900, 901]) {
        const system = cluster(seed, 8);
        expect(maxRelative(model.predict(system), teacher.predict(system))).toBeLessThan(1e-6);
      }
    }
  });

  it('cross-validation picks a larger regularisation for noisy targets than for exact ones', () => {
    const teacher = randomModel('dipole', local(), 12);
    const random = rng(5);
    const make = (noise: number): TensorFrame[] =>
      Array.from({ length: 30 }, (_, k) => {
        const system = cluster(200 + k, 7);
        return { system, target: teacher.predict(system).map((v) => v + noise * (random() - 0.5)) };
      });
    const exact = fitTensorModel({ target: 'dipole', features: local() }, make(0)).report.orders[0].regularization;
    const noisy = fitTensorModel({ target: 'dipole', features: local() }, make(50)).report.orders[0].regularization;
    expect(noisy).toBeGreaterThan(exact);
  });

  it('saves and loads bit-exactly, and each loader refuses the other kind of file', () => {
    const model = randomModel('polarizability', multiscale(), 8);
    const path = join(dir, 'alpha.lsm');
    saveTensorModel(path, model);
    const system = cluster(9);
    expect(Array.from(loadTensorModel(path).model.predict(system))).toEqual(Array.from(model.predict(system)));
    expect(() => loadModel(path)).toThrow(/holds a tensor model \(polarizability\).*loadTensorModel/);
    const features = new FeatureSet(local());
    const energyPath = join(dir, 'energy.lsm');
    saveModel(energyPath, new LinearModel(features, { weights: new Float64Array(2 * features.dimension), biases: new Float64Array(2) }));
    expect(() => loadTensorModel(energyPath)).toThrow(/holds a linear potential, not a tensor model/);
  });

  it('rejects bad targets and specs with clear errors', () => {
    const system = cluster(1);
    const fit = (target: unknown, frames: unknown[], extra = {}) => () =>
      fitTensorModel({ target: target as TensorTarget, features: local(), ...extra }, frames as TensorFrame[]);
    expect(fit('quadrupole', [{ system, target: [1, 2, 3] }])).toThrow(/spec.target: expected one of dipole, polarizability/);
    expect(fit('dipole', [{ system, target: [1, 2] }, { system, target: [1, 2, 3] }])).toThrow(/frames\[0\]\.target: expected 3 numbers/);
    expect(fit('polarizability', [{ system, target: [1, 0, 0, 0.5, 1, 0, 0, 0, 1] }, { system, target: [1, 0, 0, 0, 1, 0, 0, 0, 1] }])).toThrow(/frames\[0\]\.target: expected a symmetric tensor/);
    expect(fit('dipole', [{ system, target: [1, 2, 3] }, { system, target: [1, 2, 3] }], { isotropic: 'some' })).toThrow(/isotropic: expected local or all/);
    expect(fit('dipole', [{ system: { ...system, types: Int32Array.of(18, 10, ...system.types.slice(2)) }, target: [1, 2, 3] }])).toThrow(/frames\[0\]\.system.types\[1\]: atomic number 10 is unknown/);
    const withBaseline = { ...local(), baseline: { kind: 'ewald' as const, charges: { 18: 0, 36: 0 } } };
    expect(() => fitTensorModel({ target: 'polarizability', features: withBaseline }, [{ system, target: [1, 0, 0, 0, 1, 0, 0, 0, 1] }])).toThrow(/only a 'charges' baseline, and only for a dipole/);
    expect(() => new OrderFeatures(new FeatureSet({ species: SPECIES, blocks: multiscale().blocks.slice(1) }), 0)).toThrow(/isotropic: 'local' takes the 'soap' blocks/);
  });
});
