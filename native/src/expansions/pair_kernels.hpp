#pragma once
// Inner loops of the density expansion for one pair (i, j) of neighbour type
// block t. Coefficients are laid out [lm][t][n] with T type blocks.
#include <cstddef>

namespace lodestone::kernels {

struct PairTerms {
    int L, N, T, t;
    const double* f;     // [l][n]   fc(r) I_nl(r)
    const double* df;    // [l][n]   d f / dr
    const double* ylm;   // [lm]
    const double* dylm;  // [xyz][lm], divided by r
    const double* u;     // unit vector r_ij / r
};

// values[lm][t][n] += f[l][n] Y[lm]
void add_values(const PairTerms& p, double* values);

// g[xyz][lm][n] = df[l][n] Y[lm] u[x] + f[l][n] dY[x][lm]  (d c / d r_ij)
void pair_gradient(const PairTerms& p, double* g);

// row_j[xyz][lm][t][n] += g, row_i -= g; rows have P columns per xyz.
void scatter_gradient(const PairTerms& p, const double* g, size_t P, double* row_j, double* row_i);

// out[a][b][lm][t][n] += s[a] g[b][lm][n] (strain with s = r_ij, cell with s = shift)
void outer_gradient(const PairTerms& p, const double* g, const double* s, size_t P, double* out);

}  // namespace lodestone::kernels
