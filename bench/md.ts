// Molecular dynamics throughput with a locally fitted linear model ('local'
// preset: SOAP power spectrum, 4.5 A cutoff), in steps/s and atom-steps/s,
// for 216 and 1728 ions of NaCl; and, when LAMMPS is installed, the same
// systems with the Born-Mayer-Huggins + Ewald force field that generated the
// training data (data/lammps/nacl-melt.in), as a yardstick.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createState,
  fitLinearModel,
  presetFeatures,
  runMD,
  setNumThreads,
  VelocityVerlet,
  type ForceField,
} from '../lib/index.js';
import { readExtxyz } from '../lib/io/extxyz.js';
import { DATA_DIR, moltenNaCl, supercell, type BenchSystem } from './support/structures.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';
import { lcg } from './support/random.js';

/**
 * 216 ions cannot be made from 64-ion frames (216 / 64 is not an integer
 * cube), so: rock salt, 3 x 3 x 3 conventional cells, at the melt's density
 * (a = 6.3 A, as 64 ions in 12.6 A), atoms displaced by up to 0.3 A.
 */
export function rockSalt216(): BenchSystem {
  const a = 6.3;
  const basis = [
    [0, 0, 0, 11], [0.5, 0.5, 0, 11], [0.5, 0, 0.5, 11], [0, 0.5, 0.5, 11],
    [0.5, 0, 0, 17], [0, 0.5, 0, 17], [0, 0, 0.5, 17], [0.5, 0.5, 0.5, 17],
  ];
  const unit = {
    positions: Float64Array.from(basis.flatMap((b) => [b[0] * a, b[1] * a, b[2] * a])),
    types: Int32Array.from(basis.map((b) => b[3])),
    cell: Float64Array.from([a, 0, 0, 0, a, 0, 0, 0, a]),
  };
  const s = supercell(unit, [3, 3, 3]);
  const random = lcg(12345);
  for (let k = 0; k < s.positions.length; k++) s.positions[k] += 0.6 * (random() - 0.5);
  return { name: 'NaCl 216 (rock salt, melt density)', ...s, pbc: [true, true, true] };
}

function fitModel(quick: boolean): ForceField {
  const frames = readExtxyz(`${DATA_DIR}nacl-melt-64.xyz`).filter((_, k) => k % (quick ? 30 : 20) === 0);
  const data = frames.map((f) => ({
    system: { positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc },
    energy: f.info.energy as number,
    forces: f.arrays.forces as Float64Array,
  }));
  const { model, report } = fitLinearModel(presetFeatures('local', [11, 17]), data, { forceWeight: 1 });
  console.error(
    `md bench: local model fitted on ${frames.length} frames in ${report.seconds.toFixed(1)} s, validation force RMSE ${report.validation.forceRmse.toFixed(3)} eV/A`,
  );
  return model;
}

function lammpsBinary(): string | null {
  for (const name of ['lmp', 'lmp_serial', 'lmp_mpi']) {
    const found = spawnSync('which', [name], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}

/** Seconds per step of LAMMPS (1 process) on the same system: born/coul/long 6 A + Ewald 1e-9 as in the data's input. */
function lammpsSecondsPerStep(lmp: string, system: BenchSystem, steps: number, kspace: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-bench-lammps-'));
  const N = system.types.length;
  const c = system.cell;
  if ([1, 2, 3, 5, 6, 7].some((k) => c[k] !== 0)) throw new Error('LAMMPS bench: expected an orthorhombic cell');
  const lines = ['lodestone md bench', '', `${N} atoms`, '2 atom types', '', `0 ${c[0]} xlo xhi`, `0 ${c[4]} ylo yhi`, `0 ${c[8]} zlo zhi`, '', 'Atoms # charge', ''];
  for (let i = 0; i < N; i++) {
    const z = system.types[i];
    const wrap = (v: number, L: number) => v - L * Math.floor(v / L);
    lines.push(`${i + 1} ${z === 11 ? 1 : 2} ${z === 11 ? 1 : -1} ${wrap(system.positions[3 * i], c[0])} ${wrap(system.positions[3 * i + 1], c[4])} ${wrap(system.positions[3 * i + 2], c[8])}`);
  }
  writeFileSync(join(dir, 'system.data'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'in.bench'), [
    'units metal', 'atom_style charge', 'boundary p p p', 'read_data system.data',
    'mass 1 22.98977', 'mass 2 35.453',
    'pair_style born/coul/long 6.0',
    'pair_coeff 1 1 0.2637 0.317 2.340 1.048553 -0.49935',
    'pair_coeff 1 2 0.21096 0.317 2.755 6.99055303 -8.6757',
    'pair_coeff 2 2 0.158221 0.317 3.170 72.406725 -145.427351',
    `kspace_style ${kspace}`,
    'neighbor 1.0 bin', 'neigh_modify every 1 delay 0 check yes',
    'velocity all create 1300 4928 mom yes rot yes dist gaussian',
    'timestep 0.002', 'fix 1 all nve', 'thermo 1000',
    `run ${steps}`,
  ].join('\n'));
  const out = execFileSync(lmp, ['-in', 'in.bench', '-log', 'none'], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 1 << 26,
  });
  const match = /Loop time of ([\d.eE+-]+) on (\d+) procs for (\d+) steps/.exec(out);
  if (!match) throw new Error(`LAMMPS bench: no "Loop time" line in the output:\n${out.slice(-2000)}`);
  return Number(match[1]) / Number(match[3]);
}

// Time per step of lodestone (1 thread) over that of the LAMMPS row: > 1 means LAMMPS is faster.
const RATIO = 'lodestone(1 thread) / LAMMPS time';

export async function run(quick: boolean): Promise<Row[]> {
  const model = fitModel(quick);
  const systems = [rockSalt216(), moltenNaCl(3)];
  const lmp = lammpsBinary();
  if (!lmp) console.log('LAMMPS was not found on PATH (lmp, lmp_serial, lmp_mpi): no reference timing.');
  const rows: Row[] = [];
  for (const system of systems) {
    const N = system.types.length;
    const steps = N > 1000 ? (quick ? 2 : 5) : quick ? 5 : 20;
    let oursOneThread = NaN;
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const state = createState(system, { temperature: 1300, seed: 1 });
      const integrator = new VelocityVerlet({ dt: 2 });
      runMD({ forceField: model, state, integrator, steps: 1 }); // first forces outside the timing
      const t = await time(() => runMD({ forceField: model, state, integrator, steps }), { runs: quick ? 3 : 5, warmup: 1 });
      const perStep = t.median / steps;
      if (threads === 1) oursOneThread = perStep;
      rows.push({ structure: system.name, engine: 'lodestone local model', threads, 'ms/step': perStep * 1e3, 'steps/s': 1 / perStep, 'atom-steps/s': N / perStep, [RATIO]: '' });
    }
    if (lmp) {
      for (const [label, kspace, lsteps] of [
        ['LAMMPS BMH + Ewald 1e-9', 'ewald 1e-9', N > 1000 ? 5 : 20],
        ['LAMMPS BMH + PPPM 1e-5', 'pppm 1e-5', N > 1000 ? 50 : 200],
      ] as const) {
        const perStep = lammpsSecondsPerStep(lmp, system, quick ? Math.max(2, Math.floor(lsteps / 4)) : lsteps, kspace);
        rows.push({
          structure: system.name, engine: label, threads: 1, 'ms/step': perStep * 1e3, 'steps/s': 1 / perStep, 'atom-steps/s': N / perStep,
          [RATIO]: oursOneThread / perStep,
        });
      }
    }
  }
  return rows;
}
