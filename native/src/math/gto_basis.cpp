#include "math/gto_basis.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "lodestone/core/error.hpp"
#include "math/linalg.hpp"

namespace lodestone {

GtoBasis::GtoBasis(int max_radial_, double radius_) : max_radial(max_radial_), radius(radius_) {
    if (max_radial < 0 || max_radial > 30) {
        throw Error("basis.radial.max_radial must be between 0 and 30, got " + std::to_string(max_radial));
    }
    if (!(radius > 0.0) || !std::isfinite(radius)) {
        throw Error("basis.radial.radius must be a positive finite number (A), got " + format_number(radius));
    }
    const int n_max = size();
    widths.resize(n_max);
    norms.resize(n_max);
    for (int n = 0; n < n_max; ++n) {
        widths[n] = radius * std::max(std::sqrt(static_cast<double>(n)), 1.0) / n_max;
        // int r^(2n+2) exp(-r^2/s^2) dr = Gamma(n + 3/2) s^(2n+3) / 2
        double log_integral = std::lgamma(n + 1.5) + (2 * n + 3) * std::log(widths[n]) - std::log(2.0);
        norms[n] = std::exp(-0.5 * log_integral);
    }
    std::vector<double> overlap(static_cast<size_t>(n_max * n_max));
    for (int n = 0; n < n_max; ++n) {
        for (int k = 0; k < n_max; ++k) {
            double c = 0.5 / (widths[n] * widths[n]) + 0.5 / (widths[k] * widths[k]);
            double p = 0.5 * (n + k + 3);
            double log_integral = std::lgamma(p) - p * std::log(c) - std::log(2.0);
            overlap[n * n_max + k] = norms[n] * norms[k] * std::exp(log_integral);
        }
    }
    orthonormalization = inverse_sqrt_symmetric(overlap, static_cast<size_t>(n_max), "the GTO overlap matrix");
}

void GtoBasis::orthonormalize(double* primitive, int stride) const {
    const int n_max = size();
    double buffer[32];
    for (int n = 0; n < n_max; ++n) {
        double sum = 0.0;
        for (int k = 0; k < n_max; ++k) sum += orthonormalization[n * n_max + k] * primitive[k * stride];
        buffer[n] = sum;
    }
    for (int n = 0; n < n_max; ++n) primitive[n * stride] = buffer[n];
}

double hyp1f1_scaled(double a, double b, double z) {
    // The asymptotic branch takes log Gamma(a), which loses the sign of
    // Gamma for negative a; radial integrals only need a, b > 0.
    if (!(a > 0.0 && b > 0.0)) {
        throw Error("hyp1f1_scaled: expected a > 0 and b > 0, got a = " + format_number(a) + ", b = " + format_number(b));
    }
    if (z > 30.0) {
        // M(a,b,z) ~ Gamma(b)/Gamma(a) e^z z^(a-b) sum_s (b-a)_s (1-a)_s / s! z^-s;
        // exact when b - a is a non-positive integer, otherwise used only
        // while its terms keep shrinking below double precision.
        double term = 1.0, sum = 1.0, smallest = 1.0;
        bool converged = false;
        for (int s = 0; s < 1000; ++s) {
            term *= (b - a + s) * (1.0 - a + s) / ((s + 1) * z);
            sum += term;
            double size = std::abs(term);
            if (size <= 1e-17 * std::abs(sum)) {
                converged = true;
                break;
            }
            if (size > 1e3 * smallest) break;
            smallest = std::min(smallest, size);
        }
        if (converged) return std::exp(std::lgamma(b) - std::lgamma(a) + (a - b) * std::log(z)) * sum;
    }
    if (z > 650.0) {
        throw Error("radial integral: argument too large for the series of 1F1 (z = " + format_number(z) +
                    "); the Gaussian width is too small for this cutoff");
    }
    double term = 1.0, sum = 1.0;
    for (int k = 0; k < 100000; ++k) {
        term *= (a + k) * z / ((b + k) * (k + 1));
        sum += term;
        if (std::abs(term) <= 1e-17 * std::abs(sum) && k > z) break;
    }
    return sum * std::exp(-z);
}

}  // namespace lodestone
