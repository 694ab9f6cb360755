// The tensor part of `npm run accuracy`: local vs multi-scale equivariant
// linear models of (1) the polarizability of Thole-Applequist rare-gas
// clusters (data/induction-clusters.xyz), trained on clusters of <= 40 atoms
// and tested on 60-150, whose depolarisation depends on the shape of the
// whole cluster; (2) the dipoles of the neutral GFN2-xTB dimers
// (data/xtb-dimers.xyz) beyond the local cutoff. Every number is computed
// here from the models' predictions; markdown to stdout, progress to stderr,
// JSON to bench/results/accuracy-tensors.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { frameSystem, readFrames, speciesOf } from '../lib/cli/frames.js';
import type { Frame } from '../lib/io/extxyz.js';
import {
  defaultLongRange,
  fitTensorModel,
  presetFeatures,
  toSpherical,
  type FeatureSetSpec,
  type LongRange,
  type TensorFrame,
  type TensorModel,
  type TensorTarget,
} from '../lib/index.js';
import { dimerOf, dimerSystem, extrapolationSplit, interpolationSplit, isFar, type Dimer } from './support/dimers.js';
import { markdownTable, type Row } from './support/table.js';

const CUTOFF = 4.5; // A, the local cutoff of every model
const data = (name: string) => fileURLToPath(new URL(`../data/${name}`, import.meta.url));
const results = fileURLToPath(new URL('./results/', import.meta.url));
const log = (message: string) => console.error(`accuracy tensors: ${message}`);

type ModelName = 'local' | 'multiscale' | 'multiscale-field';

/** The presets as `lodestone fit` builds them; multiscale's long range as it chooses it (charges only for molecules with per-atom charges). */
function spec(name: ModelName, species: number[], train: Array<Pick<TensorFrame, 'system' | 'charges'>>): FeatureSetSpec {
  if (name === 'local') return presetFeatures('local', species, { cutoff: CUTOFF });
  const longRange: LongRange = name === 'multiscale-field' ? 'field' : defaultLongRange(train.map((f) => ({ system: f.system, charges: f.charges })), false);
  return presetFeatures('multiscale', species, { cutoff: CUTOFF, longRange });
}

/** Squared errors of the spherical parts (per order), per atom, over frames. */
function sphericalErrors(target: TensorTarget, model: TensorModel, frames: TensorFrame[]): { rmse: number[]; spread: number[] } {
  const orders = target === 'dipole' ? [1] : [0, 2];
  const sq = orders.map(() => 0);
  const count = orders.map(() => 0);
  const sum = orders.map(() => 0);
  const sumSq = orders.map(() => 0);
  for (const f of frames) {
    const N = f.system.types.length;
    const ref = toSpherical(target, f.target);
    const got = toSpherical(target, model.predict(f.system));
    orders.forEach((_, o) => {
      ref[o].forEach((r, m) => {
        sq[o] += ((got[o][m] - r) / N) ** 2;
        sum[o] += r / N;
        sumSq[o] += (r / N) ** 2;
        count[o]++;
      });
    });
  }
  return {
    rmse: sq.map((s, o) => Math.sqrt(s / count[o])),
    // Spread of the per-atom reference components: what predicting their mean would leave.
    spread: sumSq.map((s, o) => Math.sqrt(Math.max(s / count[o] - (sum[o] / count[o]) ** 2, 0))),
  };
}

function fit(target: TensorTarget, name: ModelName, species: number[], train: TensorFrame[], kernel = false): TensorModel {
  const start = Date.now();
  const { model, report } = fitTensorModel({ target, features: spec(name, species, train), ...(kernel ? { kernel: {} } : {}) }, train);
  const chosen = report.orders.map((o) => `lambda ${o.lambda}: ${o.regularization}${o.kernel ? ` kernel ${o.kernel.regularization}` : ''}`);
  log(`${target} ${name}${kernel ? ' kernel' : ''}: ${train.length} frames, ${report.parameters} parameters, regularisation ${chosen.join(', ')}, ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return model;
}

function round(v: number, digits = 4): number {
  return Number(v.toPrecision(digits));
}

/** Evenly spread subset of `count` items. */
function spread<T>(items: T[], count: number): T[] {
  if (count >= items.length) return items;
  return Array.from({ length: count }, (_, k) => items[Math.floor((k * items.length) / count)]);
}

function polarizabilityFrame(frame: Frame, k: number): TensorFrame & { shape: string; size: number } {
  const target = frame.info.polarizability;
  if (!Array.isArray(target) || target.length !== 9) throw new Error(`induction clusters: frame ${k} has no 9-number 'polarizability'`);
  return { system: frameSystem(frame), target: target as number[], shape: String(frame.info.shape), size: frame.types.length, group: k };
}

/** Linear against lambda-SOAP kernel models (kernel on the local block) on every training cluster. */
function kernelComparison(species: number[], train: TensorFrame[], test: TensorFrame[]): Row[] {
  return (['local', 'multiscale'] as const).flatMap((name) =>
    [false, true].map((kernel) => {
      const model = fit('polarizability', name, species, train, kernel);
      const e = sphericalErrors('polarizability', model, test);
      return {
        features: name,
        model: kernel ? 'linear + lambda-SOAP kernel' : 'linear',
        'kernel kept (lambda 0, 2)': kernel ? model.parameters.map((p) => (p.kernel ? 'yes' : 'no')).join(', ') : '',
        'lambda 0 RMSE / A^3 per atom': round(e.rmse[0]),
        'lambda 2 RMSE / A^3 per atom': round(e.rmse[1]),
      };
    }),
  );
}

function runInduction(quick: boolean): { curve: Row[]; kernels: Row[] } {
  const frames = readFrames(data('induction-clusters.xyz'));
  const species = speciesOf(frames);
  const all = frames.map(polarizabilityFrame);
  const train = all.filter((_, k) => frames[k].info.set === 'train');
  const test = all.filter((_, k) => frames[k].info.set === 'test');
  const sizes = quick ? [60, train.length] : [50, 100, 200, train.length];
  const rows: Row[] = [];
  for (const n of sizes) {
    const subset = spread(train, n);
    const errors = (['local', 'multiscale'] as const).map((name) => {
      const model = fit('polarizability', name, species, subset);
      return { name, all: sphericalErrors('polarizability', model, test), byShape: ['sphere', 'rod', 'disk'].map((s) => sphericalErrors('polarizability', model, test.filter((f) => f.shape === s))) };
    });
    const [local, multi] = errors;
    rows.push({
      'train clusters (N <= 40)': n,
      'lambda 0 RMSE local / A^3 per atom': round(local.all.rmse[0]),
      'lambda 0 multiscale': round(multi.all.rmse[0]),
      'lambda 2 RMSE local / A^3 per atom': round(local.all.rmse[1]),
      'lambda 2 multiscale': round(multi.all.rmse[1]),
      'lambda 2 multiscale / local': round(multi.all.rmse[1] / local.all.rmse[1], 3),
      'lambda 2 sphere / rod / disk, local': local.byShape.map((e) => round(e.rmse[1], 3)).join(' / '),
      'lambda 2 sphere / rod / disk, multiscale': multi.byShape.map((e) => round(e.rmse[1], 3)).join(' / '),
      'lambda 2 spread of the test set': round(local.all.spread[1]),
    });
  }
  return { curve: rows, kernels: kernelComparison(species, quick ? spread(train, 60) : train, test) };
}

/** Net-neutral dimers (charged-charged, polar-polar, apolar-apolar), whose dipole does not depend on the origin. */
function neutralDimers(): Array<Dimer & { tensor: TensorFrame }> {
  return readFrames(data('xtb-dimers.xyz'))
    .map((frame, k) => dimerOf(frame, k))
    .filter((d) => d.charges[0] + d.charges[1] === 0)
    .map((d) => {
      const dipole = d.frame.info.dipole;
      if (!Array.isArray(dipole) || dipole.length !== 3) throw new Error(`xtb dimers: frame ${d.index} has no 3-number 'dipole'`);
      const charges = d.frame.arrays.charges;
      return {
        ...d,
        tensor: {
          system: dimerSystem(d),
          target: dipole as number[],
          group: `${d.pair}/${d.orientation}`,
          ...(charges instanceof Float64Array ? { charges } : {}),
        },
      };
    });
}

function runDipoles(quick: boolean): Row[] {
  const dimers = neutralDimers().filter((_, k) => !quick || k % 3 === 0);
  const species = speciesOf(dimers.map((d) => d.frame));
  const far = (d: Dimer) => isFar(d.frame.positions, d.atomsA, CUTOFF);
  const protocols = {
    '(a) orientations 4-5, far frames': interpolationSplit(dimers),
    '(b) trained near contact, tested far': extrapolationSplit(dimers, far),
  };
  const rows: Row[] = [];
  for (const [protocol, split] of Object.entries(protocols)) {
    const test = split.test.filter(far);
    const classes = [...new Set(test.map((d) => d.cls))];
    const models = (['local', 'multiscale', 'multiscale-field'] as const).map((name) => ({ name, model: fit('dipole', name, species, split.train.map((d) => d.tensor)) }));
    // Every class, then all the net-neutral pairs pooled (the dipoles of apolar pairs are ~0 for every model).
    for (const cls of [...classes, 'all neutral pairs']) {
      const frames = test.filter((d) => cls === 'all neutral pairs' || d.cls === cls).map((d) => d.tensor);
      // Dipole RMSE per component (e A) of the whole dimer, not per atom.
      const rmse = (model: TensorModel) => {
        let sq = 0;
        for (const f of frames) {
          const p = model.predict(f.system);
          for (let x = 0; x < 3; x++) sq += (p[x] - f.target[x]) ** 2;
        }
        return Math.sqrt(sq / (3 * frames.length));
      };
      const [local, multi, field] = models.map((m) => rmse(m.model));
      let ref = 0;
      for (const f of frames) for (let x = 0; x < 3; x++) ref += f.target[x] ** 2;
      rows.push({
        protocol,
        class: cls,
        'test frames': frames.length,
        'dipole RMSE local / e A': round(local),
        multiscale: round(multi),
        'multiscale rho x V': round(field),
        'multiscale / local': round(multi / local, 3),
        'reference RMS / e A': round(Math.sqrt(ref / (3 * frames.length))),
      });
    }
  }
  return rows;
}

export function runTensors(quick: boolean): void {
  mkdirSync(results, { recursive: true });
  const induction = runInduction(quick);
  console.log(`## accuracy: polarizability of polarizable clusters, trained on N <= 40, tested on N = 60-150 (cutoff ${CUTOFF} A)\n`);
  console.log(markdownTable(induction.curve));
  console.log(`\n## accuracy: polarizability, linear vs lambda-SOAP kernel models\n`);
  console.log(markdownTable(induction.kernels));
  const dipoles = runDipoles(quick);
  console.log(`\n## accuracy: dipoles of the neutral xtb dimers beyond the cutoff (closest intermolecular pair > ${CUTOFF + 1} A)\n`);
  console.log(markdownTable(dipoles));
  writeFileSync(`${results}accuracy-tensors.json`, JSON.stringify({ date: new Date().toISOString(), quick, induction, dipoles }, null, 2));
}
