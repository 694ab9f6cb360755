// The fits' dense kernels (native/src/math/dense.hpp: blocked Cholesky,
// rank-k update of the upper triangle) against Eigen's LLT and rankUpdate on
// the same matrices, per size, instruction set and thread count: median
// milliseconds and GFlop/s. Builds and runs native/bench/dense_bench.cpp
// with plain CMake, as bench/fft.ts does.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Row } from './support/table.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const buildDir = `${root}build-bench`;

export function run(quick: boolean): Row[] {
  execFileSync('cmake', ['-S', root, '-B', buildDir, '-DLODESTONE_BUILD_BENCH=ON', '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'pipe' });
  execFileSync('cmake', ['--build', buildDir, '--target', 'lodestone_dense_bench', '-j2'], { stdio: 'pipe' });
  const out = execFileSync(`${buildDir}/lodestone_dense_bench`, quick ? ['--quick'] : [], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);
}
