// Charges learned from energies alone (latent charges), for data sets that
// give no per-atom reference charges (most DFT binding curves): the whole
// charge of every kind of molecule is read off the energies, then the charge
// model learns to predict it as if those were the reference charges.
//
// 1. Molecules are the covalently bonded fragments, a kind of molecule is a
//    formula. Spread a unit charge evenly over each molecule's atoms; for
//    every kind of pair (a, b) in a frame, M_ab = the Coulomb energy of two
//    such molecules. A linear ridge fit of the energies,
//      E_f = sum_i (a[Z_i] . x_i + c[Z_i]) + sum_ab P_ab M_ab(f) ,
//    with a local part on the charge model's invariants beside it, gives
//    P_ab = Q_a Q_b, the product of the two molecules' net charges.
// 2. Whole charges Q_a in -2..2 that best reproduce the products (weighted
//    by how much the data says about each), by coordinate descent from
//    several starts; frames whose total charge is given (a lone molecule's
//    is its own) constrain the sums, and a small prior keeps molecules
//    neutral unless the energies say otherwise.
// 3. Every atom gets Q_F / N_F of its molecule F, and ChargeModel.fit learns
//    those as reference charges; predictions then round each molecule to a
//    whole charge, exactly as for charges fitted to reference data. (Fitting
//    the spread to the energies too, to first order in it, lowered far
//    energy errors on the xtb dimers but made the forces 1.7-3.4 times
//    worse: README, "Without per-atom charges".)
//
// Why not fit q_i = w . x_i to the energies directly (Gauss-Newton on the
// quadratic Coulomb energy): tried, and on the xtb dimers its far-field
// errors ranged over 100-700 meV per dimer with the size of the basis and
// the starting point. The energies pin the products of the net charges
// well (to a few per cent where far frames or lone molecules are in the
// data) and little else; whole charges carry exactly that. Energies fix
// the charges only up to one overall sign, E(-q) = E(q): a given total
// charge of some frame decides it, else either is as good.
import { native } from '../native/addon.js';
import type { NativeSystem } from '../native/types.js';
import { symbolOf } from '../io/elements.js';
import { smearedCoulomb } from '../longrange/smeared-coulomb.js';
import { CHARGE_REGULARIZATIONS, chargeFolds, type ChargeModel } from './charge-model.js';
import { referenceEnergies, withoutReference } from './composition.js';
import { bondedFragments } from './fragments.js';
import { speciesIndices } from './species.js';

/** A frame to learn latent charges from: the system (with its total charge when known) and its energy (eV). */
export interface EnergyFrame {
  system: NativeSystem;
  energy: number;
  group?: string | number;
}

export interface LatentChargeOptions {
  folds?: number;
  regularizations?: number[];
  /** Called as the fit advances: frames read, then the cross-validation folds and the final solve. */
  onProgress?: (done: number, total: number) => void;
}

/** The whole charges searched per kind of molecule. */
const CHARGES = [-2, -1, 0, 1, 2];
const STARTS = 50;

interface Molecule {
  atoms: number[];
  kind: number;
}

/** Learns the model's charges from the frames' energies (steps 1-3 above); returns the whole charge (e) found per formula. */
export function fitLatentCharges(model: ChargeModel, frames: readonly EnergyFrame[], options: LatentChargeOptions = {}): Record<string, number> {
  frames.forEach((frame, f) => {
    if (!Number.isFinite(frame.energy)) throw new Error(`frames[${f}].energy: expected a finite energy (eV), got ${frame.energy}`);
  });
  const kinds = new Map<string, number>();
  const molecules: Molecule[][] = frames.map(({ system }) => {
    const atoms: number[][] = [];
    bondedFragments(system.positions, system.types).forEach((g, i) => (atoms[g] ??= []).push(i));
    return atoms.map((list) => {
      const name = formula(system.types, list);
      if (!kinds.has(name)) kinds.set(name, kinds.size);
      return { atoms: list, kind: kinds.get(name)! };
    });
  });
  model.learnContraction(frames.map((f) => f.system));
  const { products, information, pairs, values } = pairProducts(model, frames, molecules, options);
  if (pairs.length === 0) {
    throw new Error('charges baseline: learning charges from energies needs frames where molecules interact (two or more in a frame), and no training frame has them');
  }
  // Frames whose total charge is given, once per distinct (kinds, total) with its count.
  const constraints = new Map<string, { kinds: number[]; total: number; count: number }>();
  frames.forEach(({ system }, f) => {
    if (system.charge === undefined) return;
    const ks = molecules[f].map((m) => m.kind).sort((a, b) => a - b);
    const key = `${ks.join(',')}:${system.charge}`;
    const c = constraints.get(key);
    if (c) c.count++;
    else constraints.set(key, { kinds: ks, total: system.charge, count: 1 });
  });
  const charges = wholeCharges(kinds.size, pairs, products, information, [...constraints.values()]);
  model.fit(
    frames.map(({ system, group }, f) => {
      const q = new Float64Array(system.types.length);
      for (const m of molecules[f]) for (const i of m.atoms) q[i] = charges[m.kind] / m.atoms.length;
      return { system, charges: q, values: values[f], ...(group === undefined ? {} : { group }) };
    }),
    options.folds,
  );
  return Object.fromEntries([...kinds.keys()].map((name, k) => [name, charges[k]]));
}

/** Hill-order formula (C, H, then the others alphabetically) of some atoms of a system. */
function formula(types: ArrayLike<number>, atoms: number[]): string {
  const counts = new Map<number, number>();
  for (const a of atoms) counts.set(types[a], (counts.get(types[a]) ?? 0) + 1);
  const order = [...counts.keys()].sort((x, y) => {
    const rank = (z: number) => (z === 6 ? 0 : z === 1 && counts.has(6) ? 1 : 2);
    return rank(x) - rank(y) || symbolOf(x).localeCompare(symbolOf(y));
  });
  return order.map((z) => `${symbolOf(z)}${counts.get(z)! > 1 ? counts.get(z) : ''}`).join('');
}

/**
 * Step 1: the products P_ab from a ridge fit of the per-atom energies in the
 * local rows (per-species sums of [x_i, 1]) and the pair columns M_ab / N,
 * its regularisation chosen by k-fold cross-validation over the groups.
 * `information[c]` is the sum of squares of pair column c (how strongly the
 * data constrains P_c); `values` are the frames' invariants, for the charge
 * model's fit to reuse.
 */
function pairProducts(model: ChargeModel, frames: readonly EnergyFrame[], molecules: Molecule[][], options: LatentChargeOptions) {
  const S = model.species.length;
  const D = model.dimension;
  const P = S * (D + 1);
  const columns = new Map<string, number>();
  const pairs: Array<[number, number]> = [];
  const entries = frames.map(({ system }, f) => {
    const list: Array<{ column: number; value: number }> = [];
    const parts = molecules[f];
    for (let x = 0; x + 1 < parts.length; x++) {
      const spread = new Float64Array(system.types.length);
      for (const i of parts[x].atoms) spread[i] = 1 / parts[x].atoms.length;
      const phi = smearedCoulomb(system.positions, spread, model.spec.smearing, model.spec.exclusion).potentials;
      for (let y = x + 1; y < parts.length; y++) {
        const [a, b] = [parts[x].kind, parts[y].kind].sort((u, v) => u - v);
        const key = `${a},${b}`;
        if (!columns.has(key)) {
          columns.set(key, columns.size);
          pairs.push([a, b]);
        }
        let sum = 0;
        for (const j of parts[y].atoms) sum += phi[j];
        list.push({ column: columns.get(key)!, value: sum / parts[y].atoms.length });
      }
    }
    return list;
  });
  const C = pairs.length;
  const width = P + C;
  const folds = chargeFolds(frames, options.folds ?? 5);
  const steps = frames.length + folds.count + 1;
  const rows = new Float64Array(frames.length * width);
  const information = new Float64Array(C);
  const values: Float64Array[] = [];
  // Total energies are offsets of hundreds of eV per atom: taken out first, or the ridge would move them into the weights (composition.ts).
  const reduced = withoutReference(frames, model.species, referenceEnergies(frames, model.species));
  const targets = Float64Array.from(reduced, (frame) => frame.energy / frame.system.types.length);
  frames.forEach(({ system }, f) => {
    const N = system.types.length;
    const row = rows.subarray(f * width, (f + 1) * width);
    const x = model.values(system);
    values.push(x);
    speciesIndices(model.species, system.types).forEach((s, i) => {
      for (let k = 0; k < D; k++) row[s * (D + 1) + k] += x[i * D + k] / N;
      row[s * (D + 1) + D] += 1 / N;
    });
    for (const { column, value } of entries[f]) {
      row[P + column] += value / N;
      information[column] += (value / N) ** 2;
    }
    options.onProgress?.(f + 1, steps);
  });
  if (C === 0) return { products: new Float64Array(0), information, pairs, values };
  const lambda = crossValidated(rows, targets, width, folds, options, (fold) => options.onProgress?.(frames.length + fold, steps));
  const solution = new native.RidgePath(rows, targets).solve(lambda);
  options.onProgress?.(steps, steps);
  return { products: solution.slice(P), information, pairs, values };
}

/** The regularisation of least cross-validated error over the folds (chargeFolds); `done(fold)` after each fold. */
function crossValidated(
  rows: Float64Array,
  targets: Float64Array,
  width: number,
  folds: { count: number; fold: number[] },
  options: LatentChargeOptions,
  done: (fold: number) => void,
): number {
  const candidates = options.regularizations ?? CHARGE_REGULARIZATIONS;
  const pick = (fold: number, held: boolean) => {
    const chosen = folds.fold.flatMap((g, f) => ((g === fold) === held ? [f] : []));
    const r = new Float64Array(chosen.length * width);
    chosen.forEach((f, k) => r.set(rows.subarray(f * width, (f + 1) * width), k * width));
    return { rows: r, targets: Float64Array.from(chosen, (f) => targets[f]) };
  };
  const errors = candidates.map(() => 0);
  for (let fold = 0; fold < folds.count; fold++) {
    const train = pick(fold, false), test = pick(fold, true);
    const path = new native.RidgePath(train.rows, train.targets);
    candidates.forEach((lambda, j) => {
      const x = path.solve(lambda);
      for (let r = 0; r < test.targets.length; r++) {
        let p = 0;
        for (let k = 0; k < width; k++) p += test.rows[r * width + k] * x[k];
        errors[j] += (test.targets[r] - p) ** 2;
      }
    });
    done(fold + 1);
  }
  return candidates[errors.indexOf(Math.min(...errors))];
}

/**
 * Step 2: whole charges Q (one per kind) minimising
 *   sum_c information_c (P_c - Q_a Q_b)^2 + big sum_frames (sum_F Q_F - total)^2 + small sum_a Q_a^2
 * (a constraint's `count`: how many frames it stands for),
 * by coordinate descent over CHARGES from all-neutral and from random starts
 * (fixed seed: the same data gives the same charges).
 */
export function wholeCharges(
  kinds: number,
  pairs: ReadonlyArray<readonly [number, number]>,
  products: ArrayLike<number>,
  information: ArrayLike<number>,
  constraints: ReadonlyArray<{ kinds: number[]; total: number; count?: number }>,
): Int32Array {
  let scale = 0;
  for (let c = 0; c < pairs.length; c++) scale = Math.max(scale, information[c]);
  if (!(scale > 0)) scale = 1;
  const cost = (Q: Int32Array) => {
    let j = 0;
    pairs.forEach(([a, b], c) => (j += information[c] * (products[c] - Q[a] * Q[b]) ** 2));
    for (const { kinds: ks, total, count = 1 } of constraints) {
      let sum = 0;
      for (const k of ks) sum += Q[k];
      j += 1e3 * scale * count * (sum - total) ** 2;
    }
    for (const q of Q) j += 1e-3 * scale * q * q;
    return j;
  };
  // A fixed linear congruential sequence (Numerical Recipes' constants): the starts only need to differ.
  let state = 2024;
  const uniform = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  let best = new Int32Array(kinds);
  let bestCost = cost(best);
  for (let start = 0; start < STARTS; start++) {
    const Q = start === 0 ? new Int32Array(kinds) : Int32Array.from({ length: kinds }, () => CHARGES[1 + Math.floor(3 * uniform())]);
    let current = cost(Q);
    for (let improved = true; improved; ) {
      improved = false;
      for (let a = 0; a < kinds; a++) {
        const keep = Q[a];
        let bestValue = keep;
        for (const v of CHARGES) {
          Q[a] = v;
          const c = cost(Q);
          if (c < current * (1 - 1e-12)) {
            current = c;
            bestValue = v;
            improved = true;
          }
        }
        Q[a] = bestValue;
      }
    }
    if (current < bestCost * (1 - 1e-12)) {
      best = Int32Array.from(Q);
      bestCost = current;
    }
  }
  return best;
}
