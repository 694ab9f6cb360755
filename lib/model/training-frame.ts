// One reference structure of a data set, and its cross-validation key
// (groupKeys). Its own module because the feature set, the baseline, the
// charge fits and the fit all read it: defined in training.ts it would close
// an import cycle through feature-set.ts.
import type { System } from '../core/system.js';

export interface TrainingFrame {
  system: System;
  /** Total potential energy (eV). */
  energy: number;
  /** Forces (eV/A), [atoms][3] row-major; frames without forces train on energies only. */
  forces?: ArrayLike<number>;
  /**
   * Frames with the same group (one binding curve, one trajectory) always
   * share a cross-validation fold, so the regularisation is chosen on data
   * that is new to the model rather than on near-copies of training frames.
   */
  group?: string | number;
  /** Reference partial charges (e), one per atom: what a 'charges' baseline learns from. */
  charges?: ArrayLike<number>;
  /**
   * Reference atomic dipoles (e A, [atoms][3] row-major), with `charges`,
   * for a reference whose electrostatics has atomic dipoles too (GFN2-xTB):
   * what the atomic dipoles of a 'charges' baseline with atomicDipoles learn
   * from; without atomicDipoles each is carried by charges on its atom and
   * bonded neighbours instead (dipole-charges.ts).
   */
  atomicDipoles?: ArrayLike<number>;
}

/**
 * A frame that only the learned charges of a 'charges' baseline learn from
 * (FitOptions.chargeFrames): e.g. a molecule at distorted geometries, whose
 * reference charges say how its charges change as its own atoms move (the
 * charge fluxes behind the forces in a field), while its energies and forces
 * would make the energy model spend itself on intramolecular distortions.
 */
export interface ChargeTrainingFrame {
  system: System;
  /** Reference partial charges (e), one per atom. */
  charges: ArrayLike<number>;
  /** Cross-validation group of the charge fit (see TrainingFrame.group). */
  group?: string | number;
  /** Reference atomic dipoles (e A, [atoms][3]): see TrainingFrame.atomicDipoles. */
  atomicDipoles?: ArrayLike<number>;
}

/**
 * The cross-validation key of every frame: its group, or the frame alone
 * when it has none (frames of one key always share a fold).
 */
export function groupKeys(frames: ReadonlyArray<{ group?: string | number }>): string[] {
  return frames.map((f, k) => (f.group === undefined ? `#${k}` : `=${String(f.group)}`));
}
