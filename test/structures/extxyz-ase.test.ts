// Files we write read back in ASE (Debian's python3-ase) with energy, forces,
// stress, velocities and temperature intact, and files ASE writes read back
// here. ASE's unit constants are CODATA 2014 and ours CODATA 2018: they
// differ by parts in 1e9, hence the 1e-8 relative tolerance on velocities.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createState, kineticEnergyOf, readExtxyz, runMD, trajectoryObserver, VelocityVerlet, writeExtxyz } from '../../lib/index.js';

const PYTHON = '/usr/bin/python3';
const DATA = join(import.meta.dirname, '../../data/nacl-melt-64.xyz');
const probe = spawnSync(PYTHON, ['-c', 'import ase.io; print(ase.__version__)'], { encoding: 'utf8' });
const haveAse = probe.status === 0;
const required = process.env.LODESTONE_REQUIRE_ENGINES === '1';

function python(code: string, ...args: string[]): any {
  const run = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let k = 0; k < expected.length; k++) scale = Math.max(scale, Math.abs(expected[k]));
  for (let k = 0; k < expected.length; k++) expect(Math.abs(actual[k] - expected[k])).toBeLessThanOrEqual(relative * scale);
}

function expectAbsolute(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) expect(Math.abs(actual[k] - expected[k])).toBeLessThanOrEqual(tolerance);
}

if (!haveAse && required) {
  it('python3-ase is installed (LODESTONE_REQUIRE_ENGINES=1)', () => {
    throw new Error(`${PYTHON} cannot import ase: ${probe.stderr || probe.error}`);
  });
}
if (!haveAse && !required) console.warn(`\n*** SKIPPED test/structures/extxyz-ase.test.ts: ${PYTHON} cannot import ase (install python3-ase)\n`);

describe.skipIf(!haveAse)(`extended XYZ with ASE ${probe.stdout?.trim()}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-ase-xyz-'));
  const [start] = readExtxyz(DATA);

  it('ase.io.read reads our energy, forces, stress, velocities (as momenta) and temperature', () => {
    const state = createState(start, { temperature: 1500, seed: 7 });
    const stress = [0.01, -0.02, 0.03, 0.004, -0.005, 0.006];
    const path = join(dir, 'ours.xyz');
    writeExtxyz(path, { ...start, stress, velocities: state.velocities, info: { temperature: 1500 } });
    const ase = python(
      `import json, sys
from ase.io import read
from ase import units
a = read(sys.argv[1], 0)
print(json.dumps({"energy": a.get_potential_energy(), "forces": a.get_forces().ravel().tolist(),
  "stress": a.get_stress(voigt=True).tolist(), "velocities": (a.get_velocities() * units.fs).ravel().tolist(),
  "kinetic": a.get_kinetic_energy(), "temperature": a.info["temperature"], "pbc": a.pbc.tolist(), "cell": a.cell.array.ravel().tolist()}, default=lambda o: o.item()))`,
      path,
    );
    expect(ase.energy).toBe(start.energy);
    expect(ase.forces).toEqual(Array.from(start.forces!));
    // Voigt: xx yy zz yz xz xy.
    expect(ase.stress).toEqual(stress);
    expectClose(ase.velocities, state.velocities, 1e-8);
    expect(Math.abs(ase.kinetic - kineticEnergyOf(state))).toBeLessThan(1e-8 * kineticEnergyOf(state));
    expect(ase.temperature).toBe(1500);
    expect(ase.pbc).toEqual([true, true, true]);
    expect(ase.cell).toEqual(Array.from(start.cell!));
  });

  it('reads an MD trajectory with the velocities and kinetic energy of every frame (it read 0 K before)', () => {
    const path = join(dir, 'traj.xyz');
    const state = createState(start, { temperature: 1300, seed: 11 });
    const free = { compute: () => ({ energy: -1, forces: new Float64Array(3 * start.types.length) }) };
    const kinetic: number[] = [];
    const record = { every: 2, observe: () => void kinetic.push(kineticEnergyOf(state)) };
    runMD({ forceField: free, state, integrator: new VelocityVerlet({ dt: 1 }), steps: 4, observers: [trajectoryObserver(path, { every: 2 }), record] });
    const ase = python(
      `import json, sys
from ase.io import read
print(json.dumps([{"kinetic": a.get_kinetic_energy(), "temperature": a.info["temperature"], "energy": a.get_potential_energy()} for a in read(sys.argv[1], ":")], default=lambda o: o.item()))`,
      path,
    );
    expect(ase.length).toBe(3);
    ase.forEach((frame: { kinetic: number; temperature: number; energy: number }, k: number) => {
      expect(Math.abs(frame.kinetic - kinetic[k])).toBeLessThan(1e-8 * kinetic[k]);
      expect(frame.temperature).toBeCloseTo(1300, 6);
      expect(frame.energy).toBe(-1);
    });
  });

  it('reads what ase.io.write writes: momenta, calculator energy, free energy, forces and stress', () => {
    const path = join(dir, 'ase.xyz');
    const ase = python(
      `import json, sys
import numpy as np
from ase.io import read, write
from ase import units
from ase.calculators.singlepoint import SinglePointCalculator
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
a = read(sys.argv[1], 0)
MaxwellBoltzmannDistribution(a, temperature_K=1100, rng=np.random.RandomState(3))
f = np.arange(3 * len(a), dtype=float).reshape(-1, 3) / 100
a.calc = SinglePointCalculator(a, energy=-12.5, free_energy=-12.75, forces=f, stress=np.array([1., 2., 3., 4., 5., 6.]) / 1000)
write(sys.argv[2], a)
print(json.dumps({"velocities": (a.get_velocities() * units.fs).ravel().tolist(), "forces": f.ravel().tolist(),
  "kinetic": a.get_kinetic_energy()}))`,
      DATA,
      path,
    );
    const [f] = readExtxyz(path);
    expect(f.energy).toBe(-12.5);
    expect(f.freeEnergy).toBe(-12.75);
    expect(Array.from(f.forces!)).toEqual(ase.forces);
    // 3x3 from Voigt (xx yy zz yz xz xy) = (1 2 3 4 5 6) / 1000
    expect(Array.from(f.stress!)).toEqual([1, 6, 5, 6, 2, 4, 5, 4, 3].map((v) => v / 1000));
    // ASE writes the momenta with 8 decimals: 5e-9 amu A / ASE time.
    expectAbsolute(f.velocities!, ase.velocities, (5e-9 / 22.98) * 0.0983 + 1e-8 * Math.max(...ase.velocities.map(Math.abs)));
    const state = createState(f, { velocities: f.velocities });
    expect(Math.abs(kineticEnergyOf(state) - ase.kinetic)).toBeLessThan(1e-7 * ase.kinetic);
    // ASE writes 8 decimals
    expectAbsolute(f.positions, start.positions, 5e-9 + 1e-14); // half the 8th decimal, plus binary rounding
    expect(f.pbc).toEqual([true, true, true]);
  });
});
