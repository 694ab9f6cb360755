// Spherical expansion and SOAP power spectrum: values, values + position
// gradients, and the backward (force) path, in microseconds per atom.
import { SoapPowerSpectrum, SphericalExpansion, setNumThreads, type SphericalExpansionHypers } from '../lib/index.js';
import { moltenNaCl, silicon } from './support/structures.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';

export const HYPERS: SphericalExpansionHypers = {
  cutoff: { radius: 5, smoothing: { type: 'ShiftedCosine', width: 0.5 } },
  density: { type: 'Gaussian', width: 0.3 },
  basis: { type: 'TensorProduct', max_angular: 6, radial: { type: 'Gto', max_radial: 7 } },
};

export async function run(quick: boolean): Promise<Row[]> {
  const systems = [silicon(quick ? 4 : 8), moltenNaCl(quick ? 2 : 4)];
  const expansion = new SphericalExpansion(HYPERS);
  const spectrum = new SoapPowerSpectrum(HYPERS);
  const rows: Row[] = [];
  for (const threads of [1, 2]) {
    setNumThreads(threads);
    for (const { name, ...system } of systems) {
      const n = system.types.length;
      const perAtom = (seconds: number) => (seconds * 1e6) / n;
      const runs = quick ? 3 : 5;
      const seValues = await time(() => expansion.compute(system), { runs });
      const seGrad = await time(() => expansion.compute(system, { gradients: ['positions'] }), { runs });
      const psValues = await time(() => spectrum.compute(system), { runs });
      const psGrad = await time(() => spectrum.compute(system, { gradients: ['positions'] }), { runs });
      const probe = spectrum.compute(system);
      const dLdx = new Float64Array(probe.values.length).fill(1e-3);
      const psBackward = await time(() => spectrum.backward(system, dLdx), { runs });
      rows.push({
        structure: name,
        threads,
        'SE values µs/atom': perAtom(seValues.median),
        'SE +pos grad µs/atom': perAtom(seGrad.median),
        'PS values µs/atom': perAtom(psValues.median),
        'PS +pos grad µs/atom': perAtom(psGrad.median),
        'PS backward µs/atom': perAtom(psBackward.median),
        'backward / values': psBackward.median / psValues.median,
      });
    }
  }
  return rows;
}
