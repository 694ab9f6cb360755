#include "features/lode/kshells.hpp"

#include <algorithm>
#include <cmath>

#include "core/simd.hpp"
#include "features/lode/potential.hpp"
#include "features/lode/radial_integral.hpp"
#include "math/spherical_harmonics.hpp"

namespace lodestone::lode {

namespace {

// The parity's l of each pair j.
std::vector<int> parity_ls(int L, bool even) {
    std::vector<int> ls;
    for (int l = even ? 0 : 1; l < L; l += 2)
        for (int m = 0; m < 2 * l + 1; ++m) ls.push_back(l);
    return ls;
}

}  // namespace

double k_sum_factor(int l, double volume) {
    const double sign = (l % 2 == 0) ? ((l / 2) % 2 == 0 ? 1.0 : -1.0) : (((l + 1) / 2) % 2 == 0 ? 1.0 : -1.0);
    return 2.0 * sign * (4.0 * M_PI / volume);
}

KShells make_shells(const KVectors& kv, const ShellInputs& in) {
    KShells shells;
    const size_t K = kv.size();
    if (K == 0) return shells;
    shells.start = length_shells(kv.norm);
    const size_t S = shells.count();
    if (K < 2 * S) return KShells{};
    const int L = in.L, N = in.N, LM = L * L;
    shells.N = N;
    const std::vector<int> ls[2] = {parity_ls(L, true), parity_ls(L, false)};
    ShellParity* parities[2] = {&shells.even, &shells.odd};
    for (int e = 0; e < 2; ++e) {
        ShellParity& p = *parities[e];
        p.lms = static_cast<int>(ls[e].size());
        p.padded = (p.lms + 3) & ~3;
        p.y.assign(K * p.padded, 0.0);
        p.b.assign(S * p.lms * N, 0.0);
    }
    std::vector<double> Y(static_cast<size_t>(LM));
    for (size_t k = 0; k < K; ++k) {
        const double knorm = kv.norm[k];
        const double u[3] = {kv.k[3 * k] / knorm, kv.k[3 * k + 1] / knorm, kv.k[3 * k + 2] / knorm};
        in.harmonics.compute(u, Y.data(), nullptr);
        // the parity's pairs in ascending lm: even l first of all lm, so walk lm once
        int j[2] = {0, 0};
        for (int l = 0; l < L; ++l)
            for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                ShellParity& p = *parities[l % 2];
                p.y[k * p.padded + j[l % 2]++] = Y[lm];
            }
    }
    std::vector<double> I(static_cast<size_t>(L * N));
    for (size_t s = 0; s < S; ++s) {
        const double knorm = kv.norm[shells.start[s]];
        in.radial.compute(knorm, I.data(), nullptr);
        const double G = in.potential.fourier(knorm);
        for (int e = 0; e < 2; ++e) {
            ShellParity& p = *parities[e];
            for (int jj = 0; jj < p.lms; ++jj) {
                const int l = ls[e][jj];
                const double c = k_sum_factor(l, in.volume);
                for (int n = 0; n < N; ++n) p.b[(s * p.lms + jj) * N + n] = c * G * I[l * N + n];
            }
        }
    }
    for (ShellParity* p : parities) {
        const size_t Q = static_cast<size_t>(p->lms) * N;
        p->bt.resize(Q * S);
        for (size_t s = 0; s < S; ++s)
            for (size_t q = 0; q < Q; ++q) p->bt[q * S + s] = p->b[s * Q + q];
    }
    return shells;
}

namespace {

// One shell's k-vectors inside a block, block-relative.
struct Segment {
    size_t shell, first, last;
};

// The segments of a block. (No callbacks: a lambda inside a multiversioned
// function is compiled for the default target only.)
const std::vector<Segment>& segments(const KShells& shells, ShellBlock blk) {
    thread_local std::vector<Segment> list;
    list.clear();
    const auto& st = shells.start;
    const size_t end = blk.begin + blk.size;
    size_t s = static_cast<size_t>(std::upper_bound(st.begin(), st.end(), blk.begin) - st.begin()) - 1;
    for (; s < shells.count() && st[s] < end; ++s)
        list.push_back({s, std::max(st[s], blk.begin) - blk.begin, std::min(st[s + 1], end) - blk.begin});
    return list;
}

}  // namespace

LODESTONE_MULTIVERSION
void shell_values(const KShells& shells, const ShellParity& p, ShellBlock blk, ConstMatrixView factor, int rows,
                  MatrixView out) {
    const int N = shells.N, J = p.padded;
    const size_t Q = static_cast<size_t>(p.lms) * N, R = static_cast<size_t>(rows), S = shells.count();
    const std::vector<Segment>& segs = segments(shells, blk);
    const size_t n_segs = segs.size();
    if (n_segs == 0) return;
    // Per segment W[r][j] = sum over its k of factor[r][k] Y_j(k), kept as
    // Ws[j][segment][r]; then per j one product over the block's shells,
    // V[j N + n][r] = sum_s B_s[j N + n] Ws[j][s][r] (rows in vector lanes,
    // V in registers across the shells); V is added to out[r][q] at the end.
    thread_local std::vector<double> w, ws, v;
    w.resize(R * J);
    ws.resize(static_cast<size_t>(p.lms) * n_segs * R);
    v.resize(Q * R);
    for (size_t g = 0; g < n_segs; ++g) {
        const Segment& seg = segs[g];
        gemm_assign({rows, J, static_cast<int>(seg.last - seg.first)}, {factor.data + seg.first, factor.ld},
                    {&p.y[(blk.begin + seg.first) * J], static_cast<size_t>(J)}, {w.data(), static_cast<size_t>(J)});
        for (int j = 0; j < p.lms; ++j)
            for (size_t r = 0; r < R; ++r) ws[(j * n_segs + g) * R + r] = w[r * J + j];
    }
    const size_t s0 = segs.front().shell;
    for (int j = 0; j < p.lms; ++j)
        gemm_assign({N, rows, static_cast<int>(n_segs)}, {&p.bt[static_cast<size_t>(j) * N * S + s0], S},
                    {&ws[j * n_segs * R], R}, {&v[static_cast<size_t>(j) * N * R], R});
    for (size_t r = 0; r < R; ++r) {
        double* o = out.data + r * out.ld;
        for (size_t q = 0; q < Q; ++q) o[q] += v[q * R + r];
    }
}

LODESTONE_MULTIVERSION
void shell_gamma(const KShells& shells, const ShellParity& p, ShellBlock blk, ConstMatrixView adjoint, int rows,
                 MatrixView gamma) {
    const int N = shells.N, J = p.padded;
    const size_t Q = static_cast<size_t>(p.lms) * N, R = static_cast<size_t>(rows);
    const std::vector<Segment>& segs = segments(shells, blk);
    const size_t n_segs = segs.size();
    if (n_segs == 0) return;
    // G[segment][j][r] = sum_n B_s[j N + n] adjoint[j N + n][r]: per j one
    // product over the block's shells; then per segment
    // gamma[k][r] += sum_j Y_j(k) G[segment][j][r].
    thread_local std::vector<double> g;
    g.resize(n_segs * J * R);
    const size_t s0 = segs.front().shell;
    for (int j = 0; j < p.lms; ++j)
        gemm_assign({static_cast<int>(n_segs), rows, N}, {&p.b[s0 * Q + static_cast<size_t>(j) * N], Q},
                    {adjoint.data + static_cast<size_t>(j) * N * adjoint.ld, adjoint.ld},
                    {&g[static_cast<size_t>(j) * R], J * R});
    for (size_t gi = 0; gi < n_segs; ++gi) {
        // the padding pairs j >= lms meet Y's zero padding: zero, not stale
        std::fill(&g[(gi * J + p.lms) * R], &g[(gi + 1) * J * R], 0.0);
        const Segment& seg = segs[gi];
        gemm_assign({static_cast<int>(seg.last - seg.first), rows, J},
                    {&p.y[(blk.begin + seg.first) * J], static_cast<size_t>(J)}, {&g[gi * J * R], R},
                    {gamma.data + seg.first * gamma.ld, gamma.ld});
    }
}

}  // namespace lodestone::lode
