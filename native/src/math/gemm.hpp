#pragma once
// Dense inner products of the LODE k-space sums, all of the form
// C[M x N] += A[M x K] B[K x N] (row-major, leading dimensions given): the
// structure-factor x coefficient contractions over blocks of k-vectors.
#include <cstddef>

namespace lodestone::lode {

void gemm_accumulate(int M, int N, int K, const double* A, size_t lda, const double* B, size_t ldb, double* C,
                     size_t ldc);

}  // namespace lodestone::lode
