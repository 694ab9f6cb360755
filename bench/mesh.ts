// Particle-mesh (smooth PME) against direct k-space Ewald: energy + forces of
// molten NaCl boxes (the 64-ion frame of data/nacl-melt-64.xyz replicated)
// at accuracy 1e-6, time per atom (median), peak memory, and the ratio.
// Each case runs in a child process so its peak RSS (VmHWM) is its own.
// Targets (issue 4): per-atom PME time at ~1e5 atoms <= 2x that at ~1e3,
// PME >= 20x faster than direct Ewald at ~1e4, peak memory at 1e5 <= 4 GiB.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ewald, getNumThreads } from '../lib/index.js';
import { moltenNaCl } from './support/structures.js';
import type { Row } from './support/table.js';
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

function inChild(replicas: number, method: 'pme' | 'ewald'): CaseResult {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [...process.execArgv, self, '--mesh-case', String(replicas), method], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = out.trim().split('\n').pop()!;
  return JSON.parse(line) as CaseResult;
}

export async function run(quick: boolean): Promise<Row[]> {
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
