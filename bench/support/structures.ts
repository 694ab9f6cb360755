// Benchmark structures: diamond silicon and molten NaCl supercells.
import { fileURLToPath } from 'node:url';
import { readExtxyz } from '../../lib/io/extxyz.js';
import type { System } from '../../lib/index.js';

export interface BenchSystem extends System {
  name: string;
  positions: Float64Array;
  types: Int32Array;
  cell: Float64Array;
}

/** Replicates a periodic system n[0] x n[1] x n[2] times. */
export function supercell(s: { positions: Float64Array; types: Int32Array; cell: Float64Array }, n: [number, number, number]) {
  const count = s.types.length;
  const total = count * n[0] * n[1] * n[2];
  const positions = new Float64Array(3 * total);
  const types = new Int32Array(total);
  let k = 0;
  for (let a = 0; a < n[0]; a++)
    for (let b = 0; b < n[1]; b++)
      for (let c = 0; c < n[2]; c++)
        for (let i = 0; i < count; i++, k++) {
          for (let x = 0; x < 3; x++) {
            positions[3 * k + x] = s.positions[3 * i + x] + a * s.cell[x] + b * s.cell[3 + x] + c * s.cell[6 + x];
          }
          types[k] = s.types[i];
        }
  const cell = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let x = 0; x < 3; x++) cell[3 * r + x] = s.cell[3 * r + x] * n[r];
  return { positions, types, cell };
}

/** Diamond silicon, a = 5.43 A, 8 atoms per cubic cell, repeated n^3 times. */
export function silicon(n: number): BenchSystem {
  const a = 5.43;
  const basis = [
    [0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0],
    [0.25, 0.25, 0.25], [0.25, 0.75, 0.75], [0.75, 0.25, 0.75], [0.75, 0.75, 0.25],
  ];
  const unit = {
    positions: Float64Array.from(basis.flat().map((f) => f * a)),
    types: new Int32Array(8).fill(14),
    cell: Float64Array.from([a, 0, 0, 0, a, 0, 0, 0, a]),
  };
  return { name: `Si diamond ${8 * n ** 3}`, ...supercell(unit, [n, n, n]), pbc: [true, true, true] };
}

export const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

/** Frame `frame` of the molten NaCl data (64 ions, 12.6 A box), repeated n^3 times. */
export function moltenNaCl(n: number | [number, number, number], frame = 0): BenchSystem {
  const frames = readExtxyz(`${DATA_DIR}nacl-melt-64.xyz`);
  const f = frames[frame];
  if (!f.cell) throw new Error('nacl-melt-64.xyz: expected a periodic frame');
  const unit = { positions: f.positions, types: f.types, cell: f.cell };
  const shape: [number, number, number] = typeof n === 'number' ? [n, n, n] : n;
  return { name: `NaCl melt ${64 * shape[0] * shape[1] * shape[2]}`, ...supercell(unit, shape), pbc: [true, true, true] };
}
