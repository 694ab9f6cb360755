// Short version of bench/long-run.ts (npm run long-run): Langevin MD of 64
// NaCl ions with a small fitted 'local' linear model. RSS must stay flat
// (no memory kept per step), both for one long synchronous runMD call and
// for a run that yields to the event loop between chunks; two runs with the
// same seed and thread count end bit-identical.
import { describe, expect, it } from 'vitest';
import { bitDifferences, fitSmallModel, longRun, type RssSample } from '../../bench/long-run.js';
import { getNumThreads, setNumThreads } from '../../lib/index.js';

const STEPS = 6_000;
const EVERY = 500;
/** MB allowed between 20% of the run and its end (RSS noise is a few MB; the per-step leak this guards against kept ~13 kB per step). */
const ALLOWED_GROWTH_MB = 24;

const threads = getNumThreads();
setNumThreads(1);
const model = fitSmallModel({ cutoff: 3.5, maxRadial: 1, maxAngular: 1 });
setNumThreads(threads);

function growth(samples: RssSample[]): number {
  const start = samples[Math.floor(samples.length * 0.2)];
  return samples[samples.length - 1].rss - start.rss;
}

const table = (samples: RssSample[]) => samples.map((s) => `${s.step}:${s.rss.toFixed(0)}`).join(' ');

// Under AddressSanitizer (npm run test:asan) RSS reflects its quarantine and
// shadow memory, not our allocations: the RSS checks are skipped there, visibly.
const underAsan = (process.env.LD_PRELOAD ?? '').includes('libasan');

describe('long MD runs', () => {
  // runs first, in a fresh process: memory freed by earlier runs would hide a leak
  it.skipIf(underAsan)(`${STEPS} steps in one synchronous runMD call: RSS flat`, async () => {
    setNumThreads(1);
    try {
      const run = await longRun(model, STEPS, EVERY, { seed: 5 });
      expect(run.state.positions.every(Number.isFinite)).toBe(true);
      console.log(`sync runMD, RSS (step:MB): ${table(run.samples)}`);
      expect(
        growth(run.samples),
        `RSS grew by ${growth(run.samples).toFixed(1)} MB over ${0.8 * STEPS} steps: ${table(run.samples)} ` +
          '(native result buffers are released by Node-API finalizers, which Node 20 runs only on an event-loop turn; see docs/reliability.md)',
      ).toBeLessThan(ALLOWED_GROWTH_MB);
    } finally {
      setNumThreads(threads);
    }
  });

  it.skipIf(underAsan)(`${STEPS} steps in chunks of 500 with event-loop turns: RSS flat`, async () => {
    setNumThreads(1);
    try {
      const run = await longRun(model, STEPS, EVERY, { seed: 6, yieldEvery: 500 });
      console.log(`chunked runMD, RSS (step:MB): ${table(run.samples)}`);
      expect(growth(run.samples)).toBeLessThan(ALLOWED_GROWTH_MB);
    } finally {
      setNumThreads(threads);
    }
  });

  for (const n of [1, 2]) {
    it(`determinism: same seed and ${n} thread(s) give bit-identical positions and velocities after 300 steps`, async () => {
      setNumThreads(n);
      try {
        const a = await longRun(model, 300, 300, { seed: 11 });
        const b = await longRun(model, 300, 300, { seed: 11 });
        expect(bitDifferences(a.state.positions, b.state.positions)).toBe(0);
        expect(bitDifferences(a.state.velocities, b.state.velocities)).toBe(0);
        expect(a.state.step).toBe(300);
        // a different seed gives a different trajectory (the check is not vacuous)
        const c = await longRun(model, 20, 20, { seed: 12 });
        const d = await longRun(model, 20, 20, { seed: 11 });
        expect(bitDifferences(c.state.positions, d.state.positions)).toBeGreaterThan(0);
      } finally {
        setNumThreads(threads);
      }
    });
  }
});
