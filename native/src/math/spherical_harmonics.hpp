#pragma once
#include <vector>

namespace lodestone {

// Real spherical harmonics Y_lm without the Condon-Shortley phase (featomic's
// convention), stored at index l*l + l + m for l = 0..max_l, m = -l..l.
// Evaluated through solid harmonics (Cartesian recurrences), so gradients
// come with no trigonometric singularity at the poles.
class SphericalHarmonics {
public:
    static constexpr int kMaxAngular = 25;

    explicit SphericalHarmonics(int max_l);

    int max_l() const { return max_l_; }
    int size() const { return (max_l_ + 1) * (max_l_ + 1); }

    // `direction` must have unit length. `gradients` (may be null) receives
    // d Y_lm(r / |r|) / d r at |r| = 1, laid out [xyz][lm]; divide by |r|
    // for other lengths.
    void compute(const double direction[3], double* values, double* gradients) const;
    // Four unit directions ([4][3]) at once, lanes innermost: values [lm][4],
    // gradients (may be null) [xyz][lm][4], multiplied by gradient_scale[k]
    // for direction k when given (1/|r| for the gradient at distance |r|).
    void compute4(const double directions[12], const double* gradient_scale, double* values,
                  double* gradients) const;

private:
    int max_l_;
    std::vector<double> recurrence_;  // [m][l][2]: (2l-1)/(l-m), (l+m-1)/(l-m)
    std::vector<double> norm_;  // sqrt((2l+1)/4pi (l-m)!/(l+m)!), times sqrt(2) for m > 0; [l][m]
};

}  // namespace lodestone
