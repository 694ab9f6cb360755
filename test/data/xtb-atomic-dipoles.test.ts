// The `atomic_dipoles` of data/xtb-dimers.xyz (scripts/xtb-atomic-dipoles.py)
// and data/xtb-monomers.xyz (scripts/xtb-distorted-monomers.py): GFN2-xTB's
// atomic dipoles, which the learned charges and dipoles learn from. Checked
// by physics (with the partial charges they make up each frame's dipole:
// GFN2's dipole is sum_i q_i r_i + sum_i p_i; with the charges they make the
// far ion pairs' interaction forces) and against Debian's xtb on two frames
// (a missing xtb or python3-numpy fails, never skips).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFrames } from '../../lib/cli/frames.js';
import type { Frame } from '../../lib/io/extxyz.js';
import { DATA_DIR } from '../support/reference.js';
import { withScript } from '../support/python-script.js';

const SYMBOLS: Record<number, string> = { 1: 'H', 6: 'C', 7: 'N', 8: 'O', 17: 'Cl' };
const files = { dimers: readFrames(`${DATA_DIR}/xtb-dimers.xyz`), monomers: readFrames(`${DATA_DIR}/xtb-monomers.xyz`) };

/** sum_i q_i r_i + sum_i p_i against the frame's dipole: the largest component's gap (e A). */
function dipoleGap(f: Frame): number {
  const q = f.arrays.charges as Float64Array;
  const p = f.arrays.atomic_dipoles as Float64Array;
  const dipole = f.info.dipole as number[];
  return Math.max(...[0, 1, 2].map((x) => Math.abs(q.reduce((s, v, i) => s + v * f.positions[3 * i + x] + p[3 * i + x], 0) - dipole[x])));
}

describe('atomic dipoles of the xtb data', () => {
  for (const [name, frames] of Object.entries(files)) {
    it(`${name}: on every atom, and with the partial charges they make up every frame's dipole`, () => {
      for (const f of frames) expect((f.arrays.atomic_dipoles as Float64Array).length).toBe(3 * f.types.length);
      const gaps = frames.map(dipoleGap).sort((x, y) => x - y);
      // to xtb's printed digits: 2e-3 e A at most (dimers of ions 10-15 A from the origin), the median 1e-5
      expect(gaps[gaps.length >> 1]).toBeLessThan(1e-5);
      expect(gaps[gaps.length - 1]).toBeLessThan(5e-3);
      // and they are not negligible: the charges alone miss a part of the dipoles of the polar molecules
      const withoutDipoles = frames.map((f) => {
        const q = f.arrays.charges as Float64Array;
        return Math.hypot(...[0, 1, 2].map((x) => q.reduce((s, v, i) => s + v * f.positions[3 * i + x], 0) - (f.info.dipole as number[])[x]));
      });
      expect(Math.max(...withoutDipoles)).toBeGreaterThan(0.1);
    });
  }

  it('are what GFN2-xTB gives (a dimer frame and a distorted monomer recomputed)', () => {
    const dimer = files.dimers.find((f) => f.info.pair === 'formamide+formamide' && f.info.orientation === 2)!;
    const monomer = files.monomers.find((f) => f.info.molecule === 'methanol' && f.info.distortion === 7)!;
    const job = (f: Frame, charge: number) => ({ symbols: Array.from(f.types, (z) => SYMBOLS[z as number]), positions: Array.from(f.positions), charge });
    const [d, m] = withScript(
      'xtb-atomic-dipoles.py',
      `out = []
for job in json.loads(sys.argv[1]):
    energy, charges, dipole, atomic = m.xtb_frame((job['symbols'], np.array(job['positions']).reshape(-1, 3), job['charge']))
    out.append(atomic.ravel().tolist())
print(json.dumps(out))
`,
      JSON.stringify([job(dimer, 0), job(monomer, 0)]),
    ) as number[][];
    d.forEach((x, i) => expect(Math.abs(x - (dimer.arrays.atomic_dipoles as Float64Array)[i])).toBeLessThan(1e-7));
    m.forEach((x, i) => expect(Math.abs(x - (monomer.arrays.atomic_dipoles as Float64Array)[i])).toBeLessThan(1e-7));
  });
});

describe('the far ion pairs of the dimer file (scripts/xtb-field-fluxes.py)', () => {
  it("have interaction forces that are mostly the first-order fluxes of xtb's own charges and, after them, atomic dipoles", () => {
    // xtb on each ion alone, displaced atom by atom: how its charges and atomic dipoles move, times the partner's field.
    const run = spawnSync('/usr/bin/python3', ['scripts/xtb-field-fluxes.py', '--frames', '4'], { encoding: 'utf8', cwd: join(import.meta.dirname, '../..') });
    expect(run.status, run.stderr).toBe(0);
    const rms = (label: string) => Number(new RegExp(`left after\\s+${label}: rms ([0-9.]+)`).exec(run.stdout)?.[1]);
    const none = rms('none'), charges = rms('charge fluxes'), both = rms('charge and dipole fluxes');
    expect(none).toBeGreaterThan(0.05);
    expect(charges).toBeLessThan(0.5 * none);
    expect(both).toBeLessThan(0.5 * charges);
  });
});
