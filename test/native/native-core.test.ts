// The C++ core on its own: build the doctest unit tests of native/tests/ with
// plain CMake (no Node), run them, and run them again under valgrind
// memcheck, which must report no errors and no definite leaks.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const buildDir = `${root}build-core-test`;
const binary = `${buildDir}/lodestone_core_test`;

describe('native core', () => {
  it('builds without Node and passes its C++ unit tests, clean under valgrind memcheck', () => {
    execFileSync('cmake', ['-S', root, '-B', buildDir, '-DLODESTONE_BUILD_TESTS=ON', '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'pipe' });
    execFileSync('cmake', ['--build', buildDir, '--target', 'lodestone_core_test', '-j2'], { stdio: 'pipe' });
    const direct = spawnSync(binary, [], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
    expect(direct.stdout, direct.stdout).toMatch(/Status: SUCCESS!/);
    expect(direct.stdout).toMatch(/test cases: +\d+ \| +\d+ passed \| 0 failed/);
    expect(direct.status).toBe(0);

    const valgrind = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
    expect(valgrind.status, 'valgrind is required (apt-get install valgrind; .ci/run installs it)').toBe(0);
    const checked = spawnSync(
      'valgrind',
      ['--error-exitcode=3', '--leak-check=full', '--errors-for-leak-kinds=definite', '--show-leak-kinds=definite', binary],
      // passive: idle OpenMP threads sleep instead of spinning, which valgrind (one thread at a time) would run for nothing
      { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2', OMP_WAIT_POLICY: 'passive' } },
    );
    expect(checked.stderr).toMatch(/ERROR SUMMARY: 0 errors/);
    expect(checked.stderr).toMatch(/definitely lost: 0 bytes|no leaks are possible/);
    expect(checked.status).toBe(0);
  }, 900_000); // a full build of the core and a valgrind run: minutes on two busy cores

  it('shares no inline function between the AVX2 and the portable dense kernels', () => {
    // The linker keeps one copy of each weak (inline, template) symbol: one
    // compiled for AVX2 that the portable code also uses could run on a CPU
    // without AVX2. Every weak symbol of the AVX2 object must be its own.
    const object = `${buildDir}/CMakeFiles/lodestone_core.dir/native/src/math/dense_avx2.cpp.o`;
    const symbols = execFileSync('nm', ['--defined-only', '-C', object], { encoding: 'utf8' }).trim().split('\n');
    const weak = symbols.filter((line) => / [WVu] /.test(line) && !line.includes('DW.ref.__gxx_personality_v0'));
    expect(weak.length).toBeGreaterThan(10);
    expect(weak.filter((line) => !/lodestone_eigen_avx2|lodestone::dense::avx2/.test(line))).toEqual([]);
  });
});
