// `npm start`: NVT molecular dynamics of a 216-ion NaCl melt at 1200 K driven
// by the shipped default potential (fitted on first run), then a short NVE
// segment; prints steps/s, temperature, the NVE energy drift and the Na-Cl
// radial distribution function, also written as an SVG plot next to the
// LAMMPS reference frames' g(r).
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
import { DATA_FILE, defaultModel } from './support/default-model.js';
import { rockSalt } from './support/structures.js';

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
  const { model, preset, path } = defaultModel(PRESET);
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
  const conserved: number[] = [];
  let computeSeconds = 0, stepsDone = 0;

  for (const [k, segment] of segments.entries()) {
    // Langevin noise leaves the centre of mass drifting; NVE must start without it.
    if (segment.integrator instanceof VelocityVerlet) zeroMomentum(state);
    const observers: Observer[] = [trajectoryObserver(join(OUT, 'nacl-216.xyz'), { every: 50, append: k > 0 })];
    if (k === 1) {
      observers.push(
        collect(10, (f) => {
          if (f.state.step > MELT_STEPS + 250) rdf.accumulate(systemOf(f.state));
          temperatures.push(f.temperature);
        }),
      );
    }
    if (k === 2) observers.push(collect(1, (f) => conserved.push(f.conserved)));
    const bar = new Progress(segment.name.padEnd(12), segment.steps, 'steps');
    const start = process.hrtime.bigint();
    await runMDAsync({ forceField: model, state, integrator: segment.integrator, steps: segment.steps, observers, onProgress: (p) => bar.update(p.done) });
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
  for (const frame of readFrames(DATA_FILE).slice(0, 200)) reference.accumulate(frameSystem(frame));
  const ref = reference.result();
  const peak = (r: Float64Array, g: Float64Array) => r[g.indexOf(Math.max(...g))];
  let maxDifference = 0;
  for (let k = 0; k < md.g.length; k++) maxDifference = Math.max(maxDifference, Math.abs(md.g[k] - ref.g[k]));
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
  console.log(`  Na-Cl g(r) peak  ${peak(md.r, md.g).toFixed(2)} A (reference ${peak(ref.r, ref.g).toFixed(2)} A), height ${Math.max(...md.g).toFixed(2)} (reference ${Math.max(...ref.g).toFixed(2)}), max |g - g_ref| ${maxDifference.toFixed(2)}`);
  console.log(`  files            ${join(OUT, 'nacl-rdf.svg')}, ${join(OUT, 'nacl-216.xyz')}`);
}

main().catch((error) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
});
