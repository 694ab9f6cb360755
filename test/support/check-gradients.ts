// One finite-difference check for every calculator and every force field:
// moves each atom coordinate, each strain component and (for feature
// calculators) each cell entry, and compares the analytic gradients, the
// backward pass, forces and stress with central differences of the values
// (the pattern of featomic's finite_differences_* checks). The scale of each
// comparison is the largest finite-difference derivative itself, which the
// code under test does not produce.
import { expect } from 'vitest';
import type { Backward } from '../../lib/core/backward.js';
import type { ForceFieldRequest, ForceFieldResult } from '../../lib/core/forcefield.js';
import type { FeatureBlock } from '../../lib/core/labels.js';
import type { ComputeOptions } from '../../lib/core/request.js';
import { cellVolume } from '../../lib/core/system.js';
import { strained, type VectorFunction } from './finite-differences.js';
import { rng, type TestSystem } from './random-systems.js';

/** A per-centre calculator: SphericalExpansion, LodeSphericalExpansion, Invariants, ContractedExpansion... */
export interface FeatureCalculator {
  compute(system: TestSystem, options?: ComputeOptions): FeatureBlock;
  backward?(system: TestSystem, dLdx: ArrayLike<number>, options?: Omit<ComputeOptions, 'gradients'>): Backward;
}

export interface ForceFieldLike {
  compute(system: TestSystem, request?: ForceFieldRequest): ForceFieldResult;
}

export interface CheckOptions {
  /** Gradient tensors from compute(..., { gradients }) to check; default positions and strain (strain only in... any system). */
  positions?: boolean;
  strain?: boolean;
  /** dx/d(cell) at fixed Cartesian positions (featomic's convention); periodic systems only. Default false. */
  cell?: boolean;
  /** Check backward() with a random dL/dx against finite differences of dL/dx . x. Default: when the calculator has it. */
  backward?: boolean;
  /** Other compute options (centers, neighborTypes). */
  options?: Omit<ComputeOptions, 'gradients'>;
  /** Step of the central differences (A, or strain). Default 1e-5. */
  h?: number;
  /** Largest allowed |analytic - finite difference| / max |finite difference|. Default 1e-8. */
  tolerance?: number;
  /** Seed of the random dL/dx. */
  seed?: number;
}

export interface GradientErrors {
  positions?: number;
  strain?: number;
  cell?: number;
  backwardPositions?: number;
  backwardStrain?: number;
}

/**
 * d f / d x[k] by the central difference (f(x + h) - f(x - h)) / 2h: error
 * h^2 f''' / 6 plus rounding eps |f| / h, both near 1e-11 relative at the
 * default h = 1e-5, far below the tolerances, at half the cost of the
 * fourth-order stencil of finite-differences.ts.
 */
function derivative(f: VectorFunction, x0: ArrayLike<number>, k: number, h: number): Float64Array {
  const at = (t: number) => {
    const x = Float64Array.from(x0);
    x[k] += t;
    const v = f(x);
    return typeof v === 'number' ? Float64Array.of(v) : Float64Array.from(v);
  };
  const plus = at(h), minus = at(-h);
  return plus.map((v, i) => (v - minus[i]) / (2 * h));
}

/** max |a - b| / max |b|; Infinity when the expected derivatives all vanish (nothing checked). */
function scaledError(analytic: ArrayLike<number>, fd: ArrayLike<number>, where: string): number {
  expect(analytic.length, `${where}: length`).toBe(fd.length);
  let diff = 0, scale = 0;
  for (let k = 0; k < fd.length; k++) {
    diff = Math.max(diff, Math.abs(analytic[k] - fd[k]));
    scale = Math.max(scale, Math.abs(fd[k]));
  }
  expect(scale, `${where}: the finite differences vanish, the check would be empty`).toBeGreaterThan(0);
  return diff / scale;
}

function withPositions(system: TestSystem, positions: Float64Array): TestSystem {
  return { ...system, positions };
}

/**
 * Step for the strain components: a strain e moves an atom by e |r|, so the
 * step is h over the largest coordinate, which moves atoms by about h.
 */
function strainStep(system: TestSystem, h: number): number {
  let size = 1;
  for (const v of system.positions) size = Math.max(size, Math.abs(v));
  for (const v of system.cell ?? []) size = Math.max(size, Math.abs(v));
  return h / size;
}

function strainedSystem(system: TestSystem, a: number, b: number, e: number): TestSystem {
  const s = strained(system.positions, system.cell, a, b, e);
  return { ...system, positions: s.positions, cell: s.cell };
}

/**
 * Checks every gradient of a feature calculator on `system` (one system) by
 * finite differences of its values, and returns the errors found (each
 * already asserted below `tolerance`).
 */
export function checkGradients(calculator: FeatureCalculator, system: TestSystem, check: CheckOptions = {}): GradientErrors {
  const h = check.h ?? 1e-5;
  const tolerance = check.tolerance ?? 1e-8;
  const options = check.options ?? {};
  const periodic = system.cell !== null;
  const doPositions = check.positions ?? true;
  const doStrain = check.strain ?? true;
  const doCell = check.cell ?? false;
  const doBackward = check.backward ?? typeof calculator.backward === 'function';
  const values = (s: TestSystem) => calculator.compute(s, options).values;
  const atoms = system.types.length;
  const errors: GradientErrors = {};

  const gradients: ('positions' | 'strain' | 'cell')[] = [];
  if (doPositions) gradients.push('positions');
  if (doStrain) gradients.push('strain');
  if (doCell) {
    expect(periodic, 'cell gradients need a periodic system').toBe(true);
    gradients.push('cell');
  }
  const reference = calculator.compute(system, options);
  const [S, P] = reference.shape;
  const block = gradients.length > 0 ? calculator.compute(system, { ...options, gradients }) : reference;
  // the values do not depend on which gradients were asked for
  expect(block.values).toEqual(reference.values);

  const random = rng(check.seed ?? 7);
  const dLdx = Float64Array.from({ length: S * P }, () => random() - 0.5);
  const dot = (column: Float64Array) => {
    let sum = 0;
    for (let k = 0; k < column.length; k++) sum += column[k] * dLdx[k];
    return sum;
  };
  // one finite-difference column of the values per coordinate and per strain
  // component, shared by the gradient tensors and the backward check
  const needPositions = doPositions || doBackward;
  const needStrain = doStrain || doBackward;
  const positionColumns = needPositions
    ? Array.from({ length: 3 * atoms }, (_, k) => derivative((x) => values(withPositions(system, x)), system.positions, k, h))
    : [];
  const strainColumns = needStrain
    ? Array.from({ length: 9 }, (_, ab) => derivative((e) => values(strainedSystem(system, Math.floor(ab / 3), ab % 3, e[0])), [0], 0, strainStep(system, h)))
    : [];

  if (doPositions) {
    const g = block.gradients.positions!;
    const dense = new Float64Array(S * atoms * 3 * P);
    for (let r = 0; r < g.samples!.count; r++) {
      const sample = g.samples!.values[3 * r], atom = g.samples!.values[3 * r + 2];
      for (let k = 0; k < 3 * P; k++) dense[(sample * atoms + atom) * 3 * P + k] += g.values[r * 3 * P + k];
    }
    const analytic = new Float64Array(S * P * 3 * atoms), fd = new Float64Array(S * P * 3 * atoms);
    for (let k = 0; k < 3 * atoms; k++) {
      const column = positionColumns[k];
      const atom = Math.floor(k / 3), xyz = k % 3;
      for (let i = 0; i < S; i++) {
        for (let p = 0; p < P; p++) {
          fd[(k * S + i) * P + p] = column[i * P + p];
          analytic[(k * S + i) * P + p] = dense[((i * atoms + atom) * 3 + xyz) * P + p];
        }
      }
    }
    errors.positions = scaledError(analytic, fd, 'positions gradient');
    expect(errors.positions, 'positions gradient vs finite differences').toBeLessThan(tolerance);
  }

  // A [S][9][P] gradient tensor and its nine finite-difference columns, both as [9][S][P].
  const nineComponents = (g: Float64Array, columns: Float64Array[]) => {
    const analytic = new Float64Array(9 * S * P), fd = new Float64Array(9 * S * P);
    for (let ab = 0; ab < 9; ab++) {
      for (let i = 0; i < S; i++) {
        for (let p = 0; p < P; p++) {
          fd[(ab * S + i) * P + p] = columns[ab][i * P + p];
          analytic[(ab * S + i) * P + p] = g[(i * 9 + ab) * P + p];
        }
      }
    }
    return { analytic, fd };
  };

  if (doStrain) {
    const { analytic, fd } = nineComponents(block.gradients.strain!.values, strainColumns);
    errors.strain = scaledError(analytic, fd, 'strain gradient');
    expect(errors.strain, 'strain gradient vs finite differences').toBeLessThan(tolerance);
  }

  if (doCell) {
    const cellColumns = Array.from({ length: 9 }, (_, ab) => derivative((c) => values({ ...system, cell: c }), system.cell!, ab, h));
    const { analytic, fd } = nineComponents(block.gradients.cell!.values, cellColumns);
    errors.cell = scaledError(analytic, fd, 'cell gradient');
    expect(errors.cell, 'cell gradient vs finite differences').toBeLessThan(tolerance);
  }

  if (doBackward) {
    const out = calculator.backward!(system, dLdx, options);
    expect(out.positions.length).toBe(3 * atoms);
    expect(out.strain.length).toBe(9);
    errors.backwardPositions = scaledError(out.positions, positionColumns.map(dot), 'backward positions');
    expect(errors.backwardPositions, 'backward dL/dr vs finite differences').toBeLessThan(tolerance);
    errors.backwardStrain = scaledError(out.strain, strainColumns.map(dot), 'backward strain');
    expect(errors.backwardStrain, 'backward dL/dstrain vs finite differences').toBeLessThan(tolerance);
  }
  return errors;
}

/**
 * What backward() must return for dL/dx, from the gradient tensors of
 * `block` (positions, and strain when computed): sum over samples and
 * properties of dx/dr . dL/dx and dx/dstrain . dL/dx.
 */
export function contractGradients(block: FeatureBlock, dLdx: ArrayLike<number>, atoms: number): { positions: Float64Array; strain: Float64Array | null } {
  const P = block.shape[1];
  const positions = new Float64Array(3 * atoms);
  const g = block.gradients.positions!;
  for (let r = 0; r < g.samples!.count; r++) {
    const [sample, , atom] = g.samples!.values.subarray(3 * r, 3 * r + 3);
    for (let xyz = 0; xyz < 3; xyz++) {
      let sum = 0;
      for (let p = 0; p < P; p++) sum += g.values[(3 * r + xyz) * P + p] * dLdx[sample * P + p];
      positions[3 * atom + xyz] += sum;
    }
  }
  const sg = block.gradients.strain?.values;
  if (!sg) return { positions, strain: null };
  const strain = new Float64Array(9);
  for (let i = 0; i < block.shape[0]; i++)
    for (let ab = 0; ab < 9; ab++) for (let p = 0; p < P; p++) strain[ab] += sg[(i * 9 + ab) * P + p] * dLdx[i * P + p];
  return { positions, strain };
}

export interface ForceFieldErrors {
  forces: number;
  stress?: number;
}

/**
 * Checks a force field's forces at every one of the 3N coordinates and, for
 * a periodic system, all 9 components of the stress (and virial = -V stress,
 * per-atom energies summing to the energy) against finite differences of the
 * energy.
 */
export function checkForceField(
  forceField: ForceFieldLike,
  system: TestSystem,
  check: {
    h?: number;
    tolerance?: number;
    stress?: boolean;
    /**
     * Scale of the stress comparison instead of the largest finite-difference
     * component, with its own tolerance: for potentials whose parameters are
     * retuned with the cell (Ewald from `accuracy`), so that the energy is
     * smooth in the strain only to that accuracy.
     */
    stressScale?: { scale: number; tolerance: number };
  } = {},
): ForceFieldErrors {
  const h = check.h ?? 1e-5;
  const tolerance = check.tolerance ?? 1e-8;
  const periodic = system.cell !== null;
  const doStress = check.stress ?? periodic;
  const energy = (s: TestSystem) => forceField.compute(s, { forces: false }).energy;
  const result = forceField.compute(system, { forces: true, stress: doStress, perAtom: true });
  const atoms = system.types.length;
  expect(Number.isFinite(result.energy)).toBe(true);
  expect(result.forces, 'forces were requested').toBeInstanceOf(Float64Array);
  expect(result.forces!.length).toBe(3 * atoms);
  if (result.energies) {
    const sum = result.energies.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - result.energy)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(result.energy), ...Array.from(result.energies, Math.abs)) * atoms);
  }
  const minusGradient = Float64Array.from({ length: 3 * atoms }, (_, k) => -derivative((x) => energy(withPositions(system, x)), system.positions, k, h)[0]);
  const errors: ForceFieldErrors = { forces: scaledError(result.forces!, minusGradient, 'forces') };
  expect(errors.forces, 'forces vs -dE/dr by finite differences').toBeLessThan(tolerance);
  if (doStress) {
    expect(periodic, 'stress needs a periodic system').toBe(true);
    expect(result.stress, 'stress was requested').toBeInstanceOf(Float64Array);
    expect(result.virial, 'virial comes with the stress').toBeInstanceOf(Float64Array);
    const V = cellVolume(system.cell!);
    const fd = Float64Array.from({ length: 9 }, (_, ab) =>
      derivative((e) => energy(strainedSystem(system, Math.floor(ab / 3), ab % 3, e[0])), [0], 0, strainStep(system, h))[0] / V,
    );
    if (check.stressScale) {
      const { scale, tolerance: stressTolerance } = check.stressScale;
      errors.stress = Math.max(...Array.from(fd, (v, k) => Math.abs(result.stress![k] - v))) / scale;
      expect(errors.stress, 'stress vs (1/V) dE/dstrain by finite differences').toBeLessThan(stressTolerance);
    } else {
      errors.stress = scaledError(result.stress!, fd, 'stress');
      expect(errors.stress, 'stress vs (1/V) dE/dstrain by finite differences').toBeLessThan(tolerance);
    }
    const scale = Math.max(...Array.from(result.stress!, Math.abs));
    for (let k = 0; k < 9; k++) expect(Math.abs(result.virial![k] + V * result.stress![k])).toBeLessThanOrEqual(1e-12 * V * scale);
  }
  return errors;
}
