// The i-PI example as the README runs it: i-PI reads every frame of its
// initialisation file as a bead, so the file input.xml names must hold one
// frame (the 300-frame data file became 300 beads rescaled to 8, at 1e5 K,
// with every process exiting 0), and the README's clients must be given the
// same file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExtxyz } from '../../lib/index.js';

const EXAMPLES = join(import.meta.dirname, '../../plugins/ipi/examples');
const xml = readFileSync(join(EXAMPLES, 'input.xml'), 'utf8');
const readme = readFileSync(join(import.meta.dirname, '../../plugins/ipi/README.md'), 'utf8');

describe('plugins/ipi/examples/input.xml', () => {
  const files = [...xml.matchAll(/<file\b[^>]*>\s*([^<\s]+)\s*<\/file>/g)].map((m) => m[1]);
  const beads = Number(/<initialize\s+nbeads="(\d+)"/.exec(xml)?.[1]);

  it('initialises from a single-frame file next to it', () => {
    expect(files.length).toBe(1);
    const frames = readExtxyz(join(EXAMPLES, files[0]));
    expect(frames.length).toBe(1);
    expect(frames[0].types.length).toBe(64);
    expect(frames[0].cell).not.toBeNull();
    expect(beads).toBe(8);
  });

  it('is well-formed XML as far as comments go (no "--" inside a comment)', () => {
    for (const [, body] of xml.matchAll(/<!--([\s\S]*?)-->/g)) expect(body).not.toContain('--');
  });

  it("the README's i-PI clients get the same structure file i-PI starts from", () => {
    const section = readme.slice(readme.indexOf('## i-PI, and scaling out'));
    const structures = [...section.matchAll(/--structure (\S+)/g)].map((m) => m[1]);
    expect(structures.length).toBeGreaterThan(0);
    for (const s of structures) expect(s).toBe(files[0]);
  });
});
