// Paths a new user takes through the CLI that used to end with exit code 0
// and a wrong or missing result (issue 17): each now gives a correct result
// or a clear error before any long computation.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fitLinearModel, loadModel, presetFeatures, readExtxyz, saveModel } from '../../lib/index.js';
import { Progress } from '../../lib/cli/progress.js';
import { runCli as cli } from '../support/cli.js';

const DATA = fileURLToPath(new URL('../../data/nacl-melt-64.xyz', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lodestone-paths-'));
const modelPath = join(dir, 'model.lsm');
const threeFrames = join(dir, 'three.xyz');
const sodium = join(dir, 'sodium.xyz');

beforeAll(() => {
  const frames = readExtxyz(DATA);
  const data = frames.filter((_, k) => k % 60 === 0).map((f) => ({ system: f, energy: f.energy!, forces: f.forces }));
  saveModel(modelPath, fitLinearModel(presetFeatures('local', [11, 17], { cutoff: 3.5, maxRadial: 1, maxAngular: 1 }), data, { regularizations: [1e-6] }).model);
  writeFileSync(threeFrames, readFileSync(DATA, 'utf8').split('\n').slice(0, 3 * 66).join('\n') + '\n');
  writeFileSync(sodium, '2\nLattice="8 0 0 0 8 0 0 0 8" Properties=species:S:1:pos:R:3 pbc="T T T"\nNa 0 0 0\nNa 2.9 0 0\n');
});

afterEach(() => vi.restoreAllMocks());

describe('lodestone eval --out', () => {
  it('writes predictions (energy, forces, stress, per-atom energies) as extended XYZ, references kept', async () => {
    const out = join(dir, 'predictions.xyz');
    const run = await cli(['eval', modelPath, threeFrames, '--quiet', '--out', out]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/predictions of 3 frames written to .*predictions\.xyz/);
    const predicted = readExtxyz(out);
    const inputs = readExtxyz(threeFrames);
    const { model } = loadModel(modelPath);
    expect(predicted.length).toBe(3);
    predicted.forEach((p, k) => {
      const expected = model.compute(inputs[k], { stress: true, perAtom: true });
      expect(p.energy).toBe(expected.energy);
      expect(p.forces).toEqual(expected.forces);
      expect(p.stress).toEqual(expected.stress);
      expect(p.energies).toEqual(expected.energies);
      expect(p.info.reference_energy).toBe(inputs[k].energy);
      expect(p.arrays.reference_forces).toEqual(inputs[k].forces);
      expect(p.positions).toEqual(inputs[k].positions);
    });
  });

  it('checks its options before evaluating anything', async () => {
    const missing = await cli(['eval', modelPath, threeFrames, '--out', join(dir, 'nowhere', 'p.xyz')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^lodestone eval: --out: cannot write .*nowhere\/p\.xyz: directory .* does not exist/);
    expect(missing.out).toBe('');
    const key = await cli(['eval', modelPath, threeFrames, '--forces-key', 'F']);
    expect(key.err).toMatch(/^lodestone eval: --forces-key: no frame of .*three\.xyz has a per-atom 'F' column/);
    expect(key.out).toBe('');
    const energyKey = await cli(['eval', modelPath, threeFrames, '--energy-key', 'E']);
    expect(energyKey.err).toMatch(/^lodestone eval: --energy-key: no frame of .*three\.xyz has a 'E' energy/);
  });
});

describe('lodestone features', () => {
  it('writes values, samples and labels.json; --species makes files with different species line up', async () => {
    const a = join(dir, 'feat-a');
    const b = join(dir, 'feat-b');
    const common = ['--features', 'local', '--cutoff', '3', '--species', 'Na,Cl'];
    expect((await cli(['features', threeFrames, '--out', a, ...common])).code).toBe(0);
    const run = await cli(['features', sodium, '--out', b, ...common]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const la = JSON.parse(readFileSync(join(a, 'labels.json'), 'utf8'));
    const lb = JSON.parse(readFileSync(join(b, 'labels.json'), 'utf8'));
    expect(la.species).toEqual([11, 17]);
    expect(lb.properties).toEqual(la.properties);
    expect(lb.values.shape[1]).toBe(la.values.shape[1]);
    expect(la.values.shape).toEqual([192, la.values.shape[1]]);
    expect(la.samples.names).toEqual(['frame', 'atom', 'type']);
    const block = la.properties[0];
    expect(block.names).toEqual(['neighbor_1_type', 'neighbor_2_type', 'l', 'n_1', 'n_2']);
    expect(block.values.length).toBe(la.values.shape[1]);
    expect(new Set(block.values.map((v: number[]) => v.join(','))).size).toBe(block.values.length);
    // The .npy header states the same shape.
    const header = readFileSync(join(b, 'values.npy')).subarray(0, 128).toString('latin1');
    expect(header).toContain(`'shape': (2, ${la.values.shape[1]})`);
  });

  it('uses the species of a model with --model, and rejects species outside the list before computing', async () => {
    const out = join(dir, 'feat-model');
    expect((await cli(['features', sodium, '--out', out, '--model', modelPath])).code).toBe(0);
    const labels = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'));
    expect(labels.species).toEqual([11, 17]);
    expect(labels.values.shape).toEqual([2, loadModel(modelPath).model.features.dimension]);
    const wrong = await cli(['features', threeFrames, '--out', join(dir, 'feat-wrong'), '--species', 'Na']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^lodestone features: system\.types\[\d+\]: atomic number 17 is unknown to this model \(species 11\) \(frame 0 of .*three\.xyz\)/);
    const both = await cli(['features', sodium, '--model', modelPath, '--species', 'Na']);
    expect(both.err).toMatch(/--species: the model fixes it/);
  });
});

describe('lodestone fit and ipi', () => {
  it('the fit summary says whether a baseline was used', async () => {
    const common = ['fit', threeFrames, '--features', 'local', '--cutoff', '3', '--max-radial', '1', '--max-angular', '1', '--folds', '3'];
    const withBaseline = await cli([...common, '--baseline-charges', '11:1,17:-1', '--out', join(dir, 'b.lsm')]);
    expect(withBaseline.code).toBe(0);
    expect(withBaseline.out).toMatch(/^baseline: Ewald of fixed charges 11:\+1, 17:-1 \(e\)/m);
    const without = await cli([...common, '--out', join(dir, 'nb.lsm')]);
    expect(without.out).toMatch(/^baseline: none$/m);
  });

  it('ipi: a species unknown to the model fails before connecting', async () => {
    const run = await cli(['ipi', '--model', modelPath, '--types', 'Na,O', '--unix', `paths-nobody-${process.pid}`, '--wait', '30']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^lodestone ipi: --types: species O \(8\) unknown to .*model\.lsm \(species Na, Cl\)/);
  });
});

describe('progress lines', () => {
  it('print no rate for work that took no measurable time ("1/1 frames, 0.0 frames/s")', () => {
    let text = '';
    const stream = new Writable({ write: (chunk, _, done) => ((text += chunk), done()) }) as unknown as NodeJS.WriteStream;
    new Progress('solving', 1, 'solves', stream).update(1);
    expect(text).toMatch(/^solving \[#+\] 1\/1 solves, done in 0\.0 s\n$/);
  });
});
