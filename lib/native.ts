// Loads the addon (a prebuild when present, else build/Release) and types it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { ParsedLodeHypers } from './hypers.js';
import type { LodeParameters } from './lode-expansion.js';

/** A system as the addon receives it (already validated for types by lib/system.ts). */
export interface NativeSystem {
  positions: Float64Array;
  types: Int32Array;
  cell: Float64Array | null;
  pbc: [boolean, boolean, boolean];
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
  sphericalHarmonics(
    directions: Float64Array,
    maxL: number,
    gradients: boolean,
  ): { values: Float64Array; gradients: Float64Array };
  gaussianRadialIntegral(
    distances: Float64Array,
    options: { maxRadial: number; radius: number; maxAngular: number; width: number; cutoff: number; splineAccuracy: number },
  ): { values: Float64Array; derivatives: Float64Array };
  neighborList(
    system: NativeSystem,
    cutoff: number,
  ): { first: Int32Array; second: Int32Array; shifts: Int32Array; vectors: Float64Array; distances: Float64Array };
  /** Real 3D FFT of a row-major n0 x n1 x n2 grid: interleaved re/im of the n0 x n1 x (n2/2+1) half spectrum. */
  fft3dRealForward(grid: Float64Array, n0: number, n1: number, n2: number, band?: [number, number, number]): Float64Array;
  /** Inverse of fft3dRealForward, unnormalised: inverse(forward(x)) = n0 n1 n2 x. */
  fft3dRealInverse(spectrum: Float64Array, n0: number, n1: number, n2: number, band?: [number, number, number]): Float64Array;
  /** Smallest m >= n whose prime factors are all in {2, 3, 5, 7}. */
  goodFftSize(n: number): number;
  SphericalExpansion: new (hypers: NativeExpansionHypers) => NativeExpansion;
  LodeSphericalExpansion: new (hypers: NativeLodeHypers) => NativeLodeExpansion;
  Invariants: new (a: NativeExpansion, b: NativeExpansion, options: NativeInvariantOptions) => NativeInvariants;
  NormalEquations: {
    new (parameters: number): NativeNormalEquations;
    /** Bytes one instance holds for this many parameters. */
    storedBytes(parameters: number): number;
    /** Extra bytes one solve() needs. */
    solveBytes(parameters: number): number;
  };
  /** An expansion whose (type, radial) channels are contracted to `channels` per l (matrices: [l][channel][type x radial]). */
  ContractedExpansion: new (inner: NativeExpansion, types: Int32Array, channels: number, matrices: Float64Array) => NativeExpansion;
  releaseCachedMemory(): number;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('lodestone: cannot find the package root (package.json)');
    dir = parent;
  }
  return dir;
}

const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (root: string) => unknown;

/**
 * The loaded addon. LODESTONE_ADDON=path/to/lodestone.node overrides the
 * lookup (sanitizer builds, side-by-side development builds).
 */
export const native = (process.env.LODESTONE_ADDON ? require(process.env.LODESTONE_ADDON) : load(packageRoot())) as NativeBinding;

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

export interface NativeInvariants {
  compute(systems: NativeSystem[], request: NativeRequest): NativeExpansionResult;
  computeAsync(systems: NativeSystem[], request: NativeRequest): Promise<NativeExpansionResult>;
  backward(systems: NativeSystem[], request: NativeRequest, dLdx: Float64Array): NativeBackward & { values: Float64Array };
  backwardAsync(
    systems: NativeSystem[],
    request: NativeRequest,
    dLdx: Float64Array,
  ): Promise<NativeBackward & { values: Float64Array }>;
}

export interface NativeNormalEquations {
  add(rows: Float64Array, targets: Float64Array, weights?: Float64Array | null): void;
  merge(other: NativeNormalEquations): void;
  /**
   * argmin |A x - y|_W^2 + lambda x^T R x: R = diag(A^T W A) ('relative', scale-free),
   * the identity ('absolute'), or a given n x n matrix scaled by trace(A^T W A) / trace(R).
   */
  solve(lambda: number, regularizer: 'relative' | 'absolute' | Float64Array): Float64Array;
  residual(parameters: Float64Array): number;
  readonly rows: number;
  readonly size: number;
  readonly weightSum: number;
  readonly targetNorm: number;
  /** trace(A^T W A). */
  readonly trace: number;
}

/** What the native LODE expansion reads: lib/hypers.ts's parsed form. */
export type NativeLodeHypers = ParsedLodeHypers;

export interface NativeLodeExpansion extends NativeExpansion {
  parameters(system: NativeSystem, gradients: boolean): LodeParameters;
}
