// Learned charges and their electrostatics: q_i = w[Z_i] . x_i + b[Z_i] from
// the local invariants x_i, fitted to the per-atom partial charges of the
// training data, and the energy of those charges as Gaussians in vacuum.
//
// Why: a field resolved by species tells a centre how many atoms of each
// species lie at a distance, not what charge they carry, and molecular
// charges are not a function of atom counts; charges predicted from the
// local environment carry it, and their Coulomb energy transfers to pairs of
// molecules never seen together. Forces include the change of the charges
// with the positions: dE/dr = dE/dr|_q + sum_i phi_i w[Z_i] . dx_i/dr, the
// second term by backpropagation through the invariants. Optionally atomic
// dipoles too (spec.atomicDipoles): mu_i = W[Z_i] x_i^(1), linear in the
// lambda = 1 equivariants of the same environment, with their charge-dipole
// and dipole-dipole energy; they rotate and distort with their atom's
// environment, so a molecule in a distant field feels the flux of its
// dipoles as well as of its charges (the forces of GFN2-xTB's rigid
// molecules there are mostly these first-order fluxes).
import type { SphericalExpansionHypers } from '../core/hypers.js';
import type { NativeSystem } from '../native/types.js';
import { native } from '../native/addon.js';
import { smearedMultipoles } from '../longrange/smeared-coulomb.js';
import { featureCount, Invariants } from '../features/invariants.js';
import { EquivariantInvariants } from '../features/equivariant.js';
import { SphericalExpansion } from '../features/spherical-expansion.js';
import { bondedFragments, integerCharges } from './fragments.js';
import { ChannelMoments, channelShape, checkContraction, ContractedExpansion, contractionLength, leadingChannels, type ChannelShape, type ContractionSpec } from './contraction.js';
import { speciesIndices } from './species.js';
import { groupKeys } from './training-frame.js';

export interface ChargeBaselineSpec {
  kind: 'charges';
  /** Local environment the charges are predicted from (a SOAP power spectrum). */
  hypers: SphericalExpansionHypers;
  /**
   * Contract the expansion's (neighbour type, radial) channels to this many
   * per l before the power spectrum (contraction.ts), learned from the charge
   * frames: with many species a basis as rich as the energy model's would
   * otherwise give the charges tens of thousands of invariants.
   */
  contraction?: ContractionSpec;
  /** Learned contraction matrices (one K x (T N) matrix per l); absent until fitted. */
  contractionMatrices?: number[];
  /** Width sigma (A) of the Gaussian charges. */
  smearing: number;
  /**
   * Pairs left out of the Coulomb sum: closer than radius - width (A), switched
   * in up to radius. With radius the local cutoff, the charges' energy holds
   * only what the local model cannot see, and the field of a molecule's own
   * atoms (whose learned charges change with its geometry) puts no forces on it.
   */
  exclusion?: { radius: number; width: number };
  /**
   * Give every covalently bonded fragment a whole charge (its predicted sum
   * rounded, the fragments adding up to system.charge when it is known),
   * shifting its atoms alike, and sum the Coulomb energy between fragments
   * only (a molecule's own electrostatics is left to the local model, as
   * classical force fields exclude bonded pairs); otherwise (false, absent)
   * the system as a whole is shifted to system.charge. Whole charges keep a
   * fragment's charge from changing with its shape, which in the field of a
   * distant ion is a force that no reference has.
   */
  fragments?: boolean;
  /**
   * Set when the charges were learned from energies alone (no per-atom
   * reference charges; latent-charges.ts): the whole charge (e) found for
   * each kind of molecule, by formula. A record of the fit; predictions
   * use the weights only.
   */
  molecules?: Record<string, number>;
  /** Learned [species][dimension + 1] (weights, then the offset); absent until fitted. */
  weights?: number[];
  /**
   * Learn atomic dipoles (e A) as well, from the reference atomic dipoles of
   * the charge frames, instead of making the charges carry them: a linear
   * model on the lambda = 1 equivariants (lambda-SOAP) of the same local
   * environment, one weight vector per species, and the charge-dipole and
   * dipole-dipole energy between the same pairs as the charges'.
   */
  atomicDipoles?: boolean;
  /** Learned [species][lambda = 1 dimension] of the atomic dipoles; absent until fitted. */
  dipoleWeights?: number[];
}

/** A frame to learn charges from: the system and its reference charges (e), one per atom. */
export interface ChargeFrame {
  system: NativeSystem;
  charges: ArrayLike<number>;
  group?: string | number;
  /** The system's invariants, `values(system)`, when the caller already has them. */
  values?: Float64Array;
  /** Reference atomic dipoles (e A, [atoms][3]): what the atomic dipoles of spec.atomicDipoles learn from. */
  dipoles?: ArrayLike<number>;
}

/** Regularisations (relative to the diagonal) that the charge fits choose among by cross-validation. */
export const CHARGE_REGULARIZATIONS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2];

/**
 * Folds of the charge fits' cross-validation: the frames' groups in order of
 * first appearance, dealt round robin to `asked` folds (fewer when there are
 * fewer groups); `fold[f]` is frame f's.
 */
export function chargeFolds(frames: ReadonlyArray<{ group?: string | number }>, asked: number): { count: number; fold: number[] } {
  const keys = groupKeys(frames);
  const groups = [...new Set(keys)];
  const count = Math.min(asked, groups.length);
  if (count < 2) throw new Error('charges baseline: needs frames from at least 2 groups to choose its regularisation');
  const foldOf = new Map(groups.map((g, k) => [g, k % count]));
  return { count, fold: keys.map((key) => foldOf.get(key)!) };
}

/** The Cartesian axis of the real harmonics' m = -1, 0, 1 (Y_1 ~ y, z, x). */
const CARTESIAN_OF_M = [1, 2, 0];

type NormalEquations = InstanceType<typeof native.NormalEquations>;

/** Empty normal equations of `size` unknowns, [fold][species]. */
function foldEquations(folds: number, species: number, size: number): NormalEquations[][] {
  return Array.from({ length: folds }, () => Array.from({ length: species }, () => new native.NormalEquations(size)));
}

/**
 * Ridge solutions per species of the folds' equations together, at the
 * regularisation whose held-out residuals (each fold's at the others'
 * solution) are least, and that RMSE over `rows` targets.
 */
function crossValidatedRidge(equations: NormalEquations[][], size: number, regularizations: readonly number[], rows: number): { solution: Float64Array[]; error: number } {
  const K = equations.length;
  const S = equations[0].length;
  const merged = (skip: number) =>
    Array.from({ length: S }, (_, s) => {
      const sum = new native.NormalEquations(size);
      for (let g = 0; g < K; g++) if (g !== skip) sum.merge(equations[g][s]);
      return sum;
    });
  const solve = (list: NormalEquations[], lambda: number) => list.map((e) => (e.rows > 0 ? e.solve(lambda, 'relative') : new Float64Array(size)));
  const rest = Array.from({ length: K }, (_, k) => merged(k));
  let best = { lambda: regularizations[0], error: Infinity };
  for (const lambda of regularizations) {
    let sq = 0;
    for (let k = 0; k < K; k++) {
      const w = solve(rest[k], lambda);
      for (let s = 0; s < S; s++) if (equations[k][s].rows > 0) sq += equations[k][s].residual(w[s]);
    }
    const error = Math.sqrt(sq / rows);
    if (error < best.error) best = { lambda, error };
  }
  // Freed now: the garbage collector does not see their native size.
  for (const list of rest) for (const e of list) e.release();
  const all = merged(-1);
  const solution = solve(all, best.lambda);
  for (const e of all) e.release();
  return { solution, error: best.error };
}

/** Sums of `values` over each group (groups[i] >= 0; atoms of group -1 are in none). */
function groupSums(values: ArrayLike<number>, groups: Int32Array): Float64Array {
  let count = 0;
  for (const g of groups) count = Math.max(count, g + 1);
  const sums = new Float64Array(count);
  groups.forEach((g, i) => {
    if (g >= 0) sums[g] += values[i];
  });
  return sums;
}

export class ChargeModel {
  /** What build() makes of the expansion (and of its contraction). */
  private built!: { invariants: Invariants; dimension: number; dipoleFeatures: EquivariantInvariants | null; dipoleDimension: number };
  /** Cross-validated RMSE (e A, per component) of the atomic dipoles' last fit; NaN without one. */
  dipoleError = NaN;
  private weights: Float64Array | null = null;
  /** weights without the offsets, [species][dimension]: what the invariants' linear model takes. */
  private chargeWeights: Float64Array | null = null;
  private dipoleWeights: Float64Array | null = null;
  private readonly expansion: SphericalExpansion;
  private readonly shape: ChannelShape;

  constructor(readonly spec: ChargeBaselineSpec, readonly species: number[]) {
    if (!(typeof spec.smearing === 'number' && spec.smearing > 0 && Number.isFinite(spec.smearing))) {
      throw new Error(`features.baseline.smearing: expected a positive width (A) of the Gaussian charges, got ${JSON.stringify(spec.smearing)}`);
    }
    this.expansion = new SphericalExpansion(spec.hypers);
    this.shape = channelShape(spec.hypers, species.length);
    if (spec.contraction !== undefined) {
      const { channels } = checkContraction(spec.contraction, 'features.baseline.contraction');
      const m = spec.contractionMatrices;
      const expected = contractionLength(this.shape, channels);
      if (m !== undefined && (!Array.isArray(m) || m.length !== expected || !m.every(Number.isFinite))) {
        throw new Error(`features.baseline.contractionMatrices: expected ${expected} finite numbers (one ${channels} x ${this.shape.types * this.shape.radial} matrix per l)`);
      }
      if (m === undefined && spec.weights !== undefined) {
        throw new Error('features.baseline: weights of a contracted charge model come with their contractionMatrices');
      }
    } else if (spec.contractionMatrices !== undefined) {
      throw new Error('features.baseline.contractionMatrices: set without contraction');
    }
    this.build();
    const x = spec.exclusion;
    if (x !== undefined && !(x && x.radius > 0 && x.width > 0 && x.width <= x.radius && Number.isFinite(x.radius))) {
      throw new Error(`features.baseline.exclusion: expected {radius, width} with 0 < width <= radius (A), got ${JSON.stringify(x)}`);
    }
    if (spec.fragments !== undefined && typeof spec.fragments !== 'boolean') {
      throw new Error(`features.baseline.fragments: expected true or false, got ${JSON.stringify(spec.fragments)}`);
    }
    const molecules = spec.molecules;
    if (molecules !== undefined && (typeof molecules !== 'object' || molecules === null || !Object.values(molecules).every(Number.isInteger))) {
      throw new Error(`features.baseline.molecules: expected whole charges by formula, e.g. {"C2H3O2": -1}, got ${JSON.stringify(molecules)}`);
    }
    const expected = species.length * (this.dimension + 1);
    if (spec.weights !== undefined && (!Array.isArray(spec.weights) || spec.weights.length !== expected || !spec.weights.every(Number.isFinite))) {
      throw new Error(`features.baseline.weights: expected ${expected} finite numbers (species x (dimension + 1))`);
    }
    this.setWeights(spec.weights ? Float64Array.from(spec.weights) : null);
    if (spec.atomicDipoles !== undefined && typeof spec.atomicDipoles !== 'boolean') {
      throw new Error(`features.baseline.atomicDipoles: expected true or false, got ${JSON.stringify(spec.atomicDipoles)}`);
    }
    if (spec.atomicDipoles) {
      const count = species.length * this.dipoleDimension;
      const w = spec.dipoleWeights;
      if (w !== undefined && (!Array.isArray(w) || w.length !== count || !w.every(Number.isFinite))) {
        throw new Error(`features.baseline.dipoleWeights: expected ${count} finite numbers (species x lambda = 1 dimension)`);
      }
      if ((w === undefined) !== (spec.weights === undefined)) {
        throw new Error('features.baseline: weights and dipoleWeights come together (both fitted, or neither)');
      }
      this.dipoleWeights = w ? Float64Array.from(w) : null;
    } else if (spec.dipoleWeights !== undefined) {
      throw new Error('features.baseline.dipoleWeights: set without atomicDipoles: true');
    }
  }

  /** The invariants (and dipoles' equivariants) of the expansion, through the contraction in spec when there is one. */
  private build(): void {
    const K = this.spec.contraction?.channels;
    const input =
      K === undefined
        ? this.expansion
        : new ContractedExpansion(this.expansion, this.species, K, Float64Array.from(this.spec.contractionMatrices ?? leadingChannels(this.shape, K)));
    const invariants = new Invariants(input, input);
    const dipoleFeatures = this.spec.atomicDipoles === true ? new EquivariantInvariants(input, input, { lambda: 1 }) : null;
    this.built = {
      invariants,
      dimension: featureCount(invariants, this.species),
      dipoleFeatures,
      dipoleDimension: dipoleFeatures ? featureCount(dipoleFeatures, this.species) : 0,
    };
  }

  /** The local invariants x_i (a SOAP power spectrum of the given hypers, of its contracted channels with spec.contraction). */
  get invariants(): Invariants {
    return this.built.invariants;
  }

  get dimension(): number {
    return this.built.dimension;
  }

  /** The lambda = 1 equivariants of the atomic dipoles (spec.atomicDipoles), [atoms][3 (m = -1, 0, 1)][dipoleDimension]. */
  get dipoleFeatures(): EquivariantInvariants | null {
    return this.built.dipoleFeatures;
  }

  get dipoleDimension(): number {
    return this.built.dipoleDimension;
  }

  /**
   * Learns the contraction of spec.contraction from the expansions of
   * `systems` (principal channels per l, contraction.ts); a no-op without
   * one. Fitted weights no longer apply: fit again after it.
   */
  learnContraction(systems: readonly NativeSystem[]): void {
    const K = this.spec.contraction?.channels;
    if (K === undefined) return;
    const moments = new ChannelMoments(this.shape);
    for (const system of systems) moments.add(this.expansion.compute(system, this.options()).values);
    this.spec.contractionMatrices = Array.from(moments.contraction(K));
    this.setWeights(null);
    this.dipoleWeights = null;
    delete this.spec.weights;
    delete this.spec.dipoleWeights;
    this.build();
  }

  private options() {
    return { neighborTypes: this.species };
  }

  private setWeights(weights: Float64Array | null): void {
    this.weights = weights;
    const D = this.dimension;
    this.chargeWeights = weights && Float64Array.from({ length: this.species.length * D }, (_, k) => weights[Math.floor(k / D) * (D + 1) + (k % D)]);
  }

  /** The local invariants x_i of every atom, [atoms][dimension]. */
  values(system: NativeSystem): Float64Array {
    return this.invariants.compute(system, this.options()).values;
  }

  get fitted(): boolean {
    return this.weights !== null;
  }

  private learned(): Float64Array {
    if (!this.weights) throw new Error('charges baseline: not fitted (fit a model on training frames first)');
    return this.weights;
  }

  /**
   * Charges (e) of every atom: w[Z_i] . x_i + b[Z_i], shifted alike to add up
   * to system.charge when it is given, or fragment by fragment to whole
   * charges (spec.fragments). `groups[i]` is the set of atoms whose charges
   * are shifted together with atom i's (-1: none).
   */
  charges(system: NativeSystem): { charges: Float64Array; groups: Int32Array } {
    const w = this.learned();
    const D = this.dimension;
    const species = speciesIndices(this.species, system.types);
    const charges = this.invariants.computeWeighted(system, this.chargeWeights!, species, this.options());
    for (let i = 0; i < species.length; i++) charges[i] += w[species[i] * (D + 1) + D];
    const N = species.length;
    let groups: Int32Array;
    if (this.spec.fragments) groups = bondedFragments(system.positions, system.types);
    else if (system.charge !== undefined) groups = new Int32Array(N);
    else return { charges, groups: new Int32Array(N).fill(-1) };
    const sums = groupSums(charges, groups);
    const counts = groupSums(new Float64Array(N).fill(1), groups);
    const targets = this.spec.fragments ? integerCharges(Array.from(sums), system.charge) : [system.charge!];
    for (let i = 0; i < N; i++) charges[i] += (targets[groups[i]] - sums[groups[i]]) / counts[groups[i]];
    return { charges, groups };
  }

  /** Atomic dipoles (e A, [atoms][3] Cartesian) of spec.atomicDipoles; null without them. */
  dipoles(system: NativeSystem): Float64Array | null {
    if (!this.dipoleFeatures) return null;
    this.learned();
    const species = speciesIndices(this.species, system.types);
    const byM = this.dipoleFeatures.computeWeighted(system, this.dipoleWeights!, species, this.options());
    const dipoles = new Float64Array(byM.length);
    for (let i = 0; i < species.length; i++) for (let m = 0; m < 3; m++) dipoles[3 * i + CARTESIAN_OF_M[m]] = byM[3 * i + m];
    return dipoles;
  }

  /** Per-atom energies (half of each pair's, eV) and forces (eV/A) of the learned charges (and dipoles); molecules only. */
  evaluate(system: NativeSystem): { energies: Float64Array; forces: Float64Array } {
    if (system.cell !== null) {
      throw new Error('charges baseline: periodic systems are not supported yet (the learned-charge electrostatics is summed in vacuum)');
    }
    this.learned();
    const { charges, groups } = this.charges(system);
    const dipoles = this.dipoles(system) ?? undefined;
    const coulomb = smearedMultipoles({
      positions: system.positions,
      charges,
      dipoles,
      sigma: this.spec.smearing,
      exclusion: this.spec.exclusion,
      groups: this.spec.fragments ? groups : undefined,
    });
    const species = speciesIndices(this.species, system.types);
    const backward = { ...this.options(), gradients: ['positions'] as const };
    // dE/dq_i before the shift = phi_i - mean of phi over i's group: a
    // group's total is fixed (the shift moves its charges alike); phi_i
    // outside any group. Then dE/dx_i = that times w[Z_i].
    const counts = groupSums(new Float64Array(groups.length).fill(1), groups);
    const means = groupSums(coulomb.potentials, groups).map((sum, g) => sum / counts[g]);
    const dEdq = Float64Array.from(coulomb.potentials, (phi, i) => phi - (groups[i] < 0 ? 0 : means[groups[i]]));
    const through = this.invariants.backwardWeighted(system, this.chargeWeights!, species, dEdq, backward);
    const forces = Float64Array.from(coulomb.forces, (f, k) => f - through.positions[k]);
    if (this.dipoleFeatures) {
      // dE/dx_i^(1)[m] = (dE/dmu_i)[m] W[Z_i]
      const dEdmu = Float64Array.from({ length: coulomb.fields.length }, (_, k) => coulomb.fields[3 * Math.floor(k / 3) + CARTESIAN_OF_M[k % 3]]);
      const through1 = this.dipoleFeatures.backwardWeighted(system, this.dipoleWeights!, species, dEdmu, backward);
      for (let k = 0; k < forces.length; k++) forces[k] -= through1.positions[k];
    }
    return { energies: coulomb.energies, forces };
  }

  /**
   * Fits the weights to the frames' charges (and the atomic dipoles' to
   * their dipoles): one ridge regression per species, its regularisation
   * (relative to the diagonal) chosen by k-fold cross-validation over the
   * frames' groups. Returns the cross-validated RMSE of the charges (e);
   * `dipoleError` then holds the dipoles' (e A, per component). With
   * spec.contraction the contraction is learned first, from the frames'
   * systems, unless the frames bring their values.
   */
  fit(frames: readonly ChargeFrame[], folds = 5, regularizations = CHARGE_REGULARIZATIONS): number {
    // frames that bring their values were computed with the contraction in use
    if (!frames.some((f) => f.values)) this.learnContraction(frames.map((f) => f.system));
    const D = this.dimension;
    const S = this.species.length;
    const { count: K, fold: foldOf } = chargeFolds(frames, folds);
    // [fold][species] normal equations; a fold's held-out error is its own residual at the others' solution
    const equations = foldEquations(K, S, D + 1);
    const dipoleEquations = this.dipoleFeatures ? foldEquations(K, S, this.dipoleDimension) : null;
    let atoms = 0;
    frames.forEach((frame, f) => {
      if (frame.charges.length !== frame.system.types.length) {
        throw new Error(`frames[${f}].charges: expected ${frame.system.types.length} charges (one per atom), got ${frame.charges.length}`);
      }
      const values = frame.values ?? this.values(frame.system);
      const species = speciesIndices(this.species, frame.system.types);
      const fold = foldOf[f];
      const row = new Float64Array(D + 1);
      for (let i = 0; i < species.length; i++) {
        row.set(values.subarray(i * D, (i + 1) * D));
        row[D] = 1;
        equations[fold][species[i]].add(row, Float64Array.of(frame.charges[i]));
      }
      atoms += species.length;
      if (dipoleEquations) this.addDipoleRows(dipoleEquations[fold], frame, species, `frames[${f}]`);
    });
    const charges = crossValidatedRidge(equations, D + 1, regularizations, atoms);
    const weights = new Float64Array(S * (D + 1));
    charges.solution.forEach((w, s) => weights.set(w, s * (D + 1)));
    this.setWeights(weights);
    this.spec.weights = Array.from(weights);
    if (dipoleEquations) {
      const dipoles = crossValidatedRidge(dipoleEquations, this.dipoleDimension, regularizations, 3 * atoms);
      const D1 = this.dipoleDimension;
      this.dipoleWeights = new Float64Array(S * D1);
      dipoles.solution.forEach((w, s) => this.dipoleWeights!.set(w, s * D1));
      this.spec.dipoleWeights = Array.from(this.dipoleWeights);
      this.dipoleError = dipoles.error;
    }
    return charges.error;
  }

  /** One row per atom and component m of the lambda = 1 equivariants, its target the dipole's component. */
  private addDipoleRows(equations: NormalEquations[], frame: ChargeFrame, species: Int32Array | number[], name: string): void {
    const N = species.length;
    const reference = frame.dipoles;
    if (reference === undefined) {
      throw new Error(`${name}: a 'charges' baseline with atomicDipoles learns them from every charge frame's reference atomic dipoles, and this frame has none`);
    }
    if (reference.length !== 3 * N) throw new Error(`${name}.atomicDipoles: expected ${3 * N} numbers (e A, [atoms][3]), got ${reference.length}`);
    const D1 = this.dipoleDimension;
    const values = this.dipoleFeatures!.compute(frame.system, this.options()).values;
    for (let i = 0; i < N; i++) {
      for (let m = 0; m < 3; m++) {
        equations[species[i]].add(values.subarray((3 * i + m) * D1, (3 * i + m + 1) * D1), Float64Array.of(reference[3 * i + CARTESIAN_OF_M[m]]));
      }
    }
  }
}
