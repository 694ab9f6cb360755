// Electrostatics of Gaussian charges, and optionally point dipoles, at the
// atoms, in vacuum, by direct pair sums: the long-range term of models that
// predict per-atom charges and atomic dipoles (charge-model.ts; its forces
// need the potential and field at each atom as well as the pair forces). GFN2-xTB and most
// polarisable force fields put part of a molecule's field in atomic dipoles;
// a learned dipole that rotates with its atom's environment also moves
// with the molecule's own distortions (a dipole flux), which charges alone
// carry only in part.
//
// With r = r_i - r_j and the radial kernel f(r) = k_e erf(r / (2 sigma)) / r,
// write B_0 = f and B_{n+1} = -(1/r) dB_n/dr (the Ewald-sum functions; for
// 1/r, B_n = (2n - 1)!! / r^(2n+1)). The pair energy of (q_i, mu_i), (q_j, mu_j) is
//   E_ij = B_0 q_i q_j + B_1 [q_i mu_j.r - q_j mu_i.r + mu_i.mu_j] - B_2 (mu_i.r)(mu_j.r),
// the charge-charge, charge-dipole and dipole-dipole terms of the Taylor
// expansion of f about both atoms; an exclusion switch multiplies the whole
// pair energy (not the kernel), so the energy stays once differentiable in r
// with a switch that is.
import { native } from '../native/addon.js';

/**
 * erf(x) to ~1e-15: Taylor series below |x| = 2 (at most ~2 digits lost to
 * cancellation), a continued fraction for erfc above (Lentz's method). Part
 * of the public API for scripts; the pair sums below use the C library's.
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

/** Pairs closer than `radius` - `width` are left out, switched in by a shifted cosine up to `radius` (A). */
export interface PairExclusion {
  radius: number;
  width: number;
}

export interface SmearedMultipolesInput {
  positions: ArrayLike<number>;
  /** Charges (e), one per atom. */
  charges: ArrayLike<number>;
  /** Atomic dipoles (e A, [atoms][3]); absent: charges only. */
  dipoles?: ArrayLike<number>;
  /** Width (A) of the Gaussian charges. */
  sigma: number;
  exclusion?: PairExclusion;
  /** Pairs of one group (>= 0: one molecule) are left out. */
  groups?: ArrayLike<number>;
}

export interface SmearedMultipolesResult {
  /** Total energy (eV). */
  energy: number;
  /** Each atom's half of its pairs' energies (eV). */
  energies: Float64Array;
  /** dE/dq_i (eV/e): the potential at each atom from all the others. */
  potentials: Float64Array;
  /** dE/dmu_i (eV/(e A), [atoms][3]): minus the field at each atom of the others' charges (and dipoles). */
  fields: Float64Array;
  /** Forces at fixed charges and dipoles (eV/A), [atoms][3]. */
  forces: Float64Array;
}

/**
 * E = sum over kept pairs of keep(r_ij) E_ij (see above). Molecules only (no
 * cell). The pairs are summed natively (native/src/longrange/smeared_multipoles.cpp):
 * a cluster of a few hundred atoms spent most of an MD step in them.
 */
export function smearedMultipoles({ positions, charges, dipoles, sigma, exclusion, groups }: SmearedMultipolesInput): SmearedMultipolesResult {
  return native.smearedMultipoles({
    positions: Float64Array.from(positions),
    charges: Float64Array.from(charges),
    ...(dipoles ? { dipoles: Float64Array.from(dipoles) } : {}),
    sigma,
    ...(exclusion ? { exclusionRadius: exclusion.radius, exclusionWidth: exclusion.width } : {}),
    ...(groups ? { groups: Int32Array.from(groups) } : {}),
  });
}

export interface SmearedCoulombResult {
  /** Total energy (eV). */
  energy: number;
  /** Potential at each atom from all the others (eV / e): dE/dq_i. */
  potentials: Float64Array;
  /** Forces at fixed charges (eV/A), [atoms][3]. */
  forces: Float64Array;
}

/**
 * The charges alone: E = k_e sum_{i<j} q_i q_j keep(r_ij) erf(r_ij / (2 sigma)) / r_ij,
 * Gaussian charges of width sigma (A), so the energy stays finite as atoms
 * approach and equals the point-charge Coulomb sum beyond a few sigma.
 */
export function smearedCoulomb(
  positions: ArrayLike<number>,
  charges: ArrayLike<number>,
  sigma: number,
  exclusion?: PairExclusion,
  groups?: ArrayLike<number>,
): SmearedCoulombResult {
  const { energy, potentials, forces } = smearedMultipoles({ positions, charges, sigma, exclusion, groups });
  return { energy, potentials, forces };
}
