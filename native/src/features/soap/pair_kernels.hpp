#pragma once
// Inner loops of the density expansion for one pair (i, j) of neighbour type
// block t. Coefficients are laid out [lm][t][n] with T type blocks.
#include <cstddef>

namespace lodestone::kernels {

struct PairTerms {
    int L, N, T, t;
    const double* f;     // [l][n]   fc(r) I_nl(r)
    const double* df;    // [l][n]   d f / dr
    const double* ylm;   // [lm] (element lm at ylm[lm * stride])
    const double* dylm;  // [xyz][lm], divided by r (element at dylm[(x LM + lm) * stride])
    const double* u;     // unit vector r_ij / r
    int stride = 1;      // 4 when the harmonics of four pairs are interleaved
};

// f, df: radial integrals and their derivative (df may be null) -> fc f
// and (fc f)'.
void apply_cutoff(int LN, double fc, double dfc, double* f, double* df);

// values[lm][t][n] += f[l][n] Y[lm]
void add_values(const PairTerms& p, double* values);

// g[xyz][lm][n] = df[l][n] Y[lm] u[x] + f[l][n] dY[x][lm]  (d c / d r_ij)
void pair_gradient(const PairTerms& p, double* g);

// row_j[xyz][lm][t][n] += g, row_i -= g; rows have P columns per xyz.
void scatter_gradient(const PairTerms& p, const double* g, size_t P, double* row_j, double* row_i);

// First contribution to row_j (`first`): row_j = g in block t and 0 in the
// other type blocks, so the row is written exactly once instead of being
// zero-filled and then accumulated into; later images of j add to it.
// self -= g either way (self: the centre's row, any P-column scratch).
// First writes use non-temporal stores on 16-byte aligned rows: the ~1 GB
// positions gradient is not read again here, and streaming skips reading
// every destination line from memory before writing it.
void write_gradient(const PairTerms& p, const double* g, size_t P, bool first, double* row_j, double* self);

// grad = sum_lmn adj[lm][t][n] (df[l][n] Y[lm] u + f[l][n] dY[lm]): dL/dr_ij
// from the adjoint adj = dL/dc of the centre. scratch: 4 N doubles.
void pair_backward(const PairTerms& p, const double* adj, double* scratch, double grad[3]);

// pair_gradient and write_gradient(first = true) in one pass, without g.
void write_pair_gradient(const PairTerms& p, size_t P, double* row_j, double* self);

// dst[0..n) = src with non-temporal stores where possible (as in
// write_gradient); stream_fence() orders them before later stores, as needed
// before other threads read dst.
void stream_rows(double* dst, const double* src, size_t n);
void stream_fence();

// out[a][b][lm][t][n] += s[a] g[b][lm][n] (strain with s = r_ij, cell with s = shift)
void outer_gradient(const PairTerms& p, const double* g, const double* s, size_t P, double* out);

}  // namespace lodestone::kernels
