// Ewald electrostatics (energy + forces) of molten NaCl boxes at accuracy
// 1e-6, µs/atom, and when LAMMPS (`lmp`) is installed the time of LAMMPS'
// coul/long + ewald on the same structure at the same absolute accuracy.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ewald, getNumThreads, setNumThreads } from '../lib/index.js';
import { moltenNaCl, type BenchSystem } from './support/structures.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';

const CHARGES = { 11: 1, 17: -1 } as const;
const ACCURACY = 1e-6;

function hasLammps(): boolean {
  try {
    execFileSync('lmp', ['-h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Seconds per force evaluation of LAMMPS (`run` of `steps` NVE steps with a
 * zero timestep, so the neighbour list is built once) with our real-space
 * cutoff and the k-space accuracy converted to LAMMPS' convention (relative to
 * the force between two unit charges 1 A apart). One core.
 */
function lammpsSeconds(system: BenchSystem, cutoff: number, absoluteAccuracy: number, steps: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-lammps-'));
  try {
    const [a, , , , b, , , , c] = system.cell;
    const lines = [`lodestone bench\n`, `${system.types.length} atoms`, '2 atom types', `0 ${a} xlo xhi`, `0 ${b} ylo yhi`, `0 ${c} zlo zhi`];
    lines.push('', 'Masses', '', '1 22.99', '2 35.45', '', 'Atoms # charge', '');
    for (let i = 0; i < system.types.length; i++) {
      const t = system.types[i] === 11 ? 1 : 2;
      const p = system.positions;
      lines.push(`${i + 1} ${t} ${t === 1 ? 1 : -1} ${p[3 * i]} ${p[3 * i + 1]} ${p[3 * i + 2]}`);
    }
    writeFileSync(join(dir, 'data'), lines.join('\n') + '\n');
    const relative = absoluteAccuracy / 14.399645;
    writeFileSync(
      join(dir, 'in'),
      [
        'units metal',
        'atom_style charge',
        'read_data data',
        `pair_style coul/long ${cutoff}`,
        'pair_coeff * *',
        `kspace_style ewald ${relative}`,
        'neighbor 0.0 bin',
        'neigh_modify every 1000 delay 1000 check no',
        'timestep 0.0',
        'fix 1 all nve',
        'thermo 1000',
        `run ${steps}`,
      ].join('\n') + '\n',
    );
    // Debian's LAMMPS has no OPENMP package: it runs on one core.
    const args = ['-in', 'in', '-log', 'log', '-screen', 'none'];
    try {
      execFileSync('lmp', args, { cwd: dir, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    } catch {
      throw new Error(`LAMMPS failed:\n${readFileSync(join(dir, 'log'), 'utf8').split('\n').slice(-8).join('\n')}`);
    }
    const log = readFileSync(join(dir, 'log'), 'utf8');
    const loop = /Loop time of ([0-9.eE+-]+)/.exec(log);
    if (!loop) throw new Error('LAMMPS: no loop time in the log');
    // the loop runs `steps` force evaluations; setup (first forces, neighbour list) is outside it
    return Number(loop[1]) / steps;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
          lammpsCache.set(n, lammpsSeconds({ name, ...system }, p.cutoff, ACCURACY * p.referenceForce, atoms > 1000 ? 3 : 20));
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
