// Pure helpers of the dimer accuracy report (bench/accuracy-dimers.ts): frame
// metadata, the "far" criterion, monomers cut out of a dimer, and the three
// train/test protocols. No fitting here, so test/accuracy-dimers.test.ts can
// check them in milliseconds.
import type { Frame } from '../../lib/io/extxyz.js';
import type { System } from '../../lib/core/system.js';

/** Reporting order: by net charge first, then polarity. */
export const CLASSES = ['charged-charged', 'like-charged', 'charged-polar', 'polar-polar', 'charged-apolar', 'apolar-apolar'] as const;

export interface Dimer {
  /** Index in the file, so results can be traced back to a frame. */
  index: number;
  frame: Frame;
  pair: string;
  cls: string;
  orientation: number;
  distance: number;
  atomsA: number;
  energy: number;
  bindingEnergy: number;
  /** Total energies of the two rigid monomers alone (eV). */
  monomerEnergies: [number, number];
  /** Forces on the atoms of each monomer alone (eV/A), when the file has them (`monomer_forces`). */
  monomerForces?: [Float64Array, Float64Array];
  /** Net charges of the two molecules (e). */
  charges: [number, number];
  forces: Float64Array;
}

function info(frame: Frame, key: string, where: number): unknown {
  const v = frame.info[key];
  if (v === undefined) throw new Error(`xtb dimers: frame ${where} has no '${key}'`);
  return v;
}

function num(frame: Frame, key: string, where: number): number {
  const v = info(frame, key, where);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`xtb dimers: frame ${where}: '${key}' is not a number`);
  return v;
}

export function dimerOf(frame: Frame, index: number): Dimer {
  const forces = frame.arrays.forces;
  if (!(forces instanceof Float64Array) || forces.length !== 3 * frame.types.length) {
    throw new Error(`xtb dimers: frame ${index} has no per-atom forces`);
  }
  const atomsA = num(frame, 'atomsA', index);
  if (!Number.isInteger(atomsA) || atomsA < 1 || atomsA >= frame.types.length) {
    throw new Error(`xtb dimers: frame ${index}: atomsA = ${atomsA} does not split ${frame.types.length} atoms into two molecules`);
  }
  const alone = frame.arrays.monomer_forces;
  if (alone !== undefined && !(alone instanceof Float64Array && alone.length === forces.length)) {
    throw new Error(`xtb dimers: frame ${index}: 'monomer_forces' must be 3 numbers per atom`);
  }
  return {
    index,
    frame,
    pair: String(info(frame, 'pair', index)),
    cls: String(info(frame, 'class', index)),
    orientation: num(frame, 'orientation', index),
    distance: num(frame, 'distance', index),
    atomsA,
    energy: num(frame, 'energy', index),
    bindingEnergy: num(frame, 'binding_energy', index),
    monomerEnergies: [num(frame, 'energyA', index), num(frame, 'energyB', index)],
    charges: [num(frame, 'chargeA', index), num(frame, 'chargeB', index)],
    forces,
    ...(alone ? { monomerForces: [alone.slice(0, 3 * atomsA), alone.slice(3 * atomsA)] as [Float64Array, Float64Array] } : {}),
  };
}

/** Shortest distance between an atom of molecule A (the first atomsA atoms) and one of molecule B. */
export function closestIntermolecular(positions: ArrayLike<number>, atomsA: number): number {
  const n = positions.length / 3;
  let best = Infinity;
  for (let i = 0; i < atomsA; i++) {
    for (let j = atomsA; j < n; j++) {
      const dx = positions[3 * i] - positions[3 * j];
      const dy = positions[3 * i + 1] - positions[3 * j + 1];
      const dz = positions[3 * i + 2] - positions[3 * j + 2];
      best = Math.min(best, dx * dx + dy * dy + dz * dz);
    }
  }
  return Math.sqrt(best);
}

/**
 * Far: beyond the cutoff a local model already sees two isolated monomers, so
 * any binding energy it predicts there must come from long-range features;
 * the extra 1 A keeps frames at the edge of the cutoff out of the far set.
 */
export function isFar(positions: ArrayLike<number>, atomsA: number, cutoff: number): boolean {
  return closestIntermolecular(positions, atomsA) > cutoff + 1;
}

/**
 * Electrons the reference moved from one molecule to the other: how far the
 * partial charges of molecule A (an output of the reference, in e) sum away
 * from its formal charge; 0 when the frame carries no partial charges.
 * GFN2-xTB, like semi-local DFT, spreads an electron over a distant ion pair
 * (its delocalisation error), so a vacuum ion pair becomes partly two
 * radicals as the ions part: the monomers' internal forces then follow a
 * fractional charge state that frames where the molecules touch never show.
 */
export function chargeTransfer(d: Pick<Dimer, 'frame' | 'atomsA' | 'charges'>): number {
  const q = d.frame.arrays.charges;
  if (!(q instanceof Float64Array)) return 0;
  let sum = 0;
  for (let i = 0; i < d.atomsA; i++) sum += q[i];
  return Math.abs(sum - d.charges[0]);
}

/** Above this transfer (e) a frame counts as partly charge-transferred in the report. */
export const CHARGE_TRANSFER_THRESHOLD = 0.02;

/**
 * The two molecules of a dimer as separate systems in vacuum, in place (not
 * recentred), with their net charges when given.
 */
export function monomers(frame: Pick<Frame, 'positions' | 'types'>, atomsA: number, charges?: [number, number]): [System, System] {
  const cut = (from: number, to: number, k: number): System => ({
    positions: frame.positions.slice(3 * from, 3 * to),
    types: frame.types.slice(from, to),
    cell: null,
    pbc: [false, false, false],
    ...(charges ? { charge: charges[k] } : {}),
  });
  return [cut(0, atomsA, 0), cut(atomsA, frame.types.length, 1)];
}

/** The dimer as a system in vacuum with its total charge. */
export function dimerSystem(d: Pick<Dimer, 'frame' | 'charges'>): System {
  return { positions: d.frame.positions, types: d.frame.types, cell: null, pbc: [false, false, false], charge: d.charges[0] + d.charges[1] };
}

export interface Split<T> {
  train: T[];
  test: T[];
}

type Labelled = Pick<Dimer, 'pair' | 'cls' | 'orientation'>;

/** (a) Interpolation between orientations: every pair is in both sets, at different orientations. */
export function interpolationSplit<T extends Labelled>(dimers: T[], trainOrientations = [0, 1, 2, 3]): Split<T> {
  const train = new Set(trainOrientations);
  return { train: dimers.filter((d) => train.has(d.orientation)), test: dimers.filter((d) => !train.has(d.orientation)) };
}

/** (b) Extrapolation along the curve: learn where the molecules touch, predict where they do not. */
export function extrapolationSplit<T>(dimers: T[], far: (d: T) => boolean): Split<T> {
  return { train: dimers.filter((d) => !far(d)), test: dimers.filter(far) };
}

/**
 * The pairs (c) holds out: one per class, from the classes with the most pairs
 * (so every class still has a pair in training, which a one-pair class would
 * not), taking the pair whose name sorts last; ties between classes go by
 * CLASSES order. Deterministic, and it spans charged, polar and apolar pairs
 * on this data set.
 */
export function heldOutPairs(dimers: Labelled[], count = 4): string[] {
  const pairsOf = new Map<string, Set<string>>();
  for (const d of dimers) {
    if (!pairsOf.has(d.cls)) pairsOf.set(d.cls, new Set());
    pairsOf.get(d.cls)!.add(d.pair);
  }
  const rank = (c: string) => {
    const k = (CLASSES as readonly string[]).indexOf(c);
    return k < 0 ? CLASSES.length : k;
  };
  const classes = [...pairsOf.keys()]
    .filter((c) => pairsOf.get(c)!.size >= 2)
    .sort((a, b) => pairsOf.get(b)!.size - pairsOf.get(a)!.size || rank(a) - rank(b) || a.localeCompare(b));
  return classes.slice(0, count).map((c) => [...pairsOf.get(c)!].sort().at(-1)!);
}

/** (c) Leave pairs out: no frame of a test pair is in training (its molecules may be, in other pairs). */
export function leavePairsOutSplit<T extends Labelled>(dimers: T[], heldOut: string[]): Split<T> {
  const out = new Set(heldOut);
  const unknown = heldOut.filter((p) => !dimers.some((d) => d.pair === p));
  if (unknown.length) throw new Error(`leave-pairs-out: no frames of ${unknown.join(', ')}`);
  return { train: dimers.filter((d) => !out.has(d.pair)), test: dimers.filter((d) => out.has(d.pair)) };
}
