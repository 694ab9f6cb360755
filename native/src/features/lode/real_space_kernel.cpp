// The real-space pair kernel F_nl(d) of a LODE field (real_space_kernel.hpp):
// a Gauss-Legendre sum over k, panels short enough for the oscillation of
// j_l(kd) up to the largest distance, halving towards k = 0 where G has
// logarithmic terms for p = 3, 5.
#include "features/lode/real_space_kernel.hpp"

#include <algorithm>
#include <cmath>

#include "features/lode/radial_integral.hpp"
#include "math/quadrature.hpp"

namespace lodestone {

std::unique_ptr<lode::RealSpaceKernel> lode::make_real_space_kernel(const LodeRadialIntegral& radial,
                                                                    const std::function<double(double)>& fourier,
                                                                    double k_max, double range,
                                                                    double spline_accuracy, bool exact_radial) {
    auto kernel = std::make_unique<lode::RealSpaceKernel>();
    kernel->max_distance = range;
    kernel->L = radial.max_angular() + 1;
    kernel->N = radial.max_radial() + 1;
    const int LN = kernel->L * kernel->N;

    const double kc = k_max;
    // One panel per period of j_l(k d) at the largest distance (24 points
    // each integrate it to double precision), the first one graded.
    const int panels = std::max(4, static_cast<int>(std::ceil(kc * range / (2.0 * M_PI))));
    const double width = kc / panels;
    std::vector<double> nodes, w;
    double hi = width;
    for (int g = 0; g < 16; ++g) {
        gauss_legendre(24, 0.5 * hi, hi, nodes, w);
        hi *= 0.5;
    }
    gauss_legendre(24, 0.0, hi, nodes, w);
    for (int p = 1; p < panels; ++p) gauss_legendre(24, p * width, (p + 1) * width, nodes, w);

    kernel->nodes = nodes;
    kernel->weights.resize(nodes.size() * static_cast<size_t>(LN));
    std::vector<double> I(static_cast<size_t>(LN));
    for (size_t q = 0; q < nodes.size(); ++q) {
        const double k = nodes[q];
        if (exact_radial) {
            radial.compute_exact(k, I.data(), nullptr);
        } else {
            radial.compute(k, I.data(), nullptr);
        }
        const double factor = 2.0 / M_PI * w[q] * k * k * fourier(k);
        for (int e = 0; e < LN; ++e) kernel->weights[q * LN + e] = factor * I[static_cast<size_t>(e)];
    }
    if (spline_accuracy > 0.0) {
        const lode::RealSpaceKernel* raw = kernel.get();
        kernel->spline = std::make_unique<HermiteSpline>(
            [raw](double d, double* v, double* dv) { raw->exact(d, v, dv); }, LN, range, spline_accuracy);
    }
    return kernel;
}

}  // namespace lodestone
