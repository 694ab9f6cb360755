// MD state: units, masses, the random generator, Maxwell-Boltzmann
// velocities, checkpoints that restart a run bit for bit, errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACCELERATION_UNIT,
  atomicMass,
  BOLTZMANN,
  checkpointObserver,
  createIntegrator,
  createState,
  degreesOfFreedom,
  deserializeCheckpoint,
  kineticEnergyOf,
  Langevin,
  massesFor,
  maxwellBoltzmann,
  Random,
  readCheckpoint,
  runMD,
  runMDAsync,
  serializeCheckpoint,
  StochasticVelocityRescaling,
  temperatureOf,
  totalMomentum,
  trajectoryObserver,
  truncateTrajectoryAfter,
  VelocityVerlet,
  wrapPositions,
  type ForceField,
  type Integrator,
  type MDState,
} from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';
import { ARGON, fccLattice, LennardJones } from '../support/pair-potential.js';
import { TRICLINIC_CELL } from '../support/random-systems.js';

const ff = new LennardJones(ARGON);
const dir = mkdtempSync(join(tmpdir(), 'lodestone-md-'));

const bytes = (a: Float64Array | null) => Buffer.from(a!.buffer, a!.byteOffset, a!.byteLength);

function expectIdentical(a: MDState, b: MDState): void {
  expect(bytes(a.positions).equals(bytes(b.positions))).toBe(true);
  expect(bytes(a.velocities).equals(bytes(b.velocities))).toBe(true);
  expect(bytes(a.forces).equals(bytes(b.forces))).toBe(true);
  expect(Object.is(a.energy, b.energy)).toBe(true);
  expect(Object.is(a.reservoirEnergy, b.reservoirEnergy)).toBe(true);
  expect(Object.is(a.time, b.time)).toBe(true);
  expect(a.step).toBe(b.step);
  expect(a.random.state()).toEqual(b.random.state());
}

describe('units and masses', () => {
  it('1 eV/A/amu in A/fs^2 and k_B in eV/K', () => {
    expect(Math.abs(ACCELERATION_UNIT / 9.648533212e-3 - 1)).toBeLessThan(1e-9);
    expect(BOLTZMANN).toBe(8.617333262e-5);
    // Equipartition check of the unit chain: <m v^2> = kT per component.
    const m = 39.948;
    const v2 = (BOLTZMANN * 300 * ACCELERATION_UNIT) / m; // A^2/fs^2
    expect(Math.sqrt(v2) * 1e5).toBeCloseTo(249.8, 0); // m/s, the thermal speed component of Ar at 300 K
  });

  it('standard atomic weights by atomic number, overrides, clear errors', () => {
    expect(atomicMass(1)).toBe(1.008);
    expect(atomicMass(11)).toBe(22.98976928);
    expect(atomicMass(17)).toBe(35.45);
    expect(atomicMass(36)).toBe(83.798);
    expect(atomicMass(79)).toBe(196.966569);
    // Spot checks across the table (a shifted row would break all of them).
    const known: Record<number, number> = { 6: 12.011, 8: 15.999, 14: 28.085, 26: 55.845, 35: 79.904, 47: 107.8682, 53: 126.90447, 78: 195.084, 82: 207.2, 92: 238.02891 };
    for (const [z, m] of Object.entries(known)) expect(atomicMass(Number(z))).toBe(m);
    // The mass order inverts exactly at K, Ni, I, Pa and Np.
    const inversions = [];
    for (let z = 2; z <= 94; z++) if (atomicMass(z) < atomicMass(z - 1)) inversions.push(z);
    expect(inversions).toEqual([19, 28, 53, 91, 93]);
    expect(Array.from(massesFor([1, 8, 1], { 1: 2.014 }))).toEqual([2.014, 15.999, 2.014]);
    expect(() => atomicMass(96)).toThrow(/no standard mass for atomic number Cm \(Z = 96\)/);
    expect(() => createState({ positions: [0, 0, 0], types: [120] })).toThrow(/no standard mass for atomic number 120/);
    expect(() => massesFor([1], { 1: -1 })).toThrow(/masses\[1\]: expected a positive mass/);
  });
});

describe('random generator', () => {
  it('is xoshiro128**: first outputs from state [1, 2, 3, 4] match the C reference implementation', () => {
    const r = Random.fromState({ words: [1, 2, 3, 4], spareNormal: null });
    expect(Array.from({ length: 5 }, () => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883]);
  });

  it('is reproducible, restartable from its state, and uniform/normal', () => {
    const a = new Random(42), b = new Random(42), c = new Random(43);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
    a.normal(); // leaves a cached spare normal in the state
    const saved = JSON.parse(JSON.stringify(a.state()));
    const restored = Random.fromState(saved);
    expect(Array.from({ length: 7 }, () => restored.normal())).toEqual(Array.from({ length: 7 }, () => a.normal()));
    const r = new Random(7);
    let s = 0, s2 = 0, s4 = 0, u = 0;
    const n = 200000;
    for (let k = 0; k < n; k++) {
      const g = r.normal();
      s += g; s2 += g * g; s4 += g ** 4;
      u += r.uniform();
    }
    expect(Math.abs(s / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    expect(Math.abs(u / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    let chi = 0;
    for (let k = 0; k < 20000; k++) chi += r.chiSquared(7);
    expect(Math.abs(chi / 20000 - 7)).toBeLessThan(5 * Math.sqrt(14 / 20000));
    expect(() => Random.fromState({ words: [0, 0, 0, 0], spareNormal: null })).toThrow(/must not all be zero/);
  });
});

describe('Maxwell-Boltzmann velocities', () => {
  it('zero total momentum and exactly the requested temperature', () => {
    const state = createState(fccLattice(3, 5.8), { masses: { 18: 39.948 }, seed: 3 });
    state.masses.forEach((_, i) => (state.masses[i] = 10 + (i % 7) * 20)); // unequal masses
    maxwellBoltzmann(state, 300);
    const p = totalMomentum(state);
    const scale = Math.sqrt(state.masses.reduce((a, m) => a + m * m, 0)) * 1e-2;
    for (const px of p) expect(Math.abs(px)).toBeLessThan(1e-14 * scale);
    const dof = degreesOfFreedom(state, true);
    expect(dof).toBe(3 * 108 - 3);
    expect(temperatureOf(kineticEnergyOf(state), dof)).toBeCloseTo(300, 10);
    // Equipartition per mass class: m <v^2> / 3 ~ kT (statistics of 108 atoms).
    let light = 0, heavy = 0, nl = 0, nh = 0;
    state.masses.forEach((m, i) => {
      const v2 = state.velocities[3 * i] ** 2 + state.velocities[3 * i + 1] ** 2 + state.velocities[3 * i + 2] ** 2;
      if (m < 60) { light += (m * v2) / 3; nl++; } else { heavy += (m * v2) / 3; nh++; }
    });
    const kT = BOLTZMANN * 300 * ACCELERATION_UNIT;
    expect(Math.abs(light / nl / kT - 1)).toBeLessThan(0.35);
    expect(Math.abs(heavy / nh / kT - 1)).toBeLessThan(0.35);
    // The speed of each atom follows its own mass: light atoms are faster.
    const speed2 = (i: number) => state.velocities[3 * i] ** 2 + state.velocities[3 * i + 1] ** 2 + state.velocities[3 * i + 2] ** 2;
    const meanSpeed2 = (pred: (m: number) => boolean) => {
      const idx = [...state.masses.keys()].filter((i) => pred(state.masses[i]));
      return idx.reduce((a, i) => a + speed2(i), 0) / idx.length;
    };
    expect(meanSpeed2((m) => m === 10)).toBeGreaterThan(4 * meanSpeed2((m) => m === 130));
  });

  it('is reproducible from the seed and rejects negative temperatures', () => {
    const a = createState(fccLattice(1, 5.8), { temperature: 100, seed: 9 });
    const b = createState(fccLattice(1, 5.8), { temperature: 100, seed: 9 });
    const c = createState(fccLattice(1, 5.8), { temperature: 100, seed: 10 });
    expect(a.velocities).toEqual(b.velocities);
    expect(a.velocities).not.toEqual(c.velocities);
    expect(() => maxwellBoltzmann(a, -1)).toThrow(/temperature: expected a non-negative number of K, got -1/);
  });
});

describe('checkpoint and restart', () => {
  const cases: Array<[string, () => Integrator]> = [
    ['Langevin', () => new Langevin({ dt: 4, temperature: 150, friction: 0.02 })],
    ['CSVR', () => new StochasticVelocityRescaling({ dt: 4, temperature: 150, tau: 40 })],
  ];
  for (const [name, make] of cases) {
    it(`reproduces an uninterrupted run bit for bit (${name})`, () => {
      const fresh = () => createState({ ...fccLattice(2, 5.8), cell: [11.6, 0, 0, 0.4, 11.6, 0, 0, 0, 11.6] }, { temperature: 200, seed: 5 });
      const straight = fresh();
      runMD({ forceField: ff, state: straight, integrator: make(), steps: 60 });

      const first = fresh();
      const path = join(dir, `${name}.json`);
      runMD({ forceField: ff, state: first, integrator: make(), steps: 25, observers: [checkpointObserver(path, { every: 1000, metadata: { note: 'x' } })] });
      const { state: resumed, integrator, metadata } = readCheckpoint(path);
      expect(metadata).toEqual({ note: 'x' });
      expect(integrator).toEqual(make().spec());
      expectIdentical(resumed, first);
      const calls = ff.calls;
      runMD({ forceField: ff, state: resumed, integrator: createIntegrator(integrator!), steps: 35 });
      expect(ff.calls - calls).toBe(35); // forces came from the checkpoint, not recomputed
      expectIdentical(resumed, straight);
      // And the run did something: a continued run from scratch with another seed differs.
      const other = createState(fccLattice(2, 5.8), { temperature: 200, seed: 6 });
      runMD({ forceField: ff, state: other, integrator: make(), steps: 60 });
      expect(bytes(other.positions).equals(bytes(straight.positions))).toBe(false);
    });
  }

  it('rejects foreign, truncated and inconsistent checkpoints', () => {
    const state = createState(fccLattice(1, 5.8), { temperature: 100 });
    const text = serializeCheckpoint(state, new VelocityVerlet({ dt: 1 }).spec());
    expect(deserializeCheckpoint(text).state.velocities).toEqual(state.velocities);
    expect(() => deserializeCheckpoint('{"format": "something"}', 'x.json')).toThrow(/x.json: not a lodestone MD checkpoint/);
    expect(() => deserializeCheckpoint(text.slice(0, 100), 'x.json')).toThrow(/x.json: not a JSON checkpoint/);
    const json = JSON.parse(text);
    json.positions = json.positions.slice(0, 40);
    expect(() => deserializeCheckpoint(JSON.stringify(json), 'x.json')).toThrow(/x.json: positions: expected 12 float64 values/);
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(text), integrator: { type: 'nose-hoover', dt: 1 } }));
    expect(() => readCheckpoint(path)).toThrow(/integrator: unknown type "nose-hoover"/);
    expect(() => readCheckpoint(join(dir, 'missing.json'))).toThrow(/cannot read/);
    expect(readFileSync(path, 'utf8')).toContain('lodestone-md-checkpoint');
  });
});

describe('trajectory', () => {
  it('streams frames with energy, forces and velocities; trimming after a step keeps a valid file', () => {
    const path = join(dir, 'traj.xyz');
    const state = createState(fccLattice(2, 5.8), { temperature: 100, seed: 1 });
    runMD({ forceField: ff, state, integrator: new VelocityVerlet({ dt: 2 }), steps: 10, observers: [trajectoryObserver(path, { every: 2 })] });
    let frames = readExtxyz(path);
    expect(frames.map((f) => f.info.step)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(frames.at(-1)!.positions).toEqual(state.positions);
    expect(frames.at(-1)!.arrays.velocities).toEqual(state.velocities);
    expect(frames.at(-1)!.arrays.forces).toEqual(state.forces);
    expect(frames.at(-1)!.info.energy).toBe(state.energy);
    expect(frames.at(-1)!.info.time).toBe(20);
    expect(truncateTrajectoryAfter(path, 5)).toBe(3);
    frames = readExtxyz(path);
    expect(frames.map((f) => f.info.step)).toEqual([0, 2, 4]);
    expect(truncateTrajectoryAfter(path, 100)).toBe(0);
    expect(truncateTrajectoryAfter(join(dir, 'none.xyz'), 0)).toBe(0);
    // A new observer without `append` starts the file afresh.
    trajectoryObserver(path);
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});

describe('run loop', () => {
  it('async and sync runs agree bit for bit', async () => {
    const a = createState(fccLattice(2, 5.8), { temperature: 150, seed: 1 });
    const b = createState(fccLattice(2, 5.8), { temperature: 150, seed: 1 });
    runMD({ forceField: ff, state: a, integrator: new Langevin({ dt: 4, temperature: 150, friction: 0.02 }), steps: 20 });
    const asyncFF: ForceField = { compute: () => { throw new Error('should use computeAsync'); }, computeAsync: async (s, r) => ff.compute(s, r) };
    const progress: number[] = [];
    await runMDAsync({
      forceField: asyncFF,
      state: b,
      integrator: new Langevin({ dt: 4, temperature: 150, friction: 0.02 }),
      steps: 20,
      onProgress: (p) => progress.push(p.done),
    });
    expectIdentical(a, b);
    expect(progress).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
  });

  it('an abort signal stops the run between steps and observers still finish', async () => {
    const state = createState(fccLattice(2, 5.8), { temperature: 150, seed: 1 });
    const stop = new AbortController();
    const finished: number[] = [];
    await runMDAsync({
      forceField: ff,
      state,
      integrator: new VelocityVerlet({ dt: 2 }),
      steps: 50,
      signal: stop.signal,
      onProgress: (p) => p.done === 3 && stop.abort(),
      observers: [{ every: 100, observe: () => {}, finish: (f) => finished.push(f.state.step) }],
    });
    expect(state.step).toBe(3);
    expect(finished).toEqual([3]);
  });

  it('wraps positions only when asked, without changing the dynamics', () => {
    const cell = TRICLINIC_CELL.map((v) => v * 2);
    const system = { ...fccLattice(2, 5.8), cell };
    const lj = new LennardJones({ ...ARGON, cutoff: 5, switchStart: 4 });
    const a = createState(system, { temperature: 3000, seed: 2 });
    const b = createState(system, { temperature: 3000, seed: 2 });
    runMD({ forceField: lj, state: a, integrator: new VelocityVerlet({ dt: 2 }), steps: 100 });
    runMD({ forceField: lj, state: b, integrator: new VelocityVerlet({ dt: 2 }), steps: 100, wrap: true });
    const unwrappedOutside = [...Array(32).keys()].some((i) => {
      const c = Float64Array.from(a.positions.slice(3 * i, 3 * i + 3));
      const w = { ...a, positions: c, types: Int32Array.of(18) } as MDState;
      wrapPositions(w);
      return c.some((v, x) => v !== a.positions[3 * i + x]);
    });
    expect(unwrappedOutside).toBe(true); // the default leaves atoms that left the cell outside
    wrapPositions(a);
    for (let k = 0; k < a.positions.length; k++) expect(a.positions[k]).toBeCloseTo(b.positions[k], 8);
    expect(a.energy!).toBeCloseTo(b.energy!, 10);
  });

  it('errors name the field or the step', () => {
    expect(() => new VelocityVerlet({ dt: 0 })).toThrow(/VelocityVerlet: dt: expected a positive number \(fs\), got 0/);
    expect(() => new Langevin({ dt: 1, temperature: -5, friction: 0.01 })).toThrow(/Langevin: temperature: expected a non-negative temperature \(K\), got -5/);
    expect(() => new Langevin({ dt: 1, temperature: 300, friction: 0 })).toThrow(/friction: expected a positive number \(1\/fs\)/);
    expect(() => new StochasticVelocityRescaling({ dt: 1, temperature: 300, tau: NaN })).toThrow(/tau: expected a positive number \(fs\)/);
    expect(() => createIntegrator({ type: 'berendsen' } as never)).toThrow(/unknown type "berendsen"; expected one of verlet, langevin, csvr/);
    expect(() => createState(fccLattice(1, 5.8), { fixed: [4] })).toThrow(/fixed\[0\]: expected an atom index in \[0, 4\), got 4/);
    expect(() => createState(fccLattice(1, 5.8), { masses: [1, 2] })).toThrow(/masses: expected 4 values/);
    let calls = 0;
    const broken: ForceField = {
      compute: (s, r) => {
        const out = ff.compute(s, r);
        if (++calls === 4) out.forces![7] = NaN;
        return out;
      },
    };
    const state = createState(fccLattice(2, 5.8), { temperature: 100 });
    expect(() => runMD({ forceField: broken, state, integrator: new VelocityVerlet({ dt: 1 }), steps: 10 })).toThrow(
      /step 3: force field returned a non-finite force on atom 2 \(NaN\); the run stops here/,
    );
    expect(state.step).toBe(2);
    const rest = createState(fccLattice(2, 5.8));
    expect(() => runMD({ forceField: ff, state: rest, integrator: new StochasticVelocityRescaling({ dt: 1, temperature: 300, tau: 10 }), steps: 1 })).toThrow(
      /step 0: stochastic velocity rescaling cannot heat a system at rest/,
    );
    expect(() => runMD({ forceField: ff, state: rest, integrator: new VelocityVerlet({ dt: 1 }), steps: 1.5 })).toThrow(/steps: expected a non-negative integer/);
  });
});
