// Checkpoints: JSON with every float64 array stored as base64 of its
// little-endian bytes (decimal text could lose nothing in JS, but bytes make
// the exactness obvious and are compact); scalars are JSON numbers, which JS
// prints in shortest round-trip form, so reading gives the same bits.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IntegratorSpec } from './integrators/integrator.js';
import { createIntegrator } from './integrators/factory.js';
import { Random, type RandomState } from './random.js';
import type { MDFrame, Observer } from './run.js';
import { checkFixed, type MDState } from './state.js';

export const CHECKPOINT_FORMAT = 'lodestone-md-checkpoint';
export const CHECKPOINT_VERSION = 1;

interface CheckpointJson {
  format: string;
  version: number;
  atoms: number;
  step: number;
  time: number;
  types: number[];
  masses: string;
  positions: string;
  velocities: string;
  forces: string | null;
  energy: number | null;
  cell: string | null;
  pbc: [boolean, boolean, boolean];
  fixed: number[];
  reservoirEnergy: number;
  random: RandomState;
  integrator?: IntegratorSpec;
  metadata?: Record<string, unknown>;
}

function encode(values: Float64Array): string {
  const bytes = Buffer.alloc(8 * values.length);
  for (let k = 0; k < values.length; k++) bytes.writeDoubleLE(values[k], 8 * k);
  return bytes.toString('base64');
}

function decode(text: unknown, length: number, where: string): Float64Array {
  if (typeof text !== 'string') throw new Error(`${where}: expected base64 text`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== 8 * length) throw new Error(`${where}: expected ${length} float64 values, got ${bytes.length} bytes`);
  const out = new Float64Array(length);
  for (let k = 0; k < length; k++) out[k] = bytes.readDoubleLE(8 * k);
  return out;
}

function finiteNumber(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: expected a finite number, got ${JSON.stringify(value)}`);
  return value;
}

export interface Checkpoint {
  state: MDState;
  /** The integrator that produced the state, when it was saved. */
  integrator?: IntegratorSpec;
  metadata?: Record<string, unknown>;
}

export function serializeCheckpoint(state: MDState, integrator?: IntegratorSpec, metadata?: Record<string, unknown>): string {
  const json: CheckpointJson = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    atoms: state.types.length,
    step: state.step,
    time: state.time,
    types: Array.from(state.types),
    masses: encode(state.masses),
    positions: encode(state.positions),
    velocities: encode(state.velocities),
    forces: state.forces ? encode(state.forces) : null,
    energy: state.energy,
    cell: state.cell ? encode(state.cell) : null,
    pbc: state.pbc,
    fixed: Array.from(state.fixed),
    reservoirEnergy: state.reservoirEnergy,
    random: state.random.state(),
    integrator,
    metadata,
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

export function deserializeCheckpoint(text: string, source = 'checkpoint'): Checkpoint {
  let json: CheckpointJson;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not a JSON checkpoint (${(e as Error).message})`);
  }
  if (json?.format !== CHECKPOINT_FORMAT) throw new Error(`${source}: not a lodestone MD checkpoint (format field is ${JSON.stringify(json?.format)})`);
  if (json.version !== CHECKPOINT_VERSION) throw new Error(`${source}: checkpoint version ${json.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  const N = json.atoms;
  if (!Number.isInteger(N) || N < 0) throw new Error(`${source}: atoms: expected a non-negative integer`);
  if (!Array.isArray(json.types) || json.types.length !== N || !json.types.every((t) => Number.isInteger(t))) {
    throw new Error(`${source}: types: expected ${N} atomic numbers`);
  }
  if (!Array.isArray(json.pbc) || json.pbc.length !== 3 || !json.pbc.every((b) => typeof b === 'boolean')) {
    throw new Error(`${source}: pbc: expected 3 booleans`);
  }
  if (!Number.isInteger(json.step) || json.step < 0) throw new Error(`${source}: step: expected a non-negative integer`);
  if (json.energy !== null) finiteNumber(json.energy, `${source}: energy`);
  if (json.integrator !== undefined) createIntegrator(json.integrator); // validates it
  const state: MDState = {
    positions: decode(json.positions, 3 * N, `${source}: positions`),
    velocities: decode(json.velocities, 3 * N, `${source}: velocities`),
    masses: decode(json.masses, N, `${source}: masses`),
    types: Int32Array.from(json.types),
    cell: json.cell === null ? null : decode(json.cell, 9, `${source}: cell`),
    pbc: [json.pbc[0], json.pbc[1], json.pbc[2]],
    fixed: checkFixed(Array.isArray(json.fixed) ? json.fixed : [], N, `${source}: fixed`),
    step: json.step,
    time: finiteNumber(json.time, `${source}: time`),
    random: Random.fromState(json.random),
    forces: json.forces === null ? null : decode(json.forces, 3 * N, `${source}: forces`),
    energy: json.energy,
    reservoirEnergy: finiteNumber(json.reservoirEnergy, `${source}: reservoirEnergy`),
  };
  if (state.forces === null) state.energy = null;
  return { state, integrator: json.integrator, metadata: json.metadata };
}

/** Writes a checkpoint; through a temporary file and a rename, so a crash mid-write never leaves a truncated checkpoint. */
export function writeCheckpoint(path: string, state: MDState, integrator?: IntegratorSpec, metadata?: Record<string, unknown>): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, serializeCheckpoint(state, integrator, metadata));
    renameSync(tmp, path);
  } catch (e) {
    throw new Error(`checkpoint ${path}: cannot write (${(e as Error).message})`);
  }
}

export function readCheckpoint(path: string): Checkpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`checkpoint ${path}: cannot read (${(e as Error).message})`);
  }
  return deserializeCheckpoint(text, path);
}

export interface CheckpointOptions {
  /** Steps between checkpoints. Default 1000. The final state of every run is written too. */
  every?: number;
  /** Stored with the checkpoint (e.g. the model file). */
  metadata?: Record<string, unknown>;
}

export function checkpointObserver(path: string, options: CheckpointOptions = {}): Observer {
  let lastStep = -1;
  const save = (frame: MDFrame) => {
    if (frame.state.step === lastStep) return;
    writeCheckpoint(path, frame.state, frame.integrator.spec(), options.metadata);
    lastStep = frame.state.step;
  };
  return { every: options.every ?? 1000, observe: save, finish: save };
}
