// The assignment windows of the particle-mesh methods (mesh_grid.hpp): the
// Kaiser-Bessel window's weights, derivatives and Fourier transform against
// finite differences and a quadrature of the weights written here, and the
// B-spline branch against the B-spline itself.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "longrange/mesh/mesh_grid.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::mesh;

namespace {

// W(t), t in [0, n): the stencil point j = floor(t) at fraction t - j.
double window_at(const WindowWeights& weights, int n, double t) {
    std::vector<double> v(static_cast<size_t>(n));
    const double j = std::floor(t);
    weights(t - j, v.data(), nullptr);
    return v[static_cast<size_t>(j)];
}

// int_0^n W(t) cos(2 pi f (t - n / 2)) dt by Gauss-Legendre on each unit
// interval (W is smooth inside them).
double quadrature_fourier(const WindowWeights& weights, int n, double f) {
    const double x[5] = {-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831, 0.9061798459386640};
    const double w[5] = {0.2369268850561891, 0.4786286704993665, 0.5688888888888889, 0.4786286704993665,
                         0.2369268850561891};
    double total = 0.0;
    const int pieces = 64;  // per unit interval
    for (int j = 0; j < n; j++) {
        for (int p = 0; p < pieces; p++) {
            const double a = j + static_cast<double>(p) / pieces, h = 1.0 / pieces;
            for (int q = 0; q < 5; q++) {
                const double t = a + 0.5 * h * (x[q] + 1.0);
                total += 0.5 * h * w[q] * window_at(weights, n, t) * std::cos(2.0 * M_PI * f * (t - 0.5 * n));
            }
        }
    }
    return total;
}

}  // namespace

TEST_CASE("Kaiser-Bessel window: zero at the ends, derivatives, unit integral, Fourier transform") {
    for (const Window window : {Window{5, 12.0}, Window{7, 18.0}}) {
        CAPTURE(window.order);
        const int n = window.order;
        const WindowWeights weights(window);
        std::vector<double> v(static_cast<size_t>(n)), d(static_cast<size_t>(n)), vp(v), vm(v);
        // continuous at the ends of the support: W(0) = 0 (point j = 0 at w = 0)
        weights(0.0, v.data(), d.data());
        CHECK(std::fabs(v[0]) < 1e-15);
        for (double w : {0.13, 0.5, 0.91}) {  // not at 0: the slope jumps at the ends
            weights(w, v.data(), d.data());
            const double h = 1e-6;
            weights(w + h, vp.data(), nullptr);
            weights(w - h, vm.data(), nullptr);
            for (int j = 0; j < n; j++) {
                CAPTURE(j);
                CHECK(d[static_cast<size_t>(j)] == doctest::Approx((vp[static_cast<size_t>(j)] - vm[static_cast<size_t>(j)]) / (2 * h)).epsilon(1e-7).scale(1.0));
                CHECK(v[static_cast<size_t>(j)] >= 0.0);
            }
        }
        // symmetric about the middle of the support
        CHECK(window_at(weights, n, 0.3 * n) == doctest::Approx(window_at(weights, n, 0.7 * n)).epsilon(1e-13));
        // the transform, main lobe and aliases, against the quadrature of the weights
        CHECK(quadrature_fourier(weights, n, 0.0) == doctest::Approx(1.0).epsilon(1e-12));
        for (double f : {0.1, 0.37, 0.5, 1.2, 2.63, 5.9}) {
            CAPTURE(f);
            // to 1e-13 of the peak (1): the aliases' amplitudes matter down to ~1e-7
            const double exact = quadrature_fourier(weights, n, f), formula = window_fourier(window, f);
            CAPTURE(exact);
            CAPTURE(formula);
            CHECK(std::fabs(formula - exact) < 1e-13 + 1e-9 * std::fabs(exact));
        }
        // window_inverse_power is 1 / W^2 at the signed frequency m / size
        const std::vector<double> inverse = window_inverse_power(40, window);
        CHECK(inverse[0] == doctest::Approx(1.0));
        CHECK(inverse[3] * std::pow(window_fourier(window, 3.0 / 40), 2) == doctest::Approx(1.0).epsilon(1e-14));
        CHECK(inverse[37] == doctest::Approx(inverse[3]).epsilon(1e-14));
    }
}

TEST_CASE("beta = 0 is the cardinal B-spline, its transform sinc^n") {
    for (int order = kMinOrder; order <= kMaxOrder; order++) {
        CAPTURE(order);
        const WindowWeights weights(Window{order, 0.0});
        std::vector<double> a(static_cast<size_t>(order)), da(a), b(a), db(a);
        weights(0.37, a.data(), da.data());
        bspline(0.37, order, b.data(), db.data());
        for (int j = 0; j < order; j++) {
            CHECK(a[static_cast<size_t>(j)] == b[static_cast<size_t>(j)]);
            CHECK(da[static_cast<size_t>(j)] == db[static_cast<size_t>(j)]);
        }
        CHECK(window_fourier(Window{order, 0.0}, 0.3) == doctest::Approx(std::pow(std::sin(0.3 * M_PI) / (0.3 * M_PI), order)).epsilon(1e-14));
        CHECK(quadrature_fourier(weights, order, 0.3) == doctest::Approx(window_fourier(Window{order, 0.0}, 0.3)).epsilon(1e-10));
    }
}
