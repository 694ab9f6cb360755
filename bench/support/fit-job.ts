// One fit in its own process, so its peak memory is its own: prints one JSON
// line with the wall time of each stage, the parameter count, the estimated
// and the measured peak memory. Used by bench/fit.ts.
import { fileURLToPath } from 'node:url';
import { frameSystem, readFrames } from '../../lib/cli/frames.js';
import { fitLinearModel, fitSparseKernelModel, presetFeatures, type FitProgress, type PresetName } from '../../lib/index.js';

// model: 'linear' (default) or 'sparse-kernel' (the defaults of fitSparseKernelModel)
const [file, preset, frameCount, model = 'linear'] = process.argv.slice(2);
const frames = readFrames(fileURLToPath(new URL(`../../data/${file}`, import.meta.url)));
const count = Number(frameCount) || frames.length;
const used = Array.from({ length: Math.min(count, frames.length) }, (_, k) => frames[Math.floor((k * frames.length) / Math.min(count, frames.length))]);
const data = used.map((f) => ({ system: frameSystem(f), energy: f.info.energy as number, forces: f.arrays.forces as Float64Array }));
const species = [...new Set(used.flatMap((f) => Array.from(f.types)))].sort((a, b) => a - b);
const stages: Record<string, number> = {};
let stage = '';
let since = Date.now();
const onProgress = (p: FitProgress) => {
  if (p.stage === stage) return;
  if (stage) stages[stage] = (stages[stage] ?? 0) + (Date.now() - since) / 1000;
  stage = p.stage;
  since = Date.now();
};
const start = Date.now();
const spec = presetFeatures(preset as PresetName, species);
const { report } = model === 'sparse-kernel' ? fitSparseKernelModel(spec, data, { onProgress }) : fitLinearModel(spec, data, { onProgress });
stages[stage] = (stages[stage] ?? 0) + (Date.now() - since) / 1000;
console.log(
  JSON.stringify({
    seconds: (Date.now() - start) / 1000,
    frames: data.length,
    species: species.length,
    parameters: report.parameters,
    estimatedMiB: report.estimatedBytes / 2 ** 20,
    peakMiB: process.resourceUsage().maxRSS / 1024,
    stages,
    validation: report.validation,
  }),
);
