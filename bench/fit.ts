// Fits of the shipped data sets with the default presets, linear and one
// sparse-kernel (`npx tsx bench/run.ts fit`): wall time per stage, parameter count, estimated and
// measured peak memory. Each fit runs in a child process so that its peak
// resident memory is measured alone; one run per case (a full fit of the
// GFN2-xTB dimers takes minutes).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Row } from './support/table.js';

const job = fileURLToPath(new URL('./support/fit-job.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

export function run(quick: boolean): Row[] {
  const cases: Array<[string, string, number, string?]> = [
    ['nacl-melt-64.xyz', 'local', quick ? 60 : 300],
    ['nacl-melt-64.xyz', 'multiscale', quick ? 60 : 300],
    ['nacl-melt-64.xyz', 'multiscale', quick ? 60 : 300, 'sparse-kernel'],
    ['xtb-dimers.xyz', 'local', quick ? 200 : 2017],
    ['xtb-dimers.xyz', 'multiscale', quick ? 200 : 2017],
  ];
  const rows: Row[] = [];
  for (const [file, preset, frames, model = 'linear'] of cases) {
    if (!existsSync(fileURLToPath(new URL(`../data/${file}`, import.meta.url)))) continue;
    const out = execFileSync(tsx, [job, file, preset, String(frames), model], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    const stage = (name: string) => r.stages[name] ?? 0;
    rows.push({
      data: file,
      preset,
      model,
      frames: r.frames,
      species: r.species,
      parameters: r.parameters,
      'wall s': r.seconds,
      'features s': stage('scaling') + stage('contraction'),
      'accumulate s': stage('accumulating'),
      'cross-validate s': stage('regularisation'),
      'solve s': stage('solving'),
      'estimated MiB': r.estimatedMiB,
      'peak RSS MiB': r.peakMiB,
      'CV force RMSE eV/A': r.validation.forceRmse,
    });
    console.error(`fit bench: ${JSON.stringify(rows[rows.length - 1])}`);
  }
  return rows;
}
