// Bounded mutation fuzzing of the extended-XYZ parser: whatever the bytes,
// the parser returns frames or throws an ExtxyzError naming a line — no other
// exception, no hang, no NaN slipping into positions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExtxyzError, parseExtxyz } from '../../lib/io/extxyz.js';
import { DATA_DIR } from '../support/reference.js';
import { rng } from '../support/random-systems.js';

const seedText = readFileSync(join(DATA_DIR, 'nacl-melt-64.xyz'), 'utf8').split('\n').slice(0, 2 * 66).join('\n') + '\n';
const tokens = [' ', '\n', '"', '=', ':', 'T', 'F', 'nan', 'inf', '-', '1e999', 'Properties=', 'Lattice="', 'R:3', 'S:1', '\t', '0', '99999999999'];

function mutate(text: string, random: () => number): string {
  const lines = text.split('\n');
  const steps = 1 + Math.floor(random() * 4);
  for (let s = 0; s < steps; s++) {
    const kind = Math.floor(random() * 6);
    const at = Math.floor(random() * lines.length);
    const line = lines[at] ?? '';
    const col = Math.floor(random() * (line.length + 1));
    if (kind === 0) lines[at] = line.slice(0, col) + tokens[Math.floor(random() * tokens.length)] + line.slice(col);
    else if (kind === 1) lines[at] = line.slice(0, col) + line.slice(col + 1 + Math.floor(random() * 8));
    else if (kind === 2) lines.splice(at, 1);
    else if (kind === 3) lines.splice(at, 0, line);
    else if (kind === 4) lines.length = Math.max(0, at);
    else lines[at] = line.slice(0, col) + String.fromCharCode(Math.floor(random() * 128)) + line.slice(col + 1);
  }
  return lines.join('\n');
}

describe('extxyz fuzzing', () => {
  it('either parses or throws a line-numbered ExtxyzError for 3000 mutated files', () => {
    const random = rng(20261125);
    let parsed = 0, rejected = 0;
    for (let k = 0; k < 3000; k++) {
      const text = mutate(seedText, random);
      try {
        const frames = parseExtxyz(text, 'fuzz.xyz');
        for (const f of frames) {
          expect(f.positions.length).toBe(3 * f.types.length);
          for (const v of f.positions) expect(Number.isFinite(v)).toBe(true);
        }
        parsed++;
      } catch (error) {
        if (!(error instanceof ExtxyzError)) throw new Error(`mutation ${k}: unexpected ${String(error)}\n${text.slice(0, 400)}`);
        expect((error as Error).message).toMatch(/fuzz\.xyz(:\d+)?/);
        rejected++;
      }
    }
    // Both outcomes must occur, or the mutations are not exercising the parser.
    expect(parsed).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(50);
  });
});
