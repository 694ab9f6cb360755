// The native 3D real FFT used by the particle-mesh methods: forward (r2c)
// and inverse (c2r) median times in milliseconds, per grid and thread count.
// The addon exports no FFT, so this builds and runs the C++ program
// native/bench/fft_bench.cpp (plain CMake, as test/native/native-core.test.ts
// builds the C++ tests); the plan is built once per grid, as the mesh
// methods keep theirs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Row } from './support/table.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const buildDir = `${root}build-bench`;

export function run(quick: boolean): Row[] {
  execFileSync('cmake', ['-S', root, '-B', buildDir, '-DLODESTONE_BUILD_BENCH=ON', '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'pipe' });
  execFileSync('cmake', ['--build', buildDir, '--target', 'lodestone_fft_bench', '-j2'], { stdio: 'pipe' });
  const out = execFileSync(`${buildDir}/lodestone_fft_bench`, quick ? ['--quick'] : [], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);
}
