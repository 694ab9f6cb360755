// Engines the end-to-end tests drive (ASE, LAMMPS, OpenMM). Locally a missing
// engine skips its test file with a visible message; with
// LODESTONE_REQUIRE_ENGINES=1 (set by .ci/run) it is a failure instead, so CI
// never passes with an engine test that did not run.
import { spawnSync } from 'node:child_process';
import { PYTHON } from './ipi-model.js';

export const REQUIRE_ENGINES = process.env.LODESTONE_REQUIRE_ENGINES === '1';

export interface Engine {
  available: boolean;
  /** The engine's version line (empty when missing). */
  version: string;
}

/**
 * Runs `code` in the Python that .ci/run installs the engines for. When it
 * fails: throws under LODESTONE_REQUIRE_ENGINES=1 (the test file then fails),
 * else prints why the file is skipped.
 */
export function probeEngine(file: string, what: string, install: string, code: string): Engine {
  const probe = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
  if (probe.status === 0) return { available: true, version: probe.stdout.trim() };
  const why = `${PYTHON} cannot load ${what} (install ${install}): ${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop()}`;
  if (REQUIRE_ENGINES) throw new Error(`${file}: ${why}; LODESTONE_REQUIRE_ENGINES=1 makes a missing engine a failure`);
  console.warn(`\n*** SKIPPED ${file}: ${why}\n`);
  return { available: false, version: '' };
}
