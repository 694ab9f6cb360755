// The native 3D real FFT used by the particle-mesh methods: forward (r2c)
// and inverse (c2r) median times in milliseconds, per grid and thread count.
// Plans are rebuilt per call through the test binding, so the times include
// plan construction and one copy of the input/output (small next to the
// transform for these sizes).
import { native } from '../lib/native/addon.js';
import { setNumThreads } from '../lib/index.js';
import type { Row } from './support/table.js';
import { time } from './support/timing.js';

const GRIDS: [number, number, number][] = [
  [32, 32, 32],
  [64, 64, 64],
  [128, 128, 128],
  [96, 100, 105],
];

export async function run(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const grids = quick ? GRIDS.slice(0, 2) : GRIDS;
  for (const threads of [1, 2]) {
    setNumThreads(threads);
    for (const [n0, n1, n2] of grids) {
      const grid = new Float64Array(n0 * n1 * n2);
      for (let i = 0; i < grid.length; i++) grid[i] = Math.sin(0.37 * i) + 0.1 * Math.cos(1.3 * i);
      const spectrum = native.fft3dRealForward(grid, n0, n1, n2);
      const runs = quick ? 5 : 11;
      const r2c = await time(() => native.fft3dRealForward(grid, n0, n1, n2), { runs });
      const c2r = await time(() => native.fft3dRealInverse(spectrum, n0, n1, n2), { runs });
      rows.push({
        grid: `${n0}×${n1}×${n2}`,
        threads,
        'r2c ms': r2c.median * 1e3,
        'c2r ms': c2r.median * 1e3,
        'r2c ns/point': (r2c.median * 1e9) / grid.length,
      });
    }
  }
  return rows;
}
