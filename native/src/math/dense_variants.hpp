#pragma once
// The per-instruction-set copies of the dense kernels (see dense.hpp), as
// tables that dense.cpp chooses between at run time.
#include <cstddef>

namespace lodestone::dense {

struct Kernels {
    void (*rank_update_upper)(double* h, size_t n, const double* b, size_t k);
    bool (*cholesky_upper)(double* a, size_t n);
    void (*cholesky_solve_upper)(const double* factor, size_t n, double* x);
    bool (*symmetric_eigen_upper)(double* a, size_t n, double* values);
    void (*product)(const double* a, const double* b, double* c, size_t m, size_t n, size_t k, bool transpose_b);
};

extern const Kernels generic_kernels;
#if defined(__x86_64__)
extern const Kernels avx2_kernels;
#endif

}  // namespace lodestone::dense
