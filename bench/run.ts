// `npm run bench`: every benchmark prints a markdown table (medians) and
// writes bench/results/<name>.json. `--quick` uses smaller systems.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { markdownTable, type Row } from './support/table.js';
import * as localFeatures from './local-features.js';
import * as lode from './lode.js';
import * as md from './md.js';
import * as forcefield from './forcefield.js';
import * as fft from './fft.js';
import * as ewald from './ewald.js';
import * as mesh from './mesh.js';
import * as fit from './fit.js';
import * as dense from './dense.js';
import * as charges from './charges.js';

const benchmarks: Record<string, { run(quick: boolean): Row[] | Promise<Row[]> }> = {
  'local-features': localFeatures,
  lode,
  md,
  forcefield,
  fft,
  ewald,
  mesh,
  fit,
  dense,
  charges,
};

const quick = process.argv.includes('--quick');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const results = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(results, { recursive: true });
console.log(`lodestone benchmarks — ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}${quick ? ', quick' : ''}\n`);
for (const [name, bench] of Object.entries(benchmarks)) {
  if (only.length && !only.includes(name)) continue;
  const rows = await bench.run(quick);
  console.log(`## ${name}\n\n${markdownTable(rows)}\n`);
  writeFileSync(`${results}${name}.json`, JSON.stringify({ date: new Date().toISOString(), quick, rows }, null, 2));
}
