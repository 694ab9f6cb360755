// Success paths of `lodestone fit`, `eval`, `features` and every thermostat
// and option of `md`, on a few frames of data/nacl-melt-64.xyz. What the
// commands print or write is recomputed here from the model, the data and
// the feature set directly, not compared with an earlier run.
import { closestPairs } from '../../lib/core/contacts.js';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureSet, getNumThreads, loadModel, loadTensorModel, presetFeatures, saveModel, setNumThreads, type Model } from '../../lib/index.js';
import { readExtxyz, writeExtxyz } from '../../lib/io/extxyz.js';
import { runCli } from '../support/cli.js';

const DATA = fileURLToPath(new URL('../../data/nacl-melt-64.xyz', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lodestone-cli-commands-'));
const lines = readFileSync(DATA, 'utf8').split('\n');
/** The first `n` frames (64 atoms, 66 lines each) of the melt. */
const firstFrames = (n: number, name: string) => {
  const path = join(dir, name);
  writeFileSync(path, lines.slice(0, 66 * n).join('\n') + '\n');
  return path;
};
const FIT = firstFrames(6, 'fit.xyz');
const EVAL = firstFrames(2, 'eval.xyz');
const threads = getNumThreads();
afterAll(() => setNumThreads(threads));

/** Energy (meV/atom) and force (eV/A) errors of `model` on the frames of `path`, computed here. */
function errors(model: Model, path: string) {
  let eAbs = 0, eSq = 0, fAbs = 0, fSq = 0, fRef = 0, fCount = 0;
  const frames = readExtxyz(path);
  const predictions = frames.map((f) => {
    const r = model.compute({ positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc }, { forces: true });
    const N = f.types.length;
    const e = (1000 * (r.energy - (f.info.energy as number))) / N;
    eAbs += Math.abs(e);
    eSq += e * e;
    const ref = f.arrays.forces as Float64Array;
    for (let c = 0; c < 3 * N; c++) {
      const d = r.forces![c] - ref[c];
      fAbs += Math.abs(d);
      fSq += d * d;
      fRef += ref[c] ** 2;
      fCount++;
    }
    return r.energy;
  });
  const n = frames.length;
  return {
    predictions,
    energyMae: eAbs / n,
    energyRmse: Math.sqrt(eSq / n),
    forceMae: fAbs / fCount,
    forceRmse: Math.sqrt(fSq / fCount),
    forceRms: Math.sqrt(fRef / fCount),
  };
}

/** All a successful fit prints on stderr: its memory plan. */
const FIT_STDERR = /^fit: \d+ parameters, 2 folds, expected peak memory \d+ MiB \(limit [\d.]+ GiB\)$/;

/** A printed number equals `value` to the digits printed. */
function printed(text: string, value: number, digits: number): void {
  expect(Math.abs(Number(text) - value), `printed ${text}, recomputed ${value}`).toBeLessThanOrEqual(0.5 * 10 ** -digits * (1 + 1e-9));
}

describe('lodestone fit, eval, features: success paths', () => {
  const modelPath = join(dir, 'model.lsm');

  it('fit writes a model whose training errors are the ones it prints', async () => {
    const r = await runCli(['fit', FIT, '--features', 'local', '--cutoff', '3.5', '--max-radial', '1', '--max-angular', '1', '--folds', '2', '--force-weight', '1', '--out', modelPath]);
    expect(r.err).toMatch(FIT_STDERR);
    expect(r.code).toBe(0);
    expect(existsSync(modelPath)).toBe(true);
    const { model, metadata } = loadModel(modelPath);
    expect(model.features.spec).toEqual(presetFeatures('local', [11, 17], { cutoff: 3.5, maxRadial: 1, maxAngular: 1, speciesWeights: 'per-species' }));
    // what lodestone md's watchdog compares against: the training frames' closest pairs
    expect((metadata.fit as { closestPairs: unknown }).closestPairs).toEqual(closestPairs(readExtxyz(FIT)));
    const match = r.out.match(/train \(6 frames\): energy RMSE (\S+) meV\/atom, force RMSE (\S+) eV\/A \((\S+) % of the reference forces' RMS, (\S+) eV\/A\)/);
    expect(match, r.out).not.toBeNull();
    const e = errors(model, FIT);
    printed(match![1], e.energyRmse, 3);
    printed(match![2], e.forceRmse, 4);
    // the error read against the data's own forces
    printed(match![4], e.forceRms, 4);
    printed(match![3], (100 * e.forceRmse) / e.forceRms, 1);
    // a fit, not a constant: its forces beat predicting zero
    expect(e.forceRmse).toBeLessThan(e.forceRms);
    expect(r.out).toMatch(new RegExp(`model written to ${modelPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('fit on reference forces that are all zero prints their errors without a share of zero', async () => {
    const zero = join(dir, 'zero-forces.xyz');
    writeFileSync(zero, writeExtxyz(readExtxyz(FIT).map((f) => ({ ...f, arrays: { ...f.arrays, forces: new Float64Array(f.arrays.forces!.length) } }))));
    const r = await runCli(['fit', zero, '--features', 'local', '--cutoff', '3.5', '--max-radial', '1', '--max-angular', '1', '--folds', '2', '--out', join(dir, 'zero.lsm')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/train \(6 frames\): energy RMSE \S+ meV\/atom, force RMSE [0-9.]+ eV\/A \(the reference forces are all zero\)/);
    expect(r.out).not.toMatch(/NaN|Infinity/);
  });

  it('fit --model sparse-kernel on the multiscale preset with exponents 1,6 succeeds and its printed errors hold', async () => {
    const out = join(dir, 'kernel.lsm');
    const r = await runCli([
      'fit', FIT, '--features', 'multiscale', '--exponents', '1,6', '--cutoff', '3.5', '--max-radial', '1', '--max-angular', '1',
      '--folds', '2', '--model', 'sparse-kernel', '--sparse-points', '8', '--zeta', '2', '--out', out,
    ]);
    expect(r.err).toMatch(FIT_STDERR);
    expect(r.code).toBe(0);
    const { model } = loadModel(out);
    expect(model.features.spec.blocks.map((b) => b.kind)).toEqual(['soap', 'multiscale', 'multiscale']);
    const match = r.out.match(/train \(6 frames\): energy RMSE (\S+) meV\/atom, force RMSE (\S+) eV\/A/);
    expect(match, r.out).not.toBeNull();
    const e = errors(model, FIT);
    printed(match![1], e.energyRmse, 3);
    printed(match![2], e.forceRmse, 4);
  });

  it("eval's per-frame energies and error table are the model's predictions against the file", async () => {
    const r = await runCli(['eval', modelPath, EVAL]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { model } = loadModel(modelPath);
    const e = errors(model, EVAL);
    const rows = r.out.split('\n').filter((l) => /^\s+\d+\s+64\s/.test(l));
    expect(rows).toHaveLength(2);
    rows.forEach((row, k) => printed(row.trim().split(/\s+/)[2], e.predictions[k], 6));
    const energy = r.out.match(/\| energy \(meV\/atom\) \| (\S+) \| (\S+) \| \|/);
    const force = r.out.match(/\| force \(eV\/A\) \| (\S+) \| (\S+) \| (\S+) \|/);
    expect(energy, r.out).not.toBeNull();
    expect(force, r.out).not.toBeNull();
    printed(energy![1], e.energyMae, 3);
    printed(energy![2], e.energyRmse, 3);
    printed(force![1], e.forceMae, 4);
    printed(force![2], e.forceRmse, 4);
    printed(force![3], e.forceRms, 4);
  });

  it('eval counts the frames whose atoms come closer than the training data', async () => {
    expect((await runCli(['eval', modelPath, EVAL])).out).not.toMatch(/closer than/); // frames like the training ones
    const { model, metadata } = loadModel(modelPath);
    const narrow = join(dir, 'narrow-eval.lsm');
    // as if no Na-Cl pair of the training frames were closer than 3.5 A: both frames' are (~2.8 A)
    saveModel(narrow, model, { ...metadata, fit: { ...(metadata.fit as object), closestPairs: { '11-17': 3.5 } } });
    const r = await runCli(['eval', narrow, EVAL]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n2 of 2 frames \(0, 1\) hold atoms closer than 0.8 x the closest pair of their species in the model's training data: the model extrapolates there\n/);
  });

  it('features --out writes .npy files whose header, shape and data are FeatureSet.compute of every frame', async () => {
    const out = join(dir, 'features');
    const r = await runCli(['features', EVAL, '--features', 'local', '--cutoff', '3.5', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const features = new FeatureSet(presetFeatures('local', [11, 17], { cutoff: 3.5 }));
    const frames = readExtxyz(EVAL);
    const expected = frames.map((f) => features.compute({ positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc }).values);
    const values = readNpy(join(out, 'values.npy'));
    expect(values.descr).toBe('<f8');
    expect(values.fortranOrder).toBe(false);
    expect(values.shape).toEqual([128, features.dimension]);
    const data = new Float64Array(values.data.buffer, values.data.byteOffset, values.data.byteLength / 8);
    expect(Array.from(data)).toEqual(expected.flatMap((x) => Array.from(x)));
    const samples = readNpy(join(out, 'samples.npy'));
    expect(samples.descr).toBe('<i4');
    expect(samples.shape).toEqual([128, 3]);
    const ints = new Int32Array(samples.data.buffer, samples.data.byteOffset, samples.data.byteLength / 4);
    // (frame, atom, atomic number)
    expect(Array.from(ints)).toEqual(Array.from({ length: 128 }, (_, r) => [Math.floor(r / 64), r % 64, frames[Math.floor(r / 64)].types[r % 64]]).flat());
  });
});

/** Minimal .npy (format 1.0) reader written from the NumPy format description. */
function readNpy(path: string): { descr: string; fortranOrder: boolean; shape: number[]; data: Uint8Array } {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  expect([bytes[6], bytes[7]]).toEqual([1, 0]);
  const headerLength = bytes.readUInt16LE(8);
  expect((10 + headerLength) % 64).toBe(0);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  expect(header.endsWith('\n')).toBe(true);
  const descr = header.match(/'descr':\s*'([^']+)'/)![1];
  const fortranOrder = header.match(/'fortran_order':\s*(True|False)/)![1] === 'True';
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)![1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const data = new Uint8Array(bytes.subarray(10 + headerLength));
  const itemSize = Number(descr.slice(2));
  expect(data.length).toBe(shape.reduce((a, b) => a * b, 1) * itemSize);
  return { descr, fortranOrder, shape, data };
}

describe('lodestone md: every thermostat and option', () => {
  const modelPath = join(dir, 'md-model.lsm');
  const START = firstFrames(1, 'start.xyz');
  const thermo = (out: string) =>
    out
      .split('\n')
      .filter((l) => /^\s*\d+\s+[\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s*$/.test(l))
      .map((l) => l.trim().split(/\s+/).map(Number));

  /** Largest |E_tot(t) - E_tot(0)| of an NVE run with time step dt. */
  async function nveDrift(dt: number, steps: number, name: string): Promise<number> {
    const traj = join(dir, name);
    const r = await runCli(['md', modelPath, START, '--dt', String(dt), '--steps', String(steps), '--temperature', '1100', '--seed', '4', '--traj', traj, '--traj-every', String(steps / 4), '--thermo-every', String(steps / 4), '--threads', '1', '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/integrator: type=verlet dt=/);
    // E_tot from the trajectory: the model's energy of each frame (recomputed) and 1/2 m v^2
    const { model } = loadModel(modelPath);
    const AMU_A2_PER_FS2_IN_EV = 103.642696; // 1 amu A^2 / fs^2 in eV (CODATA)
    const mass = { 11: 22.98976928, 17: 35.453 } as Record<number, number>;
    const totals = readExtxyz(traj).map((f) => {
      const r = model.compute({ positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc }, { forces: false });
      expect(f.info.energy).toBe(r.energy);
      const v = f.arrays.velocities as Float64Array;
      let kinetic = 0;
      for (let i = 0; i < f.types.length; i++) kinetic += 0.5 * mass[f.types[i]] * (v[3 * i] ** 2 + v[3 * i + 1] ** 2 + v[3 * i + 2] ** 2);
      return r.energy + kinetic * AMU_A2_PER_FS2_IN_EV;
    });
    expect(totals).toHaveLength(5);
    return Math.max(...totals.map((e) => Math.abs(e - totals[0])));
  }

  it('setup: a small local model', async () => {
    const r = await runCli(['fit', FIT, '--features', 'local', '--cutoff', '3.5', '--max-radial', '1', '--max-angular', '1', '--folds', '2', '--force-weight', '1', '--out', modelPath]);
    expect(r.code, r.err).toBe(0);
  });

  it('--thermostat none (velocity Verlet): the total energy error shrinks as dt^2', async () => {
    setNumThreads(1);
    const coarse = await nveDrift(2, 16, 'nve-2.xyz');
    const fine = await nveDrift(1, 32, 'nve-1.xyz');
    expect(coarse).toBeGreaterThan(0);
    console.log(`NVE energy error: dt 2 fs ${coarse.toExponential(2)} eV, dt 1 fs ${fine.toExponential(2)} eV (ratio ${(coarse / fine).toFixed(2)})`);
    // second order: halving dt divides the energy error by about 4
    expect(coarse / fine).toBeGreaterThan(2.5);
    expect(coarse / fine).toBeLessThan(6);
  });

  it('--thermostat csvr --tau: heats towards the target while its conserved quantity stays put', async () => {
    const r = await runCli(['md', modelPath, START, '--thermostat', 'csvr', '--temperature', '3000', '--tau', '5', '--dt', '1', '--steps', '30', '--seed', '2', '--resample-velocities', '--thermo-every', '10', '--threads', '1', '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/integrator: type=csvr dt=1 temperature=3000 tau=5/);
    expect(r.out).toMatch(/Maxwell-Boltzmann velocities at 3000 K \(seed 2\)/);
    const rows = thermo(r.out); // step, time, T, E_pot, E_kin, E_tot, conserved
    expect(rows.map((row) => row[0])).toEqual([0, 10, 20, 30]);
    const totalChange = Math.max(...rows.map((row) => Math.abs(row[5] - rows[0][5])));
    const conservedChange = Math.max(...rows.map((row) => Math.abs(row[6] - rows[0][6])));
    // the thermostat exchanges energy (the total moves) and books it in the conserved quantity
    expect(totalChange).toBeGreaterThan(0.1);
    expect(conservedChange).toBeLessThan(0.05 * totalChange);
  });

  it('--fixed, --wrap, --checkpoint-every: fixed atoms stay, positions wrap into the cell, checkpoints are written', async () => {
    const traj = join(dir, 'fixed.xyz');
    const checkpoint = join(dir, 'fixed.json');
    const r = await runCli([
      'md', modelPath, START, '--thermostat', 'langevin', '--temperature', '1100', '--friction', '0.05', '--dt', '2', '--steps', '8',
      '--fixed', '0,5,63', '--wrap', '--traj', traj, '--traj-every', '4', '--checkpoint', checkpoint, '--checkpoint-every', '4', '--thermo-every', '4', '--frame', '0', '--quiet',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const start = readExtxyz(START)[0];
    const frames = readExtxyz(traj);
    expect(frames.map((f) => f.info.step)).toEqual([0, 4, 8]);
    for (const f of frames) {
      for (const i of [0, 5, 63]) {
        // a fixed atom keeps its position (up to the wrap, by whole cell vectors) and has no velocity
        const v = f.arrays.velocities as Float64Array;
        expect([v[3 * i], v[3 * i + 1], v[3 * i + 2]]).toEqual([0, 0, 0]);
        for (let x = 0; x < 3; x++) {
          const d = (f.positions[3 * i + x] - start.positions[3 * i + x]) / 12.6;
          expect(Math.abs(d - Math.round(d))).toBeLessThan(1e-12);
        }
      }
      // the cell is cubic, 12.6 A: wrapped coordinates lie in [0, 12.6)
      for (const p of f.positions) {
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(12.6);
      }
    }
    const moved = frames[2].positions.some((p, k) => Math.abs(p - frames[0].positions[k]) > 1e-6);
    expect(moved).toBe(true);
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'));
    expect(saved.step).toBe(8);
    expect(saved.fixed).toEqual([0, 5, 63]);
  });
});

describe('lodestone fit --learn-charges', () => {
  // Two chloride + ammonium curves of the GFN2-xTB dimers: per-atom charges in a 'charges' column.
  const XTB = fileURLToPath(new URL('../../data/xtb-dimers.xyz', import.meta.url));
  const frames = readExtxyz(XTB).filter((f) => f.info.pair === 'chloride+ammonium' && (f.info.orientation as number) <= 1);
  const write = (name: string, withCharges: boolean) => {
    const file = join(dir, name);
    const column = withCharges ? ':charges:R:1' : '';
    writeFileSync(
      file,
      frames
        .map((f) => {
          const rows = Array.from(f.types, (z, i) => `${z === 1 ? 'H' : z === 7 ? 'N' : 'Cl'} ${[0, 1, 2].map((x) => f.positions[3 * i + x]).join(' ')}${withCharges ? ` ${(f.arrays.charges as Float64Array)[i]}` : ''}`);
          return `${f.types.length}\nProperties=species:S:1:pos:R:3${column} energy=${f.info.energy} orientation=${f.info.orientation} charge=0 pbc="F F F"\n${rows.join('\n')}`;
        })
        .join('\n') + '\n',
    );
    return file;
  };
  const path = write('ion-pairs.xyz', true);

  it('fits the charges, says so, and the model predicts charges that add up to the frame charge', async () => {
    const out = join(dir, 'charges.lsm');
    const r = await runCli(['fit', path, '--features', 'local', '--cutoff', '3', '--max-radial', '2', '--max-angular', '1', '--learn-charges', 'charges', '--group-key', 'orientation', '--folds', '2', '--out', out]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/baseline: electrostatics of charges learned from the data's per-atom charges/);
    const model = loadModel(out).model;
    const charges = model.features.baseline!.charges!;
    const f = frames[0];
    const q = charges.charges({ positions: f.positions, types: Int32Array.from(f.types), cell: null, pbc: [false, false, false], charge: 0 }).charges;
    expect(Math.abs(q.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
    // Chloride is the anion: its learned charge is close to the reference's.
    const cl = f.types.indexOf(17);
    expect(Math.abs(q[cl] - (f.arrays.charges as Float64Array)[cl])).toBeLessThan(0.2);
  });

  it('--channels K,K: cross-validation chooses the contracted channels, the fit says which and the model keeps them', async () => {
    const out = join(dir, 'channels.lsm');
    const r = await runCli(['fit', path, '--features', 'local', '--cutoff', '3', '--max-radial', '2', '--max-angular', '1', '--channels', '6,3', '--group-key', 'orientation', '--folds', '2', '--out', out]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const chosen = Number(r.out.match(/contracted channels per l: (\d+) \(cross-validated among 3, 6\)/)![1]);
    expect([3, 6]).toContain(chosen);
    expect(loadModel(out).model.features.spec.contraction).toEqual({ channels: chosen });
    // At the edge of the scan the fit suggests a larger one.
    expect(/note: the largest channel candidate fitted best; more channels \(--channels 6,9\)/.test(r.out)).toBe(chosen === 6);
    const bad = await runCli(['fit', path, '--channels', '3,x', '--out', out]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--channels: invalid value "3,x" \(expected "none", an integer >= 1, or distinct integers separated by commas\)/);
  });

  it('multiscale on molecules with per-atom charges learns charges for its long range by default (auto)', async () => {
    const out = join(dir, 'auto.lsm');
    const small = ['--cutoff', '3', '--max-radial', '2', '--max-angular', '1', '--group-key', 'orientation', '--folds', '2'];
    const r = await runCli(['fit', path, '--features', 'multiscale', ...small, '--out', out]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/long range learned charges \(auto\)/);
    const model = loadModel(out).model;
    expect(model.features.spec.blocks.map((b) => b.kind)).toEqual(['soap']);
    expect(model.features.spec.baseline).toMatchObject({ kind: 'charges', fragments: true });
    // Asked for the field, it is rho x V; options of the field do not go with charges.
    const field = await runCli(['fit', path, '--features', 'multiscale', ...small, '--long-range', 'field', '--out', join(dir, 'field.lsm')]);
    expect(field.code).toBe(0);
    expect(field.out).toMatch(/long range rho x V\)/);
    const mixed = await runCli(['fit', path, '--features', 'multiscale', '--long-range', 'charges', '--field', 'far', '--out', join(dir, 'x.lsm')]);
    expect(mixed.err).toMatch(/field: shapes the rho x V blocks of longRange 'field'; longRange 'charges' has none/);
    const local = await runCli(['fit', path, '--features', 'local', '--long-range', 'field', '--out', join(dir, 'x.lsm')]);
    expect(local.err).toMatch(/--long-range: only meaningful with --features multiscale/);
  });

  it('--long-range charges on molecules without per-atom charges learns each molecule\'s whole charge from the energies, and says which', async () => {
    const bare = write('ion-pairs-bare.xyz', false);
    expect(readExtxyz(bare)[0].arrays.charges).toBeUndefined();
    const out = join(dir, 'latent.lsm');
    const r = await runCli(['fit', bare, '--features', 'multiscale', '--long-range', 'charges', '--cutoff', '3', '--max-radial', '2', '--max-angular', '1', '--group-key', 'orientation', '--folds', '2', '--out', out]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/long range learned charges\)/);
    expect(r.out).toMatch(/charges learned from the energies/);
    // The file has energies only: no force error, and no NaN printed for it.
    expect(r.out).toMatch(/cross-validation: energy RMSE [0-9.]+ meV\/atom, force RMSE - \(no forces in the data\)/);
    expect(r.out).not.toMatch(/NaN/);
    // Energies fix the product of the two charges, not which ion is which (every frame here has total charge 0).
    expect(r.out).toMatch(/whole charges \(e\) found per molecule: (Cl -1, H4N \+1|Cl \+1, H4N -1)/);
    expect(loadModel(out).model.features.spec.baseline).toMatchObject({ kind: 'charges', molecules: { Cl: expect.any(Number), H4N: expect.any(Number) } });
  });

  it('--charge-data: the learned charges also learn from distorted molecules, and predict the charges of others better', async () => {
    // The file's ions undistorted (0) and at random distortions: 0-19 for the charges, 20-24 held out.
    const distorted = readExtxyz(fileURLToPath(new URL('../../data/xtb-monomers.xyz', import.meta.url))).filter((f) => f.info.molecule === 'ammonium' || f.info.molecule === 'chloride');
    const used = distorted.filter((f) => (f.info.distortion as number) < 20);
    const held = distorted.filter((f) => f.info.molecule === 'ammonium' && (f.info.distortion as number) >= 20 && (f.info.distortion as number) < 25);
    expect(held.length).toBe(5);
    const chargeData = join(dir, 'distorted.xyz');
    writeFileSync(chargeData, writeExtxyz(used));
    const small = ['--features', 'multiscale', '--cutoff', '3', '--max-radial', '2', '--max-angular', '1', '--group-key', 'orientation', '--folds', '2'];
    const withData = await runCli(['fit', path, ...small, '--charge-data', chargeData, '--charge-group-key', 'molecule', '--out', join(dir, 'with.lsm')]);
    expect(withData.err).not.toMatch(/error/i);
    expect(withData.code).toBe(0);
    expect(withData.out).toMatch(new RegExp(`per-atom charges and those of the ${used.length} frames of .*distorted.xyz`));
    const without = await runCli(['fit', path, ...small, '--out', join(dir, 'without.lsm')]);
    expect(without.code).toBe(0);
    // How the charges change with the distortion (against the undistorted ion's): what rigid curves never show.
    const undistorted = distorted.find((f) => f.info.molecule === 'ammonium' && f.info.distortion === 0)!;
    const reference = (f: typeof held[number]) => f.arrays.charges as Float64Array;
    const fluxError = (file: string | null) => {
      const model = file && loadModel(join(dir, file)).model.features.baseline!.charges!;
      const predict = (f: typeof held[number]) => (model ? model.charges({ positions: f.positions, types: Int32Array.from(f.types), cell: null, pbc: [false, false, false], charge: 1 }).charges : reference(undistorted));
      let sum = 0, n = 0;
      const q0 = predict(undistorted), r0 = reference(undistorted);
      for (const f of held) {
        const q = predict(f), r = reference(f);
        q.forEach((v, i) => ((sum += (v - q0[i] - (r[i] - r0[i])) ** 2), n++));
      }
      return Math.sqrt(sum / n);
    };
    // Fitted to rigid ions only, the charges move with the distortion more wrongly than fixed charges would.
    expect(fluxError('without.lsm')).toBeGreaterThan(fluxError(null));
    expect(fluxError('with.lsm')).toBeLessThan(Math.min(0.7 * fluxError('without.lsm'), fluxError(null)));
    // Only learned charges read them; a charge file needs its charges.
    const local = await runCli(['fit', path, '--features', 'local', '--charge-data', chargeData, '--out', join(dir, 'x.lsm')]);
    expect(local.err).toMatch(/--charge-data: only learned charges learn from it, and this model has none/);
    const bare = join(dir, 'distorted-bare.xyz');
    writeFileSync(bare, writeExtxyz(used.map((f) => ({ ...f, arrays: { forces: f.arrays.forces } }))));
    const noCharges = await runCli(['fit', path, ...small, '--charge-data', bare, '--out', join(dir, 'x.lsm')]);
    expect(noCharges.err).toMatch(/distorted-bare.xyz: frame 0 has no per-atom 'charges' column/);
    const lone = await runCli(['fit', path, ...small, '--charge-group-key', 'molecule', '--out', join(dir, 'x.lsm')]);
    expect(lone.err).toMatch(/--charge-group-key: only meaningful with --charge-data/);
  });

  it('--atomic-dipoles: atomic dipoles learned beside the charges, or carried by them; a frame with charges and without them is refused', async () => {
    const full = join(dir, 'ion-pairs-full.xyz');
    writeFileSync(full, writeExtxyz(frames));
    const small = ['--features', 'multiscale', '--cutoff', '3', '--max-radial', '2', '--max-angular', '1', '--group-key', 'orientation', '--folds', '2'];
    const plain = await runCli(['fit', full, ...small, '--out', join(dir, 'plain.lsm')]);
    const carried = await runCli(['fit', full, ...small, '--atomic-dipoles', 'atomic_dipoles', '--atomic-dipoles-as', 'charges', '--out', join(dir, 'carried.lsm')]);
    expect(carried.err).not.toMatch(/error/i);
    expect(carried.code).toBe(0);
    expect(carried.out).toMatch(/carrying the atomic dipoles of column atomic_dipoles/);
    const learned = await runCli(['fit', full, ...small, '--atomic-dipoles', 'atomic_dipoles', '--out', join(dir, 'learned.lsm')]);
    expect(learned.err).not.toMatch(/error/i);
    expect(learned.code).toBe(0);
    expect(learned.out).toMatch(/atomic dipoles learned from column atomic_dipoles \(cross-validated RMSE [0-9.]+e-?\d+ e A\)/);
    expect(loadModel(join(dir, 'learned.lsm')).model.features.spec.baseline).toMatchObject({ atomicDipoles: true, dipoleWeights: expect.any(Array) });
    // carried: the ammonium's learned charges carry its atomic dipoles, a different charge model from the plain one
    const charges = (file: string) => loadModel(join(dir, file)).model.features.baseline!.charges!;
    const f = frames[0];
    const system = { positions: f.positions, types: Int32Array.from(f.types), cell: null, pbc: [false, false, false] as [boolean, boolean, boolean], charge: 0 };
    const a = charges('plain.lsm').charges(system).charges, b = charges('carried.lsm').charges(system).charges;
    expect(Math.max(...a.map((q, i) => Math.abs(q - b[i])))).toBeGreaterThan(1e-3);
    // learned: the plain charges, and dipoles close to the frame's own (a frame of the training set)
    expect(charges('plain.lsm').dipoles(system)).toBeNull();
    const c = charges('learned.lsm').charges(system).charges;
    expect(Math.max(...a.map((q, i) => Math.abs(q - c[i])))).toBeLessThan(1e-12);
    const mu = charges('learned.lsm').dipoles(system)!;
    const reference = f.arrays.atomic_dipoles as Float64Array;
    const rmsOf = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0) / v.length);
    expect(rmsOf(mu.map((m, k) => m - reference[k]))).toBeLessThan(0.2 * rmsOf(reference));
    const misplaced = await runCli(['fit', full, ...small, '--atomic-dipoles-as', 'charges', '--out', join(dir, 'x.lsm')]);
    expect(misplaced.err).toMatch(/--atomic-dipoles-as: only meaningful with --atomic-dipoles/);
    const bare = await runCli(['fit', path, ...small, '--atomic-dipoles', 'atomic_dipoles', '--out', join(dir, 'x.lsm')]);
    expect(bare.err).toMatch(/ion-pairs.xyz: frame 0 has charges but no per-atom 'atomic_dipoles' column of 3 numbers per atom/);
    const local = await runCli(['fit', full, '--features', 'local', '--atomic-dipoles', 'atomic_dipoles', '--out', join(dir, 'x.lsm')]);
    expect(local.err).toMatch(/--atomic-dipoles: only learned charges learn from it/);
  });

  it('refuses a charges column that no frame has, before fitting', async () => {
    const r = await runCli(['fit', path, '--features', 'local', '--learn-charges', 'q', '--out', join(dir, 'x.lsm')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--learn-charges: no frame of .* has a per-atom 'q' column of one number per atom/);
  });
});

describe('lodestone fit --target, eval of a tensor model', () => {
  // Small clusters of the induction set: their polarizabilities (A^3) as 9 numbers.
  const INDUCTION = fileURLToPath(new URL('../../data/induction-clusters.xyz', import.meta.url));
  const frames = readExtxyz(INDUCTION).filter((f) => f.info.set === 'train' && f.types.length <= 12).slice(0, 24);
  const path = join(dir, 'clusters.xyz');
  writeFileSync(path, frames.map((f) => {
    const rows = Array.from(f.symbols, (s, i) => `${s} ${[0, 1, 2].map((x) => f.positions[3 * i + x]).join(' ')}`);
    return `${f.types.length}\nProperties=species:S:1:pos:R:3 polarizability="${(f.info.polarizability as number[]).join(' ')}" pbc="F F F"\n${rows.join('\n')}`;
  }).join('\n') + '\n');
  const out = join(dir, 'alpha.lsm');
  const small = ['--cutoff', '3.5', '--max-radial', '1', '--max-angular', '2', '--folds', '2'];

  it('fits a polarizability model whose printed training error is its own, and eval writes what it predicts', async () => {
    const r = await runCli(['fit', path, '--target', 'polarizability', '--features', 'multiscale', ...small, '--out', out]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const model = loadTensorModel(out).model;
    expect(model.target).toBe('polarizability');
    expect(model.features.spec.blocks.map((b) => b.kind)).toEqual(['soap', 'multiscale']);
    // RMSE per atom over the Cartesian components, recomputed here.
    let sq = 0;
    for (const f of frames) {
      const p = model.predict({ positions: f.positions, types: f.types, cell: null });
      (f.info.polarizability as number[]).forEach((v, c) => (sq += ((p[c] - v) / f.types.length) ** 2));
    }
    const match = r.out.match(/train \(24 frames\): RMSE (\S+) A\^3 per atom/);
    expect(match, r.out).not.toBeNull();
    expect(Math.abs(Number(match![1]) / Math.sqrt(sq / (9 * frames.length)) - 1)).toBeLessThan(1e-3);

    const predictions = join(dir, 'alpha.xyz');
    const e = await runCli(['eval', out, path, '--out', predictions, '--quiet']);
    expect(e.code).toBe(0);
    const written = readExtxyz(predictions);
    expect(written).toHaveLength(frames.length);
    written.forEach((w, k) => {
      const p = model.predict({ positions: frames[k].positions, types: frames[k].types, cell: null });
      // Another process: the LODE splines it builds may differ in their last digits (1e-12 relative here).
      const written = w.info.polarizability as number[];
      expect(written).toHaveLength(9);
      const scale = Math.max(...Array.from(p, Math.abs));
      written.forEach((v, c) => expect(Math.abs(v - p[c])).toBeLessThan(1e-9 * scale));
      expect(w.info.reference_polarizability).toEqual(frames[k].info.polarizability);
    });
    expect(e.out).toMatch(/\| polarizability component \(A\^3\) \| \S+ \| \S+ \| \S+ \|/);
  });

  it('--model sparse-kernel adds a lambda-SOAP kernel stage and reports its choice per order', async () => {
    const kernelOut = join(dir, 'alpha-kernel.lsm');
    const r = await runCli(['fit', path, '--target', 'polarizability', '--features', 'local', ...small, '--model', 'sparse-kernel', '--sparse-points', '6', '--out', kernelOut]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/regularisation: lambda 0 \S+, kernel (none \(no kernel validated best\)|\S+); lambda 2 \S+, kernel /);
    const model = loadTensorModel(kernelOut).model;
    const kept = model.parameters.filter((p) => p.kernel);
    // the printed choices are the model's: "none" exactly where it has no kernel part
    expect((r.out.match(/kernel none/g) ?? []).length).toBe(2 - kept.length);
    kept.forEach((p) => expect(p.kernel!.species.length).toBeLessThanOrEqual(6 * 3));
  });

  it('refuses options a tensor model does not use, a missing target key, and a tensor model where a potential is needed', async () => {
    const blocks = await runCli(['fit', path, '--target', 'polarizability', '--kernel-blocks', 'all', '--out', join(dir, 'x.lsm')]);
    expect(blocks.err).toMatch(/--kernel-blocks: not used by a polarizability model/);
    const zeta = await runCli(['fit', path, '--target', 'polarizability', '--zeta', '3', '--out', join(dir, 'x.lsm')]);
    expect(zeta.err).toMatch(/--zeta: only meaningful with --model sparse-kernel/);
    const key = await runCli(['fit', path, '--target', 'dipole', '--out', join(dir, 'x.lsm')]);
    expect(key.err).toMatch(/frame 0 has no 'dipole' info value of 3 numbers \(the dipole; use --target-key\)/);
    const md = await runCli(['md', out, path, '--steps', '1']);
    expect(md.err).toMatch(/holds a tensor model \(polarizability\), not a potential/);
  });
});
