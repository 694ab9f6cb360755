// LODE expansion (p = 1, smearing 1, GTO radius 4, max_radial 5, max_angular 4)
// on molten NaCl boxes of 64, 512 and 4096 atoms: values, values + the full
// positions gradient tensor, and the backward (force) path, in microseconds
// per atom, for the default direct sum and the range-separated 'split'. With a fixed smearing the number of k-vectors grows with the
// volume, so the k-space sum costs O(N N_k) = O(N^2): per-atom cost ~ N.
import { getNumThreads, LodeSphericalExpansion, type LodeSphericalExpansionHypers } from '../lib/index.js';
import { moltenNaCl } from './support/structures.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';

export const HYPERS: LodeSphericalExpansionHypers = {
  density: { type: 'SmearedPowerLaw', smearing: 1.0, exponent: 1 },
  basis: { type: 'TensorProduct', max_angular: 4, radial: { type: 'Gto', max_radial: 5, radius: 4 } },
};

/** Above this the N x N x 3 x P gradient tensor is not materialised in the benchmark. */
const MAX_TENSOR_BYTES = 4e9;

/** Half-space reciprocal vectors with 0 < |k| < k_cut (for the table). */
function countKVectors(cell: Float64Array, kCut: number): number {
  const a = [0, 1, 2].map((r) => cell.subarray(3 * r, 3 * r + 3));
  const cross = (u: Float64Array, v: Float64Array) => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const volume = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const b = [cross(a[1], a[2]), cross(a[2], a[0]), cross(a[0], a[1])].map((v) => v.map((x) => (2 * Math.PI * x) / volume));
  const bound = a.map((v) => Math.floor((kCut * Math.hypot(v[0], v[1], v[2])) / (2 * Math.PI)));
  let count = 0;
  for (let m1 = -bound[0]; m1 <= bound[0]; m1++)
    for (let m2 = -bound[1]; m2 <= bound[1]; m2++)
      for (let m3 = -bound[2]; m3 <= bound[2]; m3++) {
        const k = [0, 1, 2].map((x) => m1 * b[0][x] + m2 * b[1][x] + m3 * b[2][x]);
        const k2 = k[0] ** 2 + k[1] ** 2 + k[2] ** 2;
        if (k2 > 0 && k2 < kCut * kCut) count++;
      }
  return count / 2;
}

/**
 * The default band-limited direct sum, and 'split' (range separation, the
 * field summed to convergence, here to 1e-6 relative; its parameters are
 * tuned per box and printed).
 */
const METHODS: [string, LodeSphericalExpansionHypers][] = [
  ['direct', HYPERS],
  ["split 1e-6", { ...HYPERS, method: 'split', accuracy: 1e-6 }],
];

export async function run(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [method, hypers] of METHODS) rows.push(...(await runMethod(method, new LodeSphericalExpansion(hypers), quick)));
  return rows;
}

async function runMethod(method: string, lode: LodeSphericalExpansion, quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const replicas = quick ? [1, 2] : [1, 2, 4];
  let first: { n: number; values: number } | null = null;
  for (const n of replicas) {
    const { name, ...system } = moltenNaCl(n);
    const parameters = lode.parameters(system);
    const atoms = system.types.length;
    const perAtom = (seconds: number) => (seconds * 1e6) / atoms;
    // the biggest systems take seconds per call: fewer repetitions
    const runs = atoms >= 4096 ? 1 : atoms >= 512 ? 3 : 5;
    const warmup = atoms >= 4096 ? 0 : 1;
    const values = await time(() => lode.compute(system), { runs, warmup });
    const probe = lode.compute(system);
    const P = probe.shape[1];
    const dLdv = Float64Array.from(probe.values, (_, k) => 1e-3 * Math.sin(k));
    const backward = await time(() => lode.backward(system, dLdv), { runs, warmup });
    const tensorBytes = atoms * atoms * 3 * P * 8;
    let gradient = 'skipped';
    if (tensorBytes <= MAX_TENSOR_BYTES && !(quick && atoms > 64)) {
      const g = await time(() => lode.compute(system, { gradients: ['positions'] }), { runs: atoms >= 512 ? 1 : 3, warmup: atoms >= 512 ? 0 : 1 });
      gradient = perAtom(g.median).toFixed(0);
    } else {
      gradient = `skipped (N x N tensor ${(tensorBytes / 1e9).toFixed(0)} GB)`;
    }
    first ??= { n: atoms, values: values.median };
    rows.push({
      structure: name,
      method: parameters.method === 'split'
        ? `split (σ ${parameters.splitSmearing}, r_c ${parameters.splitCutoff!.toFixed(1)} Å)`
        : method,
      threads: getNumThreads(),
      'k-vectors (half space)': parameters.method === 'split' ? parameters.kVectors : countKVectors(system.cell, lode.kCutoff),
      'values µs/atom': perAtom(values.median),
      'values + pos grad µs/atom': gradient,
      'backward µs/atom': perAtom(backward.median),
      'backward / values': backward.median / values.median,
      // cost ~ N^a: a = 1 + log(t/N per atom ratio) / log(N ratio)
      'values cost exponent vs first': atoms === first.n ? '-' : (Math.log(values.median / first.values) / Math.log(atoms / first.n)).toFixed(2),
    });
  }
  return rows;
}
