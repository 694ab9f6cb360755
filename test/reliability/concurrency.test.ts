// Concurrency: simultaneous calls from several worker threads (each loading
// the addon) and the main thread, and many overlapping computeAsync calls on
// one calculator while the JS side drops its references and collects
// garbage, all give results bit-identical to sequential synchronous calls at
// the same OpenMP thread count. Runs in a child `node --expose-gc` so that a
// crash is an exit code, not a dead test runner. (docs/reliability.md has
// the data-race argument.)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type SphericalExpansionHypers } from '../../lib/index.js';
import { parseSphericalExpansionHypers } from '../../lib/core/hypers.js';
import { CaseCounter } from '../support/reliability.js';
import { randomSystem } from '../support/random-systems.js';

const counter = new CaseCounter('concurrency');
const FIXTURE = fileURLToPath(new URL('../fixtures/reliability/concurrent.mjs', import.meta.url));

const hypers: SphericalExpansionHypers = {
  cutoff: { radius: 4, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.4 },
  basis: { type: 'TensorProduct', max_angular: 3, radial: { type: 'Gto', max_radial: 2 } },
};

describe('concurrent native calls', () => {
  it('worker threads + main thread + overlapping async calls with gc: bit-identical to sequential sync calls', () => {
    const systems = Array.from({ length: 6 }, (_, k) => {
      const a = 8.5 + 0.3 * k;
      const cell = [a, 0, 0, 0.4 * (k % 3), a, 0, -0.3, 0.2 * k, a];
      const s = randomSystem({ seed: 400 + k, atoms: 16 + 4 * k, types: [11, 17], cell, minDistance: 1.6 });
      // neutral for Ewald: alternate the species
      return { positions: Array.from(s.positions), types: Array.from(s.types, (_, i) => (i % 2 ? 17 : 11)), cell };
    });
    const input = { hypers: parseSphericalExpansionHypers(hypers), systems, neighborTypes: [11, 17], threads: 2, workers: 4, rounds: 2, overlapping: 48 };
    const child = spawnSync(process.execPath, ['--expose-gc', FIXTURE, JSON.stringify(input)], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, OMP_NUM_THREADS: '2' },
    });
    expect(child.error).toBeUndefined();
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const summary = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
    console.log(`concurrency: ${JSON.stringify(summary)}`);
    counter.tried += summary.workerCalls + summary.mainCallsWhileWorkers + summary.overlapping;
    expect(summary.gcAvailable).toBe(true);
    expect(summary.gcCalls).toBeGreaterThan(0);
    expect(summary.workerCalls).toBe(4 * 2 * 6);
    expect(summary.mismatches).toBe(0);
  });
});
