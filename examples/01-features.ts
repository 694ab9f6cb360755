// The README's feature example: SOAP power spectrum of a water molecule,
// gradients of the density expansion and the backward pass.
import { SoapPowerSpectrum, SphericalExpansion, type SphericalExpansionHypers } from '../lib/index.js';

const hypers: SphericalExpansionHypers = {
  cutoff: { radius: 5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.3 },
  basis: { type: 'TensorProduct', max_angular: 6, radial: { type: 'Gto', max_radial: 7 } },
};

const water = {
  positions: [[0, 0, 0], [0.757, 0.586, 0], [-0.757, 0.586, 0]],
  types: [8, 1, 1],
};

const soap = new SoapPowerSpectrum(hypers);
const x = soap.compute(water);
console.log('power spectrum', x.shape, x.properties.names.join(', '));

const c = new SphericalExpansion(hypers).compute(water, { gradients: ['positions'] });
console.log('expansion gradient', c.gradients.positions!.shape);

const dLdx = new Float64Array(x.values.length).fill(1);
const { positions, strain } = soap.backward(water, dLdx);
console.log('dL/dr of atom 0', Array.from(positions.subarray(0, 3)), 'dL/dstrain', strain.length);
