#include "features/lode/potential.hpp"

#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone::lode {

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

}  // namespace lodestone::lode
