// `npm run accuracy`: the accuracy report of the README. First NaCl: local
// (rho x rho) vs multi-scale (rho x rho + rho x V) linear models at the same
// local cutoff, trained on growing parts of data/nacl-melt-64.xyz and
// data/nacl-dimers.xyz and tested on held-out frames; learning curves written
// as SVG to docs/. Then the xtb dimers (bench/accuracy-dimers.ts), then
// tensor targets: polarizabilities and dipoles (bench/accuracy-tensors.ts).
// `--only nacl|dimers|tensors` runs one part; `--help` lists the options.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { helpText, parseArgs } from '../lib/cli/args.js';
import { frameSystem, readFrames } from '../lib/cli/frames.js';
import type { Frame } from '../lib/io/extxyz.js';
import { fitLinearModel, fitSparseKernelModel, presetFeatures, type PresetName, type TrainingFrame } from '../lib/index.js';
import type { ForceField } from '../lib/core/forcefield.js';
import { lineChart } from '../lib/plot/svg.js';
import { DIMERS_SPEC, dimerSettings, runDimers } from './accuracy-dimers.js';
import { runTensors } from './accuracy-tensors.js';
import { markdownTable, type Row } from './support/table.js';

const CUTOFF = 4.5; // A, the local cutoff of both models
const argv = process.argv.slice(2);
const options = parseArgs(argv, DIMERS_SPEC).options;
const quick = options.has('quick');
const only = options.get('only');
const PARTS = ['nacl', 'dimers', 'tensors'];
if (only !== undefined && !PARTS.includes(String(only))) throw new Error(`--only: expected ${PARTS.join(', ')}, got ${String(only)}`);
const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));
const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const results = fileURLToPath(new URL('./results/', import.meta.url));

function training(frames: Frame[]): TrainingFrame[] {
  return frames.map((f) => ({ system: frameSystem(f), energy: f.info.energy as number, forces: f.arrays.forces as Float64Array }));
}

/** Deterministic interleaved split: every k-th frame to the test set, so all temperatures / separations are in both. */
function split<T>(items: T[], testEvery: number): { train: T[]; test: T[] } {
  return { train: items.filter((_, k) => k % testEvery !== 0), test: items.filter((_, k) => k % testEvery === 0) };
}

interface Errors {
  energyMae: number; // eV/atom
  forceRmse: number; // eV/A
}

function evaluate(model: ForceField, frames: TrainingFrame[]): Errors {
  let eAbs = 0, fSq = 0, fCount = 0;
  for (const f of frames) {
    const r = model.compute(f.system, { forces: true });
    const N = f.system.types.length;
    eAbs += Math.abs(r.energy - f.energy) / N;
    for (let c = 0; c < 3 * N; c++) {
      fSq += (r.forces![c] - f.forces![c]) ** 2;
      fCount++;
    }
  }
  return { energyMae: eAbs / frames.length, forceRmse: Math.sqrt(fSq / fCount) };
}

function forceStd(frames: TrainingFrame[]): number {
  let sum = 0, sq = 0, n = 0;
  for (const f of frames) for (let c = 0; c < f.forces!.length; c++) {
    const v = f.forces![c];
    sum += v;
    sq += v * v;
    n++;
  }
  return Math.sqrt(sq / n - (sum / n) ** 2);
}

function learningCurve(name: string, all: TrainingFrame[], sizes: number[], species: number[]) {
  const { train, test } = split(all, 4);
  const rows: Row[] = [];
  const curves: Record<PresetName, { n: number[]; e: number[]; f: number[] }> = { local: { n: [], e: [], f: [] }, multiscale: { n: [], e: [], f: [] } };
  for (const preset of ['local', 'multiscale'] as const) {
    for (const size of sizes) {
      if (size > train.length) continue;
      // Spread the subset over the whole training set.
      const subset = Array.from({ length: size }, (_, k) => train[Math.floor((k * train.length) / size)]);
      const start = Date.now();
      const { model } = fitLinearModel(presetFeatures(preset, species, { cutoff: CUTOFF }), subset);
      const errors = evaluate(model, test);
      curves[preset].n.push(size);
      curves[preset].e.push(1000 * errors.energyMae);
      curves[preset].f.push(errors.forceRmse);
      rows.push({
        data: name,
        features: preset,
        'train frames': size,
        'test frames': test.length,
        'energy MAE / meV/atom': 1000 * errors.energyMae,
        'force RMSE / eV/A': errors.forceRmse,
        'force RMSE / std': errors.forceRmse / forceStd(test),
        'fit s': (Date.now() - start) / 1000,
      });
      console.error(`${name} ${preset} ${size}: ${JSON.stringify(rows[rows.length - 1])}`);
    }
  }
  return { rows, curves, test };
}

/**
 * Linear against sparse-kernel models (kernel on the SOAP block, long range
 * linear) on the whole training split: the kernel corrects the linear model
 * and must not be worse than it.
 */
function kernelComparison(name: string, all: TrainingFrame[], species: number[]): Row[] {
  const { train, test } = split(all, 4);
  const rows: Row[] = [];
  for (const preset of ['local', 'multiscale'] as const) {
    const spec = presetFeatures(preset, species, { cutoff: CUTOFF });
    for (const kind of ['linear', 'sparse-kernel'] as const) {
      const start = Date.now();
      const model = kind === 'linear' ? fitLinearModel(spec, train).model : fitSparseKernelModel(spec, train).model;
      const errors = evaluate(model, test);
      rows.push({
        data: name,
        features: preset,
        model: kind,
        'train frames': train.length,
        'energy MAE / meV/atom': 1000 * errors.energyMae,
        'force RMSE / eV/A': errors.forceRmse,
        'fit s': (Date.now() - start) / 1000,
      });
      console.error(`${name} ${preset} ${kind}: ${JSON.stringify(rows[rows.length - 1])}`);
    }
  }
  return rows;
}

function chart(title: string, curves: Record<PresetName, { n: number[]; e: number[]; f: number[] }>, key: 'e' | 'f', yLabel: string): string {
  return lineChart({
    title,
    xLabel: 'training frames',
    yLabel,
    logX: true,
    logY: true,
    series: (['local', 'multiscale'] as const).map((p) => ({ name: p === 'local' ? 'local (rho x rho)' : 'multi-scale (rho x rho + rho x V)', x: curves[p].n, y: curves[p][key] })),
  });
}

function runNacl(): void {
  mkdirSync(docs, { recursive: true });
  mkdirSync(results, { recursive: true });
  const melt = training(readFrames(data('nacl-melt-64.xyz')));
  const dimers = training(readFrames(data('nacl-dimers.xyz')));
  const meltCurve = learningCurve('melt', melt, quick ? [10, 40] : [10, 20, 50, 100, 225], [11, 17]);
  const dimerCurve = learningCurve('dimers', dimers, quick ? [30, 100] : [25, 50, 100, 200, 300], [11, 17]);

  // Dimers beyond the local cutoff: the long-range part only a multi-scale model can see.
  const far = dimerCurve.test.filter((_, k) => (readFrames(data('nacl-dimers.xyz')).filter((_, j) => j % 4 === 0)[k].info.separation as number) > CUTOFF + 1);
  const farRows: Row[] = [];
  for (const preset of ['local', 'multiscale'] as const) {
    const { train } = split(dimers, 4);
    const { model } = fitLinearModel(presetFeatures(preset, [11, 17], { cutoff: CUTOFF }), train);
    const errors = evaluate(model, far);
    farRows.push({ features: preset, 'test dimers (separation > cutoff + 1 A)': far.length, 'energy MAE / meV/atom': 1000 * errors.energyMae, 'force RMSE / eV/A': errors.forceRmse });
  }

  const kernelRows = [...kernelComparison('melt', melt, [11, 17]), ...kernelComparison('dimers', dimers, [11, 17])];

  writeFileSync(`${docs}learning-curve-melt-forces.svg`, chart('NaCl melt (64 ions): force RMSE on held-out frames', meltCurve.curves, 'f', 'force RMSE / eV/A'));
  writeFileSync(`${docs}learning-curve-melt-energy.svg`, chart('NaCl melt (64 ions): energy MAE on held-out frames', meltCurve.curves, 'e', 'energy MAE / meV/atom'));
  writeFileSync(`${docs}learning-curve-dimers-energy.svg`, chart('NaCl dimers in vacuum: energy MAE on held-out frames', dimerCurve.curves, 'e', 'energy MAE / meV/atom'));
  console.log(`## accuracy: learning curves (cutoff ${CUTOFF} A, force std of the melt test set ${forceStd(meltCurve.test).toFixed(3)} eV/A)\n`);
  console.log(markdownTable([...meltCurve.rows, ...dimerCurve.rows]));
  console.log(`\n## accuracy: dimers beyond the local cutoff\n`);
  console.log(markdownTable(farRows));
  console.log(`\n## accuracy: linear vs sparse-kernel models, all training frames\n`);
  console.log(markdownTable(kernelRows));
  writeFileSync(`${results}accuracy.json`, JSON.stringify({ date: new Date().toISOString(), quick, curves: [...meltCurve.rows, ...dimerCurve.rows], far: farRows, kernels: kernelRows }, null, 2));
}

if (options.has('help')) console.log(helpText(DIMERS_SPEC));
else {
  const dimers = only === undefined || only === 'dimers' ? dimerSettings(argv) : undefined;
  if (only === undefined || only === 'nacl') runNacl();
  if (dimers) await runDimers(dimers);
  if (only === undefined || only === 'tensors') runTensors(quick);
}
