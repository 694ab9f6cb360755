#pragma once
// Dense inner products of the LODE k-space sums, all of the form
// C[M x N] += A[M x K] B[K x N] (row-major, leading dimensions given): the
// structure-factor x coefficient contractions over blocks of k-vectors.
#include <cstddef>

namespace lodestone::lode {

// C[M x N] += A[M x K] B[K x N]
struct GemmShape {
    int M, N, K;
};
// Row i of a row-major matrix starts at data + i ld (ld >= its columns:
// the products run over blocks of wider arrays).
struct ConstMatrixView {
    const double* data;
    size_t ld;
};
struct MatrixView {
    double* data;
    size_t ld;
};

void gemm_accumulate(GemmShape shape, ConstMatrixView a, ConstMatrixView b, MatrixView c);
// C[M x N] = A[M x K] B[K x N]: C need not be zeroed first.
void gemm_assign(GemmShape shape, ConstMatrixView a, ConstMatrixView b, MatrixView c);

}  // namespace lodestone::lode
