// End to end with ASE: VelocityVerlet MD in ASE's SocketIOCalculator driving
// our i-PI client serving a fitted model; what ASE receives must equal the
// in-process ForceField results (compared in atomic units, so the engines'
// slightly different unit constants cancel exactly).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNumThreads, saveModel, setNumThreads, type LinearModel } from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';
import type { System } from '../../lib/core/system.js';
import type { ForceFieldResult } from '../../lib/core/forcefield.js';
import { CODATA2014, serveForceField } from '../../lib/ipi/index.js';
import { fitNaclModel, NACL_XYZ as XYZ, PYTHON } from '../support/ipi-model.js';
import { probeEngine } from '../support/engines.js';
import { cellVolume } from '../../lib/core/system.js';

const SCRIPT = join(import.meta.dirname, '../../plugins/ipi/examples/ase_nve.py');
const ase = probeEngine('test/ipi/ase.test.ts', 'ase', 'python3-ase', 'import ase, ase.calculators.socketio; print(ase.__version__)');

interface AseRun {
  lines: Array<Record<string, number[] | number>>;
  units: { ase_bohr: number; ase_hartree: number };
  stats: { steps: number; seconds: number; steps_per_second: number };
}

/** Starts ase_nve.py; resolves once it listens, then `finished` gives its output. */
async function startAse(args: string[], out: string): Promise<{ finished: Promise<AseRun> }> {
  const child = spawn(PYTHON, [SCRIPT, '--xyz', XYZ, '--out', out, '--timeout', '60', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('listening')) resolve();
    });
    void exited.then((code) => reject(new Error(`ase_nve.py exited (${code}) before listening: ${stderr}`)));
  });
  const finished = exited.then((code) => {
    if (code !== 0) throw new Error(`ase_nve.py exited with ${code}: ${stderr}`);
    const [head, ...rest] = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const stats = JSON.parse(stdout.trim().split('\n').pop()!);
    return { lines: rest, units: head, stats };
  });
  return { finished };
}

describe.skipIf(!ase.available)(`ASE ${ase.version} SocketIOCalculator drives the client`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-ipi-'));
  const start = readExtxyz(XYZ)[0];
  let model: LinearModel;
  const { bohr: BOHR, hartree: HARTREE } = CODATA2014;
  // ASE runs on the same cores: OpenMP threads spinning after each step
  // starve it (39 vs 276 steps/s on 2 cores), so serve with one thread.
  const threads = getNumThreads();
  beforeAll(() => {
    setNumThreads(1);
    model = fitNaclModel();
  });
  afterAll(() => setNumThreads(threads));

  it('NVE over a unix socket: energies, forces and stress equal in-process results; energy is conserved', async () => {
    const STEPS = 50;
    const name = `lodestone-ase-${process.pid}`;
    rmSync(`/tmp/ipi_${name}`, { force: true });
    const { finished } = await startAse(['--unix', name, '--steps', String(STEPS)], join(dir, 'unix.jsonl'));
    const seen: Array<{ system: System; result: ForceFieldResult }> = [];
    const summary = await serveForceField(model, {
      unix: name,
      types: start.types,
      pbc: start.pbc,
      connectTimeout: 10_000,
      onStep: ({ system, result }) => seen.push({ system, result }),
    });
    const ase = await finished;
    expect(summary).toMatchObject({ end: 'close', steps: STEPS + 1 });
    expect(ase.lines.length).toBe(STEPS + 1);
    const { ase_bohr: aseBohr, ase_hartree: aseHartree } = ase.units;
    expect(Math.abs(aseBohr / BOHR - 1)).toBeLessThan(1e-9);

    let maxForce = 0, maxForceDiff = 0, maxEnergyRel = 0, maxVirialRel = 0;
    const totals: number[] = [];
    ase.lines.forEach((line, k) => {
      // What the client computed from: ASE's A -> Bohr (ASE's constant) -> A (ours).
      const positions = Float64Array.from(line.positions as number[], (x) => (x / aseBohr) * BOHR);
      const aseCell = line.cell as number[];
      const cell = Float64Array.from(aseCell, (x) => (x / aseBohr) * BOHR);
      expect(seen[k].system.positions).toEqual(positions);
      expect(seen[k].system.cell).toEqual(cell);
      const ours = model.compute({ positions, types: start.types, cell, pbc: start.pbc }, { forces: true, stress: true });

      const energyAse = (line.energy as number) / aseHartree;
      const energyOurs = ours.energy / HARTREE;
      maxEnergyRel = Math.max(maxEnergyRel, Math.abs(energyAse - energyOurs) / Math.abs(energyOurs));
      const forcesAse = line.forces as number[];
      for (let c = 0; c < forcesAse.length; c++) {
        const fOurs = (ours.forces![c] * BOHR) / HARTREE;
        maxForce = Math.max(maxForce, Math.abs(fOurs));
        maxForceDiff = Math.max(maxForceDiff, Math.abs((forcesAse[c] * aseBohr) / aseHartree - fOurs));
      }
      // ASE: stress = -sym(virial)/V, V from its own cell.
      const volumeAse = cellVolume(aseCell);
      const stress = line.stress as number[];
      let vmax = 0, vdiff = 0;
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          const wOurs = (0.5 * (ours.virial![3 * a + b] + ours.virial![3 * b + a])) / HARTREE;
          const wAse = (-stress[3 * a + b] * volumeAse) / aseHartree;
          vmax = Math.max(vmax, Math.abs(wOurs));
          vdiff = Math.max(vdiff, Math.abs(wOurs - wAse));
        }
      }
      maxVirialRel = Math.max(maxVirialRel, vdiff / vmax);
      totals.push((line.energy as number) + (line.kinetic as number));
    });
    const drift = Math.max(...totals.map((e) => Math.abs(e - totals[0])));
    const kinetic = ase.lines.map((l) => l.kinetic as number);
    console.log(
      `ASE over unix socket: ${ase.stats.steps_per_second.toFixed(1)} steps/s (64 atoms, ${STEPS} steps);` +
        ` max |dF|/max|F| = ${(maxForceDiff / maxForce).toExponential(2)}, max energy rel. diff ${maxEnergyRel.toExponential(2)},` +
        ` max virial rel. diff ${maxVirialRel.toExponential(2)}; NVE total-energy drift ${(1000 * drift / 64).toFixed(4)} meV/atom` +
        ` (kinetic energy varies by ${(Math.max(...kinetic) - Math.min(...kinetic)).toFixed(3)} eV)`,
    );
    expect(maxEnergyRel).toBeLessThan(1e-10);
    expect(maxForceDiff / maxForce).toBeLessThan(1e-10);
    expect(maxVirialRel).toBeLessThan(1e-10);
    expect(maxForce).toBeGreaterThan(1e-3);
    // The dynamics really moves (kinetic and potential exchange energy) while the total stays put.
    expect(Math.max(...kinetic) - Math.min(...kinetic)).toBeGreaterThan(20 * drift);
    expect(drift / 64).toBeLessThan(1e-3); // eV/atom
  });

  it('over TCP (no-delay) as well', async () => {
    const probeServer = createServer();
    await new Promise<void>((r) => probeServer.listen(0, '127.0.0.1', r));
    const port = (probeServer.address() as { port: number }).port;
    await new Promise((r) => probeServer.close(r));
    const { finished } = await startAse(['--port', String(port), '--steps', '20'], join(dir, 'tcp.jsonl'));
    const summary = await serveForceField(model, { host: '127.0.0.1', port, types: start.types, connectTimeout: 10_000 });
    const ase = await finished;
    expect(summary).toMatchObject({ end: 'close', steps: 21 });
    console.log(`ASE over TCP: ${ase.stats.steps_per_second.toFixed(1)} steps/s (64 atoms, 20 steps)`);
    expect(ase.lines.length).toBe(21);
  });

  it('through the CLI: lodestone ipi --model M --structure S --unix NAME', async () => {
    const modelPath = join(dir, 'nacl.lsm');
    saveModel(modelPath, model);
    const name = `lodestone-cli-${process.pid}`;
    rmSync(`/tmp/ipi_${name}`, { force: true });
    const { finished } = await startAse(['--unix', name, '--steps', '5'], join(dir, 'cli.jsonl'));
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../../lib/cli/bin.ts'), 'ipi', '--model', modelPath, '--structure', XYZ, '--unix', name, '--wait', '10', '--threads', '1'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/serving .*nacl.lsm for 64 atoms \(Na32Cl32\) on unix socket \/tmp\/ipi_lodestone-cli-/);
    expect(cli.stdout).toMatch(/6 steps in .* ended by the server closing the connection/);
    const ase = await finished;
    const first = model.compute({ positions: start.positions, types: start.types, cell: start.cell, pbc: start.pbc });
    expect(Math.abs((ase.lines[0].energy as number) - first.energy)).toBeLessThan(1e-6 * Math.abs(first.energy));
  });

  it("through the CLI, stops where the atoms come closer than the model file's training data says it has seen", async () => {
    const narrow = join(dir, 'narrow.lsm');
    // as if no Na-Cl pair of the training frames were closer than 3.5 A: the start frame's are (~2.8 A)
    saveModel(narrow, model, { fit: { closestPairs: { '11-17': 3.5 } } });
    const name = `lodestone-contacts-${process.pid}`;
    rmSync(`/tmp/ipi_${name}`, { force: true });
    const { finished } = await startAse(['--unix', name, '--steps', '5'], join(dir, 'contacts.jsonl'));
    const run = (extra: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, '../../lib/cli/bin.ts'), 'ipi', '--model', narrow, '--structure', XYZ, '--unix', name, '--wait', '10', '--threads', '1', ...extra],
        { encoding: 'utf8', timeout: 60_000 },
      );
    const cli = run([]);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/step 0: the force field failed: atoms \d+ \((Na|Cl)\) and \d+ \((Na|Cl)\) are \d\.\d+ A apart, closer than 0.8 x the closest such pair of the model's training data \(3.500 A\): the model is extrapolating there \(--no-contact-check serves it anyway\)/);
    await expect(finished).rejects.toThrow(/ase_nve.py exited/); // the server lost its client
    // the same model served with --no-contact-check
    rmSync(`/tmp/ipi_${name}`, { force: true });
    const again = await startAse(['--unix', name, '--steps', '2'], join(dir, 'contacts2.jsonl'));
    expect(run(['--no-contact-check']).status).toBe(0);
    expect((await again.finished).lines.length).toBe(3);
  });
});
