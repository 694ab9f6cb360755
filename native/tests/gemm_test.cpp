// The LODE k-space GEMM (math/gemm.hpp) against plain loops: odd shapes
// (remainder rows and columns of every tile width), strided views, several
// K-panels, and gemm_assign over a C full of garbage.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "math/gemm.hpp"
#include "support.hpp"

using namespace lodestone;
using testing::relative_error;

namespace {

struct Case {
    int M, N, K;
};

// C = C0 + A B by plain loops, A: M x K (ld K + 3), B: K x N (ld N + 1), C: M x N (ld N + 2).
struct Problem {
    Case shape;
    size_t lda, ldb, ldc;
    std::vector<double> a, b, c0, expected;
};

Problem problem(Case s, uint32_t seed) {
    testing::Random random(seed);
    Problem p{s, static_cast<size_t>(s.K) + 3, static_cast<size_t>(s.N) + 1, static_cast<size_t>(s.N) + 2, {}, {}, {}, {}};
    p.a.resize(s.M * p.lda);
    p.b.resize(s.K * p.ldb);
    p.c0.resize(s.M * p.ldc);
    for (double& x : p.a) x = 2.0 * random() - 1.0;
    for (double& x : p.b) x = 2.0 * random() - 1.0;
    for (double& x : p.c0) x = 2.0 * random() - 1.0;
    p.expected.assign(s.M * s.N, 0.0);
    for (int i = 0; i < s.M; ++i)
        for (int j = 0; j < s.N; ++j) {
            double sum = 0.0;
            for (int k = 0; k < s.K; ++k) sum += p.a[i * p.lda + k] * p.b[k * p.ldb + j];
            p.expected[i * s.N + j] = sum;
        }
    return p;
}

const Case kCases[] = {{1, 1, 1}, {1, 432, 6}, {5, 13, 7}, {16, 16, 19}, {19, 28, 432}, {7, 9, 600}, {6, 16, 49}, {3, 5, 0}};

}  // namespace

TEST_CASE("gemm_accumulate adds A B to C and gemm_assign overwrites C, for every tile remainder and K-panel count") {
    uint32_t seed = 11;
    for (const Case& s : kCases) {
        CAPTURE(s.M);
        CAPTURE(s.N);
        CAPTURE(s.K);
        const Problem p = problem(s, seed++);
        std::vector<double> added = p.c0, assigned(p.c0.size(), std::numeric_limits<double>::quiet_NaN());
        lode::gemm_accumulate({s.M, s.N, s.K}, {p.a.data(), p.lda}, {p.b.data(), p.ldb}, {added.data(), p.ldc});
        lode::gemm_assign({s.M, s.N, s.K}, {p.a.data(), p.lda}, {p.b.data(), p.ldb}, {assigned.data(), p.ldc});
        std::vector<double> got_added, got_assigned, want_added;
        for (int i = 0; i < s.M; ++i)
            for (int j = 0; j < s.N; ++j) {
                got_added.push_back(added[i * p.ldc + j]);
                got_assigned.push_back(assigned[i * p.ldc + j]);
                want_added.push_back(p.c0[i * p.ldc + j] + p.expected[i * s.N + j]);
            }
        CHECK(relative_error(got_added, want_added) < 1e-14);
        if (s.K == 0) {
            for (double x : got_assigned) CHECK(x == 0.0);
        } else {
            CHECK(relative_error(got_assigned, p.expected) < 1e-14);
        }
        // outside the M x N block (the leading-dimension padding) nothing is written
        for (int i = 0; i < s.M; ++i)
            for (size_t j = static_cast<size_t>(s.N); j < p.ldc; ++j) {
                CHECK(added[i * p.ldc + j] == p.c0[i * p.ldc + j]);
                CHECK(std::isnan(assigned[i * p.ldc + j]));
            }
    }
}
