// End to end with OpenMM: plugins/openmm/openmm_ipi.py runs NVE dynamics and
// feeds our i-PI client's forces to OpenMM through a CustomExternalForce.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, type LinearModel } from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';
import { CODATA2014 } from '../../lib/ipi/index.js';
import { fitNaclModel, NACL_XYZ, serveToPythonDriver, PYTHON } from '../support/ipi-model.js';
import { probeEngine } from '../support/engines.js';

const DRIVER = join(import.meta.dirname, '../../plugins/openmm/openmm_ipi.py');
const openmm = probeEngine('test/ipi/openmm.test.ts', 'OpenMM', 'python3-simtk libopenmm-plugins', 'import openmm; print(openmm.__version__)');

describe.skipIf(!openmm.available)(`OpenMM ${openmm.version} (CustomExternalForce) driven through the client`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-openmm-'));
  const start = readExtxyz(NACL_XYZ)[0];
  const { bohr: BOHR } = CODATA2014;
  let model: LinearModel;
  const threads = getNumThreads();
  beforeAll(() => {
    setNumThreads(1); // OpenMM shares the cores
    model = fitNaclModel();
  });
  afterAll(() => setNumThreads(threads));

  it('NVE: OpenMM applies the in-process forces; kinetic + received potential energy is conserved', async () => {
    const STEPS = 50;
    const name = `lodestone-openmm-${process.pid}`;
    const out = join(dir, 'run.jsonl');
    const { records, summaryLine, steps } = await serveToPythonDriver([DRIVER, '--unix', name, '--xyz', NACL_XYZ, '--steps', String(STEPS), '--dt', '1', '--temperature', '1100', '--platform', 'Reference', '--out', out, '--timeout', '60'], model, start, name, out);
    expect(steps).toBe(STEPS + 1);
    expect(records.length).toBe(STEPS + 1);

    let maxEnergyRel = 0, maxReceivedRel = 0, maxAppliedRel = 0;
    for (const r of records) {
      // The client saw OpenMM's A -> Bohr -> A with the same constants.
      const positions = Float64Array.from(r.positions as number[], (x) => (x / BOHR) * BOHR);
      const cell = Float64Array.from(r.cell as number[], (x) => (x / BOHR) * BOHR);
      const ours = model.compute({ positions, types: start.types, cell, pbc: start.pbc }, { forces: true });
      maxEnergyRel = Math.max(maxEnergyRel, Math.abs(r.energy - ours.energy) / Math.abs(ours.energy));
      const fmax = Math.max(...Array.from(ours.forces!, Math.abs));
      const worst = (got: number[]) => Math.max(...got.map((f, c) => Math.abs(f - ours.forces![c]))) / fmax;
      maxReceivedRel = Math.max(maxReceivedRel, worst(r.forces));
      maxAppliedRel = Math.max(maxAppliedRel, worst(r.applied));
    }
    const etotal = records.map((r) => r.etotal as number);
    const drift = Math.max(...etotal.map((e) => Math.abs(e - etotal[0])));
    const kinetic = records.map((r) => r.ke as number);
    const stats = JSON.parse(summaryLine);
    console.log(
      `OpenMM ${stats.platform} over unix socket: ${stats.steps_per_second.toFixed(1)} steps/s (64 atoms, ${STEPS} steps);` +
        ` max rel. diff energy ${maxEnergyRel.toExponential(2)}, received forces ${maxReceivedRel.toExponential(2)},` +
        ` forces OpenMM applies ${maxAppliedRel.toExponential(2)}; NVE drift ${((1000 * drift) / 64).toFixed(4)} meV/atom`,
    );
    expect(stats.platform).toBe('Reference');
    expect(maxEnergyRel).toBeLessThan(1e-12);
    expect(maxReceivedRel).toBeLessThan(1e-12);
    // Reference keeps CustomExternalForce parameters and forces in double (measured 3e-16), so no float slack.
    expect(maxAppliedRel).toBeLessThan(1e-12);
    expect(Math.max(...kinetic) - Math.min(...kinetic)).toBeGreaterThan(20 * drift);
    expect(drift / 64).toBeLessThan(1e-3);
  });
});
