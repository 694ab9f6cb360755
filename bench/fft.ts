// The native 3D real FFT used by the particle-mesh methods: forward (r2c)
// and inverse (c2r) median times in milliseconds, per grid and thread count.
// The addon exports no FFT, so this runs the C++ program
// native/bench/fft_bench.cpp; the plan is built once per grid, as the mesh
// methods keep theirs.
import { runNativeBench } from './support/native-bench.js';
import type { Row } from './support/table.js';

export function run(quick: boolean): Row[] {
  return runNativeBench('lodestone_fft_bench', quick);
}
