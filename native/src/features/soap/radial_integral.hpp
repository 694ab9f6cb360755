#pragma once
#include <memory>

#include "math/gto_basis.hpp"
#include "math/hermite_spline.hpp"

namespace lodestone {

// Projection of a Gaussian atom density g(r) = (pi w^2)^(-3/4) exp(-r^2/2w^2)
// centred at distance r onto the orthonormal GTO basis, per angular channel:
// I_nl(r) = 4 pi int x^2 R_n(x) exp(-(x^2 + r^2)/2w^2) i_l(x r / w^2) dx
//           (pi w^2)^(-3/4),
// evaluated in closed form through Kummer's function 1F1, or from a Hermite
// spline of that closed form over [0, cutoff].
class GaussianRadialIntegral {
public:
    // spline_accuracy <= 0 selects exact evaluation.
    GaussianRadialIntegral(int max_radial, double radius, int max_angular, double width, double cutoff,
                           double spline_accuracy);

    int max_angular() const { return max_angular_; }
    int max_radial() const { return basis_.max_radial; }
    bool splined() const { return spline_ != nullptr; }

    // values/derivatives: [l][n], (max_angular + 1) x (max_radial + 1).
    void compute(double r, double* values, double* derivatives) const;
    void compute_exact(double r, double* values, double* derivatives) const;

private:
    GtoBasis basis_;
    int max_angular_;
    double width_;
    std::vector<double> log_prefactor_;  // [l][n]
    std::unique_ptr<HermiteSpline> spline_;
};

}  // namespace lodestone
