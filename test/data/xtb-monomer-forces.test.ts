// The `monomer_forces` column of data/xtb-dimers.xyz (scripts/xtb-monomer-forces.py):
// the forces on each molecule alone at its rigid geometry, which the accuracy
// report trains on with the monomers' energies. Checked by physics (an
// isolated molecule feels no net force or torque; far apart, neutral
// molecules feel their own forces only) and against Debian's xtb itself on a
// few curves (a missing xtb or python3-numpy fails, never skips).
import { describe, expect, it } from 'vitest';
import { readFrames } from '../../lib/cli/frames.js';
import { dimerOf, type Dimer } from '../../bench/support/dimers.js';
import { DATA_DIR } from '../support/reference.js';
import { withScript } from '../support/python-script.js';

const dimers = readFrames(`${DATA_DIR}/xtb-dimers.xyz`).map((f, k) => dimerOf(f, k));

/** Net force and torque (about the centroid) of each molecule's monomer forces. */
function netForceAndTorque(d: Dimer): Array<{ force: number; torque: number }> {
  return [0, d.atomsA].map((first, k) => {
    const F = d.monomerForces![k];
    const n = F.length / 3;
    const positions = d.frame.positions.subarray(3 * first, 3 * (first + n));
    const c = [0, 1, 2].map((x) => Array.from({ length: n }, (_, i) => positions[3 * i + x]).reduce((a, b) => a + b, 0) / n);
    const net = [0, 0, 0];
    const torque = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const r = [0, 1, 2].map((x) => positions[3 * i + x] - c[x]);
      const f = [F[3 * i], F[3 * i + 1], F[3 * i + 2]];
      for (let x = 0; x < 3; x++) net[x] += f[x];
      torque[0] += r[1] * f[2] - r[2] * f[1];
      torque[1] += r[2] * f[0] - r[0] * f[2];
      torque[2] += r[0] * f[1] - r[1] * f[0];
    }
    return { force: Math.hypot(...net), torque: Math.hypot(...torque) };
  });
}

describe('monomer forces of the xtb dimers', () => {
  it('are on every frame, 3 per atom, and not all zero', () => {
    expect(dimers.every((d) => d.monomerForces !== undefined)).toBe(true);
    const largest = Math.max(...dimers.flatMap((d) => d.monomerForces!.flatMap((f) => Array.from(f, Math.abs))));
    // Rigid copies of optimised geometries: small, but the optimiser stops short of zero.
    expect(largest).toBeGreaterThan(1e-4);
    expect(largest).toBeLessThan(0.05);
  });

  it('put no net force and no torque on an isolated molecule', () => {
    for (const d of dimers) {
      for (const { force, torque } of netForceAndTorque(d)) {
        expect(force).toBeLessThan(1e-6);
        expect(torque).toBeLessThan(1e-4);
      }
    }
  });

  it('are the dimer forces of neutral apolar molecules far apart (dispersion alone is negligible there)', () => {
    const far = dimers.filter((d) => d.cls === 'apolar-apolar' && d.distance > 14);
    expect(far.length).toBeGreaterThan(10);
    for (const d of far) {
      const alone = [...d.monomerForces![0], ...d.monomerForces![1]];
      const worst = Math.max(...alone.map((f, k) => Math.abs(f - d.forces[k])));
      expect(worst).toBeLessThan(2e-3);
    }
  });

  it('are what GFN2-xTB gives for each molecule alone (two curves recomputed)', () => {
    const curves = [
      { pair: 'acetate+methylammonium', orientation: 1 },
      { pair: 'water+water', orientation: 4 },
    ];
    for (const { pair, orientation } of curves) {
      const d = dimers.find((x) => x.pair === pair && x.orientation === orientation)!;
      const job = (from: number, to: number, charge: number) => ({
        symbols: Array.from(d.frame.types.slice(from, to), (z) => ({ 1: 'H', 6: 'C', 7: 'N', 8: 'O', 17: 'Cl' })[z as 1 | 6 | 7 | 8 | 17]),
        positions: Array.from(d.frame.positions.slice(3 * from, 3 * to)),
        charge,
      });
      const jobs = [job(0, d.atomsA, d.charges[0]), job(d.atomsA, d.frame.types.length, d.charges[1])];
      const results = withScript(
        'xtb-monomer-forces.py',
        `out = []
for job in json.loads(sys.argv[1]):
    energy, forces = m.xtb_forces((job['symbols'], np.array(job['positions']).reshape(-1, 3), job['charge']))
    out.append({'energy': energy, 'forces': forces.ravel().tolist()})
print(json.dumps(out))
`,
        JSON.stringify(jobs),
      ) as Array<{ energy: number; forces: number[] }>;
      results.forEach((r, k) => {
        expect(Math.abs(r.energy - d.monomerEnergies[k])).toBeLessThan(1e-5);
        const stored = d.monomerForces![k];
        r.forces.forEach((f, i) => expect(Math.abs(f - stored[i])).toBeLessThan(1e-7));
      });
    }
  });
});
