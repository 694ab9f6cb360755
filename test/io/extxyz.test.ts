import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iterateExtxyz, parseExtxyz, readExtxyz, writeExtxyz, type Frame } from '../../lib/io/extxyz.js';
import { DATA_DIR } from '../support/reference.js';

const ase = `3
Lattice="5.0 0.0 0.0 0.0 5.5 0.0 0.1 0.0 6.0"   Properties=species:S:1:pos:R:3:tags:I:1:fixed:L:1:label:S:1:forces:R:3 energy=-12.5 stress="1 2 3 4 5 6 7 8 9" name="water box" flag pbc="T T F"
O\t0.0   0.0 0.0   0 F a   0.1 0.2 0.3
H  0.757 0.586 0.0 1 T b  -0.1 0 0
H -0.757 0.586 0.0 2 F c 0 -0.2 -0.3   

`;

describe('extended XYZ', () => {
  it('parses ASE-style files with odd spacing and extra columns', () => {
    const [frame] = parseExtxyz(ase, 'ase.xyz');
    expect(Array.from(frame.types)).toEqual([8, 1, 1]);
    expect(frame.symbols).toEqual(['O', 'H', 'H']);
    expect(Array.from(frame.cell!)).toEqual([5, 0, 0, 0, 5.5, 0, 0.1, 0, 6]);
    expect(frame.pbc).toEqual([true, true, false]);
    expect(frame.info).toEqual({ energy: -12.5, stress: [1, 2, 3, 4, 5, 6, 7, 8, 9], name: 'water box', flag: true });
    expect(Array.from(frame.arrays.tags as Int32Array)).toEqual([0, 1, 2]);
    expect(frame.arrays.fixed).toEqual([false, true, false]);
    expect(frame.arrays.label).toEqual(['a', 'b', 'c']);
    expect(Array.from(frame.arrays.forces as Float64Array)).toEqual([0.1, 0.2, 0.3, -0.1, 0, 0, 0, -0.2, -0.3]);
    expect(frame.positions[3]).toBe(0.757);
  });

  it('defaults: no Properties means species + pos; Lattice without pbc means periodic', () => {
    const [a, b] = parseExtxyz('1\nLattice="2 0 0 0 2 0 0 0 2"\nNa 0 0 0\n2\n\nCl 0 0 0\n17 1 1 1\n');
    expect(a.pbc).toEqual([true, true, true]);
    expect(b.cell).toBeNull();
    expect(b.pbc).toEqual([false, false, false]);
    expect(Array.from(b.types)).toEqual([17, 17]);
  });

  it('round-trips bit for bit', () => {
    const frames = parseExtxyz(ase, 'ase.xyz');
    frames[0].positions[0] = Math.PI / 3;
    (frames[0].arrays.forces as Float64Array)[4] = 1 / 7;
    frames[0].info.energy = -0.1 - 0.2;
    const back = parseExtxyz(writeExtxyz(frames), 'back.xyz');
    expect(back).toEqual(frames);
    expect(Object.is(back[0].positions[0], Math.PI / 3)).toBe(true);
  });

  it('reads the shipped NaCl data, whole and streamed', async () => {
    const path = `${DATA_DIR}nacl-melt-64.xyz`;
    const frames = readExtxyz(path);
    expect(frames.length).toBe(300);
    for (const f of frames) {
      expect(f.types.length).toBe(64);
      expect((f.arrays.forces as Float64Array).length).toBe(3 * 64);
      expect(typeof f.info.energy).toBe('number');
      expect(f.cell![0]).toBeCloseTo(12.6, 10);
    }
    let k = 0;
    for await (const f of iterateExtxyz(path)) expect(f).toEqual(frames[k++]);
    expect(k).toBe(300);
    const dimers = readExtxyz(`${DATA_DIR}nacl-dimers.xyz`);
    expect(dimers.length).toBe(400);
    expect(dimers.every((f) => f.cell === null && typeof f.info.separation === 'number')).toBe(true);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['count', 'x\n\nH 0 0 0\n', /bad.xyz:1: expected the number of atoms/],
    ['columns', '2\nProperties=species:S:1:pos:R:3\nH 0 0 0\nH 0 0\n', /bad.xyz:4: expected 4 columns \(species:S:1 pos:R:3\), found 3/],
    ['truncated', '3\n\nH 0 0 0\nH 1 0 0\n', /bad.xyz:5: truncated frame: expected 3 atom lines, found 2/],
    ['number', '1\n\nH 0 zero 0\n', /bad.xyz:3: pos: expected a finite number, got "zero"/],
    ['nan', '1\n\nH 0 NaN 0\n', /bad.xyz:3: pos: expected a finite number/],
    ['lattice', '1\nLattice="1 0 0 0 1"\nH 0 0 0\n', /bad.xyz:2: Lattice: expected 9 numbers/],
    ['type', '1\nProperties=species:S:1:pos:Q:3\nH 0 0 0\n', /bad.xyz:2: Properties: unknown type "Q"/],
    ['symbol', '1\n\nXx 0 0 0\n', /bad.xyz:3: unknown chemical symbol "Xx"/],
    ['quote', '1\nname="open\nH 0 0 0\n', /bad.xyz:2: unterminated " quote/],
  ];
  it.each(bad)('reports malformed input (%s) with its line number', (_, text, message) => {
    expect(() => parseExtxyz(text, 'bad.xyz')).toThrow(message);
  });

  it('streaming reports errors with file line numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-xyz-'));
    const path = join(dir, 'broken.xyz');
    writeFileSync(path, '1\n\nH 0 0 0\n2\n\nH 0 0 0\nH 1 1\n');
    const read = async () => {
      const out: Frame[] = [];
      for await (const f of iterateExtxyz(path)) out.push(f);
      return out;
    };
    await expect(read()).rejects.toThrow(/broken.xyz:7: expected 4 columns/);
  });
});
