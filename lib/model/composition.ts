// Per-species reference energies, fitted before any model: the least-squares
// energy of each element from the training frames' compositions alone.
//
// Why: total energies are large offsets (hundreds of eV per molecule) that
// only the per-species biases should carry. The fits regularise every
// parameter, the biases too, so without this step part of the offset went
// into the feature weights, on whichever features have a large mean. Long-
// range features change most between the training window and a new
// structure (a molecule's field drops to its own as its partner leaves), so
// that part of the offset came back as errors of eV per dimer: energies-only
// fits of charged dimers extrapolated 9-11 eV off, 0.2-0.3 eV with the
// reference energies taken out first. The learned model then fits what the
// composition leaves, and the reference energies go into its biases.
import { symmetricEigen } from './contraction.js';
import { speciesIndices } from './species.js';
import type { TrainingFrame } from './training-frame.js';

/**
 * Atoms of each species (order of `species`) in one frame. Atoms of other
 * species and malformed systems count nothing here: the fit's own
 * validation rejects those frames with its messages.
 */
function composition(frame: TrainingFrame, species: readonly number[]): Float64Array {
  const counts = new Float64Array(species.length);
  const types = frame.system?.types;
  if (!types || typeof types.length !== 'number') return counts;
  for (const s of speciesIndices(species, types)) if (s >= 0) counts[s] += 1;
  return counts;
}

/**
 * Reference energy per atom of each species (eV), minimising the squared
 * per-atom energy error sum_f ((E_f - sum_s n_fs e_s) / N_f)^2 (the fits'
 * energy loss). Compositions that never vary independently (a melt of
 * fixed stoichiometry) leave directions undetermined: the minimum-norm
 * solution is taken, so such species share the offset.
 */
export function referenceEnergies(frames: readonly TrainingFrame[], species: readonly number[]): Float64Array {
  const S = species.length;
  const normal = new Float64Array(S * S);
  const rhs = new Float64Array(S);
  for (const frame of frames) {
    const n = composition(frame, species);
    const atoms = n.reduce((a, b) => a + b, 0);
    if (atoms === 0 || !Number.isFinite(frame.energy)) continue;
    const w = 1 / (atoms * atoms);
    for (let s = 0; s < S; s++) {
      rhs[s] += w * n[s] * frame.energy;
      for (let t = 0; t < S; t++) normal[s * S + t] += w * n[s] * n[t];
    }
  }
  const { values, vectors } = symmetricEigen(normal, S);
  const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const energies = new Float64Array(S);
  for (let k = 0; k < S; k++) {
    if (!(values[k] > 1e-12 * largest)) continue;
    let projection = 0;
    for (let s = 0; s < S; s++) projection += vectors[s * S + k] * rhs[s];
    for (let s = 0; s < S; s++) energies[s] += (vectors[s * S + k] * projection) / values[k];
  }
  return energies;
}

/** The frames with their composition energy sum_s n_s e_s taken out of the energy. */
export function withoutReference(frames: readonly TrainingFrame[], species: readonly number[], energies: Float64Array): TrainingFrame[] {
  return frames.map((frame) => {
    const n = composition(frame, species);
    let offset = 0;
    for (let s = 0; s < species.length; s++) offset += n[s] * energies[s];
    return { ...frame, energy: frame.energy - offset };
  });
}
