// The single typed surface of the addon: every object and function that
// native/binding exports, as TypeScript sees it. Nothing here imports the rest
// of lib/, so every layer above can depend on it without a cycle.

/** A system as the addon receives it (already validated for types by lib/core/system.ts). */
export interface NativeSystem {
  positions: Float64Array;
  types: Int32Array;
  cell: Float64Array | null;
  pbc: [boolean, boolean, boolean];
  /** Total charge (e) when given (read by learned-charge baselines only, not by the addon). */
  charge?: number;
}

export interface NativeExpansionHypers {
  cutoffRadius: number;
  cutoffKind: 'Step' | 'ShiftedCosine';
  smoothingWidth: number;
  densityWidth: number;
  centerAtomWeight: number;
  maxRadial: number;
  maxAngular: number;
  radialRadius: number;
  splineAccuracy: number;
}

export interface NativeRequest {
  positions: boolean;
  strain: boolean;
  cell: boolean;
  neighborTypes: Int32Array;
  centers: Int32Array[] | null;
  /** Positions gradient summed over the centres of each type (invariants and equivariants). */
  sumCenters?: boolean;
}

export interface NativeExpansionResult {
  nSamples: number;
  nProperties: number;
  values: Float64Array;
  samples: Int32Array;
  properties: Int32Array;
  positionsGradient: Float64Array;
  positionsGradientSamples: Int32Array;
  strainGradient: Float64Array;
  cellGradient: Float64Array;
}

/** A native expansion object (spherical or LODE): values, gradients and the backward pass. */
export interface NativeExpansion {
  compute(systems: NativeSystem[], request: NativeRequest): NativeExpansionResult;
  computeAsync(systems: NativeSystem[], request: NativeRequest): Promise<NativeExpansionResult>;
  backward(systems: NativeSystem[], request: NativeRequest, dLdc: Float64Array): NativeBackward;
}

export interface NativeBinding {
  setNumThreads(n: number): void;
  getNumThreads(): number;
  SphericalExpansion: new (hypers: NativeExpansionHypers) => NativeExpansion;
  LodeSphericalExpansion: new (hypers: NativeLodeHypers) => NativeLodeExpansion;
  Invariants: new (a: NativeExpansion, b: NativeExpansion, options: NativeInvariantOptions) => NativeInvariants;
  /** Values and gradients carry 2 lambda + 1 components before the properties (nProperties counts the properties). */
  EquivariantInvariants: new (a: NativeExpansion, b: NativeExpansion, options: NativeEquivariantOptions) => NativeInvariants;
  RidgePath: new (rows: Float64Array, targets: Float64Array) => NativeRidgePath;
  /** Sparse points [M][dimension] (unit rows, grouped by species: counts), their weights [M], the kernel exponent. */
  SparseKernel: new (points: Float64Array, weights: Float64Array, counts: Int32Array, dimension: number, zeta: number) => NativeSparseKernel;
  NormalEquations: {
    new (parameters: number): NativeNormalEquations;
    /** Bytes one instance holds for this many parameters. */
    storedBytes(parameters: number): number;
    /** Extra bytes one solve() needs. */
    solveBytes(parameters: number): number;
  };
  /** An expansion whose (type, radial) channels are contracted to `channels` per l (matrices: [l][channel][type x radial]). */
  ContractedExpansion: new (inner: NativeExpansion, types: Int32Array, channels: number, matrices: Float64Array) => NativeExpansion;
  Ewald: new (options: NativeEwaldOptions) => NativeEwald;
  /** Vacuum electrostatics of Gaussian charges and point dipoles (lib/longrange/smeared-coulomb.ts). */
  smearedMultipoles(input: {
    positions: Float64Array;
    charges: Float64Array;
    dipoles?: Float64Array;
    sigma: number;
    exclusionRadius?: number;
    exclusionWidth?: number;
    groups?: Int32Array;
  }): { energy: number; energies: Float64Array; potentials: Float64Array; fields: Float64Array; forces: Float64Array };
  /** The closest pair of atoms of every type pair closer than `cutoff` (A), images included: types and atoms [pairs][2], distances [pairs]. */
  closestPairs(system: NativeSystem, cutoff: number): { types: Int32Array; atoms: Int32Array; distances: Float64Array };
  releaseCachedMemory(): number;
  /**
   * One backward pass through several Invariants (not equivariants), the
   * gradients summed; per invariant dL/dx . x per sample (`dots`).
   */
  backwardInvariants(
    list: NativeInvariants[],
    systems: NativeSystem[],
    request: NativeRequest,
    dLdx: Float64Array[],
  ): NativeBackward & { dots: Float64Array[] };
  backwardInvariantsAsync(
    list: NativeInvariants[],
    systems: NativeSystem[],
    request: NativeRequest,
    dLdx: Float64Array[],
  ): Promise<NativeBackward & { dots: Float64Array[] }>;
  /** e^2 / (4 pi eps0) in eV A / e^2 as the core uses it. */
  coulombConstant: number;
}

export interface NativeBackward {
  /** dL/dr, [atoms of all systems][3]. */
  positions: Float64Array;
  /** dL/dstrain, [systems][3][3]. */
  strain: Float64Array;
}

export interface NativeInvariantOptions {
  normalize: boolean;
  selection: Int32Array | null;
}

export interface NativeEquivariantOptions {
  lambda: number;
  sigma: number;
  /** (t1, t2, l1, l2, n1, n2) per property. */
  selection: Int32Array | null;
}

export interface NativeInvariants {
  compute(systems: NativeSystem[], request: NativeRequest): NativeExpansionResult;
  computeAsync(systems: NativeSystem[], request: NativeRequest): Promise<NativeExpansionResult>;
  backward(systems: NativeSystem[], request: NativeRequest, dLdx: Float64Array): NativeBackward & { values: Float64Array };
  backwardAsync(
    systems: NativeSystem[],
    request: NativeRequest,
    dLdx: Float64Array,
  ): Promise<NativeBackward & { values: Float64Array }>;
  /** y[sample][component] = weights[species[sample]] . x[sample][component]: a linear model on the values, computed natively. */
  computeWeighted(systems: NativeSystem[], request: NativeRequest, weights: Float64Array, species: Int32Array): Float64Array;
  /** The backward pass of computeWeighted from dL/dy [samples][components]. */
  backwardWeighted(systems: NativeSystem[], request: NativeRequest, weights: Float64Array, species: Int32Array, dLdy: Float64Array): NativeBackward;
}

/**
 * Solve for some parameters only, every other one held at its value in
 * `fixed` (all n parameters; zero without it): the block [begin, end), or
 * the strictly increasing indices `columns` (a model with fewer features
 * than the accumulated ones, e.g. fewer contracted channels). The
 * regulariser is then theirs: 'relative' to their diagonal, or an m x m
 * matrix (m solved parameters) scaled by their trace. All n are returned.
 */
export type NativeSolveBlock = ({ begin: number; end: number } | { columns: Int32Array }) & { fixed?: Float64Array };

export interface NativeNormalEquations {
  add(rows: Float64Array, targets: Float64Array, weights?: Float64Array | null): void;
  merge(other: NativeNormalEquations): void;
  /**
   * argmin |A x - y|_W^2 + lambda x^T R x: R = diag(A^T W A) ('relative', scale-free),
   * the identity ('absolute'), or a given n x n matrix scaled by trace(A^T W A) / trace(R).
   */
  solve(lambda: number, regularizer: 'relative' | 'absolute' | Float64Array, block?: NativeSolveBlock): Float64Array;
  residual(parameters: Float64Array): number;
  /** Frees the native matrix now (the garbage collector does not see its size); any later call throws. */
  release(): void;
  readonly rows: number;
}

/** Flat options of the native LODE expansion (lib/core/hypers.ts parses featomic's JSON into this). */
export interface NativeLodeHypers {
  smearing: number;
  exponent: number;
  maxRadial: number;
  maxAngular: number;
  radialRadius: number;
  kCutoff: number;
  centerAtomWeight: number;
  splineAccuracy: number;
  /** Near-field exclusion radius (A), 0 = off. */
  exclusionRadius: number;
  /** Width (A) over which the exclusion switches off, 0 < width <= radius when on. */
  exclusionWidth: number;
  method: 'direct' | 'mesh' | 'split' | 'auto';
  accuracy: number;
  /** smearing of the k-space part of 'split' (A), 0 = choose */
  splitSmearing: number;
  /** explicit points per lattice vector, [0, 0, 0] = choose */
  mesh: [number, number, number];
  /** explicit spacing (A), 0 = choose */
  meshSpacing: number;
  /** 0 = choose */
  meshOrder: number;
}

/** How a periodic system is computed (`LodeSphericalExpansion.parameters`). */
export interface LodeParameters {
  /** 'direct' (also for molecules, which use real space), 'mesh' or 'split'. */
  method: 'direct' | 'mesh' | 'split';
  /** Mesh points along each lattice vector (mesh only). */
  mesh?: [number, number, number];
  /** Width of the assignment window in mesh points, the B-spline order for a B-spline (mesh only). */
  meshOrder?: number;
  /**
   * The assignment window (mesh only): the cardinal B-spline, or a Kaiser-Bessel
   * window of the same width, whose smaller aliases let a coarser mesh meet the
   * accuracy (continuous; its slope jumps at its ends, by ~3e-5 of its largest
   * slope at the shapes the tuner takes).
   */
  meshWindow?: 'bspline' | 'kaiser-bessel';
  /** Shape beta of the Kaiser-Bessel window (mesh only, when it is used). */
  meshBeta?: number;
  /** Largest |a_d| / mesh_d (A) (mesh only). */
  meshSpacing?: number;
  /** Estimated relative RMS error (mesh: against the direct sum; split: against the converged field), in the units of `accuracy`. */
  estimatedError?: number;
  /** Smearing (A) of the k-space part (split only). */
  splitSmearing?: number;
  /** k cutoff (1/A) of the k-space part (split only). */
  splitKCutoff?: number;
  /** Real-space cutoff (A) of the pair part (split only; 0 = none, a converged direct sum). */
  splitCutoff?: number;
  /** The RMS that `accuracy` is relative to: the k-space part of v for uncorrelated positions at this density. */
  valueScale: number;
  /** Modelled costs of the methods (same arbitrary unit; Infinity when not considered). */
  directCost: number;
  meshCost: number;
  splitCost: number;
  /** k-vectors of the direct sum (half space, 0 < |k| < k_cutoff); split: the modelled count of its k-space part. */
  kVectors: number;
}

export interface NativeLodeExpansion extends NativeExpansion {
  parameters(system: NativeSystem, gradients: boolean): LodeParameters;
}

/** What a lattice sum used for one system (`method: 'direct'` for molecules: all pairs, no parameters). */
export interface EwaldParameters {
  method: 'ewald' | 'pme' | 'direct';
  smearing: number;
  cutoff: number;
  /** Direct Ewald only (0 for PME). */
  kCutoff: number;
  /** PME only: mesh points along each lattice vector, B-spline order, and max_d |a_d| / mesh_d (A). */
  mesh?: [number, number, number];
  meshOrder?: number;
  meshSpacing?: number;
  /** Estimated RMS force errors (eV/A): real space, k space and their quadrature sum. */
  realError: number;
  kspaceError: number;
  estimatedError: number;
  /** The force scale `accuracy` is relative to (eV/A). */
  referenceForce: number;
  /** For `charges` plus `dispersion`: the parameters of the dispersion sum (filled by lib/longrange/ewald.ts, not the addon). */
  dispersion?: EwaldParameters;
}

/** One lattice-sum term (charges or dispersion) as the native Ewald object takes it; 0 = choose from `accuracy`. */
export interface NativeEwaldOptions {
  exponent: number;
  prefactor: number;
  accuracy: number;
  smearing: number;
  cutoff: number;
  kCutoff: number;
  method: string;
  meshOrder: number;
  meshSpacing: number;
}

export interface NativeLongRangeRequest {
  forces: boolean;
  virial: boolean;
  perAtom: boolean;
}

export interface NativeLongRangeResult {
  energy: number;
  forces?: Float64Array;
  virial?: Float64Array;
  energies?: Float64Array;
  parameters: EwaldParameters;
}

export interface NativeEwald {
  compute(system: NativeSystem, weights: Float64Array, request: NativeLongRangeRequest): NativeLongRangeResult;
  computeAsync(system: NativeSystem, weights: Float64Array, request: NativeLongRangeRequest): Promise<NativeLongRangeResult>;
  parameters(system: NativeSystem, weights: Float64Array): EwaldParameters;
}

/**
 * Ridge regression at many regularisations from one eigendecomposition (the
 * dual rows x rows form when there are fewer rows than parameters): solve(lambda)
 * equals NormalEquations.solve(lambda, 'relative') on the same rows.
 */
export interface NativeRidgePath {
  solve(lambda: number): Float64Array;
}

/**
 * The kernel part of a sparse-kernel potential (native/include/lodestone/models/sparse_kernel.hpp):
 * per centre, sum_m alpha_m (x^ . y_m)^zeta over its species' points and the
 * gradient with respect to its features x [n][dimension].
 */
export interface NativeSparseKernel {
  evaluate(features: Float64Array, species: Int32Array): { energies: Float64Array; gradient: Float64Array };
  evaluateAsync(features: Float64Array, species: Int32Array): Promise<{ energies: Float64Array; gradient: Float64Array }>;
  /**
   * Least-squares rows of the kernel weights of one frame (the weights are
   * not used): the energy row and, with `forces`, the 3n force rows, from the
   * position gradients of the kernel's blocks (samples [rows][centre, system,
   * atom], values [rows][3][size], at `offset` in the kernel's columns).
   * Species s's weights start at columns[s], then (with `bias`) its bias.
   */
  designRows(
    features: Float64Array,
    species: Int32Array,
    blocks: Array<{ values: Float64Array; samples: Int32Array; size: number; offset: number; scale: number }>,
    columns: Int32Array,
    bias: boolean,
    parameters: number,
    forces: boolean,
  ): { energy: Float64Array; forces?: Float64Array };
}
