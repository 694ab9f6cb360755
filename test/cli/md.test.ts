// `lodestone md`: help, a short run with a quickly fitted model, trajectory
// readable by our extxyz reader, checkpoint/restart through the CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createState, fitLinearModel, loadModel, presetFeatures, saveModel } from '../../lib/index.js';
import { readExtxyz, writeExtxyz } from '../../lib/io/extxyz.js';
import { getNumThreads, setNumThreads } from '../../lib/core/threads.js';
import { runCli } from '../support/cli.js';

const DATA = fileURLToPath(new URL('../../data/nacl-melt-64.xyz', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lodestone-md-cli-'));
const modelPath = join(dir, 'model.lsm');

const cli = runCli;

beforeAll(() => {
  // A small local model: enough to give smooth, finite forces for a few steps.
  const frames = readExtxyz(DATA).filter((_, k) => k % 30 === 0);
  const data = frames.map((f) => ({ system: { positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc }, energy: f.info.energy as number, forces: f.arrays.forces as Float64Array }));
  const { model } = fitLinearModel(presetFeatures('local', [11, 17], { cutoff: 4, maxRadial: 2, maxAngular: 2 }), data, { forceWeight: 1, regularizations: [1e-6] });
  saveModel(modelPath, model);
});

afterEach(() => vi.restoreAllMocks());

describe('lodestone md', () => {
  it('--help states units and defaults', async () => {
    const { code, out } = await cli(['md', '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/Usage: lodestone md MODEL START.xyz/);
    expect(out).toMatch(/Units: positions A, time fs, energies eV/);
    expect(out).toMatch(/--dt FS\s+time step \(fs\) \(default: 1\)/);
    expect(out).toMatch(/--thermostat NAME\s+none \| langevin \| csvr \(default: none\)/);
    expect(out).toMatch(/--friction 1\/FS.*\(default: 0.01\)/);
    expect(out).toMatch(/--tau FS.*\(default: 100\)/);
    for (const option of ['--steps', '--temperature', '--seed', '--thermo-every', '--traj', '--traj-every', '--checkpoint', '--restart', '--threads']) {
      expect(out).toContain(option);
    }
    expect((await cli(['--help'])).out).toMatch(/\n\s+md\s+Molecular dynamics/);
  });

  it("stops where atoms come closer than the model file's training data says it has seen", async () => {
    const { model } = loadModel(modelPath);
    const narrow = join(dir, 'narrow.lsm');
    // as if no Na-Cl pair of the training frames were closer than 3.5 A: the start frame's are (~2.8 A)
    saveModel(narrow, model, { fit: { closestPairs: { '11-17': 3.5 } } });
    const r = await cli(['md', narrow, DATA, '--dt', '1', '--steps', '5', '--temperature', '300', '--threads', '1', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/step 1: atoms \d+ \((Na|Cl)\) and \d+ \((Na|Cl)\) are \d\.\d+ A apart, closer than 0.8 x the closest such pair of the model's training data \(3.500 A\): the model is extrapolating/);
    // without the record (a model file of another tool), or with --no-watchdog, the same run goes on
    expect((await cli(['md', modelPath, DATA, '--dt', '1', '--steps', '5', '--temperature', '300', '--threads', '1', '--quiet'])).code).toBe(0);
    expect((await cli(['md', narrow, DATA, '--dt', '1', '--steps', '5', '--temperature', '300', '--threads', '1', '--quiet', '--no-watchdog'])).code).toBe(0);
  });

  it('runs, writes a readable trajectory, and restarts bit for bit', async () => {
    const traj = join(dir, 'run.xyz');
    const checkpoint = join(dir, 'run.json');
    const common = ['--dt', '2', '--thermostat', 'langevin', '--temperature', '1300', '--friction', '0.02', '--seed', '3', '--frame', '0', '--threads', '1'];
    const first = await cli(['md', modelPath, DATA, ...common, '--steps', '6', '--thermo-every', '3', '--traj', traj, '--traj-every', '3', '--checkpoint', checkpoint]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Maxwell-Boltzmann velocities at 1300 K/);
    expect(first.out).toMatch(/step\s+time\/fs\s+T\/K\s+E_pot\/eV\s+E_kin\/eV\s+E_tot\/eV\s+conserved\/eV/);
    expect(first.out).toMatch(/\n\s+6\s+12\.00\s/);

    const frames = readExtxyz(traj);
    expect(frames.map((f) => f.info.step)).toEqual([0, 3, 6]);
    expect(frames.map((f) => f.info.time)).toEqual([0, 6, 12]);
    const { model } = loadModel(modelPath);
    // Bit-identical only at the run's thread count (--threads 1): the per-thread
    // partial sums are added in a different grouping with more threads.
    const threads = getNumThreads();
    setNumThreads(1);
    for (const f of frames) {
      expect(f.types.length).toBe(64);
      expect((f.arrays.velocities as Float64Array).length).toBe(192);
      const r = model.compute({ positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc });
      expect(f.info.energy).toBe(r.energy);
      expect(f.arrays.forces).toEqual(r.forces);
    }
    setNumThreads(threads);
    // Drawn at 1300 K and reported at 1300 K (3N - 3 in the centre-of-mass frame; it read 1300 * 63/64 before).
    expect(frames[0].info.temperature).toBeCloseTo(1300, 9);
    expect(frames[2].positions).not.toEqual(frames[0].positions);

    // 6 + 4 steps through a restart equal 10 uninterrupted steps.
    const resumed = await cli(['md', modelPath, '--restart', checkpoint, '--steps', '4', '--traj', traj, '--traj-every', '2', '--thermo-every', '100']);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/restart: .* at step 6/);
    expect(resumed.out).toMatch(/integrator: type=langevin dt=2 temperature=1300 friction=0.02/);
    const straightTraj = join(dir, 'straight.xyz');
    expect((await cli(['md', modelPath, DATA, ...common, '--steps', '10', '--traj', straightTraj, '--traj-every', '10', '--thermo-every', '100'])).code).toBe(0);
    const appended = readExtxyz(traj);
    expect(appended.map((f) => f.info.step)).toEqual([0, 3, 6, 8, 10]);
    const straight = readExtxyz(straightTraj).at(-1)!;
    expect(straight.info.step).toBe(10);
    expect(appended.at(-1)!.positions).toEqual(straight.positions);
    expect(appended.at(-1)!.arrays.velocities).toEqual(straight.arrays.velocities);

    // Restarting again from the same (older) checkpoint replaces the frames written after it.
    const again = await cli(['md', modelPath, '--restart', checkpoint, '--steps', '4', '--traj', traj, '--traj-every', '2', '--thermo-every', '100']);
    expect(again.out).toMatch(/dropped 2 frame\(s\) after step 6/);
    const replaced = readExtxyz(traj);
    expect(replaced.map((f) => f.info.step)).toEqual([0, 3, 6, 8, 10]);
    expect(replaced.at(-1)!.positions).toEqual(straight.positions);
  });

  it('stops a diverging run (--dt 20) with the step, what diverged and a hint; --no-watchdog lets it run', async () => {
    const args = ['md', modelPath, DATA, '--steps', '1000', '--dt', '20', '--temperature', '1200', '--thermo-every', '1000', '--threads', '1'];
    const run = await cli(args);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^lodestone md: step \d+: (temperature .* K is above 1\.20e\+4 K|the conserved energy drifted by .* eV\/atom|force field returned a non-finite).*smaller time step.*--dt; --no-watchdog/);
    expect(run.out).not.toMatch(/^done:/m);
    const unchecked = await cli([...args, '--steps', '20', '--no-watchdog', '--thermo-every', '20']);
    expect(unchecked.err).toBe('');
    expect(unchecked.code).toBe(0);
  });

  it('starts from the first frame, with velocities from ASE momenta when the file has them', async () => {
    const frames = readExtxyz(DATA).slice(0, 2);
    const state = createState(frames[0], { temperature: 900, seed: 2 });
    // ASE's momenta: amu A per ASE time unit (A sqrt(amu/eV) = 10.1805 fs).
    const aseTime = 1e-10 * Math.sqrt(1.66053906660e-27 / 1.602176634e-19) * 1e15;
    frames[0].arrays.momenta = state.velocities.map((v, k) => v * state.masses[Math.floor(k / 3)] * aseTime);
    const start = join(dir, 'momenta.xyz');
    writeFileSync(start, writeExtxyz(frames));
    const traj = join(dir, 'momenta-traj.xyz');
    const run = await cli(['md', modelPath, start, '--steps', '0', '--traj', traj, '--threads', '1']);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/start: .*momenta\.xyz frame 0 \(64 atoms\), velocities from the file/);
    const [first] = readExtxyz(traj);
    expect(first.positions).toEqual(frames[0].positions);
    expect(first.info.temperature).toBeCloseTo(900, 6);
    // Written for ASE too: momenta next to the exact velocities.
    for (let k = 0; k < 192; k++) expect((first.arrays.momenta as Float64Array)[k]).toBeCloseTo((frames[0].arrays.momenta as Float64Array)[k], 12);
  });

  it('explains bad options', async () => {
    const run = (extra: string[]) => cli(['md', modelPath, DATA, '--steps', '1', ...extra]);
    expect((await run(['--thermostat', 'nose'])).err).toMatch(/--thermostat: unknown thermostat "nose"; expected one of none, langevin, csvr/);
    expect((await run(['--thermostat', 'langevin'])).err).toMatch(/--temperature: required with --thermostat langevin/);
    expect((await run(['--dt', '-1'])).err).toMatch(/--dt: invalid value "-1"/);
    expect((await run(['--temperature', '-3'])).err).toMatch(/--temperature: invalid value "-3"/);
    expect((await run(['--thermostat', 'csvr', '--temperature', '300', '--friction', '0.1'])).err).toMatch(/CSVR takes --tau/);
    expect((await cli(['md', modelPath])).err).toMatch(/expected a model and a start structure/);
  });
});
