#pragma once
#include <memory>
#include <vector>

#include "math/gto_basis.hpp"
#include "math/hermite_spline.hpp"

namespace lodestone {

// Projection of a plane wave onto the orthonormal GTO basis, per angular
// channel: I_nl(k) = int_0^inf r^2 R_n(r) j_l(k r) dr (R_n as in GtoBasis).
// For a primitive r^n exp(-r^2/2s^2) this is, in closed form,
//   sqrt(pi) 2^((n-l-1)/2) s^(n+l+3) k^l Gamma(a)/Gamma(b) M(a, b, -k^2 s^2/2),
// a = (n+l+3)/2, b = l+3/2 (Kummer's M). Evaluated exactly, or from a Hermite
// spline of the exact values over [0, k_max].
class LodeRadialIntegral {
public:
    // spline_accuracy <= 0 selects exact evaluation.
    LodeRadialIntegral(int max_radial, double radius, int max_angular, double k_max, double spline_accuracy);

    int max_angular() const { return max_angular_; }
    int max_radial() const { return basis_.max_radial; }
    const GtoBasis& basis() const { return basis_; }
    bool splined() const { return spline_ != nullptr; }

    // values/derivatives (d/dk, may be null): [l][n], (max_angular+1) x (max_radial+1);
    // splined up to k_max, exact beyond.
    void compute(double k, double* values, double* derivatives) const;
    void compute_exact(double k, double* values, double* derivatives) const;

private:
    GtoBasis basis_;
    int max_angular_;
    double k_max_;  // of the spline
    std::vector<double> prefactor_;  // [l][n]: everything but k^l M(a, b, -z), times N_n
    std::unique_ptr<HermiteSpline> spline_;
};

// Kummer's function at a negative argument, M(a, b, -z) for a, b > 0 and
// z >= 0, without the cancellation of the alternating power series.
double kummer_m_negative(double a, double b, double z);

// The centre atom's own smeared field (exponent p: the long-range part of
// 1/r^p of smearing sigma; p = 0: the normalised Gaussian density of width
// sigma) projected on the l = 0 channel of the orthonormal GTO basis:
// sqrt(4 pi) int r^2 R_n(r) V(r) dr, n = 0..max_radial. featomic's
// `center_atom_weight` w removes (1 - w) times this from the centre's block.
std::vector<double> lode_center_contribution(const GtoBasis& basis, int exponent, double smearing);

}  // namespace lodestone
