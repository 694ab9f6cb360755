// data/xtb-monomers.xyz (scripts/xtb-distorted-monomers.py): the molecules of
// the dimer file, each at its dimer geometry and at randomly displaced ones,
// with GFN2-xTB energies, forces, partial charges and dipoles. Checked by physics (a
// lone molecule feels no net force or torque; its charges add up to its net
// charge), against the dimer file (the undistorted molecule is the one of the
// curves: same energy, same forces up to the rotation into its curve), and
// against Debian's xtb on two frames (a missing xtb or python3-numpy fails,
// never skips).
import { describe, expect, it } from 'vitest';
import { readFrames } from '../../lib/cli/frames.js';
import { dimerOf } from '../../bench/support/dimers.js';
import { DATA_DIR } from '../support/reference.js';
import { withScript } from '../support/python-script.js';

const monomers = readFrames(`${DATA_DIR}/xtb-monomers.xyz`);
const dimers = readFrames(`${DATA_DIR}/xtb-dimers.xyz`).map((f, k) => dimerOf(f, k));
const SYMBOLS: Record<number, string> = { 1: 'H', 6: 'C', 7: 'N', 8: 'O', 17: 'Cl' };

const rms = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0) / v.length);

describe('distorted monomers of the xtb dimers', () => {
  const names = [...new Set(monomers.map((f) => String(f.info.molecule)))];

  it('hold every molecule of the dimer file, undistorted first, then displaced', () => {
    const inDimers = new Set(dimers.flatMap((d) => d.pair.split('+')));
    expect(new Set(names)).toEqual(inDimers);
    for (const name of names) {
      const frames = monomers.filter((f) => f.info.molecule === name);
      expect(frames[0].info.distortion).toBe(0);
      expect(frames.length).toBeGreaterThan(10);
    }
  });

  it('put no net force or torque on a lone molecule, and its charges add up to its net charge', () => {
    for (const f of monomers) {
      const F = f.arrays.forces as Float64Array;
      const q = f.arrays.charges as Float64Array;
      const n = F.length / 3;
      const c = [0, 1, 2].map((x) => Array.from({ length: n }, (_, i) => f.positions[3 * i + x]).reduce((a, b) => a + b, 0) / n);
      const net = [0, 0, 0];
      const torque = [0, 0, 0];
      for (let i = 0; i < n; i++) {
        const r = [0, 1, 2].map((x) => f.positions[3 * i + x] - c[x]);
        for (let x = 0; x < 3; x++) net[x] += F[3 * i + x];
        torque[0] += r[1] * F[3 * i + 2] - r[2] * F[3 * i + 1];
        torque[1] += r[2] * F[3 * i] - r[0] * F[3 * i + 2];
        torque[2] += r[0] * F[3 * i + 1] - r[1] * F[3 * i];
      }
      expect(Math.hypot(...net)).toBeLessThan(1e-6);
      expect(Math.hypot(...torque)).toBeLessThan(1e-4);
      expect(Math.abs(q.reduce((a, b) => a + b, 0) - (f.info.charge as number))).toBeLessThan(1e-6);
    }
  });

  it('undistorted: the energy and the size of the forces of the molecule in the dimer curves', () => {
    for (const name of names) {
      const f = monomers.find((g) => g.info.molecule === name && g.info.distortion === 0)!;
      const d = dimers.find((x) => x.pair.split('+').includes(name))!;
      const k = d.pair.split('+')[0] === name ? 0 : 1;
      expect(Math.abs((f.info.energy as number) - d.monomerEnergies[k])).toBeLessThan(1e-6);
      // the same molecule, turned into its curve: equal force norms atom by atom
      const a = f.arrays.forces as Float64Array;
      const b = d.monomerForces![k];
      for (let i = 0; i < a.length / 3; i++) {
        expect(Math.abs(Math.hypot(a[3 * i], a[3 * i + 1], a[3 * i + 2]) - Math.hypot(b[3 * i], b[3 * i + 1], b[3 * i + 2]))).toBeLessThan(1e-6);
      }
    }
  });

  it("dipoles: none on the undistorted apolar molecules; on the polar ones, more than their partial charges' (the atoms' own dipoles)", () => {
    const undistorted = (name: string) => monomers.find((f) => f.info.molecule === name && f.info.distortion === 0)!;
    for (const name of ['methane', 'ethane', 'benzene']) expect(Math.hypot(...(undistorted(name).info.dipole as number[]))).toBeLessThan(1e-4);
    for (const name of ['water', 'methanol', 'formamide']) {
      const f = undistorted(name);
      const q = f.arrays.charges as Float64Array;
      const fromCharges = [0, 1, 2].map((x) => q.reduce((s, v, i) => s + v * f.positions[3 * i + x], 0));
      const dipole = Math.hypot(...(f.info.dipole as number[]));
      expect(dipole).toBeGreaterThan(0.3);
      expect(Math.hypot(...fromCharges)).toBeLessThan(0.95 * dipole);
      expect(Math.hypot(...fromCharges)).toBeGreaterThan(0.5 * dipole);
    }
  });

  it('displaced: forces far above the undistorted ones (the data says how the energy changes with each atom)', () => {
    const undistorted = monomers.filter((f) => f.info.distortion === 0).flatMap((f) => Array.from(f.arrays.forces as Float64Array));
    const displaced = monomers.filter((f) => f.info.distortion !== 0).flatMap((f) => Array.from(f.arrays.forces as Float64Array));
    expect(rms(displaced)).toBeGreaterThan(20 * rms(undistorted));
  });

  it('are what GFN2-xTB gives (two frames recomputed)', () => {
    const picked = [monomers.find((f) => f.info.molecule === 'acetate' && f.info.distortion === 3)!, monomers.find((f) => f.info.molecule === 'water' && f.info.distortion === 5)!];
    const jobs = picked.map((f) => ({ symbols: Array.from(f.types, (z) => SYMBOLS[z as number]), positions: Array.from(f.positions), charge: f.info.charge }));
    const results = withScript(
      'xtb-distorted-monomers.py',
      `out = []
for job in json.loads(sys.argv[1]):
    energy, forces, charges, dipole, _ = m.xtb_all((job['symbols'], np.array(job['positions']).reshape(-1, 3), job['charge']))
    out.append({'energy': energy, 'forces': forces.ravel().tolist(), 'charges': charges.tolist(), 'dipole': dipole.tolist()})
print(json.dumps(out))
`,
      JSON.stringify(jobs),
    ) as Array<{ energy: number; forces: number[]; charges: number[]; dipole: number[] }>;
    results.forEach((r, k) => {
      const f = picked[k];
      expect(Math.abs(r.energy - (f.info.energy as number))).toBeLessThan(1e-6);
      const F = f.arrays.forces as Float64Array;
      r.forces.forEach((x, i) => expect(Math.abs(x - F[i])).toBeLessThan(1e-7));
      const q = f.arrays.charges as Float64Array;
      r.charges.forEach((x, i) => expect(Math.abs(x - q[i])).toBeLessThan(1e-7));
      r.dipole.forEach((x, i) => expect(Math.abs(x - (f.info.dipole as number[])[i])).toBeLessThan(1e-7));
    });
  });
});
