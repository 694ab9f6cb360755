// The public frame of an extended-XYZ file: a System plus what ASE would put
// in its calculator results (energy, forces, stress, ...), velocities from
// ASE's momenta, and every other comment value and column as read.
import { toNativeSystem, type System } from '../core/system.js';
import { symbolOf } from '../io/elements.js';
import type { Frame as RawFrame } from '../io/extxyz-parse.js';
import { massesFor } from '../io/masses.js';
import { momentaFromVelocities, stressMatrix, velocitiesFromMomenta } from './ase-conventions.js';

/** Per-atom columns as read: R -> Float64Array, I -> Int32Array, L -> boolean[], S -> string[]; multi-column arrays row-major. */
export type FrameArrays = Record<string, Float64Array | Int32Array | string[] | boolean[]>;

/**
 * One structure: usable directly as a `System` (positions A, types, cell
 * rows A, pbc). The comment-line keys `energy`, `free_energy`, `stress` and
 * the columns `forces`, `energies`, `momenta`/`velocities`, `masses` become
 * the typed fields below (ASE's names and units in the file); everything
 * else stays in `info` and `arrays` as read.
 */
export interface ExtxyzFrame {
  positions: Float64Array;
  types: Int32Array;
  cell: Float64Array | null;
  pbc: [boolean, boolean, boolean];
  /** Chemical symbols as written in the file. */
  symbols: string[];
  /** eV */
  energy?: number;
  /** eV (ASE's free_energy) */
  freeEnergy?: number;
  /** eV/A, [atoms][3] row-major */
  forces?: Float64Array;
  /** eV/A^3, 3x3 row-major, (1/V) dE/d(strain) (ASE's sign) */
  stress?: Float64Array;
  /** Per-atom energies (eV) */
  energies?: Float64Array;
  /** A/fs, [atoms][3]: from a `velocities` column (A/fs) or ASE's `momenta` */
  velocities?: Float64Array;
  /** amu, only when the file has a `masses` column (else standard atomic weights apply) */
  masses?: Float64Array;
  info: Record<string, unknown>;
  arrays: FrameArrays;
}

/** What `writeExtxyz` takes: any System, with the optional fields of a frame. */
export interface ExtxyzFrameInput extends System {
  symbols?: readonly string[];
  energy?: number;
  freeEnergy?: number;
  forces?: ArrayLike<number>;
  /** 9 numbers (3x3) or 6 (Voigt xx yy zz yz xz xy), eV/A^3 */
  stress?: ArrayLike<number>;
  energies?: ArrayLike<number>;
  velocities?: ArrayLike<number>;
  masses?: ArrayLike<number>;
  info?: Record<string, unknown>;
  arrays?: Record<string, ArrayLike<number> | readonly string[] | readonly boolean[]>;
}

/** Relative disagreement allowed between a file's velocities and momenta: both written from the same numbers. */
const VELOCITY_AGREEMENT = 1e-12;

function numberInfo(info: Record<string, unknown>, key: string, where: string): number | undefined {
  if (!(key in info)) return undefined;
  const value = info[key];
  delete info[key];
  if (typeof value !== 'number') throw new Error(`${where}: ${key}: expected a number (eV), got ${JSON.stringify(value)}`);
  return value;
}

function realColumn(arrays: FrameArrays, key: string, width: number, atoms: number, where: string): Float64Array | undefined {
  if (!(key in arrays)) return undefined;
  const value = arrays[key];
  delete arrays[key];
  if (!(value instanceof Float64Array) || value.length !== width * atoms) {
    throw new Error(`${where}: column ${key}: expected ${key}:R:${width} (${width} real number${width > 1 ? 's' : ''} per atom)`);
  }
  return value;
}

/** A parsed frame in ASE's dialect -> the public frame. `where` names the file and frame in errors. */
export function fromRawFrame(raw: RawFrame, where: string): ExtxyzFrame {
  const info = { ...raw.info };
  const arrays = { ...raw.arrays };
  const N = raw.types.length;
  const frame: ExtxyzFrame = { positions: raw.positions, types: raw.types, cell: raw.cell, pbc: raw.pbc, symbols: raw.symbols, info, arrays };
  const energy = numberInfo(info, 'energy', where);
  if (energy !== undefined) frame.energy = energy;
  const freeEnergy = numberInfo(info, 'free_energy', where);
  if (freeEnergy !== undefined) frame.freeEnergy = freeEnergy;
  if ('stress' in info) {
    const s = info.stress;
    delete info.stress;
    if (!Array.isArray(s) || !s.every((v) => typeof v === 'number')) throw new Error(`${where}: stress: expected 6 or 9 numbers (eV/A^3), got ${JSON.stringify(s)}`);
    frame.stress = stressMatrix(s, `${where}: stress`);
  }
  const forces = realColumn(arrays, 'forces', 3, N, where);
  if (forces) frame.forces = forces;
  const energies = realColumn(arrays, 'energies', 1, N, where);
  if (energies) frame.energies = energies;
  const masses = realColumn(arrays, 'masses', 1, N, where);
  if (masses) {
    const bad = masses.findIndex((m) => !(m > 0));
    if (bad >= 0) throw new Error(`${where}: masses[${bad}]: expected a positive mass (amu), got ${masses[bad]}`);
    frame.masses = masses;
  }
  const momenta = realColumn(arrays, 'momenta', 3, N, where);
  const velocities = realColumn(arrays, 'velocities', 3, N, where);
  if (momenta) {
    const fromMomenta = velocitiesFromMomenta(momenta, masses ?? massesFor(raw.types));
    if (velocities) checkAgreement(velocities, fromMomenta, where);
    frame.velocities = velocities ?? fromMomenta;
  } else if (velocities) {
    frame.velocities = velocities;
  }
  return frame;
}

function checkAgreement(velocities: Float64Array, fromMomenta: Float64Array, where: string): void {
  let scale = 0;
  for (const v of velocities) scale = Math.max(scale, Math.abs(v));
  for (let k = 0; k < velocities.length; k++) {
    if (Math.abs(velocities[k] - fromMomenta[k]) > VELOCITY_AGREEMENT * scale) {
      throw new Error(
        `${where}: the velocities column (A/fs) and the momenta column disagree at atom ${Math.floor(k / 3)} ` +
          `(${velocities[k]} vs ${fromMomenta[k]} A/fs); remove the stale one`,
      );
    }
  }
}

function toFloat(values: ArrayLike<number>, length: number, name: string, unit: string, where: string): Float64Array {
  if (values === null || typeof values !== 'object' || values.length !== length) {
    throw new Error(`${where}.${name}: expected ${length} numbers (${unit})${values && typeof values === 'object' ? `, got ${values.length}` : ''}`);
  }
  const out = Float64Array.from(values);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`${where}.${name}[${bad}]: expected a finite number (${unit}), got ${out[bad]}`);
  return out;
}

const TYPED_INFO: Record<string, string> = { energy: 'energy', free_energy: 'freeEnergy', stress: 'stress' };
const TYPED_ARRAYS: Record<string, string> = { forces: 'forces', energies: 'energies', momenta: 'velocities', velocities: 'velocities', masses: 'masses' };

/** A frame to write -> the parsed form in ASE's dialect (momenta and our exact velocities both). */
export function toRawFrame(input: ExtxyzFrameInput, where: string): RawFrame {
  if (typeof input !== 'object' || input === null) throw new Error(`${where}: expected a frame {positions, types, cell?, pbc?, energy?, forces?, ...}`);
  const s = toNativeSystem(input, where);
  const N = s.types.length;
  const info: Record<string, unknown> = {};
  const arrays: RawFrame['arrays'] = {};
  const scalar = (value: number | undefined, name: string): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}.${name}: expected a finite number (eV), got ${String(value)}`);
    return value;
  };
  const energy = scalar(input.energy, 'energy');
  if (energy !== undefined) info.energy = energy;
  const freeEnergy = scalar(input.freeEnergy, 'freeEnergy');
  if (freeEnergy !== undefined) info.free_energy = freeEnergy;
  if (input.stress !== undefined) {
    const length = input.stress?.length === 6 ? 6 : 9;
    info.stress = Array.from(stressMatrix(toFloat(input.stress, length, 'stress', 'eV/A^3, 3x3 or Voigt 6', where), `${where}.stress`));
  }
  const masses = input.masses === undefined ? undefined : toFloat(input.masses, N, 'masses', 'amu', where);
  if (masses) {
    const bad = masses.findIndex((m) => !(m > 0));
    if (bad >= 0) throw new Error(`${where}.masses[${bad}]: expected a positive mass (amu), got ${masses[bad]}`);
    arrays.masses = masses;
  }
  if (input.forces !== undefined) arrays.forces = toFloat(input.forces, 3 * N, 'forces', 'eV/A, 3 per atom', where);
  if (input.velocities !== undefined) {
    const v = toFloat(input.velocities, 3 * N, 'velocities', 'A/fs, 3 per atom', where);
    arrays.momenta = momentaFromVelocities(v, masses ?? massesFor(s.types));
    arrays.velocities = v;
  }
  if (input.energies !== undefined) arrays.energies = toFloat(input.energies, N, 'energies', 'eV, 1 per atom', where);
  for (const [key, value] of Object.entries(input.info ?? {})) {
    if (key in TYPED_INFO || ['lattice', 'properties', 'pbc'].includes(key.toLowerCase())) {
      throw new Error(`${where}.info.${key}: ${key in TYPED_INFO ? `give it as the frame's ${TYPED_INFO[key]} field` : 'written from the frame itself'}`);
    }
    info[key] = value;
  }
  for (const [key, value] of Object.entries(input.arrays ?? {})) {
    if (key in TYPED_ARRAYS || key === 'species' || key === 'pos') {
      throw new Error(`${where}.arrays.${key}: ${key in TYPED_ARRAYS ? `give it as the frame's ${TYPED_ARRAYS[key]} field` : 'written from the frame itself'}`);
    }
    arrays[key] = columnOf(value, N, `${where}.arrays.${key}`);
  }
  const symbols = input.symbols === undefined ? Array.from(s.types, symbolOf) : [...input.symbols];
  if (symbols.length !== N) throw new Error(`${where}.symbols: expected ${N} symbols, got ${symbols.length}`);
  return { positions: s.positions, types: s.types, symbols, cell: s.cell, pbc: s.pbc, info, arrays };
}

function columnOf(value: ArrayLike<unknown>, atoms: number, where: string): RawFrame['arrays'][string] {
  if (value instanceof Float64Array || value instanceof Int32Array) {
    if (atoms > 0 && value.length % atoms !== 0) throw new Error(`${where}: ${value.length} values are not a whole number per atom (${atoms} atoms)`);
    return value;
  }
  if (!Array.isArray(value) || (atoms > 0 && (value.length === 0 || value.length % atoms !== 0))) {
    throw new Error(`${where}: expected an array with a whole number of values per atom (${atoms} atoms)`);
  }
  if (value.every((v) => typeof v === 'boolean')) return value as boolean[];
  if (value.every((v) => typeof v === 'string' && v !== '' && !/\s/.test(v))) return value as string[];
  if (value.every((v) => typeof v === 'number' && Number.isFinite(v))) return Float64Array.from(value as number[]);
  throw new Error(`${where}: expected finite numbers, booleans or strings without spaces, all of one kind`);
}
