#pragma once

namespace lodestone {

// Spherical Bessel functions j_0..j_lmax at x >= 0 (j has lmax + 1 entries,
// lmax <= 38): series below x = 1, upward recurrence while l < x, Miller's
// downward recurrence otherwise.
void spherical_bessel(int lmax, double x, double* j);

}  // namespace lodestone
