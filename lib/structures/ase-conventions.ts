// ASE's names and units in extended XYZ, and their conversion to ours.
// ASE keeps momenta (amu A per ASE time unit, A sqrt(amu/eV) = 10.18 fs)
// rather than velocities, and writes the stress as a 3x3 matrix but reads
// Voigt order (xx yy zz yz xz xy) as well.
import { ACCELERATION_UNIT } from '../io/units.js';

/** A/fs per ASE velocity unit (A per ASE time unit): 1 / 10.18 fs. */
export const ASE_VELOCITY_UNIT = Math.sqrt(ACCELERATION_UNIT);

/** Velocities (A/fs) from ASE momenta (amu A / ASE time). */
export function velocitiesFromMomenta(momenta: ArrayLike<number>, masses: ArrayLike<number>): Float64Array {
  const v = new Float64Array(momenta.length);
  for (let k = 0; k < v.length; k++) v[k] = (momenta[k] / masses[Math.floor(k / 3)]) * ASE_VELOCITY_UNIT;
  return v;
}

/** ASE momenta (amu A / ASE time) from velocities (A/fs). */
export function momentaFromVelocities(velocities: ArrayLike<number>, masses: ArrayLike<number>): Float64Array {
  const p = new Float64Array(velocities.length);
  for (let k = 0; k < p.length; k++) p[k] = (velocities[k] * masses[Math.floor(k / 3)]) / ASE_VELOCITY_UNIT;
  return p;
}

/** A 3x3 row-major stress from 9 numbers or ASE's Voigt 6 (xx yy zz yz xz xy). */
export function stressMatrix(values: ArrayLike<number>, where: string): Float64Array {
  if (values.length === 9) return Float64Array.from(values);
  if (values.length === 6) {
    const [xx, yy, zz, yz, xz, xy] = Array.from(values);
    return Float64Array.from([xx, xy, xz, xy, yy, yz, xz, yz, zz]);
  }
  throw new Error(`${where}: expected 6 (Voigt xx yy zz yz xz xy) or 9 (3x3) numbers in eV/A^3, got ${values.length}`);
}
