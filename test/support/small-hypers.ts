// The small SOAP density (l, n <= 2) that model and backward tests build on:
// cheap enough for finite differences, rich enough to have every block kind.
import type { SphericalExpansionHypers } from '../../lib/index.js';

export const smallSoap = (radius = 3.5, width = 0.5): SphericalExpansionHypers => ({
  cutoff: { radius, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width },
  basis: { type: 'TensorProduct', max_angular: 2, radial: { type: 'Gto', max_radial: 2 } },
});
