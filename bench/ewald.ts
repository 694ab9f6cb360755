// Ewald electrostatics (energy + forces) of molten NaCl boxes at accuracy
// 1e-6, µs/atom, and when LAMMPS (`lmp`) is installed the time of LAMMPS'
// coul/long + ewald on the same structure at the same absolute accuracy.
import { Ewald, getNumThreads, setNumThreads } from '../lib/index.js';
import { hasLammps, lammpsSeconds } from './support/lammps.js';
import { moltenNaCl, type BenchSystem } from './support/structures.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';

const CHARGES = { 11: 1, 17: -1 } as const;
const ACCURACY = 1e-6;

/**
 * Seconds per force evaluation of LAMMPS' coul/long + ewald with our
 * real-space cutoff and the k-space accuracy converted to LAMMPS' convention
 * (relative to the force between two unit charges 1 A apart).
 */
function coulombSeconds(system: BenchSystem, cutoff: number, absoluteAccuracy: number, steps: number): number {
  const relative = absoluteAccuracy / 14.399645;
  return lammpsSeconds(system, { pair: [`pair_style coul/long ${cutoff}`, 'pair_coeff * *'], kspace: `kspace_style ewald ${relative}`, steps, timestep: 0 });
}

export async function run(quick: boolean): Promise<Row[]> {
  const sizes = quick ? [1, 2] : [1, 2, 4];
  const lammps = hasLammps();
  const rows: Row[] = [];
  const lammpsCache = new Map<number, number>();
  const maxThreads = getNumThreads();
  for (const threads of [...new Set([1, maxThreads])]) {
    setNumThreads(threads);
    for (const n of sizes) {
      const { name, ...system } = moltenNaCl(n);
      const atoms = system.types.length;
      const ewald = new Ewald({ charges: CHARGES, accuracy: ACCURACY, method: 'ewald' });
      const runs = quick ? 3 : atoms > 1000 ? 3 : 5;
      const t = await time(() => ewald.compute(system, { forces: true }), { runs, warmup: 1 });
      const p = ewald.parameters!;
      const row: Row = {
        structure: name,
        threads,
        'smearing Å': Number(p.smearing.toFixed(3)),
        'cutoff Å': Number(p.cutoff.toFixed(2)),
        'kCutoff 1/Å': Number(p.kCutoff.toFixed(3)),
        'E+F µs/atom': (t.median * 1e6) / atoms,
      };
      if (lammps) {
        if (!lammpsCache.has(n)) {
          lammpsCache.set(n, coulombSeconds({ name, ...system }, p.cutoff, ACCURACY * p.referenceForce, atoms > 1000 ? 3 : 20));
        }
        const seconds = lammpsCache.get(n)!;
        row['LAMMPS 1 core µs/atom'] = (seconds * 1e6) / atoms;
        row['ours / LAMMPS'] = t.median / seconds;
      }
      rows.push(row);
    }
  }
  setNumThreads(maxThreads);
  return rows;
}
