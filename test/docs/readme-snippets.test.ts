// Every fenced ```ts block of README.md and plugins/*/README.md is a complete
// program: type-checked against the package's published types and run with
// tsx as a user would, importing 'lodestone' (the package's self-reference
// through `exports`, so dist/ is built first: test/support/build-dist.ts).
// Each runs in a scratch directory holding links to data/ and plugins/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = '/usr/bin/python3';
const haveAse = spawnSync(PYTHON, ['-c', 'import ase.calculators.socketio'], { encoding: 'utf8' }).status === 0;
const required = process.env.LODESTONE_REQUIRE_ENGINES === '1';

interface Snippet {
  name: string;
  file: string;
  code: string;
}

function snippetsOf(readme: string): Snippet[] {
  const text = readFileSync(join(ROOT, readme), 'utf8');
  const out: Snippet[] = [];
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, match.index).split('\n').length;
    out.push({ name: `${readme}:${line}`, file: `${readme.replace(/[/.]/g, '-')}-${line}.ts`, code: match[1] });
  }
  return out;
}

const readmes = ['README.md', ...readdirSync(join(ROOT, 'plugins')).map((p) => `plugins/${p}/README.md`).filter((p) => {
  try {
    readFileSync(join(ROOT, p));
    return true;
  } catch {
    return false;
  }
})];
const snippets = readmes.flatMap(snippetsOf);

// Inside the package, so that 'lodestone' resolves to it; ignored by git.
const sources = mkdtempSync(join(ROOT, '.snippets-'));
const cwd = mkdtempSync(join(tmpdir(), 'lodestone-snippets-'));
for (const link of ['data', 'plugins']) symlinkSync(join(ROOT, link), join(cwd, link));
for (const s of snippets) writeFileSync(join(sources, s.file), s.code);
afterAll(() => {
  rmSync(sources, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

describe('README snippets', () => {
  it('exist: the README has several and the i-PI README one', () => {
    expect(snippets.filter((s) => s.name.startsWith('README.md')).length).toBeGreaterThanOrEqual(5);
    expect(snippets.some((s) => s.name.startsWith('plugins/ipi/'))).toBe(true);
  });

  it('type-check against the published types (strict)', () => {
    const config = join(sources, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({
      extends: relative(sources, join(ROOT, 'tsconfig.json')),
      compilerOptions: { noEmit: true, rootDir: '.', noUnusedLocals: false },
      include: ['*.ts'],
    }));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], { cwd: ROOT, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);

  for (const s of snippets) {
    const needsAse = s.code.includes('ase_nve.py');
    if (needsAse && !haveAse && !required) {
      console.warn(`\n*** SKIPPED ${s.name}: ${PYTHON} cannot import ase (install python3-ase)\n`);
      it.skip(`${s.name} runs as written`, () => {});
      continue;
    }
    it(`${s.name} runs as written`, () => {
      mkdirSync(cwd, { recursive: true });
      const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(sources, s.file)], {
        cwd,
        encoding: 'utf8',
        timeout: 180_000,
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      });
      if (run.status !== 0) console.error(`${s.name}:\n${run.stdout}\n${run.stderr}`);
      expect(run.stderr).not.toMatch(/Error/);
      expect(run.status).toBe(0);
    }, 200_000);
  }
});
