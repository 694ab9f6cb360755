// Physical units of the whole package: positions A, time fs, energy eV, mass amu,
// so velocities are A/fs and the force-to-acceleration factor is not 1.

/** CODATA 2018 (exact in the 2019 SI): elementary charge, C = J/eV. */
const ELEMENTARY_CHARGE = 1.602176634e-19;
/** CODATA 2018: atomic mass constant (kg per amu). */
const ATOMIC_MASS_CONSTANT = 1.6605390666e-27;

/**
 * Acceleration (A/fs^2) of 1 amu pushed by 1 eV/A:
 * 1 eV/(A amu) = e / (1e-10 m * m_u) = 9.648533212e17 m/s^2, and
 * 1 m/s^2 = 1e10 A / 1e30 fs^2 = 1e-20 A/fs^2, hence 9.6485332157e-3 (the often
 * quoted 9.648533212e-3 takes the molar mass constant as exactly 1 g/mol;
 * the two differ by 4e-10, far below any MD error).
 */
export const ACCELERATION_UNIT = (ELEMENTARY_CHARGE / (1e-10 * ATOMIC_MASS_CONSTANT)) * 1e-20;

/** Boltzmann constant in eV/K (CODATA 2018: 1.380649e-23 J/K / e). */
export const BOLTZMANN = 8.617333262e-5;

/** Kinetic energy (eV) of a mass (amu) moving at v^2 (A^2/fs^2): (m v^2 / 2) / ACCELERATION_UNIT. */
export function kineticEnergy(mass: number, velocitySquared: number): number {
  return (0.5 * mass * velocitySquared) / ACCELERATION_UNIT;
}
