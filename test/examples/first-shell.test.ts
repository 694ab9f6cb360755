// The structure numbers `npm start` reports instead of the g(r) peak bin:
// first-shell distance and coordination number, with block-average errors.
import { describe, expect, it } from 'vitest';
import { readExtxyz } from '../../lib/index.js';
import { blockAverage, firstShell } from '../../examples/support/first-shell.js';
import { rockSalt } from '../../examples/support/structures.js';

describe('first shell', () => {
  it('rock salt: six neighbours at a/2', () => {
    const shell = firstShell(rockSalt(5.6, 3), 11, 17, 3.5);
    expect(shell.coordination).toBe(6);
    expect(shell.distance).toBeCloseTo(2.8, 12);
  });

  it('counts the same pairs as a search over all 27 images, in a triclinic cell', () => {
    const [frame] = readExtxyz(new URL('../../data/nacl-melt-64.xyz', import.meta.url).pathname);
    const cell = [12.6, 0, 0, 2.1, 12.3, 0, -1.4, 1.9, 12.0];
    // Same fractional coordinates in a sheared cell.
    const positions = new Float64Array(frame.positions.length);
    for (let i = 0; i < frame.types.length; i++) {
      const f = [0, 1, 2].map((k) => frame.positions[3 * i + k] / 12.6);
      for (let x = 0; x < 3; x++) positions[3 * i + x] = f[0] * cell[x] + f[1] * cell[3 + x] + f[2] * cell[6 + x];
    }
    const system = { positions, types: frame.types, cell };
    let pairs = 0, sum = 0, centres = 0;
    for (let i = 0; i < 64; i++) {
      if (frame.types[i] !== 11) continue;
      centres++;
      for (let j = 0; j < 64; j++) {
        if (frame.types[j] !== 17) continue;
        for (let n0 = -1; n0 <= 1; n0++) for (let n1 = -1; n1 <= 1; n1++) for (let n2 = -1; n2 <= 1; n2++) {
          const d = [0, 1, 2].map((x) => positions[3 * j + x] + n0 * cell[x] + n1 * cell[3 + x] + n2 * cell[6 + x] - positions[3 * i + x]);
          const r = Math.hypot(...d);
          if (r < 3.9) {
            pairs++;
            sum += r;
          }
        }
      }
    }
    const shell = firstShell(system, 11, 17, 3.9);
    expect(shell.coordination).toBe(pairs / centres);
    expect(shell.distance).toBeCloseTo(sum / pairs, 12);
    expect(() => firstShell(system, 11, 17, 6.5)).toThrow(/cutoff 6.5 A is not below half the smallest face distance/);
  });

  it('block averages: mean and the standard error of the block means', () => {
    const values = Array.from({ length: 40 }, (_, k) => (k < 20 ? 1 : 3));
    const { mean, error } = blockAverage(values, 4);
    expect(mean).toBe(2);
    // Block means 1, 1, 3, 3: sample variance 4/3, error sqrt(4/3 / 4).
    expect(error).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(() => blockAverage([1, 2, 3], 4)).toThrow(/too few/);
  });
});
