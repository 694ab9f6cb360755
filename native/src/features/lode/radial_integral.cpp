#include "features/lode/radial_integral.hpp"

#include <cmath>
#include <string>

#include "features/lode/potential.hpp"
#include "math/quadrature.hpp"
#include "lodestone/core/error.hpp"

namespace lodestone {

double kummer_m_negative(double a, double b, double z) {
    if (z < 1.0) {
        // The alternating series only cancels mildly while z < 1.
        double term = 1.0, sum = 1.0;
        for (int k = 0; k < 500; ++k) {
            term *= -(a + k) * z / ((b + k) * (k + 1));
            sum += term;
            if (std::abs(term) <= 1e-17 * std::abs(sum)) break;
        }
        return sum;
    }
    // Kummer's transformation M(a, b, -z) = e^-z M(b - a, b, z): positive
    // argument, no alternating terms once k > a - b.
    const double c = b - a;
    const bool polynomial = c <= 0.0 && c == std::floor(c);
    if (polynomial) {
        const int degree = static_cast<int>(-c);
        double term = 1.0, sum = 1.0;
        for (int k = 0; k < degree; ++k) {
            term *= (c + k) * z / ((b + k) * (k + 1));
            sum += term;
        }
        return std::exp(-z) * sum;
    }
    if (z < 60.0) {
        // Terms carry the e^-z factor from the start, so nothing overflows.
        double term = std::exp(-z), sum = term;
        for (int k = 0; k < 100000; ++k) {
            term *= (c + k) * z / ((b + k) * (k + 1));
            sum += term;
            if (k > z && k > -c && std::abs(term) <= 1e-17 * std::abs(sum)) break;
        }
        return sum;
    }
    // e^-z M(c, b, z) ~ Gamma(b)/Gamma(c) z^(c-b) sum_s (b-c)_s (1-c)_s / s! z^-s;
    // the neglected part is e^-z times smaller. Stops at the smallest term.
    double term = 1.0, sum = 1.0, smallest = 1.0;
    for (int s = 0; s < 200; ++s) {
        const double next = term * (b - c + s) * (1.0 - c + s) / ((s + 1) * z);
        if (std::abs(next) > smallest) break;
        term = next;
        sum += term;
        smallest = std::abs(term);
        if (smallest <= 1e-17 * std::abs(sum)) break;
    }
    return std::tgamma(b) / std::tgamma(c) * std::pow(z, c - b) * sum;
}

LodeRadialIntegral::LodeRadialIntegral(int max_radial, double radius, int max_angular, double k_max,
                                       double spline_accuracy)
    : basis_(max_radial, radius), max_angular_(max_angular), k_max_(k_max) {
    if (max_angular < 0 || max_angular > 25) {
        throw Error("basis.max_angular must be between 0 and 25, got " + std::to_string(max_angular));
    }
    const int N = basis_.size();
    prefactor_.resize(static_cast<size_t>((max_angular + 1) * N));
    for (int l = 0; l <= max_angular; ++l) {
        for (int n = 0; n < N; ++n) {
            const double s = basis_.widths[n];
            const double a = 0.5 * (n + l + 3), b = l + 1.5;
            const double log_value = 0.5 * std::log(M_PI) + 0.5 * (n - l - 1) * std::log(2.0) +
                                     (n + l + 3) * std::log(s) + std::lgamma(a) - std::lgamma(b);
            prefactor_[static_cast<size_t>(l * N + n)] = basis_.norms[n] * std::exp(log_value);
        }
    }
    if (spline_accuracy > 0.0) {
        if (!(k_max > 0.0) || !std::isfinite(k_max)) {
            throw Error("k_cutoff: expected a positive finite number, got " + format_number(k_max));
        }
        spline_ = std::make_unique<HermiteSpline>([this](double k, double* v, double* d) { compute_exact(k, v, d); },
                                                  (max_angular + 1) * N, k_max, spline_accuracy);
    }
}

void LodeRadialIntegral::compute(double k, double* values, double* derivatives) const {
    // the spline clamps beyond its range
    if (spline_ && k <= k_max_) {
        spline_->evaluate(k, values, derivatives);
    } else {
        compute_exact(k, values, derivatives);
    }
}

void LodeRadialIntegral::compute_exact(double k, double* values, double* derivatives) const {
    const int N = basis_.size();
    for (int n = 0; n < N; ++n) {
        const double s = basis_.widths[n];
        const double z = 0.5 * k * k * s * s;
        double k_pow = 1.0;  // k^l
        for (int l = 0; l <= max_angular_; ++l) {
            const double a = 0.5 * (n + l + 3), b = l + 1.5;
            const double pref = prefactor_[static_cast<size_t>(l * N + n)];
            const double m0 = kummer_m_negative(a, b, z);
            values[l * N + n] = pref * k_pow * m0;
            if (derivatives) {
                // d/dk [k^l M(a, b, -z)] = l k^(l-1) M - k^(l+1) s^2 (a/b) M(a+1, b+1, -z)
                const double m1 = kummer_m_negative(a + 1.0, b + 1.0, z);
                double d = -k * k_pow * s * s * (a / b) * m1;
                if (l > 0) d += l * std::pow(k, l - 1) * m0;
                derivatives[l * N + n] = pref * d;
            }
            k_pow *= k;
        }
    }
    for (int l = 0; l <= max_angular_; ++l) {
        basis_.orthonormalize(values + l * N, 1);
        if (derivatives) basis_.orthonormalize(derivatives + l * N, 1);
    }
}

std::vector<double> lode_center_contribution(const GtoBasis& basis, int exponent, double smearing) {
    const int N = basis.size();
    std::vector<double> out(static_cast<size_t>(N), 0.0);
    const double s2 = smearing * smearing;
    for (int n = 0; n < N; ++n) {
        const double alpha = 0.5 / (basis.widths[n] * basis.widths[n]);
        const double n_eff = 0.5 * (n + 3);
        double integral;
        if (exponent == 0) {
            // int r^(n+2) e^(-alpha r^2) (pi s^2)^(-3/4) e^(-r^2/2s^2) dr
            integral = std::pow(M_PI * s2, -0.75) * 0.5 * std::tgamma(n_eff) * std::pow(alpha + 0.5 / s2, -n_eff);
        } else {
            // long(r) = 1/Gamma(p/2) int_0^T t^(p/2-1) e^(-t r^2) dt, T = 1/2s^2; the r
            // integral is then Gamma(n_eff)/2 (alpha + t)^(-n_eff). With t = T v^2 the
            // remaining integrand 2 T^(p/2) v^(p-1) (alpha + T v^2)^(-n_eff) is smooth;
            // panels halve towards 0 to resolve its scale sqrt(alpha/T) when small.
            const double T = 0.5 / s2;
            std::vector<double> v, w;
            double hi = 1.0;
            for (int panel = 0; panel < 40; ++panel) {
                gauss_legendre(20, 0.5 * hi, hi, v, w);
                hi *= 0.5;
            }
            gauss_legendre(20, 0.0, hi, v, w);
            double sum = 0.0;
            for (size_t q = 0; q < v.size(); ++q) {
                sum += w[q] * 2.0 * std::pow(T, 0.5 * exponent) * std::pow(v[q], exponent - 1) *
                       std::pow(alpha + T * v[q] * v[q], -n_eff);
            }
            integral = 0.5 * std::tgamma(n_eff) * sum / std::tgamma(0.5 * exponent);
        }
        out[static_cast<size_t>(n)] = std::sqrt(4.0 * M_PI) * basis.norms[n] * integral;
    }
    basis.orthonormalize(out.data(), 1);
    return out;
}

}  // namespace lodestone
