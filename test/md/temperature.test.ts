// One temperature for every integrator: the kinetic energy relative to the
// centre of mass over 3N - 3 degrees of freedom, equal at step 0 to the
// temperature the velocities were drawn at (Langevin read 3N - 3 / 3N of it).
import { describe, expect, it } from 'vitest';
import { createState, instantaneousTemperature, Langevin, runMD, StochasticVelocityRescaling, thermoObserver, VelocityVerlet, type ForceField } from '../../lib/index.js';

const free: ForceField = { compute: (s) => ({ energy: 0, forces: new Float64Array((s.types as ArrayLike<number>).length * 3) }) };
const system = {
  positions: Array.from({ length: 64 }, (_, i) => [i % 4, Math.floor(i / 4) % 4, Math.floor(i / 16)].map((x) => 3 * x)),
  types: Array.from({ length: 64 }, (_, i) => (i % 2 ? 17 : 11)),
  cell: [12, 0, 0, 0, 12, 0, 0, 0, 12],
};

describe('temperature', () => {
  for (const integrator of [new Langevin({ dt: 1, temperature: 1200, friction: 0.01 }), new VelocityVerlet({ dt: 1 }), new StochasticVelocityRescaling({ dt: 1, temperature: 1200, tau: 100 })]) {
    it(`${integrator.constructor.name} reports the drawn 1200 K at step 0`, () => {
      const state = createState(system, { temperature: 1200, seed: 5 });
      const thermo = thermoObserver({ every: 1, write: null });
      runMD({ forceField: free, state, integrator, steps: 0, observers: [thermo] });
      expect(thermo.rows[0].temperature).toBeCloseTo(1200, 9);
    });
  }

  it('leaves the centre-of-mass motion out: a uniformly moving crystal at rest inside is at 0 K', () => {
    const state = createState(system, { velocities: new Float64Array(192).map((_, k) => (k % 3 === 0 ? 0.01 : 0)) });
    expect(instantaneousTemperature(state)).toBeCloseTo(0, 9);
  });
});
