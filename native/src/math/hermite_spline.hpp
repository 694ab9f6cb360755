#pragma once
#include <functional>
#include <vector>

namespace lodestone {

// Cubic Hermite interpolation of many functions of one variable on a uniform
// grid over [0, x_max], from their values and first derivatives. The grid is
// refined until the error at every interval midpoint is below `accuracy`.
// The interpolant's derivative is returned with its values, so gradients are
// exact derivatives of what is returned as values.
class HermiteSpline {
public:
    // Fills values[0..n) and derivatives[0..n) of the n functions at x.
    using Function = std::function<void(double x, double* values, double* derivatives)>;

    HermiteSpline(const Function& function, int n_functions, double x_max, double accuracy);

    int n_functions() const { return n_functions_; }
    double x_max() const { return x_max_; }
    size_t n_points() const { return n_points_; }

    // x is clamped to [0, x_max].
    void evaluate(double x, double* values, double* derivatives) const;

private:
    void tabulate(const Function& function, size_t n_intervals);

    int n_functions_;
    double x_max_;
    size_t n_points_ = 0;
    double step_ = 0.0;
    std::vector<double> table_;  // per point: n values, then n derivatives
};

}  // namespace lodestone
