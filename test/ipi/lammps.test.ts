// End to end with LAMMPS: plugins/lammps/lammps_ipi.py runs NVE dynamics,
// fix external asks our i-PI client for energy, forces and virial each step.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, type LinearModel } from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';
import { CODATA2014 } from '../../lib/ipi/index.js';
import { fitNaclModel, NACL_XYZ, serveToPythonDriver, PYTHON } from '../support/ipi-model.js';
import { probeEngine } from '../support/engines.js';

const DRIVER = join(import.meta.dirname, '../../plugins/lammps/lammps_ipi.py');
const INPUT = join(import.meta.dirname, '../../plugins/lammps/examples/nacl-nve.in');
const lammps = probeEngine(
  'test/ipi/lammps.test.ts',
  'LAMMPS',
  'lammps python3-lammps liblammps-dev',
  "from lammps import lammps; l = lammps(cmdargs=['-log', 'none', '-screen', 'none']); print(l.version()); l.close()",
);

const NKTV2P_METAL = 1.6021765e6; // eV/A^3 -> bar in LAMMPS metal units

describe.skipIf(!lammps.available)(`LAMMPS ${lammps.version} (fix external) driven through the client`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-lammps-'));
  const start = readExtxyz(NACL_XYZ)[0];
  const { bohr: BOHR } = CODATA2014;
  let model: LinearModel;
  const threads = getNumThreads();
  beforeAll(() => {
    setNumThreads(1); // LAMMPS shares the cores; spinning OpenMP threads would starve it
    model = fitNaclModel();
  });
  afterAll(() => setNumThreads(threads));

  it('NVE: LAMMPS receives in-process energies, forces and virial; pe/press include them; energy is conserved', async () => {
    const STEPS = 50;
    const name = `lodestone-lammps-${process.pid}`;
    const out = join(dir, 'run.jsonl');
    const log = join(dir, 'log.lammps');
    const { records, summaryLine, steps, stdout } = await serveToPythonDriver(
      [DRIVER, '--unix', name, '--xyz', NACL_XYZ, '--in', INPUT, '--steps', String(STEPS), '--out', out, '--timeout', '60', '--log', log, '--thermo', '10'],
      model,
      start,
      name,
      out,
    );
    // LAMMPS's output is the user's: thermo lines every 10 steps and LAMMPS's own log (both were hidden).
    const lines = stdout.split('\n').filter((l) => /^\s+\d+\s/.test(l));
    expect(stdout).toMatch(/^\s+Step\s+PotEng\/eV\s+KinEng\/eV\s+TotEng\/eV\s+Press\/bar\s+Volume\/A\^3$/m);
    expect(lines.map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([10, 20, 30, 40, 50]);
    const logText = readFileSync(log, 'utf8');
    expect(logText).toMatch(/fix ipi all external pf\/callback 1 1/);
    expect(logText).toMatch(/Step\s+PotEng\s+KinEng\s+TotEng\s+Press\s+Volume/);
    expect(steps).toBe(STEPS + 1);
    const forceRecords = records.filter((r) => r.kind === 'force');
    const thermo = records.filter((r) => r.kind === 'thermo');
    expect(forceRecords.length).toBe(STEPS + 1);
    expect(thermo.length).toBe(STEPS);

    let maxEnergyRel = 0, maxForceRel = 0, maxVirialRel = 0, maxPeDiff = 0, maxPressRel = 0;
    const byStep = new Map<number, { energy: number; virial: number[] }>();
    for (const r of forceRecords) {
      // The client saw LAMMPS's A -> Bohr -> A with the same constants.
      const positions = Float64Array.from(r.positions as number[], (x) => (x / BOHR) * BOHR);
      const cell = Float64Array.from(r.cell as number[], (x) => (x / BOHR) * BOHR);
      const ours = model.compute({ positions, types: start.types, cell, pbc: start.pbc }, { forces: true, stress: true });
      maxEnergyRel = Math.max(maxEnergyRel, Math.abs(r.energy - ours.energy) / Math.abs(ours.energy));
      let fmax = 0, fdiff = 0;
      (r.forces as number[]).forEach((f, c) => {
        fmax = Math.max(fmax, Math.abs(ours.forces![c]));
        fdiff = Math.max(fdiff, Math.abs(f - ours.forces![c]));
      });
      maxForceRel = Math.max(maxForceRel, fdiff / fmax);
      let vmax = 0, vdiff = 0;
      (r.virial as number[]).forEach((w, c) => {
        vmax = Math.max(vmax, Math.abs(ours.virial![c]));
        vdiff = Math.max(vdiff, Math.abs(w - ours.virial![c])); // full 3x3: transposes must cancel
      });
      maxVirialRel = Math.max(maxVirialRel, vdiff / vmax);
      byStep.set(r.step, { energy: r.energy, virial: r.virial });
    }
    for (const t of thermo) {
      const received = byStep.get(t.step)!;
      maxPeDiff = Math.max(maxPeDiff, Math.abs(t.pe - received.energy));
      // press = (2 KE + tr W) / (3 V), in bar
      const virialPressure = t.press - ((2 * t.ke) / (3 * t.volume)) * NKTV2P_METAL;
      const expected = ((received.virial[0] + received.virial[4] + received.virial[8]) / (3 * t.volume)) * NKTV2P_METAL;
      maxPressRel = Math.max(maxPressRel, Math.abs(virialPressure - expected) / Math.abs(expected));
    }
    const etotal = thermo.map((t) => t.etotal as number);
    const drift = Math.max(...etotal.map((e) => Math.abs(e - etotal[0])));
    const kinetic = thermo.map((t) => t.ke as number);
    const stats = JSON.parse(summaryLine);
    console.log(
      `LAMMPS over unix socket: ${stats.steps_per_second.toFixed(1)} steps/s (64 atoms, ${STEPS} steps, incl. 'run 1' overhead);` +
        ` max rel. diff energy ${maxEnergyRel.toExponential(2)}, forces ${maxForceRel.toExponential(2)}, virial ${maxVirialRel.toExponential(2)},` +
        ` thermo pe ${maxPeDiff.toExponential(2)} eV, virial pressure ${maxPressRel.toExponential(2)}; NVE drift ${((1000 * drift) / 64).toFixed(4)} meV/atom`,
    );
    expect(maxEnergyRel).toBeLessThan(1e-12);
    expect(maxForceRel).toBeLessThan(1e-12);
    expect(maxVirialRel).toBeLessThan(1e-12);
    expect(maxPeDiff).toBeLessThan(1e-9);
    expect(maxPressRel).toBeLessThan(1e-8);
    expect(Math.max(...kinetic) - Math.min(...kinetic)).toBeGreaterThan(20 * drift);
    expect(drift / 64).toBeLessThan(1e-3);
  });
});
