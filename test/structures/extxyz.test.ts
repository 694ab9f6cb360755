// The public extended-XYZ API: frames are Systems, ASE's conventions
// (momenta, Voigt or 3x3 stress, energy, free_energy, forces, pbc) map to
// typed fields, writing and reading back is exact, and bad input is named.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createState,
  formatExtxyz,
  iterateExtxyz,
  parseExtxyz,
  readExtxyz,
  SoapPowerSpectrum,
  writeExtxyz,
  type ExtxyzFrame,
} from '../../lib/index.js';

const DATA = join(import.meta.dirname, '../../data/nacl-melt-64.xyz');
const dir = mkdtempSync(join(tmpdir(), 'lodestone-extxyz-'));

// ASE's time unit A sqrt(amu/eV) from CODATA 2018 directly: 10.1805 fs.
const ASE_TIME_FS = 1e-10 * Math.sqrt(1.66053906660e-27 / 1.602176634e-19) * 1e15;

const water = `3
Properties=species:S:1:pos:R:3:momenta:R:3:forces:R:3 energy=-14.5 free_energy=-14.6 stress="1 2 3 4 5 6" pbc="F F F" note="two words"
O 0 0 0 0.1 0 0 1 2 3
H 0.757 0.586 0 0 0.2 0 4 5 6
H -0.757 0.586 0 0 0 0.3 7 8 9
`;

describe('readExtxyz and friends', () => {
  it('reads the shipped data as frames usable as Systems, with energy and forces as fields', () => {
    const frames = readExtxyz(DATA);
    expect(frames.length).toBe(300);
    const f = frames[0];
    expect(f.energy).toBeTypeOf('number');
    expect(f.forces!.length).toBe(3 * f.types.length);
    expect('energy' in f.info).toBe(false);
    expect('forces' in f.arrays).toBe(false);
    // A frame is a System for every calculator (it was rejected as "system.symbols: unknown field").
    const soap = new SoapPowerSpectrum({
      cutoff: { radius: 3, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
      density: { type: 'Gaussian', width: 0.3 },
      basis: { type: 'TensorProduct', max_angular: 1, radial: { type: 'Gto', max_radial: 1 } },
    });
    expect(soap.compute(f).shape[0]).toBe(64);
    expect(createState(f).positions).toEqual(f.positions);
  });

  it("maps ASE's momenta (amu A per ASE time unit) to velocities in A/fs, and Voigt stress to 3x3", () => {
    const [f] = parseExtxyz(water, 'water.xyz');
    const masses = createState(f).masses;
    expect(f.velocities![0]).toBeCloseTo(0.1 / masses[0] / ASE_TIME_FS, 15);
    expect(f.velocities![4]).toBeCloseTo(0.2 / masses[1] / ASE_TIME_FS, 15);
    expect(f.velocities![8]).toBeCloseTo(0.3 / masses[2] / ASE_TIME_FS, 15);
    expect(Array.from(f.stress!)).toEqual([1, 6, 5, 6, 2, 4, 5, 4, 3]);
    expect(f.energy).toBe(-14.5);
    expect(f.freeEnergy).toBe(-14.6);
    expect(Array.from(f.forces!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(f.pbc).toEqual([false, false, false]);
    expect(f.info).toEqual({ note: 'two words' });
  });

  it('uses a masses column for the momenta when the file has one', () => {
    const text = water.replace('momenta:R:3', 'masses:R:1:momenta:R:3').replace('O 0 0 0 ', 'O 0 0 0 2 ').replace(/^H (\S+ \S+ \S+) /gm, 'H $1 4 ');
    const [f] = parseExtxyz(text, 'heavy.xyz');
    expect(Array.from(f.masses!)).toEqual([2, 4, 4]);
    expect(f.velocities![0]).toBeCloseTo(0.1 / 2 / ASE_TIME_FS, 15);
  });

  it('writes and reads back every field bit for bit, and iterates frames one by one', async () => {
    const [start] = readExtxyz(DATA);
    const state = createState(start, { temperature: 1200, seed: 3 });
    const frames = [0, 1].map((k) => ({
      ...start,
      energy: -238 - k,
      freeEnergy: -238.5,
      stress: [k, 2, 3, 4, 5, 6],
      energies: Float64Array.from(start.types, (_, i) => i / 7),
      velocities: state.velocities,
      info: { step: k, temperature: 1200, label: 'a b' },
      arrays: { tag: Int32Array.from(start.types, (_, i) => i) },
    }));
    const path = join(dir, 'round-trip.xyz');
    writeExtxyz(path, frames);
    const back = readExtxyz(path);
    const streamed: ExtxyzFrame[] = [];
    for await (const f of iterateExtxyz(path)) streamed.push(f);
    expect(streamed).toEqual(back);
    expect(back[1].energy).toBe(-239);
    expect(back[1].freeEnergy).toBe(-238.5);
    expect(Array.from(back[1].stress!)).toEqual([1, 6, 5, 6, 2, 4, 5, 4, 3]);
    expect(back[0].velocities).toEqual(state.velocities);
    expect(back[0].forces).toEqual(start.forces);
    expect(back[0].positions).toEqual(start.positions);
    expect(back[0].cell).toEqual(start.cell);
    expect(back[0].energies).toEqual(frames[0].energies);
    expect(back[0].info).toEqual({ step: 0, temperature: 1200, label: 'a b' });
    expect(back[0].arrays.tag).toEqual(frames[0].arrays.tag);
    // The momenta column ASE reads agrees with the velocities written next to it.
    const header = readFileSync(path, 'utf8').split('\n')[1];
    expect(header).toMatch(/momenta:R:3/);
    writeExtxyz(path, frames[0], { append: true });
    expect(readExtxyz(path).length).toBe(3);
    expect(formatExtxyz(frames[0])).toBe(readFileSync(path, 'utf8').split('\n').slice(-67).join('\n'));
  });

  it('fails loudly on what it cannot represent or read', () => {
    const [f] = parseExtxyz(water, 'water.xyz');
    const bad: Array<[unknown, RegExp]> = [
      [{ ...f, stress: [1, 2, 3] }, /frame\.stress: expected 9 numbers/],
      [{ ...f, forces: [1, 2] }, /frame\.forces: expected 9 numbers \(eV\/A, 3 per atom\), got 2/],
      [{ ...f, velocities: [NaN, 0, 0, 0, 0, 0, 0, 0, 0] }, /frame\.velocities\[0\]: expected a finite number/],
      [{ ...f, energy: Infinity }, /frame\.energy: expected a finite number/],
      [{ ...f, info: { energy: 1 } }, /frame\.info\.energy: give it as the frame's energy field/],
      [{ ...f, arrays: { momenta: new Float64Array(9) } }, /frame\.arrays\.momenta: give it as the frame's velocities field/],
      [{ ...f, cel: [1] }, /frame\.cel: unknown field/],
    ];
    for (const [input, message] of bad) expect(() => formatExtxyz(input as ExtxyzFrame)).toThrow(message);
    expect(() => parseExtxyz(water.replace('stress="1 2 3 4 5 6"', 'stress="1 2 3"'), 'w.xyz')).toThrow(/w\.xyz: frame 0: stress: expected 6 \(Voigt xx yy zz yz xz xy\) or 9/);
    expect(() => parseExtxyz(water.replace('energy=-14.5', 'energy=abc'), 'w.xyz')).toThrow(/w\.xyz: frame 0: energy: expected a number \(eV\), got "abc"/);
    expect(() => parseExtxyz(water.replace('forces:R:3', 'forces:R:1:x:R:2'), 'w.xyz')).toThrow(/column forces: expected forces:R:3/);
    const stale = water.replace('forces:R:3', 'forces:R:3:velocities:R:3').replace(/^(O|H)( .*)$/gm, '$1$2 1 1 1');
    expect(() => parseExtxyz(stale, 'w.xyz')).toThrow(/velocities column \(A\/fs\) and the momenta column disagree at atom 0/);
    expect(() => writeExtxyz(join(dir, 'missing', 'x.xyz'), f)).toThrow(/writeExtxyz: cannot write .*missing\/x\.xyz/);
    writeFileSync(join(dir, 'empty.xyz'), '');
    expect(readExtxyz(join(dir, 'empty.xyz'))).toEqual([]);
  });
});
