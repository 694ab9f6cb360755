#pragma once

namespace lodestone {

// Special functions needed by smeared power-law potentials. Only the orders
// that appear for exponents p = 0..6 are supported: s a multiple of 1/2,
// s >= -3 for the upper functions, s > 0 for the regularised ones. Other
// orders throw lodestone::Error.

// Exponential integral E1(x) = Gamma(0, x), x > 0, relative error ~1e-15.
double exp_integral_e1(double x);

// Upper incomplete gamma function Gamma(s, x) = int_x^inf t^(s-1) e^-t dt,
// x > 0 (x = 0 allowed for s > 0), any half-integer or integer s >= -3.
double upper_incomplete_gamma(double s, double x);

// Regularised upper Q(s, x) = Gamma(s, x) / Gamma(s), s > 0, x >= 0.
double regularized_upper_gamma(double s, double x);

// x^(-s) P(s, x) = x^(-s) gamma(s, x) / Gamma(s), s > 0, x >= 0: the lower
// regularised function without its leading power, finite at x = 0 where it
// equals 1 / Gamma(s + 1). Accurate for small x (no cancellation).
double scaled_lower_gamma(double s, double x);

}  // namespace lodestone
