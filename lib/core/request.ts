// Shared normalisation of compute() arguments for per-centre calculators.
import type { GradientKind } from './labels.js';
import type { NativeRequest, NativeSystem } from '../native/types.js';
import { toNativeSystem, typesPresent, type System } from './system.js';

export interface ComputeOptions {
  /** Gradients to compute along with the values. */
  gradients?: readonly GradientKind[];
  /** Centre atoms: one list for a single system, one list per system otherwise. Default: all atoms. */
  centers?: readonly number[] | readonly (readonly number[])[];
  /** Neighbour types (atomic numbers) giving the column blocks. Default: every type present. */
  neighborTypes?: readonly number[];
  /**
   * With the positions gradient, sum it over the centres of each atomic
   * type: rows (type, system, atom) of d(sum of the type's centres' values)/dr,
   * what a linear model's force rows need, instead of one row per
   * (centre, atom) pair (N^2 of them with LODE). Invariants and equivariants only.
   */
  sumCenters?: boolean;
}

const GRADIENTS: readonly GradientKind[] = ['positions', 'strain', 'cell'];

function toIndexList(list: readonly number[], where: string): Int32Array {
  if (!Array.isArray(list) && !ArrayBuffer.isView(list)) throw new Error(`${where}: expected an array of atom indices`);
  const out = new Int32Array(list.length);
  for (let k = 0; k < list.length; k++) {
    const v = list[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${where}[${k}]: expected an integer atom index, got ${String(v)}`);
    out[k] = v;
  }
  return out;
}

export function prepare(
  systems: System | readonly System[],
  options: ComputeOptions = {},
): { systems: NativeSystem[]; request: NativeRequest } {
  if (typeof options !== 'object' || options === null) throw new Error('options: expected an object');
  for (const key of Object.keys(options)) {
    if (!['gradients', 'centers', 'neighborTypes', 'sumCenters'].includes(key)) {
      throw new Error(`options.${key}: unknown option; expected gradients, centers, neighborTypes or sumCenters`);
    }
  }
  const list = Array.isArray(systems) ? (systems as readonly System[]) : [systems as System];
  const native = list.map((s, i) => toNativeSystem(s, Array.isArray(systems) ? `systems[${i}]` : 'system'));
  const gradients = options.gradients ?? [];
  if (!Array.isArray(gradients)) throw new Error(`options.gradients: expected an array of ${GRADIENTS.join(', ')}`);
  for (const g of gradients) {
    if (!GRADIENTS.includes(g)) throw new Error(`options.gradients: unknown gradient '${String(g)}'; expected ${GRADIENTS.join(', ')}`);
  }
  let centers: Int32Array[] | null = null;
  if (options.centers !== undefined) {
    const c = options.centers;
    const nested = c.length > 0 && typeof c[0] === 'object';
    if (nested || !Array.isArray(systems)) {
      const perSystem = nested ? (c as readonly (readonly number[])[]) : [c as readonly number[]];
      if (perSystem.length !== native.length) {
        throw new Error(`options.centers: expected one list per system (${native.length}), got ${perSystem.length}`);
      }
      centers = perSystem.map((l, s) => toIndexList(l, `options.centers[${s}]`));
    } else if (native.length === 1) {
      centers = [toIndexList(c as readonly number[], 'options.centers')];
    } else {
      throw new Error('options.centers: with several systems, give one list of centres per system');
    }
  }
  if (options.sumCenters !== undefined && typeof options.sumCenters !== 'boolean') throw new Error('options.sumCenters: expected a boolean');
  const types = options.neighborTypes ?? typesPresent(native);
  const neighborTypes = toIndexList(types, 'options.neighborTypes');
  return {
    systems: native,
    request: {
      positions: gradients.includes('positions'),
      strain: gradients.includes('strain'),
      cell: gradients.includes('cell'),
      neighborTypes,
      centers,
      ...(options.sumCenters ? { sumCenters: true } : {}),
    },
  };
}
