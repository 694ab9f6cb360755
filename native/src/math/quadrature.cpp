#include "math/quadrature.hpp"

#include <cmath>

namespace lodestone {

// Newton iteration on P_n from Tricomi's initial guesses.
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

}  // namespace lodestone
