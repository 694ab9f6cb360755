// Optional physics baseline of a model: Ewald electrostatics of fixed
// per-species charges, added to the learned energy (off unless declared).
// Fits then learn the residual, which for ionic systems is short-ranged.
import { Ewald } from '../longrange/ewald.js';
import type { ForceFieldResult } from '../core/forcefield.js';
import type { NativeSystem } from '../native/types.js';
import type { TrainingFrame } from './training-frame.js';

export interface BaselineSpec {
  kind: 'ewald';
  /** Charge (e) of every species, by atomic number as a string key (JSON). */
  charges: Record<string, number>;
  /** Relative force accuracy of the lattice sums (default 1e-6). */
  accuracy?: number;
}

export class Baseline {
  private readonly ewald: Ewald;

  constructor(readonly spec: BaselineSpec, species: number[]) {
    if (typeof spec !== 'object' || spec === null || spec.kind !== 'ewald') {
      throw new Error(`features.baseline.kind: expected 'ewald', got ${JSON.stringify((spec as { kind?: unknown } | null)?.kind)}`);
    }
    const charges: Record<number, number> = {};
    for (const z of species) {
      const q = spec.charges?.[String(z)];
      if (typeof q !== 'number' || !Number.isFinite(q)) {
        throw new Error(`features.baseline.charges: expected a charge (e) for atomic number ${z}, got ${JSON.stringify(q)}`);
      }
      charges[z] = q;
    }
    this.ewald = new Ewald({ charges, accuracy: spec.accuracy ?? 1e-6 });
  }

  /** Energy, forces and the strain derivative dE/deps of the baseline. */
  evaluate(system: NativeSystem, strain: boolean): { energies: Float64Array; forces: Float64Array; dEdStrain: Float64Array | null } {
    const r: ForceFieldResult = this.ewald.compute(system, { forces: true, perAtom: true, stress: strain });
    return { energies: r.energies!, forces: r.forces!, dEdStrain: strain ? r.virial!.map((v) => -v) : null };
  }

  /** Adds the baseline to a model's per-atom energies, forces and dE/dstrain (in place). */
  addTo(system: NativeSystem, energies: Float64Array, forces: Float64Array, strain: Float64Array): void {
    const b = this.evaluate(system, system.cell !== null);
    for (let i = 0; i < energies.length; i++) energies[i] += b.energies[i];
    for (let k = 0; k < forces.length; k++) forces[k] += b.forces[k];
    if (b.dEdStrain) for (let k = 0; k < 9; k++) strain[k] += b.dEdStrain[k];
  }

  /** Training targets minus the baseline: what the learned part must fit. */
  residual(frame: TrainingFrame, system: NativeSystem): TrainingFrame {
    const b = this.evaluate(system, false);
    let e = 0;
    for (const v of b.energies) e += v;
    const forces = frame.forces ? Float64Array.from(frame.forces, (f, k) => f - b.forces[k]) : undefined;
    return { system: frame.system, energy: frame.energy - e, forces };
  }
}
