// Timing LAMMPS (Debian's `lmp`, one core: no OPENMP package) on a NaCl
// structure of the benchmarks, for side-by-side rows.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSystem } from './structures.js';

export function hasLammps(): boolean {
  try {
    execFileSync('lmp', ['-h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Tosi-Fumi (Born-Mayer-Huggins) NaCl in metal units, types 1 = Na, 2 = Cl: the force field that generated data/nacl-*.xyz. */
export const TOSI_FUMI = [
  'pair_coeff 1 1 0.2637 0.317 2.340 1.048553 -0.49935',
  'pair_coeff 1 2 0.21096 0.317 2.755 6.99055303 -8.6757',
  'pair_coeff 2 2 0.158221 0.317 3.170 72.406725 -145.427351',
];

export interface LammpsRun {
  /** pair_style and pair_coeff lines. */
  pair: string[];
  /** kspace_style line. */
  kspace: string;
  steps: number;
  /** Time step (ps); 0 evaluates forces at fixed positions (neighbour list built once). */
  timestep: number;
}

/** Seconds per step of `run` (NVE) on `system` with charges +1 (Na) and -1 (Cl); setup is outside the loop time. */
export function lammpsSeconds(system: BenchSystem, run: LammpsRun): number {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-lammps-'));
  try {
    const [a, , , , b, , , , c] = system.cell;
    const lines = ['lodestone bench\n', `${system.types.length} atoms`, '2 atom types', `0 ${a} xlo xhi`, `0 ${b} ylo yhi`, `0 ${c} zlo zhi`];
    lines.push('', 'Masses', '', '1 22.99', '2 35.45', '', 'Atoms # charge', '');
    for (let i = 0; i < system.types.length; i++) {
      const t = system.types[i] === 11 ? 1 : 2;
      const p = system.positions;
      lines.push(`${i + 1} ${t} ${t === 1 ? 1 : -1} ${p[3 * i]} ${p[3 * i + 1]} ${p[3 * i + 2]}`);
    }
    writeFileSync(join(dir, 'data'), lines.join('\n') + '\n');
    const moving = run.timestep > 0;
    writeFileSync(
      join(dir, 'in'),
      [
        'units metal',
        'atom_style charge',
        'read_data data',
        ...run.pair,
        run.kspace,
        moving ? 'neighbor 1.0 bin' : 'neighbor 0.0 bin',
        moving ? 'neigh_modify every 1 delay 0 check yes' : 'neigh_modify every 1000 delay 1000 check no',
        `timestep ${run.timestep}`,
        'fix 1 all nve',
        'thermo 1000',
        `run ${run.steps}`,
      ].join('\n') + '\n',
    );
    try {
      execFileSync('lmp', ['-in', 'in', '-log', 'log', '-screen', 'none'], { cwd: dir, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    } catch {
      throw new Error(`LAMMPS failed:\n${readFileSync(join(dir, 'log'), 'utf8').split('\n').slice(-8).join('\n')}`);
    }
    const loop = /Loop time of ([0-9.eE+-]+)/.exec(readFileSync(join(dir, 'log'), 'utf8'));
    if (!loop) throw new Error('LAMMPS: no loop time in the log');
    return Number(loop[1]) / run.steps;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
