// `npm start`: NVT molecular dynamics of a 216-ion NaCl melt at 1200 K driven
// by the shipped default potential (fitted on first run), then a short NVE
// segment; prints steps/s, temperature, the NVE energy drift and the Na-Cl
// first shell (mean distance and coordination number, with block-average
// errors) next to the LAMMPS reference frames', and writes the Na-Cl radial
// distribution function of both as an SVG plot.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Progress } from '../lib/cli/progress.js';
import { frameSystem, readFrames } from '../lib/cli/frames.js';
import {
  createState,
  Langevin,
  RadialDistribution,
  runMDAsync,
  systemOf,
  trajectoryObserver,
  VelocityVerlet,
  zeroMomentum,
  type MDFrame,
  type Observer,
} from '../lib/md/index.js';
import { lineChart } from '../lib/plot/svg.js';
import { getNumThreads } from '../lib/core/threads.js';
import type { System } from '../lib/core/system.js';
import { DATA_FILE, defaultModel } from './support/default-model.js';
import { rockSalt } from './support/structures.js';
import { blockAverage, firstShell, type ShellFrame } from './support/first-shell.js';

const OUT = process.env.LODESTONE_OUT ?? 'lodestone-output';
const DT = 2; // fs
const MELT_STEPS = 250; // 0.5 ps at 2000 K: melts the starting lattice
const NVT_STEPS = 1000; // 2 ps at 1200 K, g(r) sampled
const NVE_STEPS = 250; // 0.5 ps: energy drift
const PRESET = (process.env.LODESTONE_PRESET ?? 'local') as 'local' | 'multiscale';

function collect(every: number, take: (frame: MDFrame) => void): Observer {
  return { every, observe: take };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const { model, preset, path, closestPairs } = defaultModel(PRESET);
  console.log(`model: linear on ${preset} features + Ewald baseline (charges +-1 e), ${path}`);

  // 3x3x3 conventional rock-salt cells at the melt's density (64 ions in 12.6 A).
  const volumePerIon = 12.6 ** 3 / 64;
  const a = Math.cbrt(8 * volumePerIon);
  const system = rockSalt(a, 3);
  const atoms = system.types.length;
  console.log(`system: ${atoms} ions (Na, Cl), cubic box ${(3 * a).toFixed(2)} A, threads ${getNumThreads()}`);

  const state = createState(system, { temperature: 2000, seed: 2026 });
  const segments = [
    { name: 'melt 2000 K', steps: MELT_STEPS, integrator: new Langevin({ dt: DT, temperature: 2000, friction: 0.02 }) },
    { name: 'NVT 1200 K', steps: NVT_STEPS, integrator: new Langevin({ dt: DT, temperature: 1200, friction: 0.01 }) },
    { name: 'NVE', steps: NVE_STEPS, integrator: new VelocityVerlet({ dt: DT }) },
  ];
  // Same range and bins as the reference frames (half their 12.6 A box), so the curves compare bin by bin.
  const rdfBins = { pair: ['Na', 'Cl'] as [string, string], rMax: 6.29, bins: 60 };
  const rdf = new RadialDistribution(rdfBins);
  const temperatures: number[] = [];
  const sampled: System[] = [];
  const conserved: number[] = [];
  let computeSeconds = 0, stepsDone = 0;

  for (const [k, segment] of segments.entries()) {
    // Langevin noise leaves the centre of mass drifting; NVE must start without it.
    if (segment.integrator instanceof VelocityVerlet) zeroMomentum(state);
    const observers: Observer[] = [trajectoryObserver(join(OUT, 'nacl-216.xyz'), { every: 50, append: k > 0 })];
    if (k === 1) {
      observers.push(
        collect(10, (f) => {
          if (f.state.step > MELT_STEPS + 250) {
            rdf.accumulate(systemOf(f.state));
            sampled.push({ positions: Float64Array.from(f.state.positions), types: f.state.types, cell: f.state.cell, pbc: f.state.pbc });
          }
          temperatures.push(f.temperature);
        }),
      );
    }
    if (k === 2) observers.push(collect(1, (f) => conserved.push(f.conserved)));
    const bar = new Progress(segment.name.padEnd(12), segment.steps, 'steps');
    const start = process.hrtime.bigint();
    // the watchdog also stops the run where ions come closer than any pair the model was fitted on (no check without the record)
    await runMDAsync({ forceField: model, state, integrator: segment.integrator, steps: segment.steps, observers, watchdog: { closestPairs }, onProgress: (p) => bar.update(p.done) });
    computeSeconds += Number(process.hrtime.bigint() - start) / 1e9;
    stepsDone += segment.steps;
  }

  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const tMean = mean(temperatures.slice(temperatures.length / 4));
  const tStd = Math.sqrt(mean(temperatures.slice(temperatures.length / 4).map((t) => (t - tMean) ** 2)));
  // Drift: slope of a least-squares line through the conserved energy.
  const n = conserved.length;
  const ts = conserved.map((_, i) => i * DT / 1000);
  const tBar = mean(ts), eBar = mean(conserved);
  const slope = ts.reduce((s, t, i) => s + (t - tBar) * (conserved[i] - eBar), 0) / ts.reduce((s, t) => s + (t - tBar) ** 2, 0);
  const fluctuation = Math.sqrt(mean(conserved.map((e) => (e - eBar) ** 2)));

  const md = rdf.result();
  const reference = new RadialDistribution(rdfBins);
  const referenceFrames = readFrames(DATA_FILE).slice(0, 200).map(frameSystem);
  for (const frame of referenceFrames) reference.accumulate(frame);
  const ref = reference.result();
  // The shell ends at the first minimum of the reference g(r) after its peak; both runs use that one cutoff.
  const top = ref.g.indexOf(Math.max(...ref.g));
  let minimum = top;
  for (let k = top; k < ref.g.length && ref.r[k] < ref.r[top] + 2; k++) if (ref.g[k] < ref.g[minimum]) minimum = k;
  const cutoff = ref.r[minimum];
  const shells = (frames: readonly System[]): ShellFrame[] => frames.map((f) => firstShell(f, 11, 17, cutoff));
  const stats = (frames: ShellFrame[]) => ({
    distance: blockAverage(frames.map((f) => f.distance)),
    coordination: blockAverage(frames.map((f) => f.coordination)),
  });
  const ours = stats(shells(sampled));
  const theirs = stats(shells(referenceFrames));
  const show = (v: { mean: number; error: number }, digits: number) => `${v.mean.toFixed(digits)} +- ${v.error.toFixed(digits)}`;
  const differ = (a: { mean: number }, b: { mean: number }) => `${(100 * (a.mean / b.mean - 1)).toFixed(1)} %`;
  const svg = lineChart({
    title: `Na-Cl radial distribution, ${atoms}-ion NaCl melt`,
    xLabel: 'r / A',
    yLabel: 'g(r)',
    series: [
      { name: `lodestone (${preset} + Ewald), MD at 1200 K`, x: md.r, y: md.g },
      { name: 'LAMMPS reference frames (1100-1300 K, 64 ions)', x: ref.r, y: ref.g },
    ],
  });
  writeFileSync(join(OUT, 'nacl-rdf.svg'), svg);

  console.log('\nsummary');
  console.log(`  speed            ${(stepsDone / computeSeconds).toFixed(1)} steps/s, ${((stepsDone * atoms) / computeSeconds).toFixed(0)} atom-steps/s (dt ${DT} fs)`);
  console.log(`  temperature      ${tMean.toFixed(0)} +- ${tStd.toFixed(0)} K (target 1200 K, Langevin)`);
  console.log(`  NVE drift        ${((1000 * slope) / atoms).toExponential(2)} meV/atom/ps, fluctuation ${((1000 * fluctuation) / atoms).toFixed(3)} meV/atom over ${(NVE_STEPS * DT / 1000).toFixed(1)} ps`);
  console.log(`  Na-Cl shell      r < ${cutoff.toFixed(2)} A (first minimum of the reference g(r)); errors: standard errors of 10 block means`);
  console.log(`    distance       ${show(ours.distance, 3)} A (LAMMPS reference frames ${show(theirs.distance, 3)} A, difference ${differ(ours.distance, theirs.distance)})`);
  console.log(`    coordination   ${show(ours.coordination, 2)} Cl per Na (reference ${show(theirs.coordination, 2)}, difference ${differ(ours.coordination, theirs.coordination)})`);
  console.log(`  files            ${join(OUT, 'nacl-rdf.svg')}, ${join(OUT, 'nacl-216.xyz')}`);
}

main().catch((error) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
});
