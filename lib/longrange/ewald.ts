// Ewald electrostatics (and 1/r^6 dispersion) of fixed point weights: a
// physics baseline usable on its own or added to a learned potential.
import type { ForceField, ForceFieldRequest, ForceFieldResult } from '../core/forcefield.js';
import {
  native,
  type EwaldParameters,
  type NativeEwald,
  type NativeLongRangeResult,
  type NativeSystem,
} from '../native/addon.js';
import { cellVolume, toNativeSystem, type System } from '../core/system.js';

export type { EwaldParameters } from '../native/types.js';

/** Per atomic number (`{11: 1, 17: -1}`) or one value per atom. */
export type PerAtomValues = Readonly<Record<number, number>> | ArrayLike<number>;

export interface EwaldOptions {
  /**
   * Point charges (e). With `exponent: 1` (default) the energy is
   * k_e sum_{i<j} q_i q_j / r_ij (k_e = COULOMB_CONSTANT, eV A / e^2); with
   * `exponent: 6` it is sum_{i<j} q_i q_j / r_ij^6 (eV when q^2 is in eV A^6).
   * Optional when `dispersion` is given.
   */
  charges?: PerAtomValues;
  /** 1 (Coulomb, default) or 6: the power law used for `charges`. */
  exponent?: 1 | 6;
  /**
   * Dispersion coefficients C_i (eV A^6, >= 0): adds
   * E = -sum_{i<j} C_ij / r_ij^6 with geometric mixing C_ij = sqrt(C_i C_j),
   * the rule that lets the lattice sum factorise into one structure factor.
   */
  dispersion?: PerAtomValues;
  /**
   * Target RMS force error relative to |prefactor| c_rms^2 / d^(p+1), d =
   * (V/N)^(1/3) the mean interparticle distance (for unit charges in NaCl
   * about 1.8 eV/A, the size of typical forces). Default 1e-6.
   */
  accuracy?: number;
  /** Gaussian smearing sigma (A) splitting real and reciprocal space; chosen from `accuracy` when omitted. */
  smearing?: number;
  /** Real-space cutoff (A); chosen from `accuracy` when omitted. */
  cutoff?: number;
  /** Reciprocal-space cutoff |k| (1/A) of direct Ewald; chosen from `accuracy` when omitted. */
  kCutoff?: number;
  /**
   * How the k-space part is summed: `'ewald'` (direct sum over k-vectors,
   * O(N^1.5) when tuned), `'pme'` (smooth particle-mesh Ewald, B-splines and
   * FFTs, O(N log N)), or `'auto'` (default): the cheaper of the two for the
   * requested accuracy under a cost model (direct Ewald for small systems).
   * `kCutoff` implies `'ewald'`, `meshOrder`/`meshSpacing` imply `'pme'`.
   * `'direct'` and `'mesh'` are accepted as the names the LODE expansion
   * uses for the same two methods.
   */
  method?: 'ewald' | 'pme' | 'auto' | 'direct' | 'mesh';
  /** PME B-spline order, 3..7; chosen from `accuracy` when omitted. */
  meshOrder?: number;
  /** PME target mesh spacing (A); mesh sizes are rounded up to FFT-friendly sizes. Chosen from `accuracy` when omitted. */
  meshSpacing?: number;
}

/**
 * e^2 / (4 pi eps0) in eV A / e^2, LAMMPS' `units metal` value: the native
 * core's, so that TypeScript and C++ cannot disagree.
 */
export const COULOMB_CONSTANT: number = native.coulombConstant;

const KNOWN_OPTIONS = ['charges', 'exponent', 'dispersion', 'accuracy', 'smearing', 'cutoff', 'kCutoff', 'method', 'meshOrder', 'meshSpacing'];

function optionalPositive(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`Ewald: ${name} must be a positive finite number, got ${String(value)}`);
  }
  return value;
}

function checkValues(values: PerAtomValues, name: string, nonNegative: boolean): PerAtomValues {
  if (typeof values !== 'object' || values === null) {
    throw new Error(`Ewald: ${name} must be an object {atomicNumber: value} or an array with one value per atom`);
  }
  const entries: [string, unknown][] =
    typeof (values as ArrayLike<number>).length === 'number'
      ? Array.from(values as ArrayLike<number>, (v, i) => [String(i), v])
      : Object.entries(values);
  for (const [key, v] of entries) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`Ewald: ${name}[${key}] must be a finite number, got ${String(v)}`);
    if (nonNegative && v < 0) throw new Error(`Ewald: ${name}[${key}] must be >= 0, got ${v}`);
  }
  return values;
}

/** One value per atom of `system`, from a per-atom array or a per-atomic-number table. */
function perAtom(values: PerAtomValues, system: NativeSystem, name: string, transform: (v: number) => number): Float64Array {
  const n = system.types.length;
  const out = new Float64Array(n);
  if (typeof (values as ArrayLike<number>).length === 'number') {
    const array = values as ArrayLike<number>;
    if (array.length !== n) throw new Error(`Ewald: ${name} has ${array.length} values but the system has ${n} atoms`);
    for (let i = 0; i < n; i++) out[i] = transform(array[i]);
    return out;
  }
  const table = values as Readonly<Record<number, number>>;
  for (let i = 0; i < n; i++) {
    const v = table[system.types[i]];
    if (v === undefined) throw new Error(`Ewald: ${name} has no value for atomic number ${system.types[i]} (atom ${i})`);
    out[i] = transform(v);
  }
  return out;
}

interface Term {
  name: string;
  values: PerAtomValues;
  transform: (v: number) => number;
  calculator: NativeEwald;
}

/**
 * Ewald summation (periodic cells, tin-foil boundary conditions, uniform
 * background for charged cells) or the direct pair sum (molecules) of fixed
 * point charges and/or dispersion coefficients. The k-space part is a direct
 * k sum or smooth particle-mesh Ewald (`method`). Parameters are chosen per
 * system from `accuracy` (Kolafa-Perram style estimates, and an aliasing
 * estimate for the mesh) unless given;
 * `parameters` reports those of the last computation. Explicit `smearing`,
 * `cutoff` and `kCutoff` apply to the charges term (or to the dispersion term
 * when there are no charges); the dispersion term of a combined calculator
 * is always tuned from `accuracy`.
 */
export class Ewald implements ForceField {
  readonly options: Readonly<EwaldOptions>;
  private readonly terms: Term[];
  private last: EwaldParameters | null = null;

  constructor(options: EwaldOptions) {
    if (typeof options !== 'object' || options === null) throw new Error('Ewald: expected an options object');
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.includes(key)) throw new Error(`Ewald: unknown option '${key}' (known: ${KNOWN_OPTIONS.join(', ')})`);
    }
    const exponent = options.exponent ?? 1;
    if (exponent !== 1 && exponent !== 6) throw new Error(`Ewald: exponent must be 1 or 6, got ${String(exponent)}`);
    const accuracy = options.accuracy ?? 1e-6;
    if (typeof accuracy !== 'number' || !(accuracy >= 1e-15 && accuracy < 1)) {
      throw new Error(`Ewald: accuracy must be a number between 1e-15 and 1, got ${String(accuracy)}`);
    }
    const overrides = {
      smearing: optionalPositive(options.smearing, 'smearing'),
      cutoff: optionalPositive(options.cutoff, 'cutoff'),
      kCutoff: optionalPositive(options.kCutoff, 'kCutoff'),
    };
    const requested = options.method ?? 'auto';
    const method = requested === 'direct' ? 'ewald' : requested === 'mesh' ? 'pme' : requested;
    if (method !== 'ewald' && method !== 'pme' && method !== 'auto') {
      throw new Error(
        `Ewald: method must be 'ewald' (or 'direct'), 'pme' (or 'mesh') or 'auto', got ${String(options.method)}`,
      );
    }
    const meshOrder = options.meshOrder ?? 0;
    // the range (3..7) is checked once, by the core
    if (options.meshOrder !== undefined && !Number.isInteger(meshOrder)) {
      throw new Error(`Ewald: meshOrder must be an integer, got ${String(options.meshOrder)}`);
    }
    const mesh = { method, meshOrder, meshSpacing: optionalPositive(options.meshSpacing, 'meshSpacing') };
    if (options.charges === undefined && options.dispersion === undefined) {
      throw new Error('Ewald: give charges and/or dispersion coefficients');
    }
    const Native = native.Ewald;
    this.terms = [];
    if (options.charges !== undefined) {
      this.terms.push({
        name: 'charges',
        values: checkValues(options.charges, 'charges', false),
        transform: (v) => v,
        calculator: new Native({ exponent, prefactor: exponent === 1 ? COULOMB_CONSTANT : 1, accuracy, ...overrides, ...mesh }),
      });
    }
    if (options.dispersion !== undefined) {
      const primary = this.terms.length === 0;
      this.terms.push({
        name: 'dispersion',
        values: checkValues(options.dispersion, 'dispersion', true),
        transform: Math.sqrt,
        calculator: new Native({
          exponent: 6,
          prefactor: -1,
          accuracy,
          ...(primary ? { ...overrides, ...mesh } : { smearing: 0, cutoff: 0, kCutoff: 0, method, meshOrder: 0, meshSpacing: 0 }),
        }),
      });
    }
    this.options = Object.freeze({ ...options });
  }

  /** Parameters of the last compute() (null before the first). */
  get parameters(): EwaldParameters | null {
    return this.last;
  }

  /** Parameters that compute() would use for this system. */
  parametersFor(system: System): EwaldParameters {
    const s = toNativeSystem(system);
    return this.combine(this.terms.map((t) => t.calculator.parameters(s, perAtom(t.values, s, t.name, t.transform))));
  }

  compute(system: System, request: ForceFieldRequest = {}): ForceFieldResult {
    const s = toNativeSystem(system);
    const r = this.request(s, request);
    const results = this.terms.map((t) => t.calculator.compute(s, perAtom(t.values, s, t.name, t.transform), r));
    return this.assemble(s, request, results);
  }

  async computeAsync(system: System, request: ForceFieldRequest = {}): Promise<ForceFieldResult> {
    const s = toNativeSystem(system);
    const r = this.request(s, request);
    const weights = this.terms.map((t) => perAtom(t.values, s, t.name, t.transform));
    const results = await Promise.all(this.terms.map((t, k) => t.calculator.computeAsync(s, weights[k], r)));
    return this.assemble(s, request, results);
  }

  private request(system: NativeSystem, request: ForceFieldRequest) {
    if (request.stress && !system.cell) throw new Error('stress: the system has no cell (stress needs a periodic system)');
    return { forces: request.forces ?? true, virial: request.stress ?? false, perAtom: request.perAtom ?? false };
  }

  private combine(parameters: EwaldParameters[]): EwaldParameters {
    const [first, second] = parameters;
    return second ? { ...first, dispersion: second } : { ...first };
  }

  private assemble(system: NativeSystem, request: ForceFieldRequest, results: NativeLongRangeResult[]): ForceFieldResult {
    this.last = this.combine(results.map((r) => r.parameters));
    const [first, ...rest] = results;
    const out: ForceFieldResult = { energy: first.energy };
    if (first.forces) out.forces = first.forces;
    if (first.energies) out.energies = first.energies;
    let virial = first.virial;
    for (const r of rest) {
      out.energy += r.energy;
      if (out.forces && r.forces) for (let i = 0; i < out.forces.length; i++) out.forces[i] += r.forces[i];
      if (out.energies && r.energies) for (let i = 0; i < out.energies.length; i++) out.energies[i] += r.energies[i];
      if (virial && r.virial) for (let i = 0; i < 9; i++) virial[i] += r.virial[i];
    }
    if (request.stress && virial && system.cell) {
      const V = cellVolume(system.cell);
      out.virial = virial;
      out.stress = virial.map((v) => -v / V);
    }
    return out;
  }
}
