#include "features/soap/pair_kernels.hpp"

#include <cstdint>
#include <cstring>

#include "core/simd.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lodestone::kernels {

namespace {

// Gradient rows are written once and not read again here: non-temporal
// stores skip reading each destination line from memory first, which
// otherwise doubles the traffic of an output of ~1 GB. dst: 16-byte aligned.
LODESTONE_INLINE void stream4(double* dst, const v4d& v) {
#if defined(__SSE2__)
    _mm_stream_pd(dst, _mm_set_pd(v[1], v[0]));
    _mm_stream_pd(dst + 2, _mm_set_pd(v[3], v[2]));
#else
    store4(dst, v);
#endif
}

// Non-temporal stores pay only where they write whole cache lines: a line
// that they fill in part (the rest by ordinary stores, or not at all) leaves
// the write-combining buffer half full and costs far more than caching it.
// With N = 6 radial functions (max_radial 5) streaming every N-segment made
// the gradient rows of a 64-ion NaCl frame 10 times slower than plain stores.
LODESTONE_INLINE bool whole_lines(const double* p, size_t n) {
    return n % 8 == 0 && reinterpret_cast<uintptr_t>(p) % 64 == 0;
}

LODESTONE_INLINE void stream_store(double* dst, const double* src, size_t n) {
    size_t k = 0;
    if (whole_lines(dst, n)) {
        for (; k + 4 <= n; k += 4) {
            v4d v;
            load4(v, src + k);
            stream4(dst + k, v);
        }
    }
    for (; k < n; ++k) dst[k] = src[k];
}

LODESTONE_INLINE void stream_zero(double* dst, int n) {
    int k = 0;
    if (whole_lines(dst, static_cast<size_t>(n))) {
        const v4d zero = {0.0, 0.0, 0.0, 0.0};
        for (; k + 4 <= n; k += 4) stream4(dst + k, zero);
    }
    for (; k < n; ++k) dst[k] = 0.0;
}

// The loops over n (the radial index, N ~ 4-16) are short: with N known at
// compile time they unroll into a few vector instructions instead of paying
// loop overhead for every (x, l, m). Each kernel is instantiated for N = 1..16
// (NN) and once for any N (NN = 0).
#define LODESTONE_DISPATCH_N(n, CALL)                                         \
    switch (n) {                                                              \
        case 1: CALL(1); case 2: CALL(2); case 3: CALL(3); case 4: CALL(4);     \
        case 5: CALL(5); case 6: CALL(6); case 7: CALL(7); case 8: CALL(8);     \
        case 9: CALL(9); case 10: CALL(10); case 11: CALL(11); case 12: CALL(12); \
        case 13: CALL(13); case 14: CALL(14); case 15: CALL(15); case 16: CALL(16); \
        default: CALL(0);                                                     \
    }

template <int NN>
LODESTONE_INLINE void add_values_n(const PairTerms& p, double* __restrict values) {
    const int N = NN > 0 ? NN : p.N, T = p.T;
    for (int l = 0; l < p.L; ++l) {
        const double* __restrict f = p.f + l * N;
        for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
            double* __restrict v = values + (static_cast<size_t>(lm) * T + p.t) * N;
            const double y = p.ylm[lm * p.stride];
            int n = 0;
            for (; n + 4 <= N; n += 4) {
                v4d vf, vv;
                load4(vf, f + n);
                load4(vv, v + n);
                store4(v + n, vv + vf * y);
            }
            for (; n < N; ++n) v[n] += f[n] * y;
        }
    }
}

template <int NN>
LODESTONE_INLINE void pair_gradient_n(const PairTerms& p, double* __restrict g) {
    const int N = NN > 0 ? NN : p.N, LM = p.L * p.L, stride = p.stride;
    for (int x = 0; x < 3; ++x) {
        const double ux = p.u[x];
        const double* dy = p.dylm + x * LM * stride;
        for (int l = 0; l < p.L; ++l) {
            const double* __restrict f = p.f + l * N;
            const double* __restrict df = p.df + l * N;
            for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                const double a = p.ylm[lm * stride] * ux, b = dy[lm * stride];
                double* __restrict out = g + (static_cast<size_t>(x) * LM + lm) * N;
                for (int n = 0; n < N; ++n) out[n] = df[n] * a + f[n] * b;
            }
        }
    }
}

template <int NN>
LODESTONE_INLINE void write_pair_gradient_n(const PairTerms& p, size_t P, double* __restrict row_j,
                                            double* __restrict self) {
    const int N = NN > 0 ? NN : p.N, T = p.T, LM = p.L * p.L, stride = p.stride;
    for (int x = 0; x < 3; ++x) {
        const double ux = p.u[x];
        const double* dy = p.dylm + x * LM * stride;
        for (int l = 0; l < p.L; ++l) {
            const double* __restrict f = p.f + l * N;
            const double* __restrict df = p.df + l * N;
            for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                const double a = p.ylm[lm * stride] * ux, b = dy[lm * stride];
                const size_t base = static_cast<size_t>(x) * P + static_cast<size_t>(lm) * T * N;
                double* out = row_j + base + static_cast<size_t>(p.t) * N;
                double* acc = self + base + static_cast<size_t>(p.t) * N;
                if (T > 1) {
                    for (int t = 0; t < T; ++t) {
                        if (t != p.t) stream_zero(row_j + base + static_cast<size_t>(t) * N, N);
                    }
                }
                int n = 0;
                const bool stream = whole_lines(out, static_cast<size_t>(N));
                for (; n + 4 <= N; n += 4) {
                    v4d vf, vdf, s;
                    load4(vf, f + n);
                    load4(vdf, df + n);
                    load4(s, acc + n);
                    const v4d g = vdf * a + vf * b;
                    if (stream) {
                        stream4(out + n, g);
                    } else {
                        store4(out + n, g);
                    }
                    store4(acc + n, s - g);
                }
                for (; n < N; ++n) {
                    const double g = df[n] * a + f[n] * b;
                    out[n] = g;
                    acc[n] -= g;
                }
            }
        }
    }
}

template <int NN>
LODESTONE_INLINE void pair_backward_n(const PairTerms& p, const double* __restrict adj, double* __restrict scratch,
                                      double grad[3]) {
    const int N = NN > 0 ? NN : p.N, T = p.T, LM = p.L * p.L;
    // n in blocks of 4 held in registers when N is known, the rest in scratch
    constexpr int NB = NN / 4;
    const int tail = N - 4 * NB;
    double* __restrict a = scratch;
    double* __restrict bx = a + N;
    double* __restrict by = bx + N;
    double* __restrict bz = by + N;
    const v4d zero = {0.0, 0.0, 0.0, 0.0};
    v4d radial4 = zero, gx4 = zero, gy4 = zero, gz4 = zero;
    double radial = 0.0, gx = 0.0, gy = 0.0, gz = 0.0;
    // Sums over m first, vectorised over n (no reductions in the hot loop, so
    // no reassociation is needed to vectorise), then over n once per l.
    for (int l = 0; l < p.L; ++l) {
        v4d A[NB > 0 ? NB : 1], X[NB > 0 ? NB : 1], Y[NB > 0 ? NB : 1], Z[NB > 0 ? NB : 1];
        for (int b = 0; b < NB; ++b) A[b] = X[b] = Y[b] = Z[b] = zero;
        for (int n = 0; n < tail; ++n) a[n] = bx[n] = by[n] = bz[n] = 0.0;
        for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
            const double* __restrict g = adj + (static_cast<size_t>(lm) * T + p.t) * N;
            const int k = lm * p.stride, K = LM * p.stride;
            const double y = p.ylm[k], dx = p.dylm[k], dy = p.dylm[K + k], dz = p.dylm[2 * K + k];
            for (int b = 0; b < NB; ++b) {
                v4d G;
                load4(G, g + 4 * b);
                A[b] += G * y;
                X[b] += G * dx;
                Y[b] += G * dy;
                Z[b] += G * dz;
            }
            const double* __restrict gt = g + 4 * NB;
            for (int n = 0; n < tail; ++n) {
                a[n] += gt[n] * y;
                bx[n] += gt[n] * dx;
                by[n] += gt[n] * dy;
                bz[n] += gt[n] * dz;
            }
        }
        const double* __restrict f = p.f + l * N;
        const double* __restrict df = p.df + l * N;
        for (int b = 0; b < NB; ++b) {
            v4d F, DF;
            load4(F, f + 4 * b);
            load4(DF, df + 4 * b);
            radial4 += DF * A[b];
            gx4 += F * X[b];
            gy4 += F * Y[b];
            gz4 += F * Z[b];
        }
        for (int n = 0; n < tail; ++n) {
            radial += df[4 * NB + n] * a[n];
            gx += f[4 * NB + n] * bx[n];
            gy += f[4 * NB + n] * by[n];
            gz += f[4 * NB + n] * bz[n];
        }
    }
    radial += (radial4[0] + radial4[1]) + (radial4[2] + radial4[3]);
    gx += (gx4[0] + gx4[1]) + (gx4[2] + gx4[3]);
    gy += (gy4[0] + gy4[1]) + (gy4[2] + gy4[3]);
    gz += (gz4[0] + gz4[1]) + (gz4[2] + gz4[3]);
    grad[0] = gx + radial * p.u[0];
    grad[1] = gy + radial * p.u[1];
    grad[2] = gz + radial * p.u[2];
}

}  // namespace

void stream_rows(double* dst, const double* src, size_t n) { stream_store(dst, src, n); }

void stream_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

LODESTONE_MULTIVERSION
void apply_cutoff(int LN, double fc, double dfc, double* f, double* df) {
    if (df) {
        for (int q = 0; q < LN; ++q) df[q] = dfc * f[q] + fc * df[q];
    }
    for (int q = 0; q < LN; ++q) f[q] *= fc;
}

LODESTONE_MULTIVERSION
void add_values(const PairTerms& p, double* values) {
#define LODESTONE_CALL(K) return add_values_n<K>(p, values)
    LODESTONE_DISPATCH_N(p.N, LODESTONE_CALL)
#undef LODESTONE_CALL
}

LODESTONE_MULTIVERSION
void pair_gradient(const PairTerms& p, double* g) {
#define LODESTONE_CALL(K) return pair_gradient_n<K>(p, g)
    LODESTONE_DISPATCH_N(p.N, LODESTONE_CALL)
#undef LODESTONE_CALL
}

LODESTONE_MULTIVERSION
void write_pair_gradient(const PairTerms& p, size_t P, double* row_j, double* self) {
#define LODESTONE_CALL(K) return write_pair_gradient_n<K>(p, P, row_j, self)
    LODESTONE_DISPATCH_N(p.N, LODESTONE_CALL)
#undef LODESTONE_CALL
}

LODESTONE_MULTIVERSION
void pair_backward(const PairTerms& p, const double* adj, double* scratch, double grad[3]) {
#define LODESTONE_CALL(K) return pair_backward_n<K>(p, adj, scratch, grad)
    LODESTONE_DISPATCH_N(p.N, LODESTONE_CALL)
#undef LODESTONE_CALL
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
void write_gradient(const PairTerms& p, const double* g, size_t P, bool first, double* row_j, double* self) {
    const int N = p.N, T = p.T, LM = p.L * p.L;
    for (int x = 0; x < 3; ++x) {
        for (int lm = 0; lm < LM; ++lm) {
            const double* src = g + (static_cast<size_t>(x) * LM + lm) * N;
            const size_t base = static_cast<size_t>(x) * P + static_cast<size_t>(lm) * T * N;
            double* gj = row_j + base;
            double* gi = self + base + static_cast<size_t>(p.t) * N;
            if (first) {
                for (int t = 0; t < T; ++t) {
                    double* out = gj + static_cast<size_t>(t) * N;
                    if (t == p.t) {
                        stream_store(out, src, N);
                    } else {
                        stream_zero(out, N);
                    }
                }
            } else {
                gj += static_cast<size_t>(p.t) * N;
                for (int n = 0; n < N; ++n) gj[n] += src[n];
            }
            for (int n = 0; n < N; ++n) gi[n] -= src[n];
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
