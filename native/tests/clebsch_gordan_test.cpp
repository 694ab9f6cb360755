// Clebsch-Gordan coefficients: tabulated complex values, orthonormality of
// the complex and real coupling matrices, and the real coupling of two real
// harmonics of one direction, which must give the real harmonic of order L.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "math/clebsch_gordan.hpp"
#include "math/spherical_harmonics.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::testing;

namespace {

size_t at(int l1, int l2, int M, int m1, int m2) {
    return (static_cast<size_t>(M) * (2 * l1 + 1) + m1) * (2 * l2 + 1) + m2;
}

}  // namespace

TEST_CASE("complex Clebsch-Gordan coefficients match tabulated values") {
    CHECK(clebsch_gordan(1, 0, 1, 0, 2, 0) == doctest::Approx(std::sqrt(2.0 / 3.0)).epsilon(1e-15));
    CHECK(clebsch_gordan(1, 1, 1, -1, 0, 0) == doctest::Approx(1.0 / std::sqrt(3.0)).epsilon(1e-15));
    CHECK(clebsch_gordan(1, 0, 1, 0, 0, 0) == doctest::Approx(-1.0 / std::sqrt(3.0)).epsilon(1e-15));
    CHECK(clebsch_gordan(1, 1, 1, 0, 1, 1) == doctest::Approx(1.0 / std::sqrt(2.0)).epsilon(1e-15));
    CHECK(clebsch_gordan(1, 0, 1, 1, 1, 1) == doctest::Approx(-1.0 / std::sqrt(2.0)).epsilon(1e-15));
    CHECK(clebsch_gordan(2, 2, 1, -1, 2, 1) == doctest::Approx(1.0 / std::sqrt(3.0)).epsilon(1e-15));
    CHECK(clebsch_gordan(1, 0, 1, 0, 1, 0) == 0.0);
    // <l m l -m | 0 0> = (-1)^(l-m) / sqrt(2l+1)
    for (int l = 0; l <= 12; ++l)
        for (int m = -l; m <= l; ++m)
            CHECK(rel(clebsch_gordan(l, m, l, -m, 0, 0), ((l - m) % 2 ? -1.0 : 1.0) / std::sqrt(2.0 * l + 1)) < 1e-14);
    // selection rules
    CHECK(clebsch_gordan(2, 1, 1, 1, 2, 1) == 0.0);
    CHECK(clebsch_gordan(1, 0, 1, 0, 3, 0) == 0.0);
    CHECK(thrown_message([] { clebsch_gordan(-1, 0, 1, 0, 1, 0); }).find("l1 must be >= 0") != std::string::npos);
}

TEST_CASE("complex coupling matrices are orthonormal up to l = 12") {
    for (int l1 : {3, 12}) {
        for (int l2 : {5, 12}) {
            double worst = 0.0;
            for (int L = std::abs(l1 - l2); L <= l1 + l2; L += (l1 + l2 > 20 ? 7 : 1)) {
                for (int Lp = std::abs(l1 - l2); Lp <= l1 + l2; ++Lp) {
                    for (int M = -std::min(L, Lp); M <= std::min(L, Lp); ++M) {
                        double sum = 0.0;
                        for (int m1 = -l1; m1 <= l1; ++m1) {
                            const int m2 = M - m1;
                            if (std::abs(m2) > l2) continue;
                            sum += clebsch_gordan(l1, m1, l2, m2, L, M) * clebsch_gordan(l1, m1, l2, m2, Lp, M);
                        }
                        worst = std::max(worst, std::fabs(sum - (L == Lp ? 1.0 : 0.0)));
                    }
                }
            }
            CHECK_MESSAGE(worst < 1e-14, "l1 = ", l1, ", l2 = ", l2, ": ", worst);
        }
    }
}

TEST_CASE("real coupling matrices are orthonormal: sum_{m1 m2} C^{L M} C^{L' M'} = delta") {
    const std::vector<std::pair<int, int>> pairs = {{0, 0}, {1, 1}, {1, 2}, {2, 2}, {3, 1}, {3, 4}, {4, 4}, {2, 6}, {12, 12}};
    for (auto [l1, l2] : pairs) {
        std::vector<std::vector<double>> C;
        for (int L = std::abs(l1 - l2); L <= l1 + l2; ++L) C.push_back(real_clebsch_gordan_dense(l1, l2, L));
        double worst = 0.0;
        const int n1 = 2 * l1 + 1, n2 = 2 * l2 + 1;
        for (size_t a = 0; a < C.size(); ++a) {
            const int La = std::abs(l1 - l2) + static_cast<int>(a);
            for (size_t b = a; b < C.size(); ++b) {
                const int Lb = std::abs(l1 - l2) + static_cast<int>(b);
                for (int M = 0; M < 2 * La + 1; ++M)
                    for (int Mp = 0; Mp < 2 * Lb + 1; ++Mp) {
                        double sum = 0.0;
                        for (int m1 = 0; m1 < n1; ++m1)
                            for (int m2 = 0; m2 < n2; ++m2) sum += C[a][at(l1, l2, M, m1, m2)] * C[b][at(l1, l2, Mp, m1, m2)];
                        worst = std::max(worst, std::fabs(sum - (a == b && M == Mp ? 1.0 : 0.0)));
                    }
            }
        }
        CHECK_MESSAGE(worst < 1e-14, "l1 = ", l1, ", l2 = ", l2, ": ", worst);
    }
}

TEST_CASE("the sparse real coupling lists the non-zero entries of the dense one") {
    for (int L = 0; L <= 6; ++L) {
        const auto dense = real_clebsch_gordan_dense(3, 3, L);
        const auto sparse = real_clebsch_gordan(3, 3, L);
        size_t nonzero = 0;
        for (double v : dense) nonzero += v != 0.0;
        CHECK(sparse.size() == nonzero);
        for (const auto& e : sparse) CHECK(dense[at(3, 3, e.M, e.m1, e.m2)] == e.value);
    }
    CHECK(real_clebsch_gordan(1, 1, 3).empty());
}

TEST_CASE("real coupling of Y_l1(u) Y_l2(u) is the real Y_L(u) times the Gaunt factor") {
    const int lmax = 6;
    SphericalHarmonics sh(2 * lmax);
    Random random(3);
    std::vector<double> Y(static_cast<size_t>((2 * lmax + 1) * (2 * lmax + 1)));
    for (int trial = 0; trial < 4; ++trial) {
        const double z = 2 * random() - 1, phi = 2 * M_PI * random(), s = std::sqrt(1 - z * z);
        const double u[3] = {s * std::cos(phi), s * std::sin(phi), z};
        sh.compute(u, Y.data(), nullptr);
        for (int l1 = 0; l1 <= lmax; ++l1)
            for (int l2 = 0; l2 <= lmax; ++l2)
                for (int L = std::abs(l1 - l2); L <= l1 + l2; L += 2) {
                    const double gaunt = std::sqrt((2 * l1 + 1) * (2 * l2 + 1) / (4 * M_PI * (2 * L + 1))) *
                                         clebsch_gordan(l1, 0, l2, 0, L, 0);
                    std::vector<double> coupled(static_cast<size_t>(2 * L + 1), 0.0), expected(coupled.size());
                    for (const auto& e : real_clebsch_gordan(l1, l2, L))
                        coupled[static_cast<size_t>(e.M)] += e.value * Y[static_cast<size_t>(l1 * l1 + e.m1)] *
                                                            Y[static_cast<size_t>(l2 * l2 + e.m2)];
                    for (int M = 0; M < 2 * L + 1; ++M) expected[static_cast<size_t>(M)] = gaunt * Y[static_cast<size_t>(L * L + M)];
                    CHECK_MESSAGE(relative_error(coupled, expected) < 1e-13, l1, " ", l2, " ", L);
                }
    }
}
