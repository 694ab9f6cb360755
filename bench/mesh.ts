// Particle-mesh (smooth PME) against direct k-space Ewald: energy + forces of
// molten NaCl boxes (the 64-ion frame of data/nacl-melt-64.xyz replicated)
// at accuracy 1e-6, time per atom (median), peak memory, and the ratio.
// Each case runs in a child process so its peak RSS (VmHWM) is its own.
// Targets (issue 4): per-atom PME time at ~1e5 atoms <= 2x that at ~1e3,
// PME >= 20x faster than direct Ewald at ~1e4, peak memory at 1e5 <= 4 GiB.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ewald, getNumThreads, LodeSphericalExpansion } from '../lib/index.js';
import { lodeHypers } from '../lib/model/presets.js';
import { moltenNaCl } from './support/structures.js';
import { markdownTable, type Row } from './support/table.js';
import { time } from './support/timing.js';

const CHARGES = { 11: 1, 17: -1 } as const;
const ACCURACY = 1e-6;
// direct Ewald costs ~N^1.5: past this many atoms one evaluation takes
// longer than ~60 s here, so it is skipped
const DIRECT_LIMIT = 20000;

interface CaseResult {
  atoms: number;
  seconds: number;
  peakMiB: number;
  parameters: string;
}

function peakMiB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

async function runCase(replicas: number, method: 'pme' | 'ewald'): Promise<CaseResult> {
  const { name: _name, ...system } = moltenNaCl(replicas);
  const atoms = system.types.length;
  const ewald = new Ewald({ charges: CHARGES, accuracy: ACCURACY, method });
  const runs = method === 'ewald' && atoms > 5000 ? 1 : 3;
  const t = await time(() => ewald.compute(system, { forces: true }), { runs, warmup: 1 });
  const p = ewald.parameters!;
  const parameters =
    p.method === 'pme'
      ? `σ ${p.smearing.toFixed(2)} rc ${p.cutoff.toFixed(1)} mesh ${p.mesh!.join('x')} n ${p.meshOrder}`
      : `σ ${p.smearing.toFixed(2)} rc ${p.cutoff.toFixed(1)} kc ${p.kCutoff.toFixed(2)}`;
  return { atoms, seconds: t.median, peakMiB: peakMiB(), parameters };
}

/** One case in a child process of this file (`--mesh-case` or `--lode-case`), so its peak RSS is its own. */
function caseInChild<T>(flag: string, replicas: number | Shape, method: string): T {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [...process.execArgv, self, flag, String(replicas), method], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

const inChild = (replicas: number, method: 'pme' | 'ewald') => caseInChild<CaseResult>('--mesh-case', replicas, method);

// ---- LODE expansion: mesh vs direct k sum ----
// Values + backward (forces) of the model's LODE hypers (lodeHypers():
// smearing 1.5, max_radial 5, max_angular 4, radius 4.5) at accuracy 1e-6.
// The direct sum costs ~N^2: past this many atoms values + backward take
// longer than ~60 s here, so it is skipped.
const LODE_DIRECT_LIMIT = 10000;
type Shape = [number, number, number];
// Replicas of the 64-ion frame closest to the 1e3, 1e4 and 1e5
// atoms: 1024, 9600 and 101376.
const LODE_SHAPES: Shape[] = [[2, 2, 4], [5, 5, 6], [11, 12, 12]];

interface LodeCaseResult extends CaseResult {
  valuesSeconds: number;
  backwardSeconds: number;
}

async function runLodeCase(shape: Shape, method: 'mesh' | 'direct'): Promise<LodeCaseResult> {
  const { name: _name, ...system } = moltenNaCl(shape);
  const atoms = system.types.length;
  const lode = new LodeSphericalExpansion({ ...lodeHypers(), method, accuracy: ACCURACY });
  // medians of 3 runs (one evaluation of the direct sum at 9600 atoms
  // takes ~25 s; single runs of it varied by 25% on a shared machine), one
  // run for the large mesh cases (~10 s each)
  const runs = method === 'mesh' && atoms > 50000 ? 1 : 3;
  const values = lode.compute(system).values;
  const dLdv = Float64Array.from(values, (_, k) => ((k * 7919) % 13) / 13 - 0.5);
  // as in MD: after a first backward, compute() keeps what the backward of
  // the same positions reuses
  lode.backward(system, dLdv);
  const tv = await time(() => lode.compute(system), { runs, warmup: 0 });
  const tb = await time(() => lode.backward(system, dLdv), { runs, warmup: 0 });
  const p = lode.parameters(system);
  const window = p.meshWindow === 'kaiser-bessel' ? ` KB β ${p.meshBeta!.toFixed(1)}` : ' B-spline';
  const parameters = p.method === 'mesh' ? `mesh ${p.mesh!.join('x')} n ${p.meshOrder}${window} est. ${p.estimatedError!.toExponential(1)}` : `${p.kVectors} k-vectors`;
  return { atoms, seconds: tv.median + tb.median, valuesSeconds: tv.median, backwardSeconds: tb.median, peakMiB: peakMiB(), parameters };
}

const lodeInChild = (shape: Shape, method: 'mesh' | 'direct') => caseInChild<LodeCaseResult>('--lode-case', shape, method);

/**
 * LODE scaling table (issue 4 targets: per-atom mesh time at ~1e5 <= 2x that
 * at ~1e3, mesh >= 20x faster than direct at ~1e4, peak memory at 1e5 <= 4 GiB).
 * The ~1e5 case runs only with `--full` or LODESTONE_BENCH_FULL=1 (minutes).
 */
export async function runLode(quick: boolean): Promise<Row[]> {
  const full = process.argv.includes('--full') || process.env.LODESTONE_BENCH_FULL === '1';
  const sizes = quick ? LODE_SHAPES.slice(0, 1) : full ? LODE_SHAPES : LODE_SHAPES.slice(0, 2);
  const rows: Row[] = [];
  for (const n of sizes) {
    const mesh = lodeInChild(n, 'mesh');
    const row: Row = {
      atoms: mesh.atoms,
      threads: getNumThreads(),
      'mesh µs/atom (values + backward)': (mesh.seconds * 1e6) / mesh.atoms,
      'mesh values s': mesh.valuesSeconds,
      'mesh backward s': mesh.backwardSeconds,
      'mesh peak MiB': Math.round(mesh.peakMiB),
      'mesh parameters': mesh.parameters,
    };
    if (mesh.atoms <= LODE_DIRECT_LIMIT) {
      const direct = lodeInChild(n, 'direct');
      row['direct µs/atom'] = (direct.seconds * 1e6) / direct.atoms;
      row['direct peak MiB'] = Math.round(direct.peakMiB);
      row['direct / mesh'] = direct.seconds / mesh.seconds;
    } else {
      row['direct µs/atom'] = 'skipped (> 60 s)';
      row['direct peak MiB'] = '';
      row['direct / mesh'] = '';
    }
    rows.push(row);
  }
  const first = rows[0]['mesh µs/atom (values + backward)'] as number;
  for (const r of rows) r['mesh µs/atom vs smallest'] = (r['mesh µs/atom (values + backward)'] as number) / first;
  if (!full && !quick) rows.push({ atoms: 64 * LODE_SHAPES[2].reduce((a, b) => a * b), threads: getNumThreads(), 'mesh µs/atom (values + backward)': 'run with --full' });
  return rows;
}

export async function run(quick: boolean): Promise<Row[]> {
  // The LODE table is printed and saved here (bench/run.ts prints the returned Ewald table).
  const lodeRows = await runLode(quick);
  console.log(`## mesh: LODE expansion, mesh vs direct (accuracy ${ACCURACY})\n\n${markdownTable(lodeRows)}\n`);
  const results = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(results, { recursive: true });
  writeFileSync(`${results}mesh-lode.json`, JSON.stringify({ date: new Date().toISOString(), quick, rows: lodeRows }, null, 2));
  return runEwald(quick);
}

async function runEwald(quick: boolean): Promise<Row[]> {
  // 64 n^3 ions: 1728 (~1e3), 8000 (~1e4), 85184 (~1e5)
  const sizes = quick ? [2, 3] : [3, 5, 11];
  const rows: Row[] = [];
  for (const n of sizes) {
    const pme = inChild(n, 'pme');
    const row: Row = {
      atoms: pme.atoms,
      threads: getNumThreads(),
      'PME µs/atom': (pme.seconds * 1e6) / pme.atoms,
      'PME peak MiB': Math.round(pme.peakMiB),
      'PME parameters': pme.parameters,
    };
    if (pme.atoms <= DIRECT_LIMIT) {
      const direct = inChild(n, 'ewald');
      row['Ewald µs/atom'] = (direct.seconds * 1e6) / direct.atoms;
      row['Ewald peak MiB'] = Math.round(direct.peakMiB);
      row['Ewald / PME'] = direct.seconds / pme.seconds;
      row['Ewald parameters'] = direct.parameters;
    } else {
      row['Ewald µs/atom'] = 'skipped (> 60 s per evaluation)';
    }
    rows.push(row);
  }
  const first = rows[0]['PME µs/atom'] as number;
  for (const r of rows) r['PME µs/atom vs smallest'] = (r['PME µs/atom'] as number) / first;
  return rows;
}

const caseIndex = process.argv.indexOf('--mesh-case');
if (caseIndex >= 0) {
  const replicas = Number(process.argv[caseIndex + 1]);
  const method = process.argv[caseIndex + 2] as 'pme' | 'ewald';
  console.log(JSON.stringify(await runCase(replicas, method)));
}
const lodeIndex = process.argv.indexOf('--lode-case');
if (lodeIndex >= 0) {
  const shape = process.argv[lodeIndex + 1].split(',').map(Number) as Shape;
  const method = process.argv[lodeIndex + 2] as 'mesh' | 'direct';
  console.log(JSON.stringify(await runLodeCase(shape, method)));
}
// `npx tsx bench/mesh.ts --lode [--full]`: the LODE table alone
if (process.argv.includes('--lode') && caseIndex < 0 && lodeIndex < 0) {
  console.log(markdownTable(await runLode(process.argv.includes('--quick'))));
}
