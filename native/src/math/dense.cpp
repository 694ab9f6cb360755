#include "math/dense.hpp"

#include <cstdlib>
#include <cstring>

#include "math/dense_variants.hpp"

namespace lodestone::dense {
namespace {

const Kernels& kernels() {
#if defined(__x86_64__)
    // LODESTONE_DENSE_KERNELS=generic forces the portable copy (tests compare the two).
    static const Kernels& chosen = [] () -> const Kernels& {
        const char* forced = std::getenv("LODESTONE_DENSE_KERNELS");
        if (forced && std::strcmp(forced, "generic") == 0) return generic_kernels;
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? avx2_kernels : generic_kernels;
    }();
    return chosen;
#else
    return generic_kernels;
#endif
}

}  // namespace

void rank_update_upper(double* h, size_t n, const double* b, size_t k) { kernels().rank_update_upper(h, n, b, k); }
bool cholesky_upper(double* a, size_t n) { return kernels().cholesky_upper(a, n); }
void cholesky_solve_upper(const double* factor, size_t n, double* x) { kernels().cholesky_solve_upper(factor, n, x); }
bool symmetric_eigen_upper(double* a, size_t n, double* values) { return kernels().symmetric_eigen_upper(a, n, values); }
void product(const double* a, const double* b, double* c, size_t m, size_t n, size_t k, bool transpose_b) {
    kernels().product(a, b, c, m, n, k, transpose_b);
}

}  // namespace lodestone::dense
