// The fits' dense kernels (native/src/math/dense.hpp: blocked Cholesky,
// rank-k update of the upper triangle) against Eigen's LLT and rankUpdate on
// the same matrices, per size, instruction set and thread count: median
// milliseconds and GFlop/s, from the C++ program native/bench/dense_bench.cpp.
import { runNativeBench } from './support/native-bench.js';
import type { Row } from './support/table.js';

export function run(quick: boolean): Row[] {
  return runNativeBench('lodestone_dense_bench', quick);
}
