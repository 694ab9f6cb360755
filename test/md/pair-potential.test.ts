// The analytic pair potential the MD tests rely on: forces are -dE/dr.
import { describe, expect, it } from 'vitest';
import { derivative } from '../support/finite-differences.js';
import { ARGON, fccLattice, LennardJones } from '../support/pair-potential.js';
import { randomSystem, TRICLINIC_CELL } from '../support/random-systems.js';

const ff = new LennardJones({ ...ARGON, epsilon: { 11: 0.01, 17: 0.02 }, sigma: { 11: 2.4, 17: 3.0 }, cutoff: 2.9, switchStart: 2.2 });

describe('Lennard-Jones test potential', () => {
  const cases = {
    triclinic: randomSystem({ seed: 5, atoms: 14, types: [11, 17], cell: TRICLINIC_CELL, minDistance: 1.9 }),
    molecule: randomSystem({ seed: 6, atoms: 10, types: [11, 17], box: 5, minDistance: 1.9 }),
  };
  for (const [name, system] of Object.entries(cases)) {
    it(`forces are -dE/dr (${name})`, () => {
      const result = ff.compute(system);
      let checked = 0;
      for (let k = 0; k < 3 * system.types.length; k++) {
        const fd = derivative((p) => ff.compute({ ...system, positions: p }).energy, system.positions, k, 1e-4);
        expect(Math.abs(result.forces![k] + fd[0])).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd[0])));
        if (result.forces![k] !== 0) checked++;
      }
      expect(checked).toBeGreaterThan(system.types.length); // the cutoff does not switch everything off
    });
  }

  it('is smooth through the switching region and zero beyond the cutoff', () => {
    const lj = new LennardJones(ARGON);
    for (const r of [ARGON.switchStart, 5.0, ARGON.cutoff - 1e-3]) {
      const h = 1e-5;
      const fd = (lj.pair(18, 18, r + h)[0] - lj.pair(18, 18, r - h)[0]) / (2 * h);
      expect(Math.abs(lj.pair(18, 18, r)[1] - fd)).toBeLessThan(1e-8);
    }
    expect(lj.pair(18, 18, ARGON.cutoff)).toEqual([0, 0]);
    expect(Math.abs(lj.pair(18, 18, ARGON.cutoff - 1e-4)[0])).toBeLessThan(1e-12);
  });

  it('the fcc argon crystal has zero forces by symmetry', () => {
    const lat = fccLattice(2, 5.8);
    const r = new LennardJones(ARGON).compute(lat);
    expect(Math.max(...Array.from(r.forces!, Math.abs))).toBeLessThan(1e-12);
    expect(r.energy).toBeLessThan(0);
  });
});
