// Frames from extended XYZ for the CLI: training targets and systems.
import { readExtxyz, type Frame } from '../io/extxyz.js';
import type { ChargeTrainingFrame, TrainingFrame } from '../model/training.js';
import type { TensorFrame } from '../model/tensor/fit.js';
import { cartesianLength, type TensorTarget } from '../model/tensor/target.js';
import type { System } from '../core/system.js';

export function frameSystem(frame: Frame): System {
  const charge = frame.info.charge;
  return { positions: frame.positions, types: frame.types, cell: frame.cell, pbc: frame.pbc, ...(typeof charge === 'number' ? { charge } : {}) };
}

export function readFrames(path: string): Frame[] {
  const frames = readExtxyz(path);
  if (frames.length === 0) throw new Error(`${path}: no frames`);
  return frames;
}

/** Reference energy and forces of a frame, when the file has them. */
export function references(frame: Frame, energyKey: string, forcesKey: string): { energy?: number; forces?: Float64Array } {
  const e = frame.info[energyKey];
  const f = frame.arrays[forcesKey];
  return {
    energy: typeof e === 'number' ? e : undefined,
    forces: f instanceof Float64Array && f.length === 3 * frame.types.length ? f : undefined,
  };
}

export function trainingFrames(
  path: string,
  frames: Frame[],
  energyKey: string,
  forcesKey: string,
  groupKey?: string,
  chargesKey?: string,
  dipolesKey?: string,
): TrainingFrame[] {
  return frames.map((frame, k) => {
    const ref = references(frame, energyKey, forcesKey);
    if (ref.energy === undefined) throw new Error(`${path}: frame ${k} has no '${energyKey}' energy (use --energy-key)`);
    return { system: frameSystem(frame), energy: ref.energy, forces: ref.forces, ...extras(path, frame, k, groupKey, chargesKey, dipolesKey) };
  });
}

/** Frames of `path` for the learned charges only (fit --charge-data): each must have the per-atom charges column. */
export function chargeOnlyFrames(path: string, chargesKey: string, groupKey?: string, dipolesKey?: string): ChargeTrainingFrame[] {
  return readFrames(path).map((frame, k) => {
    const { charges, ...rest } = extras(path, frame, k, groupKey, chargesKey, dipolesKey);
    if (!charges) throw new Error(`${path}: frame ${k} has no per-atom '${chargesKey}' column of one number per atom (the charges it is read for)`);
    return { system: frameSystem(frame), charges, ...rest };
  });
}

/** A frame's tensor under `key`, when it holds 3 numbers (a dipole, e A) or 9 (a polarizability, A^3, row-major) as `target` needs. */
export function tensorValue(frame: Frame, key: string, target: TensorTarget): Float64Array | undefined {
  const value = frame.info[key];
  const ok = Array.isArray(value) && value.length === cartesianLength(target) && value.every((v) => typeof v === 'number');
  return ok ? Float64Array.from(value as number[]) : undefined;
}

/** Frames with a tensor target under `key` (see tensorValue). */
export function tensorFrames(path: string, frames: Frame[], target: TensorTarget, key: string, groupKey?: string, chargesKey?: string): TensorFrame[] {
  return frames.map((frame, k) => {
    const value = tensorValue(frame, key, target);
    if (!value) throw new Error(`${path}: frame ${k} has no '${key}' info value of ${cartesianLength(target)} numbers (the ${target}; use --target-key)`);
    return { system: frameSystem(frame), target: value, ...extras(path, frame, k, groupKey, chargesKey) };
  });
}

/** The group a frame's cross-validation fold follows, its reference charges and the atomic dipoles that go with them. */
function extras(
  path: string,
  frame: Frame,
  k: number,
  groupKey?: string,
  chargesKey?: string,
  dipolesKey?: string,
): { group?: string; charges?: Float64Array; atomicDipoles?: Float64Array } {
  const out: { group?: string; charges?: Float64Array; atomicDipoles?: Float64Array } = {};
  if (chargesKey !== undefined) {
    const charges = frame.arrays[chargesKey];
    // Frames without the column (isolated molecules given by energy only) still train the energy.
    if (charges instanceof Float64Array && charges.length === frame.types.length) out.charges = charges;
  }
  if (dipolesKey !== undefined && out.charges) {
    const dipoles = frame.arrays[dipolesKey];
    if (!(dipoles instanceof Float64Array) || dipoles.length !== 3 * frame.types.length) {
      throw new Error(`${path}: frame ${k} has charges but no per-atom '${dipolesKey}' column of 3 numbers per atom (--atomic-dipoles)`);
    }
    out.atomicDipoles = dipoles;
  }
  if (groupKey !== undefined) {
    // Several keys (pair,orientation) group by their values together: one binding curve.
    out.group = groupKey
      .split(',')
      .map((key) => {
        const value = frame.info[key];
        if (typeof value !== 'string' && typeof value !== 'number') {
          throw new Error(`${path}: frame ${k} has no '${key}' info value to group by (--group-key)`);
        }
        return String(value);
      })
      .join('/');
  }
  return out;
}

export function speciesOf(frames: Frame[]): number[] {
  const set = new Set<number>();
  for (const f of frames) for (const z of f.types) set.add(z);
  return [...set].sort((a, b) => a - b);
}

/** Fails before any computation when a frame holds a species the features do not know, naming the frame. */
export function checkFrameSpecies(features: { checkSpecies(system: System): void }, frames: Frame[], path: string): void {
  frames.forEach((frame, k) => {
    try {
      features.checkSpecies(frameSystem(frame));
    } catch (e) {
      throw new Error(`${(e as Error).message} (frame ${k} of ${path})`);
    }
  });
}
