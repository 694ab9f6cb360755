// vitest globalSetup: compiles lib/ into dist/ once per run, so the tests that
// use the package as a user does (README snippets importing 'lodestone', the
// packed tarball) see the sources under test, not an older build.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  rmSync(join(root, 'dist'), { recursive: true, force: true }); // no outputs of deleted sources
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
}
