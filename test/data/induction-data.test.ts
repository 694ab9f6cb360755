// scripts/induction-data.py (the Thole-damped point-dipole model behind
// data/induction-clusters.xyz) against closed forms, and the committed file
// against the script. The script's functions are loaded with importlib in
// python3 one-liners (its file name has a dash); the expected values are
// computed here, independently of the script. Needs Debian's python3-numpy
// (and python3-ase for the ASE read): a missing one fails, never skips.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExtxyz, type ExtxyzFrame } from '../../lib/index.js';
import { withScript } from '../support/python-script.js';

const PYTHON = '/usr/bin/python3';
const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/induction-data.py');
const DATA = join(ROOT, 'data/induction-clusters.xyz');
const ALPHA: Record<string, number> = { Ar: 1.64, Kr: 2.48, Xe: 4.04 };
const THOLE_A = 0.39;

/** Runs `code` with the script loaded as `m` (and numpy as `np`); returns its JSON output. */
const python = (code: string, ...args: string[]): any => withScript('induction-data.py', code, ...args);

/** Max |a - b| over max |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let k = 0; k < b.length; k++) {
    diff = Math.max(diff, Math.abs(a[k] - b[k]));
    scale = Math.max(scale, Math.abs(b[k]));
  }
  return diff / scale;
}

/** Uniaxial 3x3 tensor (row-major): par n n^T + perp (I - n n^T). */
function uniaxial(n: number[], par: number, perp: number): number[] {
  const t: number[] = [];
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) t.push(perp * (a === b ? 1 : 0) + (par - perp) * n[a] * n[b]);
  return t;
}

/** Applequist's dimer with bare dipole tensor components tPar = (3 l5 - l3)/r^3, tPerp = -l3/r^3. */
function dimer(a1: number, a2: number, tPar: number, tPerp: number): { par: number; perp: number } {
  // mu1 = a1 (E + t mu2), mu2 = a2 (E + t mu1)  =>  mu1 + mu2 = (a1 + a2 + 2 t a1 a2) E / (1 - t^2 a1 a2)
  const total = (t: number) => (a1 + a2 + 2 * t * a1 * a2) / (1 - t * t * a1 * a2);
  return { par: total(tPar), perp: total(tPerp) };
}

function thole(r: number, a1: number, a2: number): { l3: number; l5: number } {
  const s = (THOLE_A * r ** 3) / Math.sqrt(a1 * a2);
  return { l3: 1 - Math.exp(-s), l5: 1 - (1 + s) * Math.exp(-s) };
}

const DIRECTION = [0.36, -0.48, 0.8]; // a unit vector, off every axis

describe('Thole-damped Applequist model (scripts/induction-data.py)', () => {
  it('one atom: alpha_tot = alpha I, damped or not', () => {
    const out = python(`print(json.dumps({s: [m.polarizability(np.array([[0.3, -1.2, 2.0]]), np.array([a]), d)[0].ravel().tolist()
  for d in (True, False)] for s, a in m.ALPHA.items()}))`);
    expect(Object.keys(out).sort()).toEqual(['Ar', 'Kr', 'Xe']);
    for (const [s, tensors] of Object.entries(out) as Array<[string, number[][]]>) {
      for (const t of tensors) expect(relativeError(t, uniaxial([1, 0, 0], ALPHA[s], ALPHA[s]))).toBeLessThan(1e-15);
    }
  });

  it("two atoms without damping: Applequist's alpha_par = 2a/(1 - 2a/r^3), alpha_perp = 2a/(1 + a/r^3) to 1e-12", () => {
    const distances = [3.3, 4, 6, 10];
    const out = python(
      `n = np.array(${JSON.stringify(DIRECTION)})
print(json.dumps([[m.polarizability(np.array([[1.0, 2.0, -0.5], [1.0, 2.0, -0.5] + r * n]), np.array([a1, a2]), False)[0].ravel().tolist()
  for r in ${JSON.stringify(distances)}] for a1, a2 in ((4.04, 4.04), (1.64, 1.64), (1.64, 4.04))]))`,
    );
    const pairs = [[4.04, 4.04], [1.64, 1.64], [1.64, 4.04]];
    pairs.forEach(([a1, a2], p) => {
      distances.forEach((r, k) => {
        const r3 = r ** 3;
        const expected = a1 === a2
          ? { par: (2 * a1) / (1 - (2 * a1) / r3), perp: (2 * a1) / (1 + a1 / r3) }
          : dimer(a1, a2, 2 / r3, -1 / r3);
        expect(relativeError(out[p][k], uniaxial(DIRECTION, expected.par, expected.perp))).toBeLessThan(1e-12);
      });
    });
  });

  it('two atoms with Thole damping: the damped closed form to 1e-12, the undamped one at large r', () => {
    const distances = [1, 2, 3, 3.5, 4, 5, 6, 8, 12];
    const out = python(
      `n = np.array(${JSON.stringify(DIRECTION)})
print(json.dumps([[m.polarizability(np.array([[0.0, 0.0, 0.0], r * n]), np.array([a1, a2]), True)[0].ravel().tolist()
  for r in ${JSON.stringify(distances)}] for a1, a2 in ((4.04, 4.04), (1.64, 2.48))]))`,
    );
    const pairs = [[4.04, 4.04], [1.64, 2.48]];
    pairs.forEach(([a1, a2], p) => {
      const gap: number[] = [];
      distances.forEach((r, k) => {
        const { l3, l5 } = thole(r, a1, a2);
        const damped = dimer(a1, a2, (3 * l5 - l3) / r ** 3, -l3 / r ** 3);
        expect(relativeError(out[p][k], uniaxial(DIRECTION, damped.par, damped.perp))).toBeLessThan(1e-12);
        const bare = dimer(a1, a2, 2 / r ** 3, -1 / r ** 3);
        // Below (4 a1 a2)^(1/6) (~2.5 A for Xe-Xe) the bare model has no finite answer.
        if (1 - (4 * a1 * a2) / r ** 6 > 0) gap.push(relativeError(out[p][k], uniaxial(DIRECTION, bare.par, bare.perp)));
        else gap.push(Infinity);
      });
      // Damping matters at contact, fades with distance, vanishes far away.
      expect(gap[distances.indexOf(3)]).toBeGreaterThan(1e-3);
      for (let k = distances.indexOf(3); k + 1 < distances.length; k++) expect(gap[k + 1]).toBeLessThanOrEqual(gap[k] + 1e-15); // + rounding
      expect(gap[distances.indexOf(6)]).toBeLessThan(1e-7);
      expect(gap[distances.indexOf(12)]).toBeLessThan(1e-14);
    });
  });

  it('close pairs: damped stays positive definite, undamped hits the polarisation catastrophe', () => {
    const out = python(`x = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.5]]); a = np.array([4.04, 4.04])
res = {"damped": np.linalg.eigvalsh(m.polarizability(x, a, True)[0]).tolist()}
try:
    m.polarizability(x, a, False); res["undamped"] = "solved"
except np.linalg.LinAlgError as e:
    res["undamped"] = "LinAlgError"
print(json.dumps(res))`);
    expect(Math.min(...out.damped)).toBeGreaterThan(0);
    expect(out.undamped).toBe('LinAlgError');
  });

  it('alpha_tot(R x) = R alpha_tot R^T to 1e-12; invariant under translation and atom order; per-atom parts sum to it', () => {
    const out = python(`rng = np.random.default_rng(5)
symbols, x, _ = m.make_cluster(rng, 40, "disk")
a = np.array([m.ALPHA[s] for s in symbols])
R = m.random_rotation(rng)
p = rng.permutation(len(a))
ref, mu = m.polarizability(x, a)
print(json.dumps({"R": R.ravel().tolist(), "ref": ref.ravel().tolist(), "sum": mu.sum(axis=0).ravel().tolist(),
  "rot": m.polarizability(x @ R.T, a)[0].ravel().tolist(),
  "moved": m.polarizability(x + np.array([7.5, -3.0, 11.0]), a)[0].ravel().tolist(),
  "perm": m.polarizability(x[p], a[p])[0].ravel().tolist()}))`);
    const { R, ref } = out as { R: number[]; ref: number[] };
    const expected: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) s += R[3 * i + k] * ref[3 * k + l] * R[3 * j + l];
        expected.push(s);
      }
    }
    // Not a trivially isotropic tensor (else the rotation test would be empty).
    expect(Math.abs(ref[1]) + Math.abs(ref[2]) + Math.abs(ref[5])).toBeGreaterThan(0.01 * ref[0]);
    expect(relativeError(out.rot, expected)).toBeLessThan(1e-12);
    expect(relativeError(out.moved, ref)).toBeLessThan(1e-12);
    expect(relativeError(out.perm, ref)).toBeLessThan(1e-12);
    expect(relativeError(out.sum, ref)).toBeLessThan(1e-12);
  });
});

describe('data/induction-clusters.xyz', () => {
  const frames = readExtxyz(DATA);
  const tensor = (f: ExtxyzFrame) => f.info.polarizability as number[];

  it('399 cluster frames: labels, species, distances', () => {
    expect(frames.length).toBe(399);
    const count: Record<string, number> = {};
    for (const f of frames) {
      const n = f.symbols.length;
      expect(f.cell).toBeNull();
      expect(f.pbc).toEqual([false, false, false]);
      expect(f.info.size).toBe(n);
      expect(['sphere', 'rod', 'disk']).toContain(f.info.shape);
      expect(f.info.set).toBe(n <= 40 ? 'train' : 'test');
      expect(n <= 40 ? n >= 4 : n >= 60 && n <= 150).toBe(true);
      for (const s of f.symbols) expect(ALPHA[s]).toBeDefined();
      count[`${f.info.set} ${f.info.shape}`] = (count[`${f.info.set} ${f.info.shape}`] ?? 0) + 1;
      let closest = Infinity;
      const x = f.positions;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          closest = Math.min(closest, Math.hypot(x[3 * i] - x[3 * j], x[3 * i + 1] - x[3 * j + 1], x[3 * i + 2] - x[3 * j + 2]));
        }
      }
      expect(closest).toBeGreaterThanOrEqual(3.3);
    }
    for (const shape of ['sphere', 'rod', 'disk']) {
      expect(count[`train ${shape}`]).toBe(100);
      expect(count[`test ${shape}`]).toBe(33);
    }
  });

  it('every tensor is symmetric positive definite; per-atom isotropic parts sum to tr/3', () => {
    for (const f of frames) {
      const t = tensor(f);
      expect(t).toHaveLength(9);
      expect([t[1], t[2], t[5]]).toEqual([t[3], t[6], t[7]]);
      // Sylvester: leading principal minors positive.
      const m2 = t[0] * t[4] - t[1] * t[3];
      const m3 = t[0] * (t[4] * t[8] - t[5] * t[7]) - t[1] * (t[3] * t[8] - t[5] * t[6]) + t[2] * (t[3] * t[7] - t[4] * t[6]);
      expect(t[0]).toBeGreaterThan(0);
      expect(m2).toBeGreaterThan(0);
      expect(m3).toBeGreaterThan(0);
      const atoms = f.arrays.polarizability_atom as Float64Array;
      const iso = (t[0] + t[4] + t[8]) / 3;
      expect(Math.abs(atoms.reduce((s, v) => s + v, 0) - iso)).toBeLessThan(1e-8 * iso);
      // Collective response stays within 20 % of the free atoms' sum here.
      const free = f.symbols.reduce((s, e) => s + ALPHA[e], 0);
      expect(Math.abs(iso / free - 1)).toBeLessThan(0.2);
    }
  });

  it('depolarisation: rods respond most along their axis, disks least along their normal', () => {
    // Principal axes of alpha_tot against those of the cluster's gyration tensor.
    const out = python(`from ase.io import read
res = []
for a in read(sys.argv[1], ":"):
    x = a.positions - a.positions.mean(axis=0)
    g = np.linalg.eigh(x.T @ x)[1]
    w, v = np.linalg.eigh(a.info["polarizability"].reshape(3, 3))
    res.append({"shape": a.info["shape"], "set": a.info["set"], "anisotropy": (w[2] - w[0]) / w.mean(),
      "cos_long": abs(v[:, 2] @ g[:, 2]), "cos_short": abs(v[:, 0] @ g[:, 0])})
print(json.dumps(res))`, DATA);
    const large = (out as any[]).filter((r) => r.set === 'test');
    const mean = (shape: string) => large.filter((r) => r.shape === shape).reduce((s, r) => s + r.anisotropy, 0) / 33;
    for (const r of large) {
      if (r.shape === 'rod') expect(r.cos_long).toBeGreaterThan(0.95);
      if (r.shape === 'disk') expect(r.cos_short).toBeGreaterThan(0.95);
    }
    expect(mean('rod')).toBeGreaterThan(5 * mean('sphere'));
    expect(mean('disk')).toBeGreaterThan(5 * mean('sphere'));
  });

  it('ASE reads the same tensors', () => {
    const out = python(`from ase.io import read
print(json.dumps([a.info["polarizability"].tolist() for a in read(sys.argv[1], ":")]))`, DATA);
    expect(out).toHaveLength(frames.length);
    frames.forEach((f, k) => expect(out[k]).toEqual(tensor(f)));
  });

  it('regenerates from the script with its default seed', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lodestone-induction-')), 'clusters.xyz');
    const start = Date.now();
    const run = spawnSync(PYTHON, [SCRIPT, '--out', path], { encoding: 'utf8', cwd: ROOT });
    if (run.status !== 0) throw new Error(`induction-data.py failed (${run.status}): ${run.stderr || run.error}`);
    expect(Date.now() - start).toBeLessThan(20_000);
    expect(run.stdout).toMatch(/iso\/free/);
    const again = readExtxyz(path);
    expect(again.length).toBe(frames.length);
    frames.forEach((f, k) => {
      const g = again[k];
      expect(g.symbols).toEqual(f.symbols);
      expect(g.positions).toEqual(f.positions);
      const { polarizability: p, ...labels } = f.info;
      const { polarizability: q, ...labelsAgain } = g.info;
      expect(labelsAgain).toEqual(labels);
      // LAPACK may round differently on another machine: numbers, not text.
      expect(relativeError(q as number[], p as number[])).toBeLessThan(1e-9);
      expect(relativeError(g.arrays.polarizability_atom as Float64Array, f.arrays.polarizability_atom as Float64Array)).toBeLessThan(1e-9);
    });
  });
});
