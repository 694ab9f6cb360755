// The multi-scale model end to end: the `multiscale` preset (SOAP + rho x V
// for each LODE exponent, here p = 1 and 6) plus a V x V ('lode') block, with
// random weights in a LinearModel and a SparseKernelModel: forces at every
// coordinate and the full stress against finite differences, periodic and
// molecular; the LODE on a mesh against the direct k sum; computeAsync, a
// save/load round trip and concurrent calls on one mesh model.
import { describe, expect, it } from 'vitest';
import {
  deserializeModel,
  FeatureSet,
  LinearModel,
  lodeHypers,
  normalizeRows,
  presetFeatures,
  serializeModel,
  SparseKernelModel,
  type FeatureSetSpec,
  type ForceFieldResult,
  type LodeSphericalExpansionHypers,
  type Model,
  type PresetOptions,
} from '../../lib/index.js';
import { checkForceField } from '../support/check-gradients.js';
import { relativeError, rmsForceDifference } from '../support/finite-differences.js';
import { differences } from '../support/reliability.js';
import { randomSystem, rng, TRICLINIC_CELL, type TestSystem } from '../support/random-systems.js';

const SPECIES = [11, 17];
const options: PresetOptions = { cutoff: 3.5, maxRadial: 1, maxAngular: 1, smearing: 1.2, exponents: [1, 6] };

/** The multiscale preset plus a V x V block of the p = 1 potential; every LODE with `method`. */
function spec(method: 'auto' | 'direct' | 'mesh', accuracy?: number): FeatureSetSpec {
  const preset = presetFeatures('multiscale', SPECIES, options);
  const withMethod = (h: LodeSphericalExpansionHypers): LodeSphericalExpansionHypers => ({
    ...h,
    basis: { ...h.basis, spline_accuracy: 1e-10 },
    method,
    ...(accuracy === undefined ? {} : { accuracy }),
  });
  const blocks = preset.blocks.map((b) => (b.kind === 'multiscale' ? { ...b, potential: withMethod(b.potential) } : b));
  blocks.push({ kind: 'lode', potential: withMethod(lodeHypers(options, 1)) });
  return { ...preset, blocks };
}

function features(method: 'auto' | 'direct' | 'mesh', accuracy?: number): FeatureSet {
  const f = new FeatureSet(spec(method, accuracy));
  const random = rng(5);
  f.scales = f.scales.map(() => 0.5 + random());
  return f;
}

function linearModel(f: FeatureSet, seed = 1): LinearModel {
  const random = rng(seed);
  const D = f.dimension;
  return new LinearModel(f, {
    weights: Float64Array.from({ length: SPECIES.length * D }, () => random() - 0.5),
    biases: Float64Array.from(SPECIES, () => random() - 0.5),
  });
}

/** Random-weight kernel model whose sparse points are the environments of `pool` (unit rows per species). */
function kernelModel(f: FeatureSet, pool: TestSystem, seed = 2): SparseKernelModel {
  const D = f.dimension;
  const { unit, norms } = normalizeRows(f.compute(pool).values, D);
  const rows: number[][] = SPECIES.map(() => []);
  Array.from(pool.types).forEach((z, i) => {
    if (norms[i] > 0) rows[SPECIES.indexOf(z)].push(...unit.subarray(i * D, (i + 1) * D));
  });
  const counts = rows.map((r) => r.length / D);
  const random = rng(seed);
  return new SparseKernelModel(f, {
    zeta: 2,
    counts,
    points: Float64Array.from(rows.flat()),
    weights: Float64Array.from({ length: counts.reduce((a, b) => a + b, 0) }, () => random() - 0.5),
    biases: Float64Array.from(SPECIES, () => random() - 0.5),
    linear: Float64Array.from({ length: SPECIES.length * D }, () => 0.3 * (random() - 0.5)),
  });
}

const salt = (seed: number, atoms: number, cell: number[] | null, box = 5) => {
  const s = randomSystem({ seed, atoms, types: SPECIES, ...(cell ? { cell } : { box }), minDistance: 1.6 });
  s.types = Int32Array.from({ length: atoms }, (_, i) => SPECIES[i % 2]);
  return s;
};
const periodic = salt(71, 8, TRICLINIC_CELL);
const molecule = salt(72, 6, null);
const pool = salt(73, 8, TRICLINIC_CELL);

const direct = features('direct');
const models: [string, Model][] = [
  ['linear', linearModel(direct)],
  ['sparse kernel (linear + kernel)', kernelModel(direct, pool)],
];

describe('multiscale preset with exponents [1, 6] and a V x V block', () => {
  it('has the blocks asked for: SOAP, rho x V for p = 1 and 6, V x V', () => {
    const s = spec('auto');
    expect(s.blocks.map((b) => b.kind)).toEqual(['soap', 'multiscale', 'multiscale', 'lode']);
    expect(s.blocks.flatMap((b) => ('potential' in b ? [b.potential.density.exponent] : []))).toEqual([1, 6, 1]);
    expect(direct.sizes.every((n) => n > 0)).toBe(true);
  });

  for (const [name, model] of models) {
    for (const [kind, system] of [['periodic', periodic], ['molecule', molecule]] as const) {
      it(`${name}: forces at every coordinate${kind === 'periodic' ? ' and the full stress' : ''} are the exact gradients (${kind})`, () => {
        checkForceField(model, system);
      });
    }

    it(`${name}: computeAsync equals compute bit for bit`, async () => {
      const sync = model.compute(periodic, { forces: true, stress: true, perAtom: true });
      const async_ = await model.computeAsync!(periodic, { forces: true, stress: true, perAtom: true });
      expect(async_.energy).toBe(sync.energy);
      for (const key of ['forces', 'stress', 'virial', 'energies'] as const) expect(differences(async_[key], sync[key]), key).toBe(0);
    });

    it(`${name}: a save/load round trip predicts the same numbers bit for bit`, () => {
      const loaded = deserializeModel(serializeModel(model, { note: 'multiscale' }), 'mem').model;
      expect(loaded.features.spec).toEqual(model.features.spec);
      expect(loaded.features.scales).toEqual(model.features.scales);
      for (const system of [periodic, molecule]) {
        const stress = system.cell !== null;
        const a = model.compute(system, { stress }), b = loaded.compute(system, { stress });
        expect(b.energy).toBe(a.energy);
        expect(differences(b.forces, a.forces)).toBe(0);
        if (stress) expect(differences(b.stress, a.stress)).toBe(0);
      }
    });
  }
});

describe('the LODE blocks on a mesh', () => {
  // a larger cell, so that the mesh has something to do
  const big = salt(74, 24, TRICLINIC_CELL.map((x) => 1.4 * x));
  const accuracy = 1e-8;
  const meshFeatures = features('mesh', accuracy);
  const onMesh: [string, Model][] = [
    ['linear', linearModel(meshFeatures)],
    ['sparse kernel (linear + kernel)', kernelModel(meshFeatures, pool)],
  ];

  onMesh.forEach(([name, mesh], k) => {
    it(`${name}: energy, forces and stress agree with the direct k sum to the mesh accuracy`, () => {
      const reference = models[k][1].compute(big, { stress: true });
      const r = mesh.compute(big, { stress: true });
      // the scales the mesh's accuracy does not know: the RMS of the direct
      // forces, and stress and energy per atom on the same footing
      const n = big.types.length;
      const rmsForce = Math.sqrt(reference.forces!.reduce((s, f) => s + f * f, 0) / n);
      expect(rmsForce).toBeGreaterThan(0);
      // the mesh error of the values is below `accuracy` relative to their
      // scale; the model's derivatives carry one more power of k (see
      // test/features/lode-mesh.test.ts, MESH_DERIVATIVE_FACTOR)
      expect(Math.abs(r.energy - reference.energy) / Math.abs(reference.energy)).toBeLessThan(20 * accuracy);
      expect(rmsForceDifference(r.forces!, reference.forces!) / rmsForce).toBeLessThan(20 * accuracy);
      expect(relativeError(r.stress!, reference.stress!)).toBeLessThan(20 * accuracy);
      // and the mesh model is not the direct one in disguise
      expect(r.energy).not.toBe(reference.energy);
    });

    it(`${name}: forces and stress are the exact gradients of the mesh model's energy`, () => {
      checkForceField(mesh, periodic);
    });
  });

  it('concurrent computeAsync calls on one mesh model equal sequential calls', async () => {
    const model = onMesh[0][1];
    const systems = [big, periodic, salt(75, 16, TRICLINIC_CELL.map((x) => 1.2 * x)), big];
    const sequential = systems.map((s) => model.compute(s, { stress: true }));
    const concurrent: ForceFieldResult[] = await Promise.all(systems.map((s) => model.computeAsync!(s, { stress: true })));
    // Not bit for bit: a mesh LODE keeps the centres' mesh values of the
    // system it computed last, and a backward pass from those sums in another
    // order than a cold one (differences of 1e-16 relative). A race between
    // the calls would show at the size of the values themselves.
    concurrent.forEach((r, k) => {
      expect(Math.abs(r.energy - sequential[k].energy) / Math.abs(sequential[k].energy), `system ${k}`).toBeLessThan(1e-13);
      expect(relativeError(r.forces!, sequential[k].forces!), `system ${k} forces`).toBeLessThan(1e-13);
      expect(relativeError(r.stress!, sequential[k].stress!), `system ${k} stress`).toBeLessThan(1e-13);
    });
  });
});
