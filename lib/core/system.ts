// User-facing atomic systems and their normalisation for the addon.
import type { NativeSystem } from '../native/types.js';

type Vec3 = readonly [number, number, number] | readonly number[];
type NumberArray = ArrayLike<number>;

/**
 * An atomic structure. Units: Angstrom. `cell` rows are the lattice vectors
 * (3x3 nested or 9 flat numbers); omit it, pass null or an all-zero cell for
 * a molecule. `pbc` defaults to all true with a cell, all false without.
 */
export interface System {
  positions: NumberArray | readonly Vec3[];
  types: NumberArray;
  cell?: NumberArray | readonly Vec3[] | null;
  pbc?: boolean | readonly [boolean, boolean, boolean] | readonly boolean[];
  /**
   * Total charge (e), when known: models with learned charges shift them to
   * add up to it (extended XYZ: info key `charge`). Ignored by everything else.
   */
  charge?: number;
}

/**
 * Fields an extended-XYZ frame carries besides the system (readExtxyz): a
 * frame passes as a System, while a misspelt system field is still an error.
 */
const FRAME_FIELDS = ['symbols', 'info', 'arrays', 'energy', 'freeEnergy', 'forces', 'stress', 'energies', 'velocities', 'masses'];

function flatten(value: NumberArray | readonly Vec3[], where: string): Float64Array {
  if (value instanceof Float64Array) return value;
  const first = (value as ArrayLike<unknown>)[0];
  if (first !== undefined && typeof first === 'object' && first !== null) {
    const rows = value as readonly Vec3[];
    const out = new Float64Array(rows.length * 3);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!row || row.length !== 3) {
        throw new Error(`${where}[${i}]: expected 3 numbers, got ${row ? row.length : String(row)}`);
      }
      out[3 * i] = Number(row[0]);
      out[3 * i + 1] = Number(row[1]);
      out[3 * i + 2] = Number(row[2]);
    }
    return out;
  }
  if (typeof value !== 'object' || value === null || typeof (value as NumberArray).length !== 'number') {
    throw new Error(`${where}: expected an array of numbers`);
  }
  const flat = value as NumberArray;
  const out = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw new Error(`${where}[${i}]: expected a number, got ${typeof v}`);
    out[i] = v;
  }
  return out;
}

/** Checks types and shapes of a user system and returns the addon's form. */
export function toNativeSystem(system: System, where = 'system'): NativeSystem {
  if (typeof system !== 'object' || system === null) throw new Error(`${where}: expected an object {positions, types, cell?, pbc?}`);
  for (const key of Object.keys(system)) {
    if (!['positions', 'types', 'cell', 'pbc', 'charge'].includes(key) && !FRAME_FIELDS.includes(key)) {
      throw new Error(`${where}.${key}: unknown field; a system has positions, types, cell, pbc and charge (and a frame of readExtxyz ${FRAME_FIELDS.join(', ')})`);
    }
  }
  if (system.positions === undefined) throw new Error(`${where}.positions: missing`);
  if (system.types === undefined) throw new Error(`${where}.types: missing`);
  const typesIn = system.types;
  if (typeof typesIn !== 'object' || typesIn === null || !Number.isSafeInteger(typesIn.length) || typesIn.length < 0) {
    throw new Error(`${where}.types: expected an array of atomic numbers`);
  }
  // Compare the claimed sizes before allocating or reading anything, so that
  // mismatched arrays claiming e.g. 1e9 atoms fail at once instead of
  // allocating gigabytes first.
  const claimed = (system.positions as ArrayLike<unknown>)?.length;
  if (typeof claimed === 'number') {
    const first = (system.positions as ArrayLike<unknown>)[0];
    const numbers = first !== undefined && typeof first === 'object' && first !== null ? 3 * claimed : claimed;
    if (numbers !== 3 * typesIn.length) {
      throw new Error(
        `${where}.positions: expected ${3 * typesIn.length} numbers (3 per atom for ${typesIn.length} types), got ${numbers}`,
      );
    }
  }
  const positions = flatten(system.positions, `${where}.positions`);
  const types = new Int32Array(typesIn.length);
  for (let i = 0; i < typesIn.length; i++) {
    const t = typesIn[i];
    if (typeof t !== 'number' || !Number.isInteger(t) || Math.abs(t) > 2 ** 31 - 1) {
      throw new Error(`${where}.types[${i}]: expected an integer atomic number, got ${String(t)}`);
    }
    types[i] = t;
  }
  if (positions.length !== 3 * types.length) {
    throw new Error(
      `${where}.positions: expected ${3 * types.length} numbers (3 per atom for ${types.length} types), got ${positions.length}`,
    );
  }
  let cell: Float64Array | null = null;
  if (system.cell !== undefined && system.cell !== null) {
    cell = flatten(system.cell, `${where}.cell`);
    if (cell.length !== 9) throw new Error(`${where}.cell: expected 3x3 (or 9) numbers, got ${cell.length}`);
    if (cell.every((v) => v === 0)) cell = null;
  }
  let pbc: [boolean, boolean, boolean];
  if (system.pbc === undefined) {
    pbc = cell ? [true, true, true] : [false, false, false];
  } else if (typeof system.pbc === 'boolean') {
    pbc = [system.pbc, system.pbc, system.pbc];
  } else {
    if (system.pbc.length !== 3 || !system.pbc.every((b) => typeof b === 'boolean')) {
      throw new Error(`${where}.pbc: expected a boolean or 3 booleans`);
    }
    pbc = [system.pbc[0], system.pbc[1], system.pbc[2]] as [boolean, boolean, boolean];
  }
  if (!cell && pbc.some((b) => b)) throw new Error(`${where}.pbc: periodic boundary conditions need a cell`);
  if (system.charge !== undefined && (typeof system.charge !== 'number' || !Number.isFinite(system.charge))) {
    throw new Error(`${where}.charge: expected the total charge as a finite number (e), got ${JSON.stringify(system.charge)}`);
  }
  return { positions, types, cell, pbc, ...(system.charge !== undefined ? { charge: system.charge } : {}) };
}

/** Sorted unique atomic numbers present in the systems. */
export function typesPresent(systems: readonly NativeSystem[]): number[] {
  const set = new Set<number>();
  for (const s of systems) for (const t of s.types) set.add(t);
  return [...set].sort((a, b) => a - b);
}

/** Determinant of a 3x3 row-major cell: its volume (A^3), negative for a left-handed cell. */
export function cellDeterminant(c: ArrayLike<number>): number {
  return c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]);
}

/** Volume (A^3) of a cell whose rows are the lattice vectors. */
export function cellVolume(c: ArrayLike<number>): number {
  return Math.abs(cellDeterminant(c));
}

/** Inverse of a row-major 3x3 matrix; throws for a singular cell. */
export function invert3(m: ArrayLike<number>): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = Array.from(m);
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('cell: the lattice vectors are (nearly) linearly dependent');
  return Float64Array.from([
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ]);
}
