#include "features/lode/radial_integral.hpp"

#include <cmath>
#include <string>

#include "features/lode/lode_internal.hpp"
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
    : basis_(max_radial, radius), max_angular_(max_angular) {
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
    if (spline_) {
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
                lode::gauss_legendre(20, 0.5 * hi, hi, v, w);
                hi *= 0.5;
            }
            lode::gauss_legendre(20, 0.0, hi, v, w);
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

namespace lode {

void gauss_legendre(int n, double a, double b, std::vector<double>& nodes, std::vector<double>& weights) {
    const double mid = 0.5 * (a + b), half = 0.5 * (b - a);
    std::vector<double> x(static_cast<size_t>(n)), w(static_cast<size_t>(n));
    for (int i = 0; i < (n + 1) / 2; ++i) {
        double t = std::cos(M_PI * (i + 0.75) / (n + 0.5));
        double dp = 1.0;
        for (int iter = 0; iter < 100; ++iter) {
            double p0 = 1.0, p1 = t;
            for (int k = 2; k <= n; ++k) {
                const double p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
                p0 = p1;
                p1 = p2;
            }
            const double pn = n == 1 ? t : p1, pm = n == 1 ? 1.0 : p0;
            dp = n * (t * pn - pm) / (t * t - 1.0);
            const double dt = pn / dp;
            t -= dt;
            if (std::abs(dt) < 1e-16) break;
        }
        double p0 = 1.0, p1 = t;
        for (int k = 2; k <= n; ++k) {
            const double p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
            p0 = p1;
            p1 = p2;
        }
        dp = n == 1 ? 1.0 : n * (t * p1 - p0) / (t * t - 1.0);
        const double weight = 2.0 / ((1.0 - t * t) * dp * dp);
        x[static_cast<size_t>(i)] = -t;
        x[static_cast<size_t>(n - 1 - i)] = t;
        w[static_cast<size_t>(i)] = weight;
        w[static_cast<size_t>(n - 1 - i)] = weight;
    }
    for (int i = 0; i < n; ++i) {
        nodes.push_back(mid + half * x[static_cast<size_t>(i)]);
        weights.push_back(half * w[static_cast<size_t>(i)]);
    }
}

void spherical_bessel(int lmax, double x, double* j) {
    if (lmax > 38) throw Error("spherical_bessel: lmax above 38 is not supported");
    if (x < 1.0) {
        // j_l(x) = x^l / (2l+1)!! sum_k (-x^2/2)^k / (k! (2l+3)(2l+5)...(2l+2k+1))
        double lead = 1.0;
        for (int l = 0; l <= lmax; ++l) {
            double term = 1.0, sum = 1.0;
            for (int k = 1; k < 40; ++k) {
                term *= -0.5 * x * x / (k * (2 * l + 2 * k + 1));
                sum += term;
                if (std::abs(term) < 1e-17 * std::abs(sum)) break;
            }
            j[l] = lead * sum;
            lead *= x / (2 * l + 3);
        }
        return;
    }
    const double s = std::sin(x), c = std::cos(x);
    const double j0 = s / x, j1 = s / (x * x) - c / x;
    if (x > lmax) {
        // upward recurrence is stable while l < x
        j[0] = j0;
        if (lmax >= 1) j[1] = j1;
        for (int l = 1; l < lmax; ++l) j[l + 1] = (2 * l + 1) / x * j[l] - j[l - 1];
        return;
    }
    // Miller's downward recurrence, normalised on whichever of j0, j1 is larger.
    const int top = lmax + 30 + static_cast<int>(x);
    double f[40] = {0.0};  // lmax <= 26 (max_angular + 1)
    double above = 0.0, current = 1e-30;  // f_{l+1}, f_l
    for (int l = top; l >= 1; --l) {
        const double below = (2 * l + 1) / x * current - above;
        above = current;
        current = below;  // f_{l-1}
        if (l - 1 <= lmax) f[l - 1] = current;
        if (std::abs(current) > 1e250) {
            current *= 1e-250;
            above *= 1e-250;
            for (int q = 0; q <= lmax; ++q) f[q] *= 1e-250;
        }
    }
    const double scale = std::abs(j0) > std::abs(j1) ? j0 / f[0] : j1 / f[1];
    for (int l = 0; l <= lmax; ++l) j[l] = f[l] * scale;
}

Potential::Potential(int exponent, double smearing) : exponent_(exponent), smearing_(smearing) {
    if (exponent < 0 || exponent > 6) {
        throw Error("density.exponent: LODE supports exponents p = 0..6, got " + std::to_string(exponent));
    }
    if (!(smearing > 0.0) || !std::isfinite(smearing)) {
        throw Error("density.smearing: expected a positive finite number (A), got " + format_number(smearing));
    }
    if (exponent > 0) law_ = std::make_unique<SmearedPowerLaw>(exponent, smearing);
}

double Potential::fourier(double k) const {
    if (law_) return law_->fourier(k);
    const double s2 = smearing_ * smearing_;
    return std::pow(4.0 * M_PI * s2, 0.75) * std::exp(-0.5 * k * k * s2);
}

double Potential::d_fourier(double k) const {
    if (law_) return law_->d_fourier(k);
    return -k * smearing_ * smearing_ * fourier(k);
}

double Potential::fourier_at_zero() const {
    if (law_) return law_->fourier_at_zero();
    return std::pow(4.0 * M_PI * smearing_ * smearing_, 0.75);
}

}  // namespace lode
}  // namespace lodestone
