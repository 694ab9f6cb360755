#include "math/hermite_spline.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"
#include "core/simd.hpp"

namespace lodestone {

namespace {

// values = h00 y0 + h10 m0 + h01 y1 + h11 m1 (and the same with the d
// weights for derivatives) for n functions stored [y][m] at both knots.
LODESTONE_MULTIVERSION
void hermite_combine(size_t n, const double* left, const double* right, const double w[8], double* values,
                     double* derivatives) {
    for (size_t f = 0; f < n; ++f) {
        values[f] = w[0] * left[f] + w[1] * left[n + f] + w[2] * right[f] + w[3] * right[n + f];
    }
    if (!derivatives) return;
    for (size_t f = 0; f < n; ++f) {
        derivatives[f] = w[4] * left[f] + w[5] * left[n + f] + w[6] * right[f] + w[7] * right[n + f];
    }
}

}  // namespace

HermiteSpline::HermiteSpline(const Function& function, int n_functions, double x_max, double accuracy)
    : n_functions_(n_functions), x_max_(x_max) {
    if (!(accuracy > 0.0) || !std::isfinite(accuracy)) {
        throw Error("spline_accuracy must be a positive number (or null for exact evaluation), got " +
                    format_number(accuracy));
    }
    const size_t n = static_cast<size_t>(n_functions);
    std::vector<double> exact(2 * n), splined(2 * n);
    const size_t max_intervals = size_t(1) << 17;
    for (size_t intervals = 32;; intervals *= 2) {
        tabulate(function, intervals);
        double worst = 0.0;
        for (size_t k = 0; k < intervals; ++k) {
            double x = (k + 0.5) * step_;
            function(x, exact.data(), exact.data() + n);
            evaluate(x, splined.data(), splined.data() + n);
            for (size_t f = 0; f < n; ++f) worst = std::max(worst, std::abs(exact[f] - splined[f]));
        }
        if (worst <= accuracy) return;
        if (intervals >= max_intervals) {
            throw Error("spline_accuracy " + format_number(accuracy) + " cannot be reached with " +
                        std::to_string(max_intervals) + " spline points (error " + format_number(worst) +
                        "); ask for a larger spline_accuracy");
        }
    }
}

void HermiteSpline::tabulate(const Function& function, size_t n_intervals) {
    const size_t n = static_cast<size_t>(n_functions_);
    n_points_ = n_intervals + 1;
    step_ = x_max_ / static_cast<double>(n_intervals);
    table_.assign(n_points_ * 2 * n, 0.0);
    for (size_t k = 0; k < n_points_; ++k) {
        double* row = &table_[k * 2 * n];
        function(k * step_, row, row + n);
    }
}

void HermiteSpline::evaluate(double x, double* values, double* derivatives) const {
    const size_t n = static_cast<size_t>(n_functions_);
    double t = std::min(std::max(x, 0.0), x_max_) / step_;
    size_t k = std::min(static_cast<size_t>(t), n_points_ - 2);
    t -= static_cast<double>(k);
    const double t2 = t * t, t3 = t2 * t;
    const double h00 = 2 * t3 - 3 * t2 + 1, h10 = (t3 - 2 * t2 + t) * step_;
    const double h01 = -2 * t3 + 3 * t2, h11 = (t3 - t2) * step_;
    const double inv = 1.0 / step_;
    const double d00 = (6 * t2 - 6 * t) * inv, d10 = 3 * t2 - 4 * t + 1;
    const double d01 = (-6 * t2 + 6 * t) * inv, d11 = 3 * t2 - 2 * t;
    const double* left = &table_[k * 2 * n];
    const double weights[8] = {h00, h10, h01, h11, d00, d10, d01, d11};
    hermite_combine(n, left, left + 2 * n, weights, values, derivatives);
}

}  // namespace lodestone
