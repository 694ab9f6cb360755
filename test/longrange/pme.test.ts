// Smooth particle-mesh Ewald (native/src/longrange/pme.cpp): agreement with
// the direct k-space Ewald sum at the requested accuracy, Madelung constants
// through the mesh, finite differences, the error estimate as a bound,
// thread-count (in)dependence, concurrency of one calculator, and bad input.
import { describe, expect, it } from 'vitest';
import { COULOMB_CONSTANT, Ewald, type EwaldOptions } from '../../lib/longrange/ewald.js';
import { getNumThreads, setNumThreads } from '../../lib/core/threads.js';
import { documentedForceScale, rel, rmsForceDifference } from '../support/finite-differences.js';
import { randomCharges, randomSystem } from '../support/random-systems.js';
import { cellVolume } from '../../lib/core/system.js';
import { checkForceField } from '../support/check-gradients.js';

const TRICLINIC = [8.1, 0, 0, 1.2, 7.6, 0, -0.9, 0.7, 8.4];

// ---------------------------------------------------------------------------
describe('PME against direct Ewald', () => {
  const system = randomSystem({ seed: 31, atoms: 90, types: [11, 17], cell: TRICLINIC.map((x) => 1.3 * x), minDistance: 1.1 });
  const n = system.types.length;
  const V = cellVolume(system.cell!);
  const d = Math.cbrt(V / n);

  for (const [label, options] of [
    ['neutral Coulomb', { charges: randomCharges(n, 1) }],
    ['charged Coulomb', { charges: randomCharges(n, 2, 2.5) }],
    ['dispersion (p = 6)', { dispersion: { 11: 15, 17: 70 } }],
  ] as [string, EwaldOptions][]) {
    for (const accuracy of [1e-5, 1e-8]) {
      it(`${label}, accuracy ${accuracy}: energy, forces, stress, per-atom energies`, () => {
        const exact = new Ewald({ ...options, method: 'ewald', accuracy: 1e-13 }).compute(system, { stress: true, perAtom: true });
        const pme = new Ewald({ ...options, method: 'pme', accuracy });
        const r = pme.compute(system, { stress: true, perAtom: true });
        const p = pme.parameters!;
        expect(p.method).toBe('pme');
        expect(p.mesh).toHaveLength(3);
        expect(p.meshOrder).toBeGreaterThanOrEqual(3);
        const force = documentedForceScale(options, system);
        expect(rel(p.referenceForce, force)).toBeLessThan(1e-12);
        expect(p.estimatedError / force).toBeLessThan(accuracy);
        const forceError = rmsForceDifference(r.forces!, exact.forces!) / force;
        // energy and stress scales: force x mean distance per atom, force / d^2
        const energyError = Math.abs(r.energy - exact.energy) / (n * force * d);
        const stressError = Math.max(...r.stress!.map((s, k) => Math.abs(s - exact.stress![k]))) / (force / (d * d));
        console.log(
          `${label} ${accuracy}: mesh ${p.mesh!.join('x')} order ${p.meshOrder}, force ${forceError.toExponential(2)}, ` +
            `energy ${energyError.toExponential(2)}, stress ${stressError.toExponential(2)}`,
        );
        expect(forceError).toBeLessThan(accuracy);
        expect(energyError).toBeLessThan(accuracy);
        // the kernel's relative error at each k (the |b|^2 correction is not
        // exact) adds coherently in the virial sum but randomly in forces
        expect(stressError).toBeLessThan(10 * accuracy);
        expect(rel(r.energies!.reduce((a, b) => a + b, 0), r.energy)).toBeLessThan(1e-11);
      });
    }
  }
});

// ---------------------------------------------------------------------------
describe('Madelung constants through the mesh', () => {
  const a = 5.64;
  const fcc = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
  const conventional = (shift: (f: number[]) => number[]) => {
    const sites = [...fcc, ...fcc.map(shift)];
    return {
      positions: sites.flatMap((f) => f.map((x) => x * a)),
      types: sites.map((_, i) => (i < 4 ? 11 : 17)),
      cell: [a, 0, 0, 0, a, 0, 0, 0, a],
    };
  };
  const madelung = (system: { positions: number[]; types: number[]; cell: number[] }, pairs: number, nearest: number) => {
    const ewald = new Ewald({ charges: { 11: 1, 17: -1 }, method: 'pme', accuracy: 1e-11 });
    const e = ewald.compute(system, { forces: true });
    expect(ewald.parameters!.method).toBe('pme');
    for (const f of e.forces!) expect(Math.abs(f)).toBeLessThan(1e-8);
    return (-e.energy / pairs) * (nearest / COULOMB_CONSTANT);
  };

  it('rock salt, conventional and primitive cells', () => {
    const h = a / 2;
    expect(rel(madelung(conventional((f) => [f[0] + 0.5, f[1], f[2]]), 4, h), 1.747564594633)).toBeLessThan(1e-8);
    const primitive = { positions: [0, 0, 0, h, 0, 0], types: [11, 17], cell: [0, h, h, h, 0, h, h, h, 0] };
    expect(rel(madelung(primitive, 1, h), 1.747564594633)).toBeLessThan(1e-8);
  });

  it('zinc blende, conventional and primitive cells', () => {
    const nearest = (a * Math.sqrt(3)) / 4;
    expect(rel(madelung(conventional((f) => f.map((x) => x + 0.25)), 4, nearest), 1.638055053)).toBeLessThan(1e-8);
    const h = a / 2;
    const primitive = { positions: [0, 0, 0, a / 4, a / 4, a / 4], types: [11, 17], cell: [0, h, h, h, 0, h, h, h, 0] };
    expect(rel(madelung(primitive, 1, nearest), 1.638055053)).toBeLessThan(1e-8);
  });
});

// ---------------------------------------------------------------------------
describe('PME gradients', () => {
  const system = randomSystem({ seed: 12, atoms: 24, types: [11, 17], cell: TRICLINIC, minDistance: 1.2 });
  // spacing chosen so that no |a_d| / h is near an integer: straining the
  // cell by 1e-4 must not change the mesh
  const fixed = { smearing: 1.1, cutoff: 7.5, meshSpacing: 0.61 };

  for (const [label, options] of [
    ['neutral Coulomb, order 4', { charges: randomCharges(24, 3), meshOrder: 4 }],
    ['charged Coulomb, order 5', { charges: randomCharges(24, 4, 1.7), meshOrder: 5 }],
    ['dispersion, order 6', { dispersion: { 11: 12, 17: 85 }, meshOrder: 6 }],
  ] as [string, EwaldOptions][]) {
    it(`${label}: forces and stress are the exact gradients of the mesh energy`, () => {
      const ewald = new Ewald({ ...options, ...fixed });
      ewald.compute(system, { forces: false });
      const mesh = ewald.parameters!.mesh!;
      expect(ewald.parameters!.method).toBe('pme');
      // every coordinate and strain component, at a fixed mesh
      checkForceField(ewald, system, { tolerance: 1e-8 });
      expect(ewald.parameters!.mesh).toEqual(mesh);
    });
  }
});

// ---------------------------------------------------------------------------
describe('PME error estimate and method choice', () => {
  it('the accuracy estimate bounds the measured RMS force error on random systems', () => {
    const ratios: string[] = [];
    for (const seed of [1, 2, 3]) {
      const s = randomSystem({ seed, atoms: 60 + 30 * seed, types: [11, 17], cell: TRICLINIC.map((x) => x * (1 + 0.2 * seed)), minDistance: 1.0 });
      const n = s.types.length;
      for (const [name, options] of [
        ['coulomb', { charges: randomCharges(n, seed + 100) }],
        ['dispersion', { dispersion: { 11: 10, 17: 80 } }],
      ] as [string, EwaldOptions][]) {
        const exact = new Ewald({ ...options, method: 'ewald', accuracy: 1e-13 }).compute(s);
        for (const accuracy of [1e-3, 1e-5, 1e-7]) {
          const pme = new Ewald({ ...options, method: 'pme', accuracy });
          const r = pme.compute(s);
          const p = pme.parameters!;
          const measured = rmsForceDifference(r.forces!, exact.forces!);
          ratios.push(`${name} ${accuracy}: ${(measured / p.estimatedError).toFixed(3)}`);
          expect(measured, `${name} seed ${seed} accuracy ${accuracy}`).toBeLessThan(p.estimatedError);
          const scale = documentedForceScale(options, s);
          expect(rel(p.referenceForce, scale)).toBeLessThan(1e-12);
          expect(measured / scale).toBeLessThan(accuracy);
          expect(measured / scale).toBeGreaterThan(accuracy / 300);
        }
      }
    }
    console.log(`measured / estimated PME error: ${ratios.join(', ')}`);
  });

  it("'auto' uses direct Ewald for small systems and PME for large ones", () => {
    const small = randomSystem({ seed: 3, atoms: 16, types: [11, 17], cell: [6, 0, 0, 0, 6, 0, 0, 0, 6], minDistance: 1.2 });
    const auto = new Ewald({ charges: { 11: 1, 17: -1 } });
    expect(auto.parametersFor(small).method).toBe('ewald');
    const large = randomSystem({ seed: 4, atoms: 3000, types: [11, 17], cell: [45, 0, 0, 0, 45, 0, 0, 0, 45], minDistance: 0.5 });
    const p = auto.parametersFor(large);
    expect(p.method).toBe('pme');
    expect(p.mesh!.every((m) => m >= 8)).toBe(true);
    // explicit options imply the method
    expect(new Ewald({ charges: { 11: 1, 17: -1 }, kCutoff: 2 }).parametersFor(large).method).toBe('ewald');
    expect(new Ewald({ charges: { 11: 1, 17: -1 }, meshOrder: 4 }).parametersFor(small).method).toBe('pme');
  });
});

// ---------------------------------------------------------------------------
describe('PME determinism and concurrency', () => {
  const system = randomSystem({ seed: 8, atoms: 200, types: [11, 17], cell: TRICLINIC.map((x) => 1.6 * x), minDistance: 1.0 });
  const charges = randomCharges(200, 77, 0.5);

  it('1 and 2 threads agree to 1e-13; runs with the same thread count are bit-identical', () => {
    const threads = getNumThreads();
    try {
      const run = (t: number) => {
        setNumThreads(t);
        return new Ewald({ charges, method: 'pme', accuracy: 1e-8 }).compute(system, { stress: true, perAtom: true });
      };
      const one = run(1);
      const two = run(2);
      const again = run(2);
      expect(rel(two.energy, one.energy)).toBeLessThan(1e-13);
      let fmax = 0;
      for (const f of one.forces!) fmax = Math.max(fmax, Math.abs(f));
      for (let k = 0; k < one.forces!.length; k++) expect(Math.abs(two.forces![k] - one.forces![k]) / fmax).toBeLessThan(1e-13);
      let smax = 0;
      for (const s of one.stress!) smax = Math.max(smax, Math.abs(s));
      for (let k = 0; k < 9; k++) expect(Math.abs(two.stress![k] - one.stress![k]) / smax).toBeLessThan(1e-13);
      expect(again.energy).toBe(two.energy);
      expect(Array.from(again.forces!)).toEqual(Array.from(two.forces!));
      expect(Array.from(again.stress!)).toEqual(Array.from(two.stress!));
      expect(Array.from(again.energies!)).toEqual(Array.from(two.energies!));
    } finally {
      setNumThreads(threads);
    }
  });

  it('one calculator serves concurrent async calls (cached plan or a private one) with identical results', async () => {
    const ewald = new Ewald({ charges, method: 'pme', accuracy: 1e-6 });
    const sync = ewald.compute(system, { stress: true });
    const shifted = { ...system, cell: system.cell!.map((x) => 1.01 * x) };
    const results = await Promise.all([0, 1, 2, 3].map((k) => ewald.computeAsync(k % 2 ? shifted : system, { stress: true })));
    const syncShifted = ewald.compute(shifted, { stress: true });
    results.forEach((r, k) => {
      const expected = k % 2 ? syncShifted : sync;
      expect(r.energy).toBe(expected.energy);
      expect(Array.from(r.forces!)).toEqual(Array.from(expected.forces!));
    });
  });
});

// ---------------------------------------------------------------------------
describe("the LODE expansion's method names", () => {
  it("'mesh' is 'pme' and 'direct' is 'ewald'", () => {
    const system = randomSystem({ seed: 6, atoms: 8, types: [11, 17], cell: [6, 0, 0, 0, 6, 0, 0, 0, 6], minDistance: 1.5 });
    const charges = { 11: 1, 17: -1 };
    for (const [alias, name] of [['mesh', 'pme'], ['direct', 'ewald']] as const) {
      const a = new Ewald({ charges, method: alias });
      const b = new Ewald({ charges, method: name });
      const ra = a.compute(system, { forces: true });
      const rb = b.compute(system, { forces: true });
      expect(a.parameters!.method).toBe(name);
      expect(ra.energy).toBe(rb.energy);
      expect(Array.from(ra.forces!)).toEqual(Array.from(rb.forces!));
    }
  });
});

describe('PME bad input', () => {
  const system = randomSystem({ seed: 5, atoms: 8, types: [11, 17], cell: [6, 0, 0, 0, 6, 0, 0, 0, 6], minDistance: 1.5 });
  const charges = { 11: 1, 17: -1 };
  it('gives clear errors', () => {
    expect(() => new Ewald({ charges, meshOrder: 2 })).toThrow(/meshOrder: expected a B-spline order between 3 and 7, got 2/);
    expect(() => new Ewald({ charges, meshOrder: 8 })).toThrow(/^meshOrder: expected a B-spline order between 3 and 7, got 8$/);
    expect(() => new Ewald({ charges, meshOrder: 4.5 })).toThrow(/^Ewald: meshOrder must be an integer, got 4.5$/);
    expect(() => new Ewald({ charges, meshSpacing: -1 })).toThrow(/meshSpacing must be a positive/);
    expect(() => new Ewald({ charges, method: 'p3m' as 'pme' })).toThrow(
      /method must be 'ewald' \(or 'direct'\), 'pme' \(or 'mesh'\) or 'auto', got p3m/,
    );
    expect(() => new Ewald({ charges, method: 'ewald', meshOrder: 5 })).toThrow(/meshOrder and meshSpacing only apply to method 'pme'/);
    expect(() => new Ewald({ charges, method: 'pme', kCutoff: 3 })).toThrow(/kCutoff only applies to method 'ewald'/);
    expect(() => new Ewald({ charges, meshOrder: 5, kCutoff: 3 })).toThrow(/exclude each other/);
    expect(() => new Ewald({ charges, method: 'pme', meshOrder: 5, meshSpacing: 2 }).compute(system)).toThrow(
      /meshSpacing: 2 A gives 3 mesh points along lattice vector 0 .*fewer than the B-spline order 5; the mesh is too small/,
    );
    // molecules have no mesh: the direct sum, whatever the method
    const molecule = { positions: system.positions, types: system.types };
    const direct = new Ewald({ charges, method: 'pme' });
    direct.compute(molecule);
    expect(direct.parameters!.method).toBe('direct');
  });
});
