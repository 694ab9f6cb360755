#pragma once
// The field whose projection the LODE expansion computes, shared by its
// k-space, mesh and real-space evaluations.
#include <memory>

#include "lodestone/longrange/power_law.hpp"

namespace lodestone::lode {

// Fourier transform G_p(k) of the field whose projection LODE computes:
// p = 1..6 the long-range part of the smeared 1/r^p (SmearedPowerLaw),
// p = 0 the normalised Gaussian density of width sigma itself,
// G_0(k) = (4 pi sigma^2)^(3/4) exp(-k^2 sigma^2/2) (featomic's meaning).
class Potential {
public:
    Potential(int exponent, double smearing);

    int exponent() const { return exponent_; }
    double fourier(double k) const;    // k > 0
    double d_fourier(double k) const;  // k > 0
    // Whether the k = 0 term of lattice sums is finite (p = 0 or p > 3).
    bool has_zero_term() const { return exponent_ == 0 || exponent_ > 3; }
    double fourier_at_zero() const;

private:
    int exponent_;
    double smearing_;
    std::unique_ptr<SmearedPowerLaw> law_;  // null for p = 0
};

}  // namespace lodestone::lode
