// A small SOAP model of molten NaCl for the i-PI end-to-end tests: fitted in
// ~0.3 s on 10 frames of data/nacl-melt-64.xyz.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ForceField } from '../../lib/core/forcefield.js';
import { serveForceField } from '../../lib/ipi/index.js';
import { fitLinearModel, presetFeatures, type LinearModel } from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';

/** Debian's python3-ase, -lammps and -simtk are installed for this interpreter only (.ci/run). */
export const PYTHON = '/usr/bin/python3';

export const NACL_XYZ = join(import.meta.dirname, '../../data/nacl-melt-64.xyz');

export function fitNaclModel(): LinearModel {
  const frames = readExtxyz(NACL_XYZ).filter((_, k) => k % 30 === 5);
  const train = frames.map((f) => ({
    system: { positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc },
    energy: f.info.energy as number,
    forces: f.arrays.forces as Float64Array,
  }));
  return fitLinearModel(presetFeatures('local', [11, 17], { cutoff: 4.5, maxRadial: 3, maxAngular: 3 }), train, { forceWeight: 1 }).model;
}

/**
 * Starts a Python i-PI server (a LAMMPS or OpenMM driver) with `args`, serves
 * `model` to it over the unix socket `name` until it ends, and returns the
 * JSON lines it wrote to `out` and the last line of its stdout (its summary).
 */
export async function serveToPythonDriver(
  args: string[],
  model: ForceField,
  start: { types: ArrayLike<number>; pbc: [boolean, boolean, boolean] },
  name: string,
  out: string,
): Promise<{ records: Array<Record<string, any>>; summaryLine: string; steps: number; stdout: string }> {
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const summary = await serveForceField(model, { unix: name, types: start.types, pbc: start.pbc, connectTimeout: 20_000 });
  expect(await exited, stderr).toBe(0);
  expect(summary.end).toBe('exit');
  const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  return { records, summaryLine: stdout.trim().split('\n').pop()!, steps: summary.steps, stdout };
}
