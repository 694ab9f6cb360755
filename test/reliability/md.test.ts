// Reliability corpus for molecular dynamics: createState, the integrators and
// runMD/runMDAsync with bad time steps, temperatures, masses and options, and
// force fields that return NaN or throw in the middle of a run. Every case:
// an Error naming the problem (and the step, for force-field failures); the
// state is left at the last completed step, so continuing with a working
// force field reproduces an uninterrupted run bit for bit.
import { describe, expect, it } from 'vitest';
import {
  cloneState,
  createIntegrator,
  createState,
  Langevin,
  runMD,
  runMDAsync,
  StochasticVelocityRescaling,
  VelocityVerlet,
  type ForceField,
  type ForceFieldResult,
  type Integrator,
  type MDState,
  type System,
} from '../../lib/index.js';
import { ARGON, fccLattice, LennardJones } from '../support/pair-potential.js';
import { CaseCounter, differences } from '../support/reliability.js';

const counter = new CaseCounter('md');
const lattice = fccLattice(3, 5.26);
const argon: System = { positions: lattice.positions, types: lattice.types, cell: lattice.cell };
const N = lattice.types.length;
const lj = new LennardJones(ARGON);

const fresh = (seed = 3) => createState(argon, { temperature: 60, seed });
const langevin = () => new Langevin({ dt: 2, temperature: 60, friction: 0.01 });
/** Reference: 12 uninterrupted Langevin steps. */
const reference = runMD({ forceField: lj, state: fresh(), integrator: langevin(), steps: 12 });

function stillWorks(): void {
  const s = runMD({ forceField: lj, state: fresh(), integrator: langevin(), steps: 12 });
  expect(differences(s.positions, reference.positions)).toBe(0);
  expect(differences(s.velocities, reference.velocities)).toBe(0);
}

describe('createState with bad input', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['system null', () => createState(null as never), /createState: system.positions: missing/],
    ['NaN position', () => createState({ ...argon, positions: Float64Array.from(lattice.positions, (v, k) => (k === 4 ? Number.NaN : v)) }), /createState: system\.positions\[1\]\[1\]: expected a finite number \(A\), got NaN/],
    ['mismatched arrays', () => createState({ ...argon, types: [18] }), /createState: system\.positions: expected 3 numbers \(3 per atom for 1 types\), got 324/],
    ['a zero mass (per atom)', () => createState(argon, { masses: Float64Array.from({ length: N }, (_, i) => (i === 3 ? 0 : 40)) }), /createState: masses\[3\]: expected a positive mass in amu, got 0/],
    ['a negative mass (per atom)', () => createState(argon, { masses: Float64Array.from({ length: N }, (_, i) => (i === 0 ? -40 : 40)) }), /masses\[0\]: expected a positive mass in amu, got -40/],
    ['a NaN mass (per atom)', () => createState(argon, { masses: Float64Array.from({ length: N }, (_, i) => (i === 7 ? Number.NaN : 40)) }), /masses\[7\]: expected a positive mass in amu, got NaN/],
    ['masses of the wrong length', () => createState(argon, { masses: [40, 40] }), /masses: expected 108 values \(one per atom\), got 2/],
    ['a zero mass (table)', () => createState(argon, { masses: { 18: 0 } }), /mass.*18.*0|18.*positive/],
    ['an infinite mass (table)', () => createState(argon, { masses: { 18: Infinity } }), /mass.*18|18.*positive/],
    ['a species without a standard mass', () => createState({ positions: [0, 0, 0], types: [150] }), /150/],
    ['negative temperature', () => createState(argon, { temperature: -1 }), /temperature.*-1/],
    ['NaN temperature', () => createState(argon, { temperature: Number.NaN }), /temperature.*NaN/],
    ['Infinity temperature', () => createState(argon, { temperature: Infinity }), /temperature.*Infinity/],
    ['temperature a string', () => createState(argon, { temperature: '300' as never }), /temperature/],
    ['velocities of the wrong length', () => createState(argon, { velocities: new Float64Array(5) }), /velocities: expected 324 numbers \(A\/fs\), got 5/],
    ['a NaN velocity', () => createState(argon, { velocities: Float64Array.from({ length: 3 * N }, (_, k) => (k === 9 ? Number.NaN : 0)) }), /velocities\[9\]: expected a finite number \(A\/fs\), got NaN/],
    ['velocities and temperature', () => createState(argon, { velocities: new Float64Array(3 * N), temperature: 10 }), /give either velocities or temperature, not both/],
    ['seed 1.5', () => createState(argon, { seed: 1.5 }), /seed: expected an integer, got 1\.5/],
    ['fixed atom out of range', () => createState(argon, { fixed: [108] }), /fixed\[0\]: expected an atom index in \[0, 108\), got 108/],
    ['fixed atom listed twice', () => createState(argon, { fixed: [2, 2] }), /fixed: atom 2 is listed twice/],
  ];
  for (const [name, f, message] of cases) it(name, () => void counter.throws(f, message, stillWorks, name));
});

describe('integrators with bad parameters', () => {
  const cases: [string, () => Integrator, RegExp][] = [
    ['Verlet dt 0', () => new VelocityVerlet({ dt: 0 }), /VelocityVerlet: dt: expected a positive number \(fs\), got 0/],
    ['Verlet dt -1', () => new VelocityVerlet({ dt: -1 }), /dt: expected a positive number \(fs\), got -1/],
    ['Verlet dt NaN', () => new VelocityVerlet({ dt: Number.NaN }), /dt: expected a positive number \(fs\), got NaN/],
    ['Verlet dt Infinity', () => new VelocityVerlet({ dt: Infinity }), /dt: expected a positive number \(fs\), got Infinity/],
    ['Verlet dt a string', () => new VelocityVerlet({ dt: '1' as never }), /dt: expected a positive number \(fs\), got 1/],
    ['Verlet without options', () => new VelocityVerlet(undefined as never), /dt: expected a positive number \(fs\), got undefined/],
    ['Langevin negative temperature', () => new Langevin({ dt: 1, temperature: -5, friction: 0.01 }), /Langevin: temperature: expected a non-negative temperature \(K\), got -5/],
    ['Langevin NaN temperature', () => new Langevin({ dt: 1, temperature: Number.NaN, friction: 0.01 }), /temperature: expected a non-negative temperature \(K\), got NaN/],
    ['Langevin friction 0', () => new Langevin({ dt: 1, temperature: 300, friction: 0 }), /Langevin: friction: expected a positive number \(1\/fs\), got 0/],
    ['Langevin dt NaN', () => new Langevin({ dt: Number.NaN, temperature: 300, friction: 0.01 }), /Langevin: dt: expected a positive number/],
    ['CSVR tau 0', () => new StochasticVelocityRescaling({ dt: 1, temperature: 300, tau: 0 }), /tau: expected a positive number/],
    ['CSVR Infinity temperature', () => new StochasticVelocityRescaling({ dt: 1, temperature: Infinity, tau: 100 }), /temperature: expected a non-negative temperature/],
    ['createIntegrator unknown type', () => createIntegrator({ type: 'nose-hoover', dt: 1 } as never), /integrator: unknown type "nose-hoover"; expected one of verlet, langevin, csvr/],
    ['createIntegrator null', () => createIntegrator(null as never), /integrator: unknown type undefined/],
  ];
  for (const [name, f, message] of cases) it(name, () => void counter.throws(f, message, stillWorks, name));
});

describe('runMD with bad options', () => {
  const base = () => ({ forceField: lj as ForceField, state: fresh(), integrator: langevin() as Integrator, steps: 2 });
  const cases: [string, () => Parameters<typeof runMD>[0], RegExp][] = [
    ['options null', () => null as never, /runMD: expected options/],
    ['no force field', () => ({ ...base(), forceField: undefined as never }), /runMD: forceField: expected an object with compute/],
    ['force field without compute', () => ({ ...base(), forceField: {} as never }), /runMD: forceField: expected an object with compute/],
    ['state a system', () => ({ ...base(), state: argon as never }), /runMD: state: expected an MDState/],
    ['no integrator', () => ({ ...base(), integrator: { dt: 1 } as never }), /runMD: integrator: expected an integrator/],
    ['steps -1', () => ({ ...base(), steps: -1 }), /runMD: steps: expected a non-negative integer, got -1/],
    ['steps 1.5', () => ({ ...base(), steps: 1.5 }), /runMD: steps: expected a non-negative integer, got 1\.5/],
    ['steps NaN', () => ({ ...base(), steps: Number.NaN }), /runMD: steps: expected a non-negative integer, got NaN/],
    ['observer every 0', () => ({ ...base(), observers: [{ every: 0, observe: () => {} }] }), /runMD: observers\[0\]\.every: expected a positive integer, got 0/],
    ['state with truncated velocities', () => { const s = fresh(); s.velocities = s.velocities.subarray(0, 9); return { ...base(), state: s }; }, /runMD: state: positions, velocities \(3 x 108\) and masses \(108\) do not match the 108 atoms/],
  ];
  for (const [name, make, message] of cases) {
    it(name, async () => {
      counter.throws(() => runMD(make()), message, stillWorks, name);
      await counter.rejects(() => runMDAsync(make()), message, stillWorks, `${name} (async)`);
    });
  }
});

/** A force field that misbehaves at one call (0-based; call 0 is the initial forces). */
function faulty(at: number, how: 'nan-energy' | 'nan-force' | 'throw' | 'throw-string' | 'short-forces' | 'nothing', async = false): ForceField {
  let calls = 0;
  const compute = (system: System): ForceFieldResult => {
    const r = lj.compute(system, { forces: true });
    if (calls++ !== at) return r;
    switch (how) {
      case 'nan-energy':
        return { ...r, energy: Number.NaN };
      case 'nan-force':
        return { ...r, forces: Float64Array.from(r.forces!, (v, k) => (k === 10 ? Number.NaN : v)) };
      case 'throw':
        throw new Error('neighbour list exploded');
      case 'throw-string':
        throw 'a string, not an Error'; // eslint-disable-line no-throw-literal
      case 'short-forces':
        return { ...r, forces: r.forces!.subarray(0, 6) };
      case 'nothing':
        return undefined as never;
    }
  };
  return async ? { compute, computeAsync: async (s: System) => compute(s) } : { compute };
}

const failures: [string, 'nan-energy' | 'nan-force' | 'throw' | 'throw-string' | 'short-forces' | 'nothing', RegExp][] = [
  ['NaN energy', 'nan-energy', /^step 5: force field returned a non-finite energy \(NaN\); the run stops here/],
  ['NaN force', 'nan-force', /^step 5: force field returned a non-finite force on atom 3 \(NaN\)/],
  ['an exception', 'throw', /^step 5: force field failed: neighbour list exploded; the state is left at step 4/],
  ['a thrown string', 'throw-string', /^step 5: force field failed: a string, not an Error/],
  ['too few forces', 'short-forces', /^step 5: force field returned 6 force components, expected 324/],
  ['no result', 'nothing', /^step 5: force field returned no energy/],
];

describe('force fields failing in the middle of a run', () => {
  for (const [name, how, message] of failures) {
    for (const mode of ['sync', 'async'] as const) {
      it(`${name} at step 5 (${mode}): an Error naming the step; the run continues exactly`, async () => {
        const state = fresh();
        const run = (forceField: ForceField, steps: number) => ({ forceField, state, integrator: langevin(), steps });
        const bad = faulty(5, how, mode === 'async');
        if (mode === 'sync') counter.throws(() => runMD(run(bad, 12)), message, undefined, name);
        else await counter.rejects(() => runMDAsync(run(bad, 12)), message, undefined, name);
        expect(state.step).toBe(4);
        expect(state.positions.every(Number.isFinite) && state.velocities.every(Number.isFinite)).toBe(true);
        // continue with a working force field: identical to the uninterrupted run
        const copy = cloneState(state);
        runMD(run(lj, 12 - state.step));
        expect(state.step).toBe(12);
        expect(differences(state.positions, reference.positions)).toBe(0);
        expect(differences(state.velocities, reference.velocities)).toBe(0);
        expect(copy.step).toBe(4);
        stillWorks();
      });
    }
  }

  it('a failure of the initial force evaluation names step 0 and leaves the state untouched', () => {
    const state = fresh();
    const before = cloneState(state);
    counter.throws(() => runMD({ forceField: faulty(0, 'throw'), state, integrator: langevin(), steps: 3 }), /^step 0: force field failed: neighbour list exploded/);
    expect(differences(state.positions, before.positions)).toBe(0);
    expect(differences(state.velocities, before.velocities)).toBe(0);
    expect(state.forces).toBeNull();
    stillWorks();
  });

  it('atoms driven on top of each other by a huge time step: Error naming the step, not a crash', () => {
    // 1e7 K and 50 fs steps: atoms meet within 200 steps (at step 73 for this seed);
    // without the watchdog (test/md/watchdog.test.ts), which would stop the run first
    const state = createState(argon, { temperature: 1e7, seed: 1 });
    counter.throws(
      () => runMD({ forceField: lj, state, integrator: new VelocityVerlet({ dt: 50 }), steps: 200, watchdog: false }),
      /^step \d+: force field returned a non-finite energy \(NaN\); the run stops here \(the dynamics may have diverged: try a smaller time step than 50 fs\)$/,
      stillWorks,
    );
  });
});

describe('MD with the Ewald force field and overlapping atoms', () => {
  it('createState accepts overlapping atoms; the first force evaluation names them', async () => {
    const { Ewald } = await import('../../lib/index.js');
    const ewald = new Ewald({ charges: { 11: 1, 17: -1 } });
    const state: MDState = createState({ positions: [0, 0, 0, 0, 0, 0, 3, 0, 0], types: [11, 17, 17] });
    counter.throws(() => runMD({ forceField: ewald, state, integrator: new VelocityVerlet({ dt: 1 }), steps: 2 }), /^step 0: force field failed: .*same position/, stillWorks);
  });
});
