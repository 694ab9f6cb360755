#pragma once
// The real-space pair kernel of the band-limited LODE field: F_nl(d), the
// projection on R_n Y_lm around a centre of one atom's field at distance d
// (see real_space.cpp), used by the molecular path and by the near-field
// exclusion (near_field.cpp).
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "math/bessel.hpp"
#include "math/hermite_spline.hpp"

namespace lodestone {

class LodeRadialIntegral;

namespace lode {

// Gauss-Legendre sum over k of (2/pi) k^2 G(k) I_nl(k) j_l(k d), or its
// Hermite spline up to max_distance.
struct RealSpaceKernel {
    double max_distance = 0.0;
    int L = 0, N = 0;               // angular channels, radial functions
    std::vector<double> nodes;      // k
    std::vector<double> weights;    // [node][l][n]: (2/pi) w k^2 G(k) I_nl(k)
    std::unique_ptr<HermiteSpline> spline;

    void exact(double d, double* f, double* df) const {
        const int LN = L * N;
        std::fill(f, f + LN, 0.0);
        if (df) std::fill(df, df + LN, 0.0);
        double j[40], dj[40];
        for (size_t q = 0; q < nodes.size(); ++q) {
            const double k = nodes[q];
            spherical_bessel(L, k * d, j);  // j_0 .. j_L (one more for derivatives)
            if (df) {
                dj[0] = -j[1];
                for (int l = 1; l < L; ++l) dj[l] = (l * j[l - 1] - (l + 1) * j[l + 1]) / (2 * l + 1);
            }
            const double* w = &weights[q * static_cast<size_t>(LN)];
            for (int l = 0; l < L; ++l) {
                const double jl = j[l];
                for (int n = 0; n < N; ++n) f[l * N + n] += w[l * N + n] * jl;
                if (df) {
                    const double djl = k * dj[l];
                    for (int n = 0; n < N; ++n) df[l * N + n] += w[l * N + n] * djl;
                }
            }
        }
    }

    void evaluate(double d, double* f, double* df) const {
        if (spline) {
            spline->evaluate(d, f, df);
        } else {
            exact(d, f, df);
        }
    }
};

// F_nl(d) = (2/pi) int_0^k_max k^2 G(k) I_nl(k) j_l(k d) dk for any field
// G, exact for d up to `range` (the panels follow the oscillation of j_l
// there), splined to `spline_accuracy` (<= 0: exact evaluation);
// `exact_radial` false takes I_nl(k) from the radial integral's spline
// (estimates), which must then cover k_max.
std::unique_ptr<RealSpaceKernel> make_real_space_kernel(const LodeRadialIntegral& radial,
                                                        const std::function<double(double)>& fourier, double k_max,
                                                        double range, double spline_accuracy, bool exact_radial = true);

}  // namespace lode

}  // namespace lodestone
