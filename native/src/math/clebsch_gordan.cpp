#include "math/clebsch_gordan.hpp"

#include <cmath>
#include <complex>
#include <cstdlib>
#include <string>
#include <vector>

#include "lodestone/core/error.hpp"

namespace lodestone {

namespace {

constexpr int kMaxFactorial = 170;

// n! in long double: exact to 25!, then 64-bit mantissa accuracy; the
// alternating sum of the Racah formula cancels a few digits for large l, and
// the extra 11 bits over double keep the result at double precision there.
long double factorial(int n) {
    static const std::vector<long double> table = [] {
        std::vector<long double> t(kMaxFactorial + 1, 1.0L);
        for (int k = 1; k <= kMaxFactorial; ++k) t[k] = t[k - 1] * k;
        return t;
    }();
    return table[static_cast<size_t>(n)];
}

void check_l(int l, const char* name) {
    if (l < 0) throw Error(std::string("clebsch_gordan: ") + name + " must be >= 0, got " + std::to_string(l));
}

}  // namespace

double clebsch_gordan(int l1, int m1, int l2, int m2, int L, int M) {
    check_l(l1, "l1");
    check_l(l2, "l2");
    check_l(L, "L");
    if (M != m1 + m2 || std::abs(m1) > l1 || std::abs(m2) > l2 || std::abs(M) > L) return 0.0;
    if (L < std::abs(l1 - l2) || L > l1 + l2) return 0.0;
    if (l1 + l2 + L + 1 > kMaxFactorial) {
        throw Error("clebsch_gordan: l1 + l2 + L must be below " + std::to_string(kMaxFactorial) + ", got " +
                    std::to_string(l1 + l2 + L));
    }
    // Racah's closed form.
    const long double triangle = (2 * L + 1) * factorial(L + l1 - l2) * factorial(L - l1 + l2) *
                                 factorial(l1 + l2 - L) / factorial(l1 + l2 + L + 1);
    const long double projections = factorial(L + M) * factorial(L - M) * factorial(l1 - m1) * factorial(l1 + m1) *
                                    factorial(l2 - m2) * factorial(l2 + m2);
    long double sum = 0.0L;
    for (int k = 0; k <= l1 + l2 - L; ++k) {
        const int d[5] = {l1 + l2 - L - k, l1 - m1 - k, l2 + m2 - k, L - l2 + m1 + k, L - l1 - m2 + k};
        bool valid = true;
        for (int v : d) valid = valid && v >= 0;
        if (!valid) continue;
        long double term = factorial(k);
        for (int v : d) term *= factorial(v);
        sum += (k % 2 ? -1.0L : 1.0L) / term;
    }
    return static_cast<double>(std::sqrt(triangle * projections) * sum);
}

namespace {

using Complex = std::complex<double>;

// Row m (offset by l) of the unitary U with Y_real = U Y_complex: at most two
// non-zero columns, m and -m. From Y_l^{-m} = (-1)^m conj(Y_l^m) (Condon-
// Shortley) and the real Y without that phase: sqrt(2) Re and Im of
// (-1)^m Y_l^m for m > 0 and m < 0.
struct UnitaryRow {
    int columns[2];
    Complex values[2];
    int count;
};

UnitaryRow unitary_row(int l, int m) {
    const double s = 1.0 / std::sqrt(2.0);
    if (m == 0) return {{l, l}, {1.0, 0.0}, 1};
    const int k = std::abs(m);
    const double sign = k % 2 ? -1.0 : 1.0;
    if (m > 0) return {{l + k, l - k}, {Complex(sign * s, 0.0), Complex(s, 0.0)}, 2};
    return {{l + k, l - k}, {Complex(0.0, -sign * s), Complex(0.0, s)}, 2};
}

}  // namespace

std::vector<double> real_clebsch_gordan_dense(int l1, int l2, int L) {
    check_l(l1, "l1");
    check_l(l2, "l2");
    check_l(L, "L");
    const int n1 = 2 * l1 + 1, n2 = 2 * l2 + 1, nL = 2 * L + 1;
    std::vector<double> out(static_cast<size_t>(nL) * n1 * n2, 0.0);
    if (L < std::abs(l1 - l2) || L > l1 + l2) return out;
    const bool odd = (l1 + l2 + L) % 2 == 1;
    // C_real[M][m1][m2] = sum U_L[M][M'] C[M'][m1'][m2'] conj(U_l1[m1][m1']) conj(U_l2[m2][m2']),
    // with M' = m1' + m2' fixed by the complex coefficient.
    for (int M = -L; M <= L; ++M) {
        const UnitaryRow uM = unitary_row(L, M);
        for (int m1 = -l1; m1 <= l1; ++m1) {
            const UnitaryRow u1 = unitary_row(l1, m1);
            for (int m2 = -l2; m2 <= l2; ++m2) {
                const UnitaryRow u2 = unitary_row(l2, m2);
                Complex sum = 0.0;
                double scale = 0.0;
                for (int a = 0; a < uM.count; ++a)
                    for (int b = 0; b < u1.count; ++b)
                        for (int c = 0; c < u2.count; ++c) {
                            const int Mc = uM.columns[a] - L, m1c = u1.columns[b] - l1, m2c = u2.columns[c] - l2;
                            if (Mc != m1c + m2c) continue;
                            const Complex term = uM.values[a] * std::conj(u1.values[b]) * std::conj(u2.values[c]) *
                                                 clebsch_gordan(l1, m1c, l2, m2c, L, Mc);
                            sum += term;
                            scale += std::abs(term);
                        }
                // The terms come in pairs (m1', m2', M') and (-m1', -m2', -M')
                // of equal size, so an entry is either their full sum or a
                // cancellation that leaves rounding residue: make those exact
                // zeros (a fixed absolute threshold would also drop true
                // coefficients, which reach 1e-15 near l = 25).
                const double part = odd ? sum.imag() : sum.real();
                out[(static_cast<size_t>(M + L) * n1 + (m1 + l1)) * n2 + (m2 + l2)] =
                    std::abs(part) > 1e-10 * scale ? part : 0.0;
            }
        }
    }
    return out;
}

std::vector<RealCoupling> real_clebsch_gordan(int l1, int l2, int L) {
    const std::vector<double> dense = real_clebsch_gordan_dense(l1, l2, L);
    const int n1 = 2 * l1 + 1, n2 = 2 * l2 + 1;
    std::vector<RealCoupling> entries;
    for (size_t k = 0; k < dense.size(); ++k) {
        if (dense[k] == 0.0) continue;
        const int M = static_cast<int>(k / (n1 * n2)), m1 = static_cast<int>(k / n2 % n1), m2 = static_cast<int>(k % n2);
        entries.push_back({M, m1, m2, dense[k]});
    }
    return entries;
}

}  // namespace lodestone
