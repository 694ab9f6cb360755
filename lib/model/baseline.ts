// Optional physics baseline of a model, added to the learned energy (off
// unless declared): Ewald electrostatics of fixed per-species charges, or the
// electrostatics of charges learned from the local environment
// (charge-model.ts). Fits then learn the residual, which is short-ranged
// when the baseline holds the charges' interaction.
import { Ewald } from '../longrange/ewald.js';
import type { ForceFieldResult } from '../core/forcefield.js';
import type { NativeSystem } from '../native/types.js';
import { toNativeSystem } from '../core/system.js';
import type { ChargeTrainingFrame, TrainingFrame } from './training-frame.js';
import { ChargeModel, type ChargeBaselineSpec, type ChargeFrame } from './charge-model.js';
import { fitLatentCharges } from './latent-charges.js';
import { atomicDipoleCharges } from './dipole-charges.js';
import { bondedPairs } from './fragments.js';

export type BaselineSpec = EwaldBaselineSpec | ChargeBaselineSpec;

export interface EwaldBaselineSpec {
  kind: 'ewald';
  /** Charge (e) of every species, by atomic number as a string key (JSON). */
  charges: Record<string, number>;
  /** Relative force accuracy of the lattice sums (default 1e-6). */
  accuracy?: number;
}

export class Baseline {
  private readonly ewald: Ewald | null = null;
  /** The learned-charge model of a 'charges' baseline. */
  readonly charges: ChargeModel | null = null;

  constructor(readonly spec: BaselineSpec, species: number[]) {
    const kind = typeof spec === 'object' && spec !== null ? (spec as { kind?: unknown }).kind : undefined;
    if (kind === 'charges') {
      this.charges = new ChargeModel(spec as ChargeBaselineSpec, species);
      return;
    }
    if (kind !== 'ewald') {
      throw new Error(`features.baseline.kind: expected 'ewald' or 'charges', got ${JSON.stringify(kind)}`);
    }
    const ewaldSpec = spec as EwaldBaselineSpec;
    const charges: Record<number, number> = {};
    for (const z of species) {
      const q = ewaldSpec.charges?.[String(z)];
      if (typeof q !== 'number' || !Number.isFinite(q)) {
        throw new Error(`features.baseline.charges: expected a charge (e) for atomic number ${z}, got ${JSON.stringify(q)}`);
      }
      charges[z] = q;
    }
    this.ewald = new Ewald({ charges, accuracy: ewaldSpec.accuracy ?? 1e-6 });
  }

  /**
   * Learns what the baseline learns (the charges of a 'charges' baseline)
   * from the training frames; a no-op otherwise. Without per-atom reference
   * charges in any frame the charges are learned from the energies
   * (latent-charges.ts), unless `fromEnergies` is false (the frames' energies
   * mean nothing, as in a dipole fit); `onProgress` follows that fit.
   * `extra` frames add their charges to the training frames' (and to none
   * of the energies).
   */
  learn(
    frames: readonly TrainingFrame[],
    systems: readonly NativeSystem[],
    fromEnergies = true,
    onProgress?: (done: number, total: number) => void,
    extra: readonly ChargeTrainingFrame[] = [],
  ): void {
    if (!this.charges || this.charges.fitted) return;
    const learnDipoles = this.charges.spec.atomicDipoles === true;
    const data = frames.flatMap((f, k) => (f.charges ? [chargeFrame(systems[k], { ...f, charges: f.charges }, `frames[${k}]`, learnDipoles)] : []));
    extra.forEach((f, k) => data.push(chargeFrame(toNativeSystem(f.system, `chargeFrames[${k}].system`), f, `chargeFrames[${k}]`, learnDipoles)));
    if (data.length > 0) this.charges.fit(data);
    else if (fromEnergies && !learnDipoles) {
      const energies = frames.map((f, k) => ({ system: systems[k], energy: f.energy, group: f.group }));
      this.charges.spec.molecules = fitLatentCharges(this.charges, energies, { onProgress });
    } else {
      const what = learnDipoles ? 'with atomicDipoles learns from per-atom reference charges and atomic dipoles' : 'here learns from per-atom reference charges';
      throw new Error(`features.baseline: a 'charges' baseline ${what}, and no training frame has \`charges\``);
    }
  }

  /** Energy, forces and the strain derivative dE/deps of the baseline. */
  evaluate(system: NativeSystem, strain: boolean): { energies: Float64Array; forces: Float64Array; dEdStrain: Float64Array | null } {
    if (this.charges) return { ...this.charges.evaluate(system), dEdStrain: null };
    const r: ForceFieldResult = this.ewald!.compute(system, { forces: true, perAtom: true, stress: strain });
    return { energies: r.energies!, forces: r.forces!, dEdStrain: strain ? r.virial!.map((v) => -v) : null };
  }

  /** Adds the baseline to a model's per-atom energies, forces and dE/dstrain (in place; null: no stress asked). */
  addTo(system: NativeSystem, energies: Float64Array, forces: Float64Array, strain: Float64Array | null): void {
    const b = this.evaluate(system, strain !== null && system.cell !== null);
    for (let i = 0; i < energies.length; i++) energies[i] += b.energies[i];
    for (let k = 0; k < forces.length; k++) forces[k] += b.forces[k];
    if (b.dEdStrain && strain) for (let k = 0; k < 9; k++) strain[k] += b.dEdStrain[k];
  }

  /** Training targets minus the baseline: what the learned part must fit. */
  residual(frame: TrainingFrame, system: NativeSystem): TrainingFrame {
    const b = this.evaluate(system, false);
    let e = 0;
    for (const v of b.energies) e += v;
    const forces = frame.forces ? Float64Array.from(frame.forces, (f, k) => f - b.forces[k]) : undefined;
    return { ...frame, energy: frame.energy - e, forces };
  }
}

/**
 * A charge-fit frame, its charges checked (one finite number per atom) and
 * its atomic dipoles, when it has them, kept for the dipole fit
 * (`learnDipoles`) or else carried by its charges.
 */
function chargeFrame(system: NativeSystem, frame: Pick<ChargeTrainingFrame, 'charges' | 'group' | 'atomicDipoles'>, name: string, learnDipoles: boolean): ChargeFrame {
  const { charges, group, atomicDipoles } = frame;
  const N = system.types.length;
  if (charges.length !== N) throw new Error(`${name}.charges: expected ${N} charges (e, one per atom), got ${charges.length}`);
  for (let i = 0; i < N; i++) {
    if (!Number.isFinite(charges[i])) throw new Error(`${name}.charges[${i}]: expected a finite number (e), got ${charges[i]}`);
  }
  if (atomicDipoles === undefined) {
    if (learnDipoles) throw new Error(`${name}.atomicDipoles: a 'charges' baseline with atomicDipoles learns them from every frame with charges, and this one has none`);
    return { system, charges, group };
  }
  const finite = Array.from(atomicDipoles).every(Number.isFinite);
  if (atomicDipoles.length !== 3 * N || !finite) {
    throw new Error(`${name}.atomicDipoles: expected ${3 * N} finite numbers (e A, [atoms][3]), got ${atomicDipoles.length} numbers${finite ? '' : ' with a non-finite one'}`);
  }
  if (learnDipoles) return { system, charges, group, dipoles: atomicDipoles };
  const neighbours: number[][] = Array.from({ length: N }, () => []);
  for (const [i, j] of bondedPairs(system.positions, system.types)) {
    neighbours[i].push(j);
    neighbours[j].push(i);
  }
  return { system, charges: atomicDipoleCharges(system.positions, charges, atomicDipoles, neighbours), group };
}
