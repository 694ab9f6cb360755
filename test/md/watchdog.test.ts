// The MD watchdog: a diverging run (time step far too large) stops with an
// MDDivergenceError naming the step and the quantity; `watchdog: false` lets
// it run on; bad options are named.
import { describe, expect, it } from 'vitest';
import { createState, MDDivergenceError, runMD, VelocityVerlet } from '../../lib/index.js';
import { ARGON, fccLattice, LennardJones } from '../support/pair-potential.js';

const argon = fccLattice(3, 5.26);

describe('MD watchdog', () => {
  it('stops a run whose time step is far too large, naming the step and what diverged', () => {
    const state = createState(argon, { temperature: 100, seed: 1 });
    let error: unknown;
    try {
      runMD({ forceField: new LennardJones(ARGON), state, integrator: new VelocityVerlet({ dt: 100 }), steps: 500 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MDDivergenceError);
    const e = error as MDDivergenceError;
    expect(['temperature', 'conserved energy', 'kinetic energy']).toContain(e.quantity);
    expect(e.step).toBeGreaterThan(0);
    expect(e.step).toBeLessThan(500);
    expect(e.message).toMatch(new RegExp(`^step ${e.step}: .*try a smaller time step \\(dt is 100 fs\\)`));
  });

  it('lets the same run go on with watchdog: false (until the forces are NaN), and keeps sane runs alone', () => {
    const wild = createState(argon, { temperature: 100, seed: 1 });
    let failure: unknown = null;
    try {
      runMD({ forceField: new LennardJones(ARGON), state: wild, integrator: new VelocityVerlet({ dt: 100 }), steps: 60, watchdog: false });
    } catch (e) {
      failure = e;
    }
    // Unwatched, it runs until the forces themselves are no longer numbers; that error carries the hint too.
    expect(failure).not.toBeInstanceOf(MDDivergenceError);
    expect((failure as Error).message).toMatch(/^step \d+: force field returned a non-finite .*try a smaller time step than 100 fs/);
    const sane = createState(argon, { temperature: 100, seed: 1 });
    runMD({ forceField: new LennardJones(ARGON), state: sane, integrator: new VelocityVerlet({ dt: 5 }), steps: 200 });
    expect(sane.step).toBe(200);
  });

  it('names bad options', () => {
    const base = { forceField: new LennardJones(ARGON), state: createState(argon), integrator: new VelocityVerlet({ dt: 1 }), steps: 1 };
    expect(() => runMD({ ...base, watchdog: 3 as never })).toThrow(/runMD: watchdog: expected false or options/);
    expect(() => runMD({ ...base, watchdog: { temperatureFactor: -1 } })).toThrow(/runMD: watchdog\.temperatureFactor: expected a positive number, got -1/);
  });
});
