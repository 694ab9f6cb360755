#include "lodestone/longrange/power_law.hpp"

#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"
#include "math/gamma.hpp"

namespace lodestone {

SmearedPowerLaw::SmearedPowerLaw(int exponent, double smearing) : exponent_(exponent), smearing_(smearing) {
    if (exponent < 1 || exponent > 6) {
        throw Error("exponent: expected an integer between 1 and 6, got " + std::to_string(exponent));
    }
    if (!(smearing > 0.0) || !std::isfinite(smearing)) {
        throw Error("smearing: expected a positive finite number, got " + format_number(smearing));
    }
    half_p_ = 0.5 * exponent;
    a_ = 1.0 / (2.0 * smearing * smearing);
    a_pow_s_ = std::pow(a_, half_p_);
    fourier_prefactor_ = std::pow(M_PI, 1.5) / std::tgamma(half_p_);
}

// With x = a r^2: long(r) = P(s, x) / r^p = a^s [x^-s P(s, x)], and the
// bracket is smooth and cancellation-free down to r = 0.
double SmearedPowerLaw::real_long(double r) const {
    if (!(r >= 0.0)) throw Error("real_long: distance must be >= 0, got " + format_number(r));
    return a_pow_s_ * scaled_lower_gamma(half_p_, a_ * r * r);
}

// d/dr P(s, x)/r^p simplifies (with gamma(s+1,x) = s gamma(s,x) - x^s e^-x)
// to -p P(s+1, x) / r^(p+1): no difference of large terms at small r.
double SmearedPowerLaw::d_real_long(double r) const {
    if (!(r >= 0.0)) throw Error("d_real_long: distance must be >= 0, got " + format_number(r));
    return -exponent_ * a_pow_s_ * a_ * r * scaled_lower_gamma(half_p_ + 1.0, a_ * r * r);
}

double SmearedPowerLaw::real_short(double r) const {
    if (!(r > 0.0)) throw Error("real_short: distance must be > 0, got " + format_number(r));
    return regularized_upper_gamma(half_p_, a_ * r * r) / std::pow(r, exponent_);
}

double SmearedPowerLaw::d_real_short(double r) const {
    if (!(r > 0.0)) throw Error("d_real_short: distance must be > 0, got " + format_number(r));
    return -exponent_ * regularized_upper_gamma(half_p_ + 1.0, a_ * r * r) / std::pow(r, exponent_ + 1);
}

void SmearedPowerLaw::real_short_pair(double r, double& value, double& derivative) const {
    // Q(s, x) by upward recursion from erfc (half-integer s) or exp (integer
    // s); one more step gives Q(s + 1, x) for the derivative.
    const double x = a_ * r * r;
    double q, term, order;
    if (exponent_ % 2 == 1) {
        const double sqrt_x = std::sqrt(x);
        q = std::erfc(sqrt_x);
        term = sqrt_x * std::exp(-x) * (2.0 / std::sqrt(M_PI));  // x^(1/2) e^-x / Gamma(3/2)
        order = 0.5;
    } else {
        q = std::exp(-x);
        term = x * q;
        order = 1.0;
    }
    while (order < half_p_) {
        q += term;
        order += 1.0;
        term *= x / order;
    }
    const double inv_r = 1.0 / r;
    double inv_rp = inv_r;
    for (int i = 1; i < exponent_; i++) inv_rp *= inv_r;
    value = q * inv_rp;
    derivative = -exponent_ * (q + term) * inv_rp * inv_r;
}

double SmearedPowerLaw::fourier(double k) const {
    if (!(k > 0.0) || !std::isfinite(k)) throw Error("fourier: k must be > 0, got " + format_number(k));
    const double y = 0.5 * k * k * smearing_ * smearing_;
    return fourier_prefactor_ * std::pow(0.5 * k, exponent_ - 3) * upper_incomplete_gamma(1.5 - half_p_, y);
}

// dG/dk = (p-3) G / k - 2 C (sigma sqrt2)^(3-p) e^-y / k; the recursion of
// Gamma turns the difference into -2 C (k/2)^(p-3) Gamma((5-p)/2, y) / k,
// which stays accurate for small k when p > 3.
double SmearedPowerLaw::d_fourier(double k) const {
    if (!(k > 0.0) || !std::isfinite(k)) throw Error("d_fourier: k must be > 0, got " + format_number(k));
    const double y = 0.5 * k * k * smearing_ * smearing_;
    return -2.0 * fourier_prefactor_ * std::pow(0.5 * k, exponent_ - 3) * upper_incomplete_gamma(2.5 - half_p_, y) / k;
}

double SmearedPowerLaw::fourier_at_zero() const {
    if (exponent_ <= 3) {
        throw Error("fourier_at_zero: the k = 0 limit of the smeared 1/r^" + std::to_string(exponent_) +
                    " potential diverges (finite only for exponent > 3)");
    }
    return 2.0 * fourier_prefactor_ * std::pow(smearing_ * M_SQRT2, 3 - exponent_) / (exponent_ - 3);
}

double SmearedPowerLaw::background_correction() const {
    if (exponent_ >= 3) {
        throw Error("background_correction: only defined for exponent < 3, got " + std::to_string(exponent_));
    }
    return -2.0 * fourier_prefactor_ * std::pow(smearing_ * M_SQRT2, 3 - exponent_) / (3 - exponent_);
}

}  // namespace lodestone
