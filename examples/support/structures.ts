// Starting structures for the examples.
import type { System } from '../../lib/core/system.js';

/** Rock-salt NaCl: n x n x n conventional cubic cells of edge a (A), 8 ions each. */
export function rockSalt(a: number, n: number): System {
  const basis = [
    [0, 0, 0, 11], [0.5, 0.5, 0, 11], [0.5, 0, 0.5, 11], [0, 0.5, 0.5, 11],
    [0.5, 0, 0, 17], [0, 0.5, 0, 17], [0, 0, 0.5, 17], [0.5, 0.5, 0.5, 17],
  ];
  const positions: number[] = [];
  const types: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < n; k++)
        for (const [x, y, z, t] of basis) {
          positions.push((i + x) * a, (j + y) * a, (k + z) * a);
          types.push(t);
        }
  return { positions, types, cell: [n * a, 0, 0, 0, n * a, 0, 0, 0, n * a], pbc: [true, true, true] };
}
