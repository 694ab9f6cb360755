#pragma once
// The dense O(n^3) steps of the fits (normal-equation updates, Cholesky,
// symmetric eigendecompositions), on raw column-major arrays, and the
// row-major products of the sparse-kernel models. Eigen chooses
// its SIMD width at compile time and a portable build targets plain x86-64
// (SSE2), where these steps run ~2.8x slower than with AVX2 + FMA; so they
// are compiled twice (dense_generic.cpp, dense_avx2.cpp) and dense.cpp picks
// one at run time.
#include <cstddef>

namespace lodestone::dense {

// Upper triangle (and the lower half of each diagonal block) of
// H[n x n] += B B^T with B n x k, both column-major; threaded with OpenMP.
void rank_update_upper(double* h, size_t n, const double* b, size_t k);

// In-place Cholesky factor U (A = U^T U) of the upper triangle of the
// column-major n x n matrix a; false when A is not positive definite.
bool cholesky_upper(double* a, size_t n);

// x <- A^-1 x with the factor of cholesky_upper.
void cholesky_solve_upper(const double* factor, size_t n, double* x);

// Eigenvalues (ascending) and eigenvectors (the columns of a, in place) of
// the symmetric matrix whose upper triangle a holds; false when the
// iteration does not converge.
bool symmetric_eigen_upper(double* a, size_t n, double* values);

// C[m x n] = A[m x k] B[k x n], or A B^T with B [n x k] when transpose_b, all
// row-major; threaded with OpenMP over blocks of rows of C.
void product(const double* a, const double* b, double* c, size_t m, size_t n, size_t k, bool transpose_b);

}  // namespace lodestone::dense
