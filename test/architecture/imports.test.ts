// The import graph of lib/: no cycles, nothing outside lib/, and layers that
// point one way (docs/design.md). madge resolves the `.js` specifiers to the
// `.ts` sources through tsconfig.json and counts `import type` edges too: a
// type-only cycle still ties the modules together for a reader.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Lower layers never import higher ones; a folder may import its own files
 * and any lower layer. A new folder under lib/ has to be placed here (and in
 * docs/design.md) before its imports pass.
 */
const LAYERS: Record<string, number> = {
  native: 0,
  core: 1,
  io: 1,
  plot: 1,
  structures: 2,
  features: 2,
  longrange: 2,
  model: 3,
  md: 4,
  ipi: 4,
  cli: 5,
  'index.ts': 6,
};

function layerOf(file: string): string {
  // lib/index.ts is its own layer, every other file belongs to its folder.
  return file.split('/')[1];
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

describe('lib/ import graph', () => {
  let graph: Record<string, string[]>;
  let cycles: string[][];
  let skipped: string[];

  beforeAll(async () => {
    const result = await madge(join(ROOT, 'lib'), {
      baseDir: ROOT,
      fileExtensions: ['ts'],
      tsConfig: join(ROOT, 'tsconfig.json'),
    });
    graph = result.obj();
    cycles = result.circular();
    skipped = result.warnings().skipped;
  }, 60_000);

  it('resolves every import of every source file (an unresolved one would hide its edges)', () => {
    expect(skipped).toEqual([]);
    const inLib = Object.keys(graph).filter((f) => f.startsWith('lib/')).sort();
    expect(inLib).toEqual(sources(join(ROOT, 'lib')));
  });

  it('has no import cycles', () => {
    expect(cycles.map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('never imports anything outside lib/ (plugins/, test/, bench/, examples/)', () => {
    const outside = Object.entries(graph)
      .filter(([file]) => file.startsWith('lib/'))
      .flatMap(([file, deps]) => deps.filter((d) => !d.startsWith('lib/')).map((d) => `${file} -> ${d}`));
    expect(outside).toEqual([]);
  });

  it('imports only its own folder or lower layers', () => {
    const upward: string[] = [];
    for (const [file, deps] of Object.entries(graph)) {
      if (!file.startsWith('lib/')) continue;
      const from = layerOf(file);
      if (!(from in LAYERS)) {
        upward.push(`${file}: folder '${from}' has no layer in test/architecture/imports.test.ts`);
        continue;
      }
      for (const dep of deps.filter((d) => d.startsWith('lib/'))) {
        const to = layerOf(dep);
        if (to !== from && !(LAYERS[to] < LAYERS[from])) upward.push(`${file} -> ${dep}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
