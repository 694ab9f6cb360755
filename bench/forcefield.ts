// ForceField energy + forces per step (an MD step), and with the stress: local and
// multi-scale linear models on NaCl boxes of 64, 216 and 1728 ions, the
// multi-scale one also with LODE method 'split', with four species (every
// second Na made Li and Cl made F: the presets contract the channels of 3 or
// more species, and the mesh transforms the contracted ones) and as a
// sparse-kernel model (kernel on the SOAP block, 200 sparse points per
// species, the default of fits). The weights and sparse points are random:
// the cost does not depend on their values. LODESTONE_BENCH_VARIANTS (names
// separated by ';') runs some of the variants only. With LAMMPS installed,
// the classical force field the models learn (Tosi-Fumi + Ewald 1e-6 or
// PPPM 1e-5, one core) runs MD on the same structures in the same table.
import {
  DEFAULT_SPARSE_POINTS,
  FeatureSet,
  kernelView,
  LinearModel,
  presetFeatures,
  setNumThreads,
  SparseKernelModel,
  type LodeSphericalExpansionHypers,
  type PresetName,
} from '../lib/index.js';
import { rockSalt216 } from './md.js';
import { hasLammps, lammpsSeconds, TOSI_FUMI } from './support/lammps.js';
import { lcg } from './support/random.js';
import { moltenNaCl } from './support/structures.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';

/**
 * The presets, and the multi-scale one with its LODE method overridden:
 * 'split' sums the field to convergence (accuracy 1e-6, or 1e-4: about the
 * band limit of the default direct sum, whose k_cutoff 1.2 pi / smearing
 * leaves out ~1e-4 of the field).
 */
const VARIANTS: { name: string; preset: PresetName; lode?: Partial<LodeSphericalExpansionHypers>; species?: number[]; kernel?: boolean }[] = [
  { name: 'local', preset: 'local' },
  { name: 'multiscale', preset: 'multiscale' },
  { name: 'multiscale, sparse-kernel', preset: 'multiscale', kernel: true },
  { name: 'multiscale, 4 species', preset: 'multiscale', species: [3, 9, 11, 17] },
  { name: "multiscale, LODE 'split' 1e-6", preset: 'multiscale', lode: { method: 'split', accuracy: 1e-6 } },
  { name: "multiscale, LODE 'split' 1e-4", preset: 'multiscale', lode: { method: 'split', accuracy: 1e-4 } },
];

function randomModel(preset: PresetName, lode?: Partial<LodeSphericalExpansionHypers>, species = [11, 17], kernel = false): LinearModel | SparseKernelModel {
  const spec = presetFeatures(preset, species);
  if (lode) {
    spec.blocks = spec.blocks.map((b) => (b.kind === 'multiscale' ? { ...b, potential: { ...(b.potential as LodeSphericalExpansionHypers), ...lode } } : b));
  }
  const features = new FeatureSet(spec);
  const random = lcg(7);
  const weights = Float64Array.from({ length: species.length * features.dimension }, () => 1e-3 * (random() - 0.5));
  const biases = new Float64Array(species.length);
  if (!kernel) return new LinearModel(features, { weights, biases });
  const blocks = [features.spec.blocks.findIndex((b) => b.kind === 'soap')];
  const KD = kernelView(features, blocks).dimension;
  const M = DEFAULT_SPARSE_POINTS * species.length;
  const points = Float64Array.from({ length: M * KD }, () => random());
  for (let m = 0; m < M; m++) {
    const row = points.subarray(m * KD, (m + 1) * KD);
    const norm = Math.hypot(...row);
    for (let k = 0; k < KD; k++) row[k] /= norm;
  }
  const counts = species.map(() => DEFAULT_SPARSE_POINTS);
  return new SparseKernelModel(features, { zeta: 2, counts, points, weights: Float64Array.from({ length: M }, () => random() - 0.5), biases, linear: weights, kernelBlocks: blocks });
}

/** Every second Na (11) made Li (3) and every second Cl (17) made F (9). */
function fourSpecies(types: ArrayLike<number>): Int32Array {
  return Int32Array.from(types, (t, i) => (i % 2 === 0 ? (t === 11 ? 3 : 9) : t));
}

/** Positions displaced by up to 1e-3 A from `start`, fresh at every call. */
function jiggle(start: Float64Array): () => Float64Array {
  const random = lcg(11);
  return () => Float64Array.from(start, (x) => x + 2e-3 * (random() - 0.5));
}

export async function run(quick: boolean): Promise<Row[]> {
  const systems = [moltenNaCl(1), rockSalt216(), ...(quick ? [] : [moltenNaCl(3)])];
  const rows: Row[] = [];
  const only = process.env.LODESTONE_BENCH_VARIANTS?.split(';');
  for (const variant of VARIANTS) {
    if (only && !only.includes(variant.name)) continue;
    const model = randomModel(variant.preset, variant.lode, variant.species, variant.kernel);
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      for (const { name, ...plain } of systems) {
        const system = variant.species ? { ...plain, types: fourSpecies(plain.types) } : plain;
        const options = { runs: quick ? 3 : 5, warmup: 1 };
        // Each call moves the atoms a little, as an MD step does: a model may
        // reuse work between the calls of one step, never across steps.
        const step = jiggle(system.positions as Float64Array);
        // An MD step without a barostat asks for energy and forces only, as LAMMPS computes the virial only when asked.
        const t = await time(() => model.compute({ ...system, positions: step() }, { forces: true }), options);
        const withStress = await time(() => model.compute({ ...system, positions: step() }, { forces: true, stress: true }), options);
        const atoms = system.types.length;
        rows.push({
          features: variant.name,
          structure: name,
          threads,
          'ms/step': 1e3 * t.median,
          'atom-steps/s': atoms / t.median,
          'with stress, ms/step': 1e3 * withStress.median,
        });
      }
    }
  }
  if (hasLammps() && (!only || only.includes('lammps'))) {
    for (const [name, kspace] of [['LAMMPS born/coul/long + ewald 1e-6', 'kspace_style ewald 1e-6'], ['LAMMPS born/coul/long + pppm 1e-5', 'kspace_style pppm 1e-5']]) {
      for (const system of systems) {
        const atoms = system.types.length;
        const seconds = lammpsSeconds(system, { pair: ['pair_style born/coul/long 6.0', ...TOSI_FUMI], kspace, steps: atoms > 1000 ? 20 : 100, timestep: 0.002 });
        rows.push({ features: name, structure: system.name, threads: 1, 'ms/step': 1e3 * seconds, 'atom-steps/s': atoms / seconds, 'with stress, ms/step': '' });
      }
    }
  }
  return rows;
}
