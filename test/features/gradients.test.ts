// Every feature calculator through the one finite-difference check
// (test/support/check-gradients.ts): all atom coordinates, all strain
// components, the cell where the calculator offers it, and the backward pass,
// periodic and molecular, direct and mesh.
import { describe, expect, it } from 'vitest';
import {
  ContractedExpansion,
  Invariants,
  LodeSphericalExpansion,
  SoapPowerSpectrum,
  SphericalExpansion,
  type LodeSphericalExpansionHypers,
  type SphericalExpansionHypers,
} from '../../lib/index.js';
import { checkGradients } from '../support/check-gradients.js';
import { relativeError } from '../support/finite-differences.js';
import { randomSystem, rng, TRICLINIC_CELL } from '../support/random-systems.js';

const density = (radius = 3.5, width = 0.4, maxRadial = 2, maxAngular = 2): SphericalExpansionHypers => ({
  cutoff: { radius, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width },
  basis: { type: 'TensorProduct', max_angular: maxAngular, radial: { type: 'Gto', max_radial: maxRadial } },
});

const potential = (exponent: number, extra: Partial<LodeSphericalExpansionHypers> = {}): LodeSphericalExpansionHypers => ({
  density: { type: 'SmearedPowerLaw', smearing: 1.2, exponent },
  basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: 2, radius: 3.5 }, spline_accuracy: 1e-10 },
  ...extra,
});

const periodic = randomSystem({ seed: 61, atoms: 6, types: [1, 8], cell: TRICLINIC_CELL, minDistance: 1.0 });
const molecule = randomSystem({ seed: 62, atoms: 5, types: [1, 8], box: 3.5, minDistance: 1.0 });
const systems = [['periodic', periodic], ['molecule', molecule]] as const;

describe('SphericalExpansion', () => {
  const expansion = new SphericalExpansion(density());
  for (const [name, system] of systems) {
    it(`positions, strain${name === 'periodic' ? ', cell' : ''} and backward (${name})`, () => {
      checkGradients(expansion, system, { cell: name === 'periodic' });
    });
  }
  it('a subset of centres and neighbour types (periodic)', () => {
    checkGradients(expansion, periodic, { cell: true, options: { centers: [0, 3, 5], neighborTypes: [1, 6, 8] } });
  });
});

describe('LodeSphericalExpansion, direct k sum and real space', () => {
  for (const exponent of [0, 1, 2, 3, 4, 5, 6]) {
    const lode = new LodeSphericalExpansion(potential(exponent));
    for (const [name, system] of systems) {
      it(`p = ${exponent}: positions, strain and backward (${name})`, () => {
        checkGradients(lode, system, { seed: exponent });
      });
    }
  }
  it('center_atom_weight 0.3 and a subset of centres (periodic, p = 1)', () => {
    const lode = new LodeSphericalExpansion({ ...potential(1), center_atom_weight: 0.3 } as LodeSphericalExpansionHypers);
    checkGradients(lode, periodic, { options: { centers: [1, 4] } });
  });
});

describe('LodeSphericalExpansion on a mesh: backward against finite differences of the mesh values', () => {
  for (const exponent of [1, 3, 6]) {
    it(`p = ${exponent}`, () => {
      const lode = new LodeSphericalExpansion(potential(exponent, { method: 'mesh', mesh: [16, 16, 16], mesh_order: 5 }));
      checkGradients(lode, periodic, { positions: false, strain: false, seed: 10 + exponent });
    });
  }
});

describe('Invariants', () => {
  const rho = new SphericalExpansion(density());
  const wide = new SphericalExpansion(density(4.5, 0.7, 1, 2));
  const direct = new LodeSphericalExpansion(potential(1));
  const dispersion = new LodeSphericalExpansion(potential(6));
  const mesh = new LodeSphericalExpansion(potential(1, { method: 'mesh', mesh: [16, 16, 16], mesh_order: 5 }));
  const auto = new LodeSphericalExpansion(potential(1, { method: 'auto' }));
  const cases: [string, () => Invariants, boolean][] = [
    ['power spectrum rho x rho', () => new Invariants(rho, rho), true],
    ['power spectrum, normalised', () => new SoapPowerSpectrum(density(), { normalize: true }), true],
    ['rho x rho of two expansions', () => new Invariants(rho, wide), false],
    ['rho x V (p = 1, direct)', () => new Invariants(rho, direct), false],
    ['rho x V (p = 6, direct)', () => new Invariants(rho, dispersion), false],
    ['V x V (p = 1, direct)', () => new Invariants(direct, direct), true],
    ['V x V of two exponents', () => new Invariants(direct, dispersion), false],
  ];
  for (const [name, make, gradients] of cases) {
    for (const [kind, system] of systems) {
      it(`${name}: ${gradients ? 'positions, strain and ' : ''}backward (${kind})`, () => {
        checkGradients(make(), system, { positions: gradients, strain: gradients });
      });
    }
  }
  for (const [name, lode] of [['mesh', mesh], ['auto', auto]] as const) {
    it(`rho x V and V x V through the ${name} LODE: backward (periodic)`, () => {
      checkGradients(new Invariants(rho, lode), periodic, { positions: false, strain: false });
      checkGradients(new Invariants(lode, lode), periodic, { positions: false, strain: false });
    });
  }
});

describe('ContractedExpansion inside invariants', () => {
  it('contracted rho x contracted V: backward (periodic and molecule)', () => {
    const random = rng(3);
    const species = [1, 8];
    // channels K = 2 of (types 2 x radial 3) per l: 3 matrices of 2 x 6
    const matrix = () => Float64Array.from({ length: 3 * 2 * 6 }, () => random() - 0.5);
    const rho = new ContractedExpansion(new SphericalExpansion(density()), species, 2, matrix());
    const v = new ContractedExpansion(new LodeSphericalExpansion(potential(1)), species, 2, matrix());
    const invariants = new Invariants(rho, v);
    for (const [, system] of systems) checkGradients(invariants, system, { positions: false, strain: false, options: { neighborTypes: species } });
  });

  it('contracted V on the mesh (contracted before the FFTs): backward against finite differences, values against the direct sum', () => {
    const random = rng(4);
    const species = [1, 6, 8];
    const system = randomSystem({ seed: 63, atoms: 9, types: species, cell: TRICLINIC_CELL, minDistance: 1.0 });
    // K = 4 of (types 3 x radial 3) per l
    const matrix = () => Float64Array.from({ length: 3 * 4 * 9 }, () => random() - 0.5);
    const rho = new ContractedExpansion(new SphericalExpansion(density()), species, 4, matrix());
    const u = matrix();
    const onMesh = (extra: Partial<LodeSphericalExpansionHypers>) =>
      new Invariants(rho, new ContractedExpansion(new LodeSphericalExpansion(potential(6, extra)), species, 4, u));
    const mesh = onMesh({ method: 'mesh', accuracy: 1e-10 });
    const options = { neighborTypes: species, centers: [0, 2, 3, 7] };
    expect(relativeError(mesh.compute(system, options).values, onMesh({}).compute(system, options).values)).toBeLessThan(1e-9);
    checkGradients(mesh, system, { positions: false, strain: false, options });
  });

  it("one mesh LODE shared by two contractions and used plain: each gets its own k-space kernels (the mesh's cache of them is per contraction)", () => {
    const random = rng(5);
    const species = [1, 6, 8];
    const system = randomSystem({ seed: 64, atoms: 9, types: species, cell: TRICLINIC_CELL, minDistance: 1.0 });
    const matrix = () => Float64Array.from({ length: 3 * 4 * 9 }, () => random() - 0.5);
    const rho = new SphericalExpansion(density());
    const rhoContracted = new ContractedExpansion(rho, species, 4, matrix());
    const shared = new LodeSphericalExpansion(potential(6, { method: 'mesh', accuracy: 1e-10 }));
    const direct = new LodeSphericalExpansion(potential(6));
    const [u, w] = [matrix(), matrix()];
    const options = { neighborTypes: species };
    const pairs = [
      [new Invariants(rhoContracted, new ContractedExpansion(shared, species, 4, u)), new Invariants(rhoContracted, new ContractedExpansion(direct, species, 4, u))],
      [new Invariants(rhoContracted, new ContractedExpansion(shared, species, 4, w)), new Invariants(rhoContracted, new ContractedExpansion(direct, species, 4, w))],
      [new Invariants(rho, shared), new Invariants(rho, direct)],
    ];
    // twice round, so each one follows another on the shared mesh
    for (let round = 0; round < 2; round++) {
      for (const [onMesh, exact] of pairs) {
        expect(relativeError(onMesh.compute(system, options).values, exact.compute(system, options).values)).toBeLessThan(1e-9);
      }
    }
  });
});
