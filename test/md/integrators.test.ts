// Integrators checked by physics: energy conservation and its dt^2 scaling
// (velocity Verlet), canonical temperature and fluctuations (Langevin, CSVR),
// conserved quantities of the thermostats, fixed atoms.
import { describe, expect, it } from 'vitest';
import {
  BOLTZMANN,
  cloneState,
  createState,
  degreesOfFreedom,
  Langevin,
  runMD,
  StochasticVelocityRescaling,
  thermoObserver,
  totalMomentum,
  zeroMomentum,
  VelocityVerlet,
  type ForceField,
  type Integrator,
  type MDState,
  type ThermoRow,
} from '../../lib/index.js';
import { ARGON, fccLattice, LennardJones } from '../support/pair-potential.js';

const ff = new LennardJones(ARGON);

/** 32 argon atoms equilibrated near 120 K in a 11.6 A box (a dense fluid). */
function equilibrated(): MDState {
  const state = createState(fccLattice(2, 5.8), { temperature: 240, seed: 11 });
  runMD({ forceField: ff, state, integrator: new Langevin({ dt: 5, temperature: 120, friction: 0.05 }), steps: 400 });
  state.step = 0;
  state.time = 0;
  state.reservoirEnergy = 0;
  return state;
}
const start = equilibrated();

function record(state: MDState, integrator: Integrator, steps: number, every: number, forceField: ForceField = ff): ThermoRow[] {
  const thermo = thermoObserver({ every, write: null });
  runMD({ forceField, state, integrator, steps, observers: [thermo] });
  return thermo.rows;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean and its standard error from the spread of block means (blocks much longer than correlation times). */
function blockMean(xs: number[], blocks = 20): { mean: number; error: number; sd: number } {
  const size = Math.floor(xs.length / blocks);
  const means = Array.from({ length: blocks }, (_, b) => mean(xs.slice(b * size, (b + 1) * size)));
  const m = mean(means);
  const variance = means.reduce((a, v) => a + (v - m) ** 2, 0) / (blocks - 1);
  const all = mean(xs);
  const sd = Math.sqrt(xs.reduce((a, v) => a + (v - all) ** 2, 0) / (xs.length - 1));
  return { mean: m, error: Math.sqrt(variance / blocks), sd };
}

describe('velocity Verlet', () => {
  // Same 1 ps of dynamics at two time steps; energy sampled every 8 fs.
  const deviations = [4, 2].map((dt) => {
    const rows = record(cloneState(start), new VelocityVerlet({ dt }), 1000 / dt, 8 / dt);
    const e0 = rows[0].totalEnergy;
    return {
      rms: Math.sqrt(mean(rows.map((r) => (r.totalEnergy - e0) ** 2))),
      drift: Math.abs(rows.at(-1)!.totalEnergy - e0),
      rows,
    };
  });

  it('conserves the energy: deviations stay far below the kinetic energy', () => {
    const [, fine] = deviations;
    const kinetic = mean(fine.rows.map((r) => r.kineticEnergy));
    expect(fine.rms).toBeLessThan(1e-4 * kinetic);
    expect(fine.drift).toBeLessThan(2e-4 * kinetic);
    // Without a thermostat conserved = E_tot.
    for (const r of fine.rows) expect(r.conserved).toBe(r.totalEnergy);
    // The dynamics did move the atoms (not a trivially frozen system).
    expect(Math.max(...fine.rows.map((r) => r.potentialEnergy)) - Math.min(...fine.rows.map((r) => r.potentialEnergy))).toBeGreaterThan(100 * fine.rms);
  });

  it('energy errors shrink as dt^2: halving dt divides them by ~4', () => {
    const ratio = deviations[0].rms / deviations[1].rms;
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(5.5);
  });

  it('keeps the total momentum at zero', () => {
    const state = cloneState(start);
    expect(Math.hypot(...totalMomentum(state))).toBeGreaterThan(1e-3); // Langevin noise left some momentum
    zeroMomentum(state);
    expect(Math.hypot(...totalMomentum(state))).toBeLessThan(1e-13);
    runMD({ forceField: ff, state, integrator: new VelocityVerlet({ dt: 4 }), steps: 100 });
    for (let x = 0; x < 3; x++) {
      let px = 0;
      for (let i = 0; i < 32; i++) px += state.masses[i] * state.velocities[3 * i + x];
      expect(Math.abs(px)).toBeLessThan(1e-12);
    }
  });
});

describe('thermostats reach the target temperature with canonical fluctuations', () => {
  // Samples 20 fs apart (several velocity correlation times for these
  // couplings), 1000 of them: the standard error of the mean temperature is
  // about T sqrt(2 / Nf) / sqrt(1000) ~ 0.5% for Nf ~ 95, so an error in the
  // degrees of freedom (3%) or the noise amplitude could not pass.
  const T0 = 150;
  const cases: Array<[string, Integrator]> = [
    ['Langevin', new Langevin({ dt: 5, temperature: T0, friction: 0.05 })],
    ['CSVR', new StochasticVelocityRescaling({ dt: 5, temperature: T0, tau: 10 })],
  ];
  for (const [name, integrator] of cases) {
    it(name, () => {
      const state = cloneState(start);
      // CSVR keeps the momentum and counts 3N - 3 degrees of freedom: start without any.
      if (integrator.conservesMomentum) zeroMomentum(state);
      record(state, integrator, 400, 1000); // re-equilibrate at T0
      const rows = record(state, integrator, 4000, 4).slice(1);
      const temperatures = rows.map((r) => r.temperature);
      const { mean: T, error, sd } = blockMean(temperatures);
      const dof = degreesOfFreedom(state, integrator.conservesMomentum);
      const expectedSd = T0 * Math.sqrt(2 / dof);
      const expectedError = expectedSd / Math.sqrt(temperatures.length);
      // The error estimate from the data is consistent with nearly independent samples.
      expect(error).toBeLessThan(3 * expectedError);
      expect(Math.abs(T - T0)).toBeLessThan(4 * Math.max(error, expectedError));
      // Canonical kinetic-energy fluctuations (a Berendsen-like thermostat would give far less).
      expect(sd / expectedSd).toBeGreaterThan(0.85);
      expect(sd / expectedSd).toBeLessThan(1.15);
    });
  }
});

describe('thermostats on an ideal gas sample the exact kinetic-energy distribution', () => {
  // Without forces the kinetic energy changes only through the thermostat and
  // must follow the canonical Gamma(Nf/2, kT) law: mean Nf kT / 2, variance
  // Nf (kT)^2 / 2. Few atoms make the law far from Gaussian, and a wrong noise
  // term in the CSVR update (e.g. its chi-squared part) shows up in the variance.
  const free: ForceField = { compute: (s) => ({ energy: 0, forces: new Float64Array(s.positions.length) }) };
  const cases: Array<[string, Integrator]> = [
    ['CSVR', new StochasticVelocityRescaling({ dt: 5, temperature: 300, tau: 10 })],
    ['Langevin', new Langevin({ dt: 5, temperature: 300, friction: 0.1 })],
  ];
  for (const [name, integrator] of cases) {
    it(name, () => {
      const state = createState({ positions: new Float64Array(12), types: [18, 18, 10, 10] }, { temperature: 300, seed: 8 });
      const rows = record(state, integrator, 80000, 4, free).slice(1);
      const dof = degreesOfFreedom(state, integrator.conservesMomentum);
      expect(dof).toBe(name === 'CSVR' ? 9 : 12);
      const kT = BOLTZMANN * 300;
      const K = blockMean(rows.map((r) => r.kineticEnergy));
      const V = blockMean(rows.map((r) => (r.kineticEnergy - (dof * kT) / 2) ** 2));
      expect(Math.abs(K.mean / ((dof * kT) / 2) - 1)).toBeLessThan(4 * K.error / ((dof * kT) / 2));
      expect(Math.abs(V.mean / ((dof * kT * kT) / 2) - 1)).toBeLessThan(4 * V.error / ((dof * kT * kT) / 2));
      expect(V.error / ((dof * kT * kT) / 2)).toBeLessThan(0.03); // the test resolves a few % in the variance
    });
  }
});

describe('conserved quantities of the thermostats', () => {
  for (const [name, integrator] of [
    ['CSVR', new StochasticVelocityRescaling({ dt: 2, temperature: 150, tau: 50 })],
    ['Langevin', new Langevin({ dt: 2, temperature: 150, friction: 0.01 })],
  ] as const) {
    it(`${name}: E_tot + reservoir drifts far less than E_tot`, () => {
      const rows = record(cloneState(start), integrator, 500, 5);
      const conservedSpread = Math.max(...rows.map((r) => Math.abs(r.conserved - rows[0].conserved)));
      const totalSpread = Math.max(...rows.map((r) => Math.abs(r.totalEnergy - rows[0].totalEnergy)));
      // The thermostat exchanged real energy with the system...
      expect(totalSpread).toBeGreaterThan(0.02);
      // ...and the reservoir accounts for it up to the integration error (~1e-5 eV here).
      expect(conservedSpread).toBeLessThan(2e-4);
      expect(conservedSpread).toBeLessThan(totalSpread / 100);
    });
  }
});

describe('fixed atoms', () => {
  for (const [name, integrator] of [
    ['Langevin', new Langevin({ dt: 4, temperature: 150, friction: 0.02 })],
    ['CSVR', new StochasticVelocityRescaling({ dt: 4, temperature: 150, tau: 40 })],
    ['Verlet', new VelocityVerlet({ dt: 4 })],
  ] as const) {
    it(`do not move and are not counted as degrees of freedom (${name})`, () => {
      const fixed = [0, 5, 17];
      const state = createState(fccLattice(2, 5.8), { temperature: 150, seed: 4, fixed });
      const before = Float64Array.from(state.positions);
      expect(degreesOfFreedom(state, integrator.conservesMomentum)).toBe(3 * (32 - fixed.length));
      const rows = record(state, integrator, 100, 10);
      for (let i = 0; i < 32; i++) {
        const moved = Math.hypot(...[0, 1, 2].map((x) => state.positions[3 * i + x] - before[3 * i + x]));
        if (fixed.includes(i)) {
          expect(moved).toBe(0);
          expect([0, 1, 2].map((x) => state.velocities[3 * i + x])).toEqual([0, 0, 0]);
        } else expect(moved).toBeGreaterThan(1e-3);
      }
      // At step 0 (exact Maxwell-Boltzmann) the temperature uses 3 (N - fixed) degrees of freedom.
      expect(rows[0].temperature).toBeCloseTo(150, 9);
      expect(rows[0].kineticEnergy).toBeCloseTo(1.5 * (32 - fixed.length) * BOLTZMANN * 150, 12);
    });
  }
});
