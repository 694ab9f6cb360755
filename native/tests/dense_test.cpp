// The dense kernels of the fits: the blocked Cholesky (several panels, so
// the trailing updates and the panel solves all run) and the rank-k update
// against plain loops written here, and the AVX2 copy against the portable
// one, which must agree to rounding.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "math/dense_variants.hpp"
#include "support.hpp"

using namespace lodestone;
using testing::relative_error;

namespace {

// A random n x k matrix B (column-major) and H = B B^T + n I, column-major.
struct SpdProblem {
    size_t n, k;
    std::vector<double> b, h;
};

SpdProblem random_spd(size_t n, size_t k, uint32_t seed) {
    testing::Random random(seed);
    SpdProblem p{n, k, std::vector<double>(n * k), std::vector<double>(n * n, 0.0)};
    for (double& x : p.b) x = 2.0 * random() - 1.0;
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i < n; ++i) {
            double s = i == j ? static_cast<double>(n) : 0.0;
            for (size_t c = 0; c < k; ++c) s += p.b[c * n + i] * p.b[c * n + j];
            p.h[j * n + i] = s;
        }
    return p;
}

std::vector<const dense::Kernels*> variants() {
    std::vector<const dense::Kernels*> out{&dense::generic_kernels};
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out.push_back(&dense::avx2_kernels);
#endif
    return out;
}

}  // namespace

TEST_CASE("dense kernels: rank-k update of the upper triangle equals B B^T") {
    const SpdProblem p = random_spd(530, 37, 11);
    for (const dense::Kernels* kernels : variants()) {
        std::vector<double> h(p.n * p.n, 0.0);
        kernels->rank_update_upper(h.data(), p.n, p.b.data(), p.k);
        std::vector<double> got, want;
        for (size_t j = 0; j < p.n; ++j)
            for (size_t i = 0; i <= j; ++i) {
                got.push_back(h[j * p.n + i] + (i == j ? static_cast<double>(p.n) : 0.0));
                want.push_back(p.h[j * p.n + i]);
            }
        CHECK(relative_error(got, want) < 1e-13);
    }
}

TEST_CASE("dense kernels: blocked Cholesky solves A x = y across several panels") {
    const SpdProblem p = random_spd(700, 40, 12);
    std::vector<double> y(p.n);
    for (size_t i = 0; i < p.n; ++i) y[i] = std::sin(0.37 * static_cast<double>(i));
    std::vector<std::vector<double>> solutions;
    for (const dense::Kernels* kernels : variants()) {
        std::vector<double> factor = p.h;
        REQUIRE(kernels->cholesky_upper(factor.data(), p.n));
        std::vector<double> x = y;
        kernels->cholesky_solve_upper(factor.data(), p.n, x.data());
        // Residual |A x - y| / |y| from the full matrix.
        double residual = 0.0, norm = 0.0;
        for (size_t i = 0; i < p.n; ++i) {
            double s = -y[i];
            for (size_t j = 0; j < p.n; ++j) s += p.h[j * p.n + i] * x[j];
            residual += s * s;
            norm += y[i] * y[i];
        }
        CHECK(std::sqrt(residual / norm) < 1e-13);
        solutions.push_back(x);
    }
    for (size_t v = 1; v < solutions.size(); ++v) CHECK(relative_error(solutions[v], solutions[0]) < 1e-12);
}

TEST_CASE("dense kernels: Cholesky reports a matrix that is not positive definite") {
    SpdProblem p = random_spd(600, 5, 13);
    p.h[400 * p.n + 400] = -1.0;
    for (const dense::Kernels* kernels : variants()) {
        std::vector<double> factor = p.h;
        CHECK_FALSE(kernels->cholesky_upper(factor.data(), p.n));
    }
}

TEST_CASE("dense kernels: symmetric eigendecomposition reproduces the matrix") {
    const SpdProblem p = random_spd(300, 20, 14);
    std::vector<std::vector<double>> spectra;
    for (const dense::Kernels* kernels : variants()) {
        std::vector<double> vectors = p.h, values(p.n);
        REQUIRE(kernels->symmetric_eigen_upper(vectors.data(), p.n, values.data()));
        CHECK(std::is_sorted(values.begin(), values.end()));
        std::vector<double> rebuilt(p.n * p.n, 0.0);
        for (size_t c = 0; c < p.n; ++c)
            for (size_t j = 0; j < p.n; ++j)
                for (size_t i = 0; i < p.n; ++i) rebuilt[j * p.n + i] += values[c] * vectors[c * p.n + i] * vectors[c * p.n + j];
        CHECK(relative_error(rebuilt, p.h) < 1e-13);
        spectra.push_back(values);
    }
    for (size_t v = 1; v < spectra.size(); ++v) CHECK(relative_error(spectra[v], spectra[0]) < 1e-13);
}

TEST_CASE("dense kernels: row-major products A B and A B^T against plain loops (rows over several tasks)") {
    testing::Random random(5);
    const size_t m = 150, n = 37, k = 61;
    std::vector<double> a(m * k), b(k * n), bt(n * k);
    for (double& x : a) x = 2.0 * random() - 1.0;
    for (double& x : b) x = 2.0 * random() - 1.0;
    for (size_t r = 0; r < k; ++r)
        for (size_t c = 0; c < n; ++c) bt[c * k + r] = b[r * n + c];
    std::vector<double> want(m * n, 0.0);
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j)
            for (size_t r = 0; r < k; ++r) want[i * n + j] += a[i * k + r] * b[r * n + j];
    for (const dense::Kernels* kernels : variants()) {
        std::vector<double> c(m * n, -1.0), ct(m * n, -1.0);
        kernels->product(a.data(), b.data(), c.data(), m, n, k, false);
        kernels->product(a.data(), bt.data(), ct.data(), m, n, k, true);
        CHECK(relative_error(c, want) < 1e-14);
        CHECK(relative_error(ct, want) < 1e-14);
    }
}
