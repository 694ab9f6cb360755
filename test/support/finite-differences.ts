// The finite-difference stencil of the test suite. Whole calculators and
// force fields (every coordinate, strain and cell component) are checked
// with it through test/support/check-gradients.ts.
import { cellVolume } from '../../lib/core/system.js';

export type VectorFunction = (x: Float64Array) => ArrayLike<number> | number;

function evaluate(f: VectorFunction, x: Float64Array): Float64Array {
  const v = f(x);
  return typeof v === 'number' ? Float64Array.of(v) : Float64Array.from(v);
}

/**
 * d f / d x[k] at x0 by the fourth-order central stencil
 * (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h (error O(h^4)).
 */
export function derivative(f: VectorFunction, x0: ArrayLike<number>, k: number, h = 1e-4): Float64Array {
  return directionalDerivative(f, x0, unit(x0.length, k), h);
}

/** d f(x0 + t d) / dt at t = 0, same stencil. */
export function directionalDerivative(f: VectorFunction, x0: ArrayLike<number>, direction: ArrayLike<number>, h = 1e-4): Float64Array {
  const shifted = (t: number) => {
    const x = Float64Array.from(x0);
    for (let i = 0; i < x.length; i++) x[i] += t * direction[i];
    return evaluate(f, x);
  };
  const p2 = shifted(2 * h), p1 = shifted(h), m1 = shifted(-h), m2 = shifted(-2 * h);
  const out = new Float64Array(p1.length);
  for (let i = 0; i < out.length; i++) out[i] = (-p2[i] + 8 * p1[i] - 8 * m1[i] + m2[i]) / (12 * h);
  return out;
}

/** Columns d f / d x[k] for the given indices (all when omitted). */
export function jacobianColumns(f: VectorFunction, x0: ArrayLike<number>, indices?: number[], h = 1e-4): Float64Array[] {
  const list = indices ?? Array.from({ length: x0.length }, (_, k) => k);
  return list.map((k) => derivative(f, x0, k, h));
}

function unit(n: number, k: number): Float64Array {
  const e = new Float64Array(n);
  e[k] = 1;
  return e;
}

/** max |a - b| / max |b| (absolute error when b vanishes). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

/** Strain x (1 + eps): positions and cell rows transformed by (I + eps) with eps[a][b] = e at (a, b). */
export function strained(positions: ArrayLike<number>, cell: ArrayLike<number> | null, a: number, b: number, e: number) {
  const apply = (v: ArrayLike<number>) => {
    const out = Float64Array.from(v);
    for (let r = 0; r < out.length / 3; r++) out[3 * r + b] += e * v[3 * r + a];
    return out;
  };
  return { positions: apply(positions), cell: cell ? apply(cell) : null };
}

/** |a - b| / |b|. */
export const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Root-mean-square per-atom difference of two [atoms][3] force arrays. */
export function rmsForceDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / (a.length / 3));
}

/**
 * The force scale an Ewald `accuracy` refers to, computed here from its
 * documented definition (lib/longrange/ewald.ts, EwaldOptions.accuracy) and
 * not taken from the code under test: |prefactor| c_rms^2 / d^(p+1) with
 * d = (V/N)^(1/3); prefactor 14.399645 for charges with p = 1, else 1; for
 * dispersion (p = 6) c_i^2 = C6_i.
 */
export function documentedForceScale(
  options: { charges?: ArrayLike<number> | Readonly<Record<number, number>>; exponent?: number; dispersion?: Readonly<Record<number, number>> },
  system: { types: ArrayLike<number>; cell: ArrayLike<number> | null },
): number {
  const n = system.types.length;
  const perAtom = (values: ArrayLike<number> | Readonly<Record<number, number>>, i: number) =>
    'length' in values && typeof values.length === 'number' ? (values as ArrayLike<number>)[i] : (values as Record<number, number>)[system.types[i]];
  let sumSquares = 0, prefactor: number, exponent: number;
  if (options.dispersion) {
    if (options.charges) throw new Error('documentedForceScale: charges and dispersion have one scale each');
    for (let i = 0; i < n; i++) sumSquares += perAtom(options.dispersion, i);
    prefactor = 1;
    exponent = 6;
  } else {
    exponent = options.exponent ?? 1;
    for (let i = 0; i < n; i++) sumSquares += perAtom(options.charges!, i) ** 2;
    prefactor = exponent === 1 ? 14.399645 : 1;
  }
  const d = Math.cbrt(cellVolume(system.cell!) / n);
  return (prefactor * sumSquares) / n / d ** (exponent + 1);
}
