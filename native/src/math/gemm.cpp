#include "math/gemm.hpp"

#include <algorithm>

namespace lodestone::lode {

namespace {

// 4 doubles; the 8-byte alignment lets tiles start anywhere in a row.
typedef double v4 __attribute__((vector_size(32), aligned(8)));
#define LOAD4(p) (*reinterpret_cast<const v4*>(p))
#define ADD_STORE4(p, v) (*reinterpret_cast<v4*>(p) += (v))
// The first K-panel of gemm_assign stores; later panels (and gemm_accumulate) add.
#define PUT4(p, v) (store ? (void)(*reinterpret_cast<v4*>(p) = (v)) : (void)ADD_STORE4(p, v))
#define PUT1(p, v) (store ? (void)((p) = (v)) : (void)((p) += (v)))

// R x (4 V) register tiles over a K-panel that stays in L2; remainder
// columns in 4-wide tiles, then scalar (callers pad N to a multiple of 4).
// V = 2 (8 columns) needs 16 vector registers' worth of accumulators, fine
// with AVX2 (4 doubles per register); with SSE2 (2 per register) V = 1.
template <int V, bool Assign>
__attribute__((always_inline)) inline void gemm_body(GemmShape shape, ConstMatrixView lhs, ConstMatrixView rhs,
                                                     MatrixView out) {
    const int M = shape.M, N = shape.N, K = shape.K;
    const double* A = lhs.data;
    const double* B = rhs.data;
    double* C = out.data;
    const size_t lda = lhs.ld, ldb = rhs.ld, ldc = out.ld;
    constexpr int KC = 256;
    constexpr int W = 4 * V;
    const int NW = N - N % W;
    if (Assign && K == 0) {
        for (int i = 0; i < M; ++i) std::fill(C + static_cast<size_t>(i) * ldc, C + static_cast<size_t>(i) * ldc + N, 0.0);
        return;
    }
    for (int k0 = 0; k0 < K; k0 += KC) {
        const int k1 = std::min(K, k0 + KC);
        const bool store = Assign && k0 == 0;
        int i = 0;
        for (; i + 4 <= M; i += 4) {
            const double* a0 = A + static_cast<size_t>(i) * lda;
            const double* a1 = a0 + lda;
            const double* a2 = a1 + lda;
            const double* a3 = a2 + lda;
            for (int j = 0; j < NW; j += W) {
                v4 c[4][V];
                for (int r = 0; r < 4; ++r)
                    for (int v = 0; v < V; ++v) c[r][v] = v4{0, 0, 0, 0};
                for (int k = k0; k < k1; ++k) {
                    const double* b = B + static_cast<size_t>(k) * ldb + j;
                    v4 bv[V];
                    for (int v = 0; v < V; ++v) bv[v] = LOAD4(b + 4 * v);
                    const double x[4] = {a0[k], a1[k], a2[k], a3[k]};
                    for (int r = 0; r < 4; ++r)
                        for (int v = 0; v < V; ++v) c[r][v] += x[r] * bv[v];
                }
                for (int r = 0; r < 4; ++r)
                    for (int v = 0; v < V; ++v) PUT4(C + static_cast<size_t>(i + r) * ldc + j + 4 * v, c[r][v]);
            }
            int j = NW;
            // 4-wide vector tiles for the remainder (Q of one parity is often
            // 4 (mod 8): scalar columns there cost as much as half the rest)
            for (; j + 4 <= N; j += 4) {
                v4 c0 = v4{0, 0, 0, 0}, c1 = c0, c2 = c0, c3 = c0;
                for (int k = k0; k < k1; ++k) {
                    const v4 bv = LOAD4(B + static_cast<size_t>(k) * ldb + j);
                    c0 += a0[k] * bv;
                    c1 += a1[k] * bv;
                    c2 += a2[k] * bv;
                    c3 += a3[k] * bv;
                }
                PUT4(C + static_cast<size_t>(i) * ldc + j, c0);
                PUT4(C + static_cast<size_t>(i + 1) * ldc + j, c1);
                PUT4(C + static_cast<size_t>(i + 2) * ldc + j, c2);
                PUT4(C + static_cast<size_t>(i + 3) * ldc + j, c3);
            }
            for (; j < N; ++j) {
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int k = k0; k < k1; ++k) {
                    const double b = B[static_cast<size_t>(k) * ldb + j];
                    s0 += a0[k] * b;
                    s1 += a1[k] * b;
                    s2 += a2[k] * b;
                    s3 += a3[k] * b;
                }
                PUT1(C[static_cast<size_t>(i) * ldc + j], s0);
                PUT1(C[static_cast<size_t>(i + 1) * ldc + j], s1);
                PUT1(C[static_cast<size_t>(i + 2) * ldc + j], s2);
                PUT1(C[static_cast<size_t>(i + 3) * ldc + j], s3);
            }
        }
        for (; i < M; ++i) {
            const double* a = A + static_cast<size_t>(i) * lda;
            double* c = C + static_cast<size_t>(i) * ldc;
            for (int j = 0; j < NW; j += W) {
                v4 acc[V];
                for (int v = 0; v < V; ++v) acc[v] = v4{0, 0, 0, 0};
                for (int k = k0; k < k1; ++k) {
                    const double* b = B + static_cast<size_t>(k) * ldb + j;
                    for (int v = 0; v < V; ++v) acc[v] += a[k] * LOAD4(b + 4 * v);
                }
                for (int v = 0; v < V; ++v) PUT4(c + j + 4 * v, acc[v]);
            }
            int j = NW;
            for (; j + 4 <= N; j += 4) {
                v4 acc = v4{0, 0, 0, 0};
                for (int k = k0; k < k1; ++k) acc += a[k] * LOAD4(B + static_cast<size_t>(k) * ldb + j);
                PUT4(c + j, acc);
            }
            for (; j < N; ++j) {
                double s = 0;
                for (int k = k0; k < k1; ++k) s += a[k] * B[static_cast<size_t>(k) * ldb + j];
                PUT1(c[j], s);
            }
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
template <bool Assign>
__attribute__((target("avx2,fma"))) void gemm_avx2(GemmShape shape, ConstMatrixView a, ConstMatrixView b,
                                                    MatrixView c) {
    gemm_body<2, Assign>(shape, a, b, c);
}
#endif

template <bool Assign>
void gemm_generic(GemmShape shape, ConstMatrixView a, ConstMatrixView b, MatrixView c) {
    gemm_body<1, Assign>(shape, a, b, c);
}

using Kernel = void (*)(GemmShape, ConstMatrixView, ConstMatrixView, MatrixView);

// Chosen by CPU features, not CPU model (AMD processors with AVX2 and FMA
// are not "haswell" for target_clones' arch= dispatch).
template <bool Assign>
Kernel select_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return gemm_avx2<Assign>;
#endif
    return gemm_generic<Assign>;
}

}  // namespace

void gemm_accumulate(GemmShape shape, ConstMatrixView a, ConstMatrixView b, MatrixView c) {
    static const Kernel kernel = select_kernel<false>();
    kernel(shape, a, b, c);
}

void gemm_assign(GemmShape shape, ConstMatrixView a, ConstMatrixView b, MatrixView c) {
    static const Kernel kernel = select_kernel<true>();
    kernel(shape, a, b, c);
}

}  // namespace lodestone::lode
