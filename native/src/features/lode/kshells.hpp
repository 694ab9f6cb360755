#pragma once
// The direct k sum through shells of equal |k|. Its coefficients factor as
// H_(n,lm)(k) = B_nl(|k|) Y_lm(k̂), with B_nl = c_l G(|k|) I_nl(|k|): in a
// cell with symmetry many k-vectors share |k| (919 k-vectors lie on 49
// shells in an 18.9 A cubic box at k_cutoff 1.2 pi / 1.5 A), so the
// products over (k; n, l, m) of the values and of the adjoint's Gamma can
// run over (k; l, m) and then over (shell; n): K x LM + shells x N x LM
// products instead of K x N x LM. The sums are those of the plain path in
// another order.
#include <cstddef>
#include <vector>

#include "math/gemm.hpp"
#include "math/kvectors.hpp"

namespace lodestone {
class LodeRadialIntegral;
class SphericalHarmonics;
}  // namespace lodestone

namespace lodestone::lode {

class Potential;

// One parity's (even or odd l) (l, m) pairs j, in ascending lm: the
// coefficient column of (j, n) is q = j N + n, as in the plain path.
struct ShellParity {
    int lms = 0, padded = 0;  // pairs, and that padded to a multiple of 4
    std::vector<double> y;    // Y_lm(k̂): [k][padded], zero padding
    std::vector<double> b;    // c_l G I_nl of each shell: [shell][lms N]
    std::vector<double> bt;   // the same as [lms N][shell]: the left factor of shell_values' products over shells
};

struct KShells {
    std::vector<size_t> start;  // shell s: k-vectors [start[s], start[s + 1])
    ShellParity even, odd;
    int N = 0;
    size_t count() const { return start.empty() ? 0 : start.size() - 1; }
};

struct ShellInputs {
    int L, N;
    double volume;
    const Potential& potential;
    const LodeRadialIntegral& radial;
    const SphericalHarmonics& harmonics;
};

// 2 i^l (4 pi / V) as a real factor of the k sum's coefficients: the even l
// multiply the real part of the phase sum, the odd l its imaginary part; 2
// for the half space.
double k_sum_factor(int l, double volume);

// Shells of a set sorted by length (math/kvectors.hpp), when there
// are at least twice as many k-vectors as shells; else none (count() 0).
KShells make_shells(const KVectors& kv, const ShellInputs& in);

// The k-vectors [begin, begin + size) of one block.
struct ShellBlock {
    size_t begin, size;
};

// out[r][q] += sum_k factor[r][k] H_q(k) over the block (factor's columns
// are the block's k-vectors; out has the parity's q columns). Inside a
// parallel region: its scratch is per thread.
void shell_values(const KShells& shells, const ShellParity& p, ShellBlock blk, ConstMatrixView factor, int rows,
                  MatrixView out);

// gamma[k][r] = sum_q H_q(k) g[q][r] over the block (every row written),
// g the adjoint by column ([q][r]). Inside a parallel region.
void shell_gamma(const KShells& shells, const ShellParity& p, ShellBlock blk, ConstMatrixView adjoint, int rows,
                 MatrixView gamma);

}  // namespace lodestone::lode
