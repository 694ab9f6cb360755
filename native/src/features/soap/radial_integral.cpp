#include "features/soap/radial_integral.hpp"

#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone {

GaussianRadialIntegral::GaussianRadialIntegral(int max_radial, double radius, int max_angular, double width,
                                               double cutoff, double spline_accuracy)
    : basis_(max_radial, radius), max_angular_(max_angular), width_(width) {
    if (!(width > 0.0) || !std::isfinite(width)) {
        throw Error("density.width must be a positive finite number (A), got " + format_number(width));
    }
    const int N = basis_.size();
    log_prefactor_.resize(static_cast<size_t>((max_angular + 1) * N));
    const double w2 = width * width;
    // 4 pi (pi w^2)^(-3/4) N_n sqrt(pi)/4 Gamma(alpha)/Gamma(beta) a^-alpha,
    // from int x^(n+2) e^(-a x^2) i_l(b x) dx in closed form.
    for (int l = 0; l <= max_angular; ++l) {
        for (int n = 0; n < N; ++n) {
            double s = basis_.widths[n];
            double a = 0.5 / w2 + 0.5 / (s * s);
            double alpha = 0.5 * (n + l + 3), beta = l + 1.5;
            log_prefactor_[l * N + n] = std::log(4 * M_PI) - 0.75 * std::log(M_PI * w2) + std::log(basis_.norms[n]) +
                                        0.5 * std::log(M_PI) - std::log(4.0) + std::lgamma(alpha) -
                                        std::lgamma(beta) - alpha * std::log(a);
        }
    }
    if (spline_accuracy > 0.0) {
        const int count = (max_angular + 1) * N;
        spline_ = std::make_unique<HermiteSpline>(
            [this](double r, double* v, double* d) { compute_exact(r, v, d); }, count, cutoff, spline_accuracy);
    }
}

void GaussianRadialIntegral::compute(double r, double* values, double* derivatives) const {
    if (spline_) {
        spline_->evaluate(r, values, derivatives);
    } else {
        compute_exact(r, values, derivatives);
    }
}

void GaussianRadialIntegral::compute_exact(double r, double* values, double* derivatives) const {
    const int N = basis_.size();
    const double w2 = width_ * width_;
    const double half_b = r / (2 * w2);  // (r / w^2) / 2
    for (int n = 0; n < N; ++n) {
        double s = basis_.widths[n];
        double a = 0.5 / w2 + 0.5 / (s * s);
        double z = r * r / (4 * a * w2 * w2);
        double dz_dr = r / (2 * a * w2 * w2);
        // exp(-r^2/2w^2) M(alpha, beta, z) = exp(z - r^2/2w^2) [M e^-z], stable for any r
        double envelope = std::exp(z - r * r / (2 * w2));
        for (int l = 0; l <= max_angular_; ++l) {
            double alpha = 0.5 * (n + l + 3), beta = l + 1.5;
            double prefactor = std::exp(log_prefactor_[l * N + n]);
            double m0 = hyp1f1_scaled(alpha, beta, z) * envelope;
            double power = l == 0 ? 1.0 : std::pow(half_b, l);
            values[l * N + n] = prefactor * power * m0;
            if (derivatives) {
                double m1 = hyp1f1_scaled(alpha + 1, beta + 1, z) * envelope * alpha / beta;
                double dpower = l == 0 ? 0.0 : l * std::pow(half_b, l - 1) / (2 * w2);
                derivatives[l * N + n] =
                    prefactor * (dpower * m0 - r / w2 * power * m0 + power * m1 * dz_dr);
            }
        }
    }
    for (int l = 0; l <= max_angular_; ++l) {
        basis_.orthonormalize(values + l * N, 1);
        if (derivatives) basis_.orthonormalize(derivatives + l * N, 1);
    }
}

}  // namespace lodestone
