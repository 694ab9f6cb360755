#pragma once
#include <vector>

namespace lodestone {

// Clebsch-Gordan coefficient <l1 m1 l2 m2 | L M> of the complex spherical
// harmonics with the Condon-Shortley phase (zero outside the selection rules).
double clebsch_gordan(int l1, int m1, int l2, int m2, int L, int M);

// Coupling of two tensors that transform as the real spherical harmonics of
// math/spherical_harmonics.hpp (no Condon-Shortley phase) into one that
// transforms as the real Y_L: x[M] = sum value a[m1] b[m2] over the entries.
// The complex coupling conjugated to the real basis is real when l1 + l2 + L
// is even and imaginary when it is odd; the odd case keeps its imaginary part
// (any fixed complex factor of an equivariant is still one).
struct RealCoupling {
    int M, m1, m2;  // offsets from -L, -l1, -l2: 0..2L, 0..2 l1, 0..2 l2
    double value;
};

// The non-zero entries, ordered by M then m1 then m2; empty unless
// |l1 - l2| <= L <= l1 + l2.
std::vector<RealCoupling> real_clebsch_gordan(int l1, int l2, int L);

// The same as a dense [2L+1][2 l1+1][2 l2+1] array.
std::vector<double> real_clebsch_gordan_dense(int l1, int l2, int L);

}  // namespace lodestone
