// Electrostatics of Gaussian charges in vacuum by direct pair sums: the
// long-range term of models whose charges are predicted per atom (their
// forces need the potential at each atom as well as the pair forces).
import { COULOMB_CONSTANT } from './ewald.js';

/**
 * erf(x) to ~1e-15: Taylor series below |x| = 2 (at most ~2 digits lost to
 * cancellation), a continued fraction for erfc above (Lentz's method).
 */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 2) {
    let term = x, sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  return 1 - erfcLarge(x);
}

/** erfc(x) for x >= 2: e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
function erfcLarge(x: number): number {
  const tiny = 1e-300;
  let f = x, C = x, D = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    D = x + a * D;
    D = D === 0 ? 1 / tiny : 1 / D;
    C = x + a / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export interface SmearedCoulombResult {
  /** Total energy (eV). */
  energy: number;
  /** Potential at each atom from all the others (eV / e): dE/dq_i. */
  potentials: Float64Array;
  /** Forces at fixed charges (eV/A), [atoms][3]. */
  forces: Float64Array;
}

/** Pairs closer than `radius` - `width` are left out, switched in by a shifted cosine up to `radius` (A). */
export interface PairExclusion {
  radius: number;
  width: number;
}

/**
 * E = k_e sum_{i<j} q_i q_j (1 - s(r_ij)) erf(r_ij / (2 sigma)) / r_ij:
 * Gaussian charges of width sigma (A), so the energy stays finite as atoms
 * approach and equals the point-charge Coulomb sum beyond a few sigma; with
 * an exclusion, s is 1 below radius - width and 0 beyond radius (the near
 * pairs are left to a local model); with `groups`, pairs of one group
 * (>= 0: one molecule) are left out. Molecules only (no cell).
 */
export function smearedCoulomb(
  positions: ArrayLike<number>,
  charges: ArrayLike<number>,
  sigma: number,
  exclusion?: PairExclusion,
  groups?: ArrayLike<number>,
): SmearedCoulombResult {
  const n = charges.length;
  const potentials = new Float64Array(n);
  const forces = new Float64Array(3 * n);
  const a = 1 / (2 * sigma);
  const gauss = 2 / Math.sqrt(Math.PI);
  let energy = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (groups && groups[i] >= 0 && groups[i] === groups[j]) continue;
      const dx = positions[3 * j] - positions[3 * i];
      const dy = positions[3 * j + 1] - positions[3 * i + 1];
      const dz = positions[3 * j + 2] - positions[3 * i + 2];
      const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
      if (!(r > 0)) throw new Error(`smeared Coulomb: atoms ${i} and ${j} are at the same position`);
      const [keep, dkeep] = exclusion ? kept(r, exclusion) : [1, 0];
      if (keep === 0) continue;
      const bare = (COULOMB_CONSTANT * erf(a * r)) / r;
      const phi = keep * bare;
      // d phi / dr
      const dphi = keep * COULOMB_CONSTANT * ((gauss * a * Math.exp(-a * a * r * r)) / r - erf(a * r) / (r * r)) + dkeep * bare;
      potentials[i] += charges[j] * phi;
      potentials[j] += charges[i] * phi;
      energy += charges[i] * charges[j] * phi;
      // force on j = -dE/dr_j = -q_i q_j dphi (r_j - r_i)/r
      const s = (charges[i] * charges[j] * dphi) / r;
      forces[3 * j] -= s * dx;
      forces[3 * j + 1] -= s * dy;
      forces[3 * j + 2] -= s * dz;
      forces[3 * i] += s * dx;
      forces[3 * i + 1] += s * dy;
      forces[3 * i + 2] += s * dz;
    }
  }
  return { energy, potentials, forces };
}

/** 1 - s(r) and its derivative: 0 below radius - width, a shifted cosine up to 1 at radius. */
function kept(r: number, { radius, width }: PairExclusion): [number, number] {
  const start = radius - width;
  if (r <= start) return [0, 0];
  if (r >= radius) return [1, 0];
  const x = (Math.PI * (r - start)) / width;
  return [0.5 * (1 - Math.cos(x)), ((0.5 * Math.PI) / width) * Math.sin(x)];
}
