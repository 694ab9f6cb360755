// Trajectory output: extended XYZ frames appended as the run goes, with the
// potential energy, forces and velocities, readable by our reader and ASE
// (which takes the velocities from the momenta column).
import { appendFileSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tokenizeComment } from '../io/extxyz.js';
import { massesFor } from '../io/masses.js';
import { formatExtxyz, type ExtxyzFrameInput } from '../structures/index.js';
import type { MDFrame, Observer } from './run.js';

export interface TrajectoryOptions {
  /** Steps between frames. Default 10. */
  every?: number;
  /** Keep what the file holds (a restarted run continues it). Default false: the file is truncated. */
  append?: boolean;
  /** Include velocities (A/fs, and ASE's momenta). Default true. */
  velocities?: boolean;
}

/**
 * Frame info: energy (eV), step, time (fs), temperature (K), conserved (eV);
 * per-atom columns: forces (eV/A), velocities (A/fs) with ASE's momenta next
 * to them, and masses (amu) when they are not the standard ones.
 */
export function trajectoryFrame(frame: MDFrame, withVelocities = true): ExtxyzFrameInput {
  const s = frame.state;
  const out: ExtxyzFrameInput = {
    positions: s.positions,
    types: s.types,
    cell: s.cell,
    pbc: s.pbc,
    energy: frame.potentialEnergy,
    forces: Float64Array.from(s.forces ?? []),
    info: { step: s.step, time: s.time, temperature: frame.temperature, conserved: frame.conserved },
  };
  if (withVelocities) {
    out.velocities = Float64Array.from(s.velocities);
    if (!standardMasses(s.types, s.masses)) out.masses = Float64Array.from(s.masses);
  }
  return out;
}

function standardMasses(types: Int32Array, masses: Float64Array): boolean {
  try {
    const standard = massesFor(types);
    return masses.every((m, i) => m === standard[i]);
  } catch {
    return false; // an element without a tabulated mass: the run's masses were given
  }
}

export function trajectoryObserver(path: string, options: TrajectoryOptions = {}): Observer {
  if (typeof path !== 'string' || path === '') throw new Error('trajectoryObserver: path: expected a file name');
  try {
    if (!options.append) writeFileSync(path, '');
  } catch (e) {
    throw new Error(`trajectory ${path}: cannot write (${(e as Error).message})`);
  }
  return {
    every: options.every ?? 10,
    observe(frame) {
      // One append per frame: a crashed run leaves every completed frame on disk.
      appendFileSync(path, formatExtxyz(trajectoryFrame(frame, options.velocities ?? true)));
    },
  };
}

/**
 * Drops the frames after `step` from a trajectory, so a run restarted from an
 * older checkpoint does not leave frames of the lost future in the file.
 * Returns the number of frames dropped (0 when the file does not exist).
 */
export function truncateTrajectoryAfter(path: string, step: number): number {
  if (!existsSync(path)) return 0;
  const bytes = readFileSync(path);
  let offset = 0;
  let line = 0;
  const nextLine = (): string | null => {
    if (offset >= bytes.length) return null;
    let end = bytes.indexOf(10, offset);
    if (end < 0) end = bytes.length;
    const text = bytes.toString('utf8', offset, end);
    offset = end + 1;
    line++;
    return text;
  };
  for (;;) {
    const start = offset;
    const count = nextLine();
    if (count === null) return 0;
    if (count.trim() === '') continue;
    const atoms = Number(count.trim());
    const comment = nextLine();
    if (!Number.isInteger(atoms) || comment === null) throw new Error(`${path}:${line}: not an extended-XYZ frame; cannot trim the trajectory`);
    const stepValue = tokenizeComment(comment, path, line).find(([key]) => key === 'step')?.[1];
    if (stepValue !== undefined && stepValue !== true && Number(stepValue) > step) {
      let dropped = 0;
      offset = start;
      for (;;) {
        const c = nextLine();
        if (c === null) break;
        if (c.trim() === '') continue;
        dropped++;
        nextLine();
        for (let k = 0; k < Number(c.trim()); k++) nextLine();
      }
      truncateSync(path, start);
      return dropped;
    }
    for (let k = 0; k < atoms; k++) nextLine();
  }
}
