// The native benchmark programs (native/bench/*.cpp): configured and built
// with plain CMake in build-bench/ (as test/native/native-core.test.ts
// builds the C++ tests), run, and their one-JSON-row-per-line output read.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Row } from './table.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const buildDir = `${root}build-bench`;

export function runNativeBench(target: string, quick: boolean): Row[] {
  execFileSync('cmake', ['-S', root, '-B', buildDir, '-DLODESTONE_BUILD_BENCH=ON', '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'pipe' });
  execFileSync('cmake', ['--build', buildDir, '--target', target, '-j2'], { stdio: 'pipe' });
  const out = execFileSync(`${buildDir}/${target}`, quick ? ['--quick'] : [], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);
}
