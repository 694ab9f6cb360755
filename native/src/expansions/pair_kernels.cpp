#include "pair_kernels.hpp"

#include "lodestone/simd.hpp"

namespace lodestone::kernels {

LODESTONE_MULTIVERSION
void add_values(const PairTerms& p, double* values) {
    const int N = p.N, T = p.T;
    for (int l = 0; l < p.L; ++l) {
        const double* f = p.f + l * N;
        for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
            double* v = values + (static_cast<size_t>(lm) * T + p.t) * N;
            const double y = p.ylm[lm];
            for (int n = 0; n < N; ++n) v[n] += f[n] * y;
        }
    }
}

LODESTONE_MULTIVERSION
void pair_gradient(const PairTerms& p, double* g) {
    const int N = p.N, LM = p.L * p.L;
    for (int x = 0; x < 3; ++x) {
        const double ux = p.u[x];
        const double* dy = p.dylm + x * LM;
        for (int l = 0; l < p.L; ++l) {
            const double* f = p.f + l * N;
            const double* df = p.df + l * N;
            for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                const double a = p.ylm[lm] * ux, b = dy[lm];
                double* out = g + (static_cast<size_t>(x) * LM + lm) * N;
                for (int n = 0; n < N; ++n) out[n] = df[n] * a + f[n] * b;
            }
        }
    }
}

LODESTONE_MULTIVERSION
void scatter_gradient(const PairTerms& p, const double* g, size_t P, double* row_j, double* row_i) {
    const int N = p.N, T = p.T, LM = p.L * p.L;
    for (int x = 0; x < 3; ++x) {
        for (int lm = 0; lm < LM; ++lm) {
            const double* src = g + (static_cast<size_t>(x) * LM + lm) * N;
            const size_t off = static_cast<size_t>(x) * P + (static_cast<size_t>(lm) * T + p.t) * N;
            double* gj = row_j + off;
            double* gi = row_i + off;
            for (int n = 0; n < N; ++n) {
                gj[n] += src[n];
                gi[n] -= src[n];
            }
        }
    }
}

LODESTONE_MULTIVERSION
void outer_gradient(const PairTerms& p, const double* g, const double* s, size_t P, double* out) {
    const int N = p.N, T = p.T, LM = p.L * p.L;
    for (int a = 0; a < 3; ++a) {
        const double sa = s[a];
        if (sa == 0.0) continue;
        for (int b = 0; b < 3; ++b) {
            for (int lm = 0; lm < LM; ++lm) {
                const double* src = g + (static_cast<size_t>(b) * LM + lm) * N;
                double* dst = out + static_cast<size_t>(3 * a + b) * P + (static_cast<size_t>(lm) * T + p.t) * N;
                for (int n = 0; n < N; ++n) dst[n] += sa * src[n];
            }
        }
    }
}

}  // namespace lodestone::kernels
