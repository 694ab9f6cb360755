// featomic-shaped hyper-parameter JSON: types, parsing and validation of
// names and JSON types (numeric ranges are checked again by the core).
import type { NativeLodeHypers } from '../native/types.js';

export interface CutoffHypers {
  /** Cutoff radius (A). */
  radius: number;
  smoothing: { type: 'ShiftedCosine'; width: number } | { type: 'Step' };
}

export interface GaussianDensity {
  type: 'Gaussian';
  /** Gaussian width sigma (A). */
  width: number;
  /** Weight of the centre atom's own density (default 1). */
  center_atom_weight?: number;
}

export interface GtoRadialBasis {
  type: 'Gto';
  /** Largest radial index, inclusive: max_radial + 1 functions. */
  max_radial: number;
  /** Extent of the GTO basis (A); defaults to the cutoff radius. */
  radius?: number;
}

export interface TensorProductBasis {
  type: 'TensorProduct';
  max_angular: number;
  radial: GtoRadialBasis;
  /** Absolute accuracy of the splined radial integrals; null = exact (slow). Default 1e-8. */
  spline_accuracy?: number | null;
}

export interface SphericalExpansionHypers {
  cutoff: CutoffHypers;
  density: GaussianDensity;
  basis: TensorProductBasis;
}

type Json = Record<string, unknown>;

export function expectObject(value: unknown, where: string, allowed: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected an object with keys ${allowed.join(', ')}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new Error(`${where}.${key}: unknown hyper-parameter; expected one of ${allowed.join(', ')}`);
    }
  }
  return value as Json;
}

export function expectNumber(value: unknown, where: string, check?: { min?: number; exclusiveMin?: number; max?: number; integer?: boolean }): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    // JSON.stringify would print NaN and Infinity as null
    throw new Error(`${where}: expected a finite number, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`);
  }
  if (check?.integer && !Number.isInteger(value)) throw new Error(`${where}: expected an integer, got ${value}`);
  if (check?.exclusiveMin !== undefined && !(value > check.exclusiveMin)) {
    throw new Error(`${where}: expected a number > ${check.exclusiveMin}, got ${value}`);
  }
  if (check?.min !== undefined && value < check.min) throw new Error(`${where}: expected a number >= ${check.min}, got ${value}`);
  if (check?.max !== undefined && value > check.max) throw new Error(`${where}: expected a number <= ${check.max}, got ${value}`);
  return value;
}

export function expectType<T extends string>(value: unknown, where: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new Error(`${where}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export const MAX_ANGULAR = 25;

export interface ParsedCutoff {
  cutoffRadius: number;
  cutoffKind: 'Step' | 'ShiftedCosine';
  smoothingWidth: number;
}

export function parseCutoff(value: unknown, where = 'cutoff'): ParsedCutoff {
  const cutoff = expectObject(value, where, ['radius', 'smoothing']);
  const radius = expectNumber(cutoff.radius, `${where}.radius`, { exclusiveMin: 0 });
  const smoothing = expectObject(cutoff.smoothing, `${where}.smoothing`, ['type', 'width']);
  const kind = expectType(smoothing.type, `${where}.smoothing.type`, ['ShiftedCosine', 'Step'] as const);
  let width = 0;
  if (kind === 'ShiftedCosine') {
    width = expectNumber(smoothing.width, `${where}.smoothing.width`, { exclusiveMin: 0, max: radius });
  } else if (smoothing.width !== undefined) {
    throw new Error(`${where}.smoothing.width: a Step cutoff has no width`);
  }
  return { cutoffRadius: radius, cutoffKind: kind, smoothingWidth: width };
}

export interface ParsedBasis {
  maxAngular: number;
  maxRadial: number;
  radialRadius: number;
  splineAccuracy: number;
}

/** `defaultRadius` applies when basis.radial.radius is absent (0: required). */
export function parseBasis(value: unknown, defaultRadius: number, where = 'basis'): ParsedBasis {
  const basis = expectObject(value, where, ['type', 'max_angular', 'radial', 'spline_accuracy']);
  expectType(basis.type, `${where}.type`, ['TensorProduct'] as const);
  const maxAngular = expectNumber(basis.max_angular, `${where}.max_angular`, { integer: true, min: 0, max: MAX_ANGULAR });
  const radial = expectObject(basis.radial, `${where}.radial`, ['type', 'max_radial', 'radius']);
  expectType(radial.type, `${where}.radial.type`, ['Gto'] as const);
  const maxRadial = expectNumber(radial.max_radial, `${where}.radial.max_radial`, { integer: true, min: 0, max: 30 });
  let radialRadius = defaultRadius;
  if (radial.radius !== undefined) {
    radialRadius = expectNumber(radial.radius, `${where}.radial.radius`, { exclusiveMin: 0 });
  } else if (!(defaultRadius > 0)) {
    throw new Error(`${where}.radial.radius: required (A)`);
  }
  let splineAccuracy = 1e-8;
  if (basis.spline_accuracy === null) splineAccuracy = 0;
  else if (basis.spline_accuracy !== undefined) {
    splineAccuracy = expectNumber(basis.spline_accuracy, `${where}.spline_accuracy`, { exclusiveMin: 0 });
  }
  return { maxAngular, maxRadial, radialRadius, splineAccuracy };
}

export function parseSphericalExpansionHypers(value: unknown) {
  const hypers = expectObject(value, 'hypers', ['cutoff', 'density', 'basis']);
  const cutoff = parseCutoff(hypers.cutoff, 'hypers.cutoff');
  const density = expectObject(hypers.density, 'hypers.density', ['type', 'width', 'center_atom_weight']);
  expectType(density.type, 'hypers.density.type', ['Gaussian'] as const);
  const densityWidth = expectNumber(density.width, 'hypers.density.width', { exclusiveMin: 0 });
  const centerAtomWeight =
    density.center_atom_weight === undefined ? 1 : expectNumber(density.center_atom_weight, 'hypers.density.center_atom_weight');
  const basis = parseBasis(hypers.basis, cutoff.cutoffRadius, 'hypers.basis');
  return { ...cutoff, densityWidth, centerAtomWeight, ...basis };
}

// ---------------------------------------------------------------------------
// LODE (long-distance equivariant) expansion

export interface SmearedPowerLawDensity {
  type: 'SmearedPowerLaw';
  /** Gaussian smearing sigma (A) of the 1/r^p potential (p = 0: width of the Gaussian density itself). */
  smearing: number;
  /** Exponent p of the potential, 0..6 (1: Coulomb, 6: dispersion, 0: the smeared density). */
  exponent: number;
  /** featomic's place for the weight of the centre atom's own field (default 1). */
  center_atom_weight?: number;
}

export interface LodeRadialBasis extends GtoRadialBasis {
  /** Extent of the GTO basis (A): required for LODE (there is no cutoff to default to). */
  radius: number;
}

export interface LodeBasis extends TensorProductBasis {
  radial: LodeRadialBasis;
}

export interface LodeSphericalExpansionHypers {
  density: SmearedPowerLawDensity;
  basis: LodeBasis;
  /** Spherical cutoff in reciprocal space (1/A); default (null or absent) 1.2 pi / smearing. */
  k_cutoff?: number | null;
  /**
   * Weight w of the centre atom's own field: (1 - w) times its exact
   * projection is removed (featomic's semantics; default 1 keeps the full
   * sum, as pyLODE and the references). Also accepted inside `density`.
   */
  center_atom_weight?: number;
  /**
   * Near-field exclusion (off by default): the field of every atom closer
   * than `radius` (A) to the centre, and the centre's own, is removed from
   * the expansion, switched off by a shifted cosine over the last `width`
   * A (default 1). With `radius` the local cutoff, rho x V then holds only
   * what the local features cannot see: it vanishes for a molecule smaller
   * than the cutoff, and two distant molecules interact through it alone.
   * Not in featomic or pyLODE.
   */
  exclusion?: { radius: number; width?: number };
  /**
   * k-space method of periodic systems (molecules always use real space):
   * 'direct' (default) sums over every k-vector, O(N N_k); 'mesh' evaluates
   * the same sum with window assignment and FFTs, O(N + M log M) per
   * channel, values and backward() only (positions/strain/cell gradients
   * from compute() throw: use backward() or 'direct'); 'auto' takes the
   * cheaper of the two that meets `accuracy` (always 'direct' when compute()
   * is asked for gradients). 'split' separates the field as Ewald sums do:
   * the field of a larger smearing in k-space with few k-vectors, the
   * short-ranged difference summed over neighbours in real space; it gives
   * values, all gradients and backward(), and converges to the field without
   * the band limit (k_cutoff must be unset: the direct sum with
   * k_cutoff >= 9 / smearing gives the same to `accuracy`). 'auto' also
   * considers 'split' when the band limit of k_cutoff leaves out less than
   * `accuracy` of the field (so that both agree).
   */
  method?: 'direct' | 'mesh' | 'split' | 'auto';
  /**
   * Mesh and split accuracy (default 1e-6): the estimated RMS error of the
   * coefficients over centres and (n, l, m) divided by the RMS of their
   * k-space part for uncorrelated positions at the same density (reported
   * as `valueScale` by `parameters()`). The estimate is an aliasing bound
   * with a safety margin; measured errors are below it on random systems.
   */
  accuracy?: number;
  /**
   * Smearing (A, at least the density's) of the k-space part of method
   * 'split'; default chosen with the cutoffs for `accuracy` at the lowest
   * modelled cost (`parameters(system).splitSmearing`). Equal to the
   * density's, there is no real-space part: a direct sum converged to
   * `accuracy`.
   */
  split_smearing?: number;
  /** Mesh points along each lattice vector, or a target spacing (A); default chosen for `accuracy`. */
  mesh?: [number, number, number] | number;
  /**
   * Width 3..7 of the mesh's assignment window in mesh points (the B-spline
   * order; a Kaiser-Bessel window has the same width); default chosen for
   * `accuracy`, and the window too (`parameters(system).meshWindow`).
   */
  mesh_order?: number;
}

export const MAX_LODE_EXPONENT = 6;
export const LODE_METHODS = ['direct', 'mesh', 'split', 'auto'] as const;
/**
 * k cutoff times smearing where method 'split' (which sums the field to
 * convergence) and its real-space kernels stop: G_p(k) I_nl(k) k^2 is below
 * ~1e-17 of its peak there (kConvergedKSmearing of the native core, which
 * checks it).
 */
export const CONVERGED_K_SMEARING = 9;

/** Flat options of the native LODE expansion. */
export type ParsedLodeHypers = NativeLodeHypers;

export function parseLodeHypers(value: unknown): ParsedLodeHypers {
  const hypers = expectObject(value, 'hypers', ['density', 'basis', 'k_cutoff', 'center_atom_weight', 'exclusion', 'method', 'accuracy', 'mesh', 'mesh_order', 'split_smearing']);
  const density = expectObject(hypers.density, 'hypers.density', ['type', 'smearing', 'exponent', 'center_atom_weight']);
  expectType(density.type, 'hypers.density.type', ['SmearedPowerLaw'] as const);
  const smearing = expectNumber(density.smearing, 'hypers.density.smearing', { exclusiveMin: 0 });
  const exponent = expectNumber(density.exponent, 'hypers.density.exponent', { integer: true, min: 0, max: MAX_LODE_EXPONENT });
  if (density.center_atom_weight !== undefined && hypers.center_atom_weight !== undefined) {
    throw new Error('hypers.center_atom_weight: given twice (also in hypers.density); keep one');
  }
  const weight = density.center_atom_weight ?? hypers.center_atom_weight;
  const where = density.center_atom_weight !== undefined ? 'hypers.density.center_atom_weight' : 'hypers.center_atom_weight';
  const centerAtomWeight = weight === undefined ? 1 : expectNumber(weight, where);
  const basis = parseBasis(hypers.basis, 0, 'hypers.basis');
  const method = parseLodeMethod(hypers);
  let kCutoff = method.method === 'split' ? CONVERGED_K_SMEARING / smearing : (1.2 * Math.PI) / smearing;
  if (hypers.k_cutoff !== undefined && hypers.k_cutoff !== null) {
    if (method.method === 'split') {
      throw new Error("hypers.k_cutoff: method 'split' sums the field to convergence (to `accuracy`), it takes no k_cutoff; use method 'direct' for a band-limited field");
    }
    kCutoff = expectNumber(hypers.k_cutoff, 'hypers.k_cutoff', { exclusiveMin: 0 });
  }
  let splitSmearing = 0;
  if (hypers.split_smearing !== undefined) {
    if (method.method !== 'split') throw new Error(`hypers.split_smearing: only applies to method 'split', not '${method.method}'`);
    splitSmearing = expectNumber(hypers.split_smearing, 'hypers.split_smearing', { min: smearing });
  }
  return { smearing, exponent, centerAtomWeight, kCutoff, ...basis, ...parseExclusion(hypers.exclusion), ...method, splitSmearing };
}

function parseExclusion(value: unknown): Pick<ParsedLodeHypers, 'exclusionRadius' | 'exclusionWidth'> {
  if (value === undefined || value === null) return { exclusionRadius: 0, exclusionWidth: 0 };
  const exclusion = expectObject(value, 'hypers.exclusion', ['radius', 'width']);
  const radius = expectNumber(exclusion.radius, 'hypers.exclusion.radius', { exclusiveMin: 0 });
  const width = exclusion.width === undefined ? Math.min(1, radius) : expectNumber(exclusion.width, 'hypers.exclusion.width', { exclusiveMin: 0, max: radius });
  return { exclusionRadius: radius, exclusionWidth: width };
}

function parseLodeMethod(hypers: Json): Pick<ParsedLodeHypers, 'method' | 'accuracy' | 'mesh' | 'meshSpacing' | 'meshOrder'> {
  const method = hypers.method === undefined ? 'direct' : expectType(hypers.method, 'hypers.method', LODE_METHODS);
  const accuracy = hypers.accuracy === undefined ? 1e-6 : expectNumber(hypers.accuracy, 'hypers.accuracy', { exclusiveMin: 0, max: 0.5 });
  let mesh: [number, number, number] = [0, 0, 0];
  let meshSpacing = 0;
  if (typeof hypers.mesh === 'number') {
    meshSpacing = expectNumber(hypers.mesh, 'hypers.mesh', { exclusiveMin: 0 });
  } else if (Array.isArray(hypers.mesh) && hypers.mesh.length === 3) {
    mesh = hypers.mesh.map((v, d) => expectNumber(v, `hypers.mesh[${d}]`, { integer: true, min: 3 })) as [number, number, number];
  } else if (hypers.mesh !== undefined) {
    throw new Error(`hypers.mesh: expected 3 integers (points along each lattice vector) or a spacing in A, got ${JSON.stringify(hypers.mesh)}`);
  }
  const meshOrder = hypers.mesh_order === undefined ? 0 : expectNumber(hypers.mesh_order, 'hypers.mesh_order', { integer: true });
  if ((method === 'direct' || method === 'split') && (hypers.mesh !== undefined || hypers.mesh_order !== undefined)) {
    throw new Error(`hypers.mesh: mesh and mesh_order only apply to method 'mesh' or 'auto', not '${method}'`);
  }
  return { method, accuracy, mesh, meshSpacing, meshOrder };
}
