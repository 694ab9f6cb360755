#pragma once
#include <vector>

namespace lodestone {

// GTO radial basis R_n(r) = N_n r^n exp(-r^2 / 2 s_n^2), n = 0..max_radial,
// s_n = radius max(sqrt(n), 1) / (max_radial + 1), normalised so that
// int r^2 R_n^2 dr = 1, then Lowdin-orthonormalised: the orthonormal
// functions are sum_n' O[n][n'] R_n' with O = S^(-1/2).
struct GtoBasis {
    GtoBasis(int max_radial, double radius);

    int max_radial;
    double radius;
    std::vector<double> widths;             // s_n
    std::vector<double> norms;              // N_n
    std::vector<double> orthonormalization; // O, (max_radial+1)^2 row-major

    int size() const { return max_radial + 1; }
    // Applies O to `primitive` (size() values at stride `stride`) in place.
    void orthonormalize(double* primitive, int stride) const;
};

// Kummer's confluent hypergeometric function scaled by exp(-z): M(a, b, z) e^-z
// for z >= 0 (power series for small z, asymptotic series for large z).
double hyp1f1_scaled(double a, double b, double z);

}  // namespace lodestone
