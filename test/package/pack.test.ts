// The package as another project gets it: `npm pack`, then `npm install
// --offline <tarball>` into an empty project (the addon is built there from
// the shipped sources with npm's own node-gyp: one native build, the slow
// part of this test), then the CLI through npx, an `import ... from
// 'lodestone'` script, and a tiny fit and eval whose numbers must equal the
// ones of this checkout.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, readExtxyz } from '../../lib/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = 'npm';

/** The environment without the npm_* variables of the `npm test` that runs us (npm_config_prefix would redirect installs). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

function sh(command: string, args: string[], cwd: string, timeout = 120_000): { code: number | null; out: string; err: string } {
  const run = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout });
  return { code: run.status, out: run.stdout, err: run.stderr + (run.error ? String(run.error) : '') };
}

describe('npm pack, then npm install --offline in an empty project', () => {
  const work = mkdtempSync(join(tmpdir(), 'lodestone-pack-'));
  const project = join(work, 'project');
  let tarball = '';
  let install: ReturnType<typeof sh>;

  beforeAll(() => {
    execFileSync(NPM, ['pack', '--pack-destination', work], { cwd: ROOT, env: cleanEnv(), stdio: 'pipe' });
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    install = sh(NPM, ['install', '--offline', '--no-audit', '--no-fund', tarball], project, 900_000);
  }, 900_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs offline (dependencies bundled, addon built)', () => {
    expect(install.err).not.toMatch(/npm error/);
    expect(install.code).toBe(0);
  });

  it('npx lodestone --help', () => {
    const help = sh('npx', ['--offline', 'lodestone', '--help'], project);
    expect(help.err).toBe('');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: lodestone COMMAND/);
    expect(help.out).toMatch(/\n\s+fit\s/);
  });

  it("a tiny fit and eval with the CLI, and a script importing from 'lodestone', agree with this checkout", () => {
    const data = join(project, 'node_modules/lodestone/data/nacl-melt-64.xyz');
    const fit = sh('npx', ['--offline', 'lodestone', 'fit', data, '--features', 'local', '--max-radial', '2', '--max-angular', '2', '--frames', '6', '--folds', '2', '--out', 'tiny.lsm'], project, 300_000);
    expect(fit.err).not.toMatch(/lodestone fit:/);
    expect(fit.code).toBe(0);
    expect(fit.out).toMatch(/model written to tiny\.lsm/);
    const evaluation = sh('npx', ['--offline', 'lodestone', 'eval', 'tiny.lsm', data, '--quiet'], project, 300_000);
    expect(evaluation.code).toBe(0);
    expect(evaluation.out).toMatch(/\| energy \(meV\/atom\) \|/);

    writeFileSync(join(project, 'use.mjs'), [
      "import { loadModel, readExtxyz } from 'lodestone';",
      `const [frame] = readExtxyz(${JSON.stringify(data)});`,
      "const { energy, forces } = loadModel('tiny.lsm').model.compute(frame);",
      'console.log(JSON.stringify({ energy, force: forces[0] }));',
    ].join('\n'));
    const script = sh(process.execPath, ['use.mjs'], project);
    expect(script.err).toBe('');
    expect(script.code).toBe(0);
    const [frame] = readExtxyz(join(ROOT, 'data/nacl-melt-64.xyz'));
    const here = loadModel(join(project, 'tiny.lsm')).model.compute(frame);
    const there = JSON.parse(script.out);
    expect(Math.abs(there.energy - here.energy)).toBeLessThan(1e-9 * Math.abs(here.energy));
    expect(Math.abs(there.force - here.forces![0])).toBeLessThan(1e-9);
  }, 600_000);
});
