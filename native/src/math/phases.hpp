#pragma once
// Plane-wave phases e^(i k.r) of every atom for the k-vectors of a lattice
// sum (the LODE k-space sum, the direct Ewald sum). With k = m1 b1 + m2 b2 +
// m3 b3 and fractional coordinates s, e^(i k.r) = prod_d e^(2 pi i m_d s_d):
// per atom and axis a table of e^(2 pi i m s_d), |m| <= the largest |m_d| of
// the k-set, turns each phase into two complex products instead of a sine
// and a cosine.
#include <array>
#include <cstddef>
#include <vector>

#include "lodestone/core/system.hpp"
#include "math/kvectors.hpp"

namespace lodestone {

// Plain complex arithmetic: std::complex multiplication goes through the
// NaN-checking library routine without -ffast-math.
struct Complex {
    double re, im;
};
inline Complex mul(Complex a, Complex b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }

class PhaseTables {
public:
    // Tables for every atom of a periodic `system` and the bounds of `kv`.
    PhaseTables(const System& system, const KVectors& kv);

    // The tables of atom i (pass to get()).
    const Complex* atom(size_t i) const { return values_.data() + i * width_; }
    // e^(2 pi i m s_axis) from an atom's tables.
    Complex get(const Complex* row, int axis, int m) const {
        return row[offset_[static_cast<size_t>(axis)] + static_cast<size_t>(m + max_m_[static_cast<size_t>(axis)])];
    }
    // e^(i k.r_atom) for the integer coordinates m[0..2] of k.
    Complex phase(size_t atom_index, const int* m) const {
        const Complex* row = atom(atom_index);
        return mul(mul(get(row, 0, m[0]), get(row, 1, m[1])), get(row, 2, m[2]));
    }

private:
    std::array<int, 3> max_m_{};
    std::array<size_t, 3> offset_{};
    size_t width_ = 0;
    std::vector<Complex> values_;  // [atom][axis][m + max_m]
};

}  // namespace lodestone
