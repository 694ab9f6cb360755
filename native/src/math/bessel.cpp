#include "math/bessel.hpp"

#include <cmath>

#include "lodestone/core/error.hpp"

namespace lodestone {

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

}  // namespace lodestone
