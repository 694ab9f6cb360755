// The MD watchdog: a diverging run (time step far too large) stops with an
// MDDivergenceError naming the step and the quantity; `watchdog: false` lets
// it run on; bad options are named. With the closest pairs of a model's
// training data, a run whose atoms fall into a hole of the model (closer
// than any pair it was fitted on) stops there, naming the atoms.
import { describe, expect, it } from 'vitest';
import { createState, Langevin, MDDivergenceError, runMD, VelocityVerlet } from '../../lib/index.js';
import { closestPairs, closestToReference, CONTACT_RANGE, pairKey } from '../../lib/core/contacts.js';
import type { ForceField, ForceFieldRequest, ForceFieldResult } from '../../lib/core/forcefield.js';
import { toNativeSystem, type System } from '../../lib/core/system.js';
import { ARGON, fccLattice, LennardJones } from '../support/pair-potential.js';

/** Argon with a hole: LJ, plus a well that pulls atoms 0 and 1 together (what a model without a repulsive core can do). */
class Hole implements ForceField {
  private readonly lj = new LennardJones(ARGON);
  compute(system: System, request: ForceFieldRequest = {}): ForceFieldResult {
    const out = this.lj.compute(system, request);
    const x = toNativeSystem(system).positions;
    const d = [0, 1, 2].map((k) => x[3 + k] - x[k]);
    // E = 2 r^2 (eV, r in A): 4 r eV/A pulling 0 and 1 together
    const forces = Float64Array.from(out.forces!);
    for (let k = 0; k < 3; k++) {
      forces[k] += 4 * d[k];
      forces[3 + k] -= 4 * d[k];
    }
    return { ...out, energy: out.energy + 2 * (d[0] ** 2 + d[1] ** 2 + d[2] ** 2), forces };
  }
}

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
    expect(() => runMD({ ...base, watchdog: { contactEvery: 2.5 } })).toThrow(/runMD: watchdog\.contactEvery: expected a whole number of steps, got 2.5/);
  });

  it('stops where the atoms come closer than the training data, naming them; leaves a sane run alone', () => {
    const trained = closestPairs([argon]); // the fcc nearest neighbours, 5.26 / sqrt(2) A
    expect(trained[pairKey(18, 18)]).toBeCloseTo(5.26 / Math.SQRT2, 10);
    const sane = createState(argon, { temperature: 100, seed: 1 });
    runMD({ forceField: new LennardJones(ARGON), state: sane, integrator: new VelocityVerlet({ dt: 5 }), steps: 200, watchdog: { closestPairs: trained } });
    expect(sane.step).toBe(200);

    const state = createState(argon, { temperature: 100, seed: 1 });
    let error: unknown;
    try {
      runMD({ forceField: new Hole(), state, integrator: new Langevin({ dt: 2, temperature: 100, friction: 0.01 }), steps: 400, watchdog: { closestPairs: trained } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MDDivergenceError);
    const e = error as MDDivergenceError;
    expect(e.quantity).toBe('closest pair');
    expect(e.message).toMatch(new RegExp(`^step ${e.step}: atoms 0 \\(Ar\\) and 1 \\(Ar\\) are (\\d\\.\\d+) A apart, closer than 0.8 x the closest such pair of the model's training data \\(3.719 A\\)`));
    const apart = Number(/are (\d\.\d+) A apart/.exec(e.message)![1]);
    expect(apart).toBeLessThan(0.8 * trained['18-18']);
    // stopped at the first step past the limit: the temperature and energy checks have not fired
    expect(apart).toBeGreaterThan(0.6 * trained['18-18']);
    expect(() => runMD({ forceField: new Hole(), state: createState(argon), integrator: new VelocityVerlet({ dt: 1 }), steps: 1, watchdog: { closestPairs: { '18-18': -1 } } })).toThrow(/watchdog.closestPairs: expected \{"Z1-Z2": distance \(A\)\}/);
  });

  it('closest pairs take the nearest periodic image, and the pair closest relative to the training data comes first', () => {
    const box = { positions: [0.2, 0, 0, 9.6, 0, 0, 5, 5, 5, 5, 6.5, 5], types: [1, 1, 8, 8], cell: [10, 0, 0, 0, 10, 0, 0, 0, 10], pbc: [true, true, true] as [boolean, boolean, boolean] };
    const pairs = closestPairs([box]);
    expect(pairs['1-1']).toBeCloseTo(0.6, 12); // across the boundary, not 9.4
    expect(pairs['8-8']).toBeCloseTo(1.5, 12);
    // H-O at best 7.6 A (through the boundary): beyond CONTACT_RANGE, so not recorded
    expect(CONTACT_RANGE).toBeLessThan(Math.hypot(4.6, 3.5, 5));
    expect(pairs['1-8']).toBeUndefined();
    expect(closestPairs([{ ...box, positions: [0.2, 0, 0, 9.6, 0, 0, 5, 5, 5, 9, 9.7, 0.5] }])['1-8']).toBeCloseTo(Math.hypot(0.6, 0.3, 0.5), 12);
    // H-H at 0.6 of 1.0, O-O at 1.5 of 3.0: O-O is the farther inside its training range
    expect(closestToReference(toNativeSystem(box), { '1-1': 1.0, '8-8': 3.0 })).toMatchObject({ i: 2, j: 3, reference: 3.0 });
    expect(closestToReference(toNativeSystem(box), { '6-6': 1.0 })).toBeNull();
  });
});