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
  /** dE/dmu_i (eV/(e A), [atoms][3]): minus the field at each atom; zeros without dipoles. */
  fields: Float64Array;
  /** Forces at fixed charges and dipoles (eV/A), [atoms][3]. */
  forces: Float64Array;
}

/** The switch of the excluded pairs: 0 below radius - width, a shifted cosine up to 1 at radius, and its derivative. */
function kept(r: number, { radius, width }: PairExclusion): [number, number] {
  const start = radius - width;
  if (r <= start) return [0, 0];
  if (r >= radius) return [1, 0];
  const x = (Math.PI * (r - start)) / width;
  return [0.5 * (1 - Math.cos(x)), ((0.5 * Math.PI) / width) * Math.sin(x)];
}

/** E = sum over kept pairs of keep(r_ij) E_ij (see above). Molecules only (no cell). */
export function smearedMultipoles({ positions, charges, dipoles, sigma, exclusion, groups }: SmearedMultipolesInput): SmearedMultipolesResult {
  const n = charges.length;
  const energies = new Float64Array(n);
  const potentials = new Float64Array(n);
  const fields = new Float64Array(3 * n);
  const forces = new Float64Array(3 * n);
  const a = 1 / (2 * sigma);
  // (2 a^2)^n / (a sqrt(pi)) for n = 1..3: the Gaussian terms of the B_n recursion
  const g1 = (2 * a) / Math.sqrt(Math.PI), g2 = g1 * 2 * a * a, g3 = g2 * 2 * a * a;
  const mu = (i: number, d: number) => (dipoles ? dipoles[3 * i + d] : 0);
  let energy = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (groups && groups[i] >= 0 && groups[i] === groups[j]) continue;
      const rx = positions[3 * i] - positions[3 * j];
      const ry = positions[3 * i + 1] - positions[3 * j + 1];
      const rz = positions[3 * i + 2] - positions[3 * j + 2];
      const r2 = rx * rx + ry * ry + rz * rz;
      const r = Math.sqrt(r2);
      if (!(r > 0)) throw new Error(`smeared electrostatics: atoms ${i} and ${j} are at the same position`);
      const [keep, dkeep] = exclusion ? kept(r, exclusion) : [1, 0];
      if (keep === 0) continue;
      const gauss = Math.exp(-a * a * r2);
      const b0 = erf(a * r) / r;
      const b1 = (b0 - g1 * gauss) / r2;
      const b2 = (3 * b1 - g2 * gauss) / r2;
      const b3 = (5 * b2 - g3 * gauss) / r2;
      const B0 = COULOMB_CONSTANT * b0, B1 = COULOMB_CONSTANT * b1, B2 = COULOMB_CONSTANT * b2, B3 = COULOMB_CONSTANT * b3;
      const qi = charges[i], qj = charges[j];
      const mix = mu(i, 0), miy = mu(i, 1), miz = mu(i, 2);
      const mjx = mu(j, 0), mjy = mu(j, 1), mjz = mu(j, 2);
      const mir = mix * rx + miy * ry + miz * rz;
      const mjr = mjx * rx + mjy * ry + mjz * rz;
      const mij = mix * mjx + miy * mjy + miz * mjz;
      const bracket = qi * mjr - qj * mir + mij;
      const pair = B0 * qi * qj + B1 * bracket - B2 * mir * mjr;
      energy += keep * pair;
      energies[i] += 0.5 * keep * pair;
      energies[j] += 0.5 * keep * pair;
      potentials[i] += keep * (B0 * qj + B1 * mjr);
      potentials[j] += keep * (B0 * qi - B1 * mir);
      // dE/dmu_i = B1 (mu_j - q_j r) - B2 (mu_j.r) r; dE/dmu_j = B1 (mu_i + q_i r) - B2 (mu_i.r) r
      fields[3 * i] += keep * (B1 * (mjx - qj * rx) - B2 * mjr * rx);
      fields[3 * i + 1] += keep * (B1 * (mjy - qj * ry) - B2 * mjr * ry);
      fields[3 * i + 2] += keep * (B1 * (mjz - qj * rz) - B2 * mjr * rz);
      fields[3 * j] += keep * (B1 * (mix + qi * rx) - B2 * mir * rx);
      fields[3 * j + 1] += keep * (B1 * (miy + qi * ry) - B2 * mir * ry);
      fields[3 * j + 2] += keep * (B1 * (miz + qi * rz) - B2 * mir * rz);
      // grad_r E_ij with grad B_n = -B_{n+1} r:
      //   -r [B1 q_i q_j + B2 bracket - B3 (mu_i.r)(mu_j.r)] + B1 (q_i mu_j - q_j mu_i) - B2 [(mu_j.r) mu_i + (mu_i.r) mu_j]
      // and the switch's own derivative, dkeep (r / |r|) E_ij
      const radial = -keep * (B1 * qi * qj + B2 * bracket - B3 * mir * mjr) + (dkeep / r) * pair;
      const gx = radial * rx + keep * (B1 * (qi * mjx - qj * mix) - B2 * (mjr * mix + mir * mjx));
      const gy = radial * ry + keep * (B1 * (qi * mjy - qj * miy) - B2 * (mjr * miy + mir * mjy));
      const gz = radial * rz + keep * (B1 * (qi * mjz - qj * miz) - B2 * (mjr * miz + mir * mjz));
      forces[3 * i] -= gx;
      forces[3 * i + 1] -= gy;
      forces[3 * i + 2] -= gz;
      forces[3 * j] += gx;
      forces[3 * j + 1] += gy;
      forces[3 * j + 2] += gz;
    }
  }
  return { energy, energies, potentials, fields, forces };
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
