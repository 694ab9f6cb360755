// The README's long-range example: LODE features, multi-scale invariants and
// Ewald electrostatics of a molten NaCl frame.   npx tsx examples/02-long-range.ts
import { Ewald, Invariants, LodeSphericalExpansion, SphericalExpansion } from '../lib/index.js';
import { readExtxyz } from '../lib/io/extxyz.js';

const [frame] = readExtxyz(new URL('../data/nacl-melt-64.xyz', import.meta.url).pathname);
const nacl = { positions: frame.positions, types: frame.types, cell: frame.cell, pbc: frame.pbc };

const lode = new LodeSphericalExpansion({
  density: { type: 'SmearedPowerLaw', smearing: 1.0, exponent: 1 },
  basis: { type: 'TensorProduct', max_angular: 4, radial: { type: 'Gto', max_radial: 5, radius: 4.5 } },
});
const density = new SphericalExpansion({
  cutoff: { radius: 4.5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.5 },
  basis: { type: 'TensorProduct', max_angular: 4, radial: { type: 'Gto', max_radial: 5 } },
});
const v = lode.compute(nacl);
console.log('LODE expansion', v.shape, 'k cutoff', lode.kCutoff.toFixed(3), '1/A');
const multiscale = new Invariants(density, lode);
console.log('rho x V invariants', multiscale.compute(nacl).shape);

const ewald = new Ewald({ charges: { 11: 1, 17: -1 }, accuracy: 1e-6 });
const { energy, forces, stress } = ewald.compute(nacl, { stress: true });
console.log(`Ewald energy ${energy.toFixed(6)} eV, |F_0| ${Math.hypot(...forces!.subarray(0, 3)).toFixed(4)} eV/A, stress_xx ${stress![0].toExponential(4)} eV/A^3`);
console.log('parameters', ewald.parameters);
