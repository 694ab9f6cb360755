// The radial integral of a Gaussian atom density on the orthonormal GTO basis,
//   I_nl(d) = 4 pi (pi w^2)^(-3/4) int x^2 R_n(x) exp(-(x^2 + d^2) / 2 w^2) i_l(x d / w^2) dx,
// checked against quadrature written here: the GTO basis (normalisation,
// overlap, Lowdin S^-1/2 by Eigen's eigensolver) is rebuilt numerically, the
// modified spherical Bessel functions come from their series / Miller's
// recurrence, and the angular reduction itself is checked by a direct 2D
// integral of g(|r - d z|) R_n(r) Y_l0(r) over space.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "features/soap/radial_integral.hpp"
#include "lodestone/core/error.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::testing;

namespace {

struct Options {
    int max_radial;
    double radius;
    int max_angular;
    double width;
    double cutoff;
    double spline_accuracy;
};

struct Integral {
    std::vector<double> values, derivatives;  // [distance][l][n]
};

GaussianRadialIntegral make_integral(const Options& o) {
    return GaussianRadialIntegral(o.max_radial, o.radius, o.max_angular, o.width, o.cutoff, o.spline_accuracy);
}

Integral evaluate(const GaussianRadialIntegral& ri, const std::vector<double>& distances, const Options& o) {
    const size_t size = size_t((o.max_angular + 1) * (o.max_radial + 1));
    Integral out{std::vector<double>(distances.size() * size), std::vector<double>(distances.size() * size)};
    for (size_t k = 0; k < distances.size(); k++) ri.compute(distances[k], &out.values[k * size], &out.derivatives[k * size]);
    return out;
}

Integral radial_integral(const std::vector<double>& distances, const Options& o) { return evaluate(make_integral(o), distances, o); }

// The orthonormal GTO basis of docs/design.md, built by quadrature: primitive
// x^n exp(-x^2 / 2 s_n^2), s_n = radius max(sqrt n, 1) / (max_radial + 1),
// normalised (int x^2 R^2 = 1), then Lowdin-orthonormalised.
std::function<std::vector<double>(double)> gto_basis(int max_radial, double radius) {
    const int N = max_radial + 1;
    const size_t count = static_cast<size_t>(N);
    std::vector<double> widths(count), norms(count);
    for (int n = 0; n < N; n++) widths[size_t(n)] = radius * std::max(std::sqrt(double(n)), 1.0) / N;
    auto primitive = [widths](int n, double x) { return std::pow(x, n) * std::exp(-x * x / (2 * widths[size_t(n)] * widths[size_t(n)])); };
    const Rule grid = composite_gauss_legendre(0, 12 * *std::max_element(widths.begin(), widths.end()) + 4 * radius, 400, 12);
    for (int n = 0; n < N; n++) {
        double s = 0;
        for (size_t k = 0; k < grid.nodes.size(); k++) s += grid.weights[k] * std::pow(grid.nodes[k] * primitive(n, grid.nodes[k]), 2);
        norms[size_t(n)] = 1 / std::sqrt(s);
    }
    Eigen::MatrixXd S(N, N);
    for (int a = 0; a < N; a++)
        for (int b = 0; b < N; b++) {
            double s = 0;
            for (size_t k = 0; k < grid.nodes.size(); k++) {
                const double x = grid.nodes[k];
                s += grid.weights[k] * x * x * norms[size_t(a)] * primitive(a, x) * norms[size_t(b)] * primitive(b, x);
            }
            S(a, b) = s;
        }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(S);
    const Eigen::MatrixXd O = eigen.eigenvectors() * eigen.eigenvalues().cwiseInverse().cwiseSqrt().asDiagonal() *
                              eigen.eigenvectors().transpose();
    return [=](double x) {
        Eigen::VectorXd p(N);
        for (int n = 0; n < N; n++) p(n) = norms[size_t(n)] * primitive(n, x);
        const Eigen::VectorXd r = O * p;
        return std::vector<double>(r.data(), r.data() + N);
    };
}

// i_l(z) exp(-z) for l = 0..max_l, z >= 0 (series for small z, Miller's downward recurrence otherwise).
std::vector<double> scaled_bessel_i(int max_l, double z) {
    std::vector<double> out(size_t(max_l + 1), 0.0);
    if (z == 0) {
        out[0] = 1;
        return out;
    }
    if (z < 2) {
        const double ez = std::exp(-z);
        double lead = 1;  // z^l / (2l+1)!!
        for (int l = 0; l <= max_l; l++) {
            if (l > 0) lead *= z / (2 * l + 1);
            double term = 1, sum = 1;
            for (int k = 1; k < 200; k++) {
                term *= z * z / (2 * k * (2 * l + 2 * k + 1));
                sum += term;
                if (term < 1e-18 * sum) break;
            }
            out[size_t(l)] = lead * sum * ez;
        }
        return out;
    }
    const int start = max_l + int(std::ceil(z)) + 60;
    double above = 0, current = 1e-280;
    for (int l = start; l >= 1; l--) {
        const double below = above + (2 * l + 1) / z * current;  // i_{l-1}
        above = current;
        current = below;
        if (l - 1 <= max_l) out[size_t(l - 1)] = current;
        if (std::fabs(current) > 1e200) {
            current *= 1e-200;
            above *= 1e-200;
            for (int k = l - 1; k <= max_l; k++) out[size_t(k)] *= 1e-200;
        }
    }
    // i_0(z) e^-z = (1 - e^-2z) / 2z
    const double scale = -std::expm1(-2 * z) / (2 * z) / out[0];
    for (double& v : out) v *= scale;
    return out;
}

// I_nl(d) by composite Gauss-Legendre over x, layout [l][n].
std::vector<double> quadrature_integral(double d, const Options& o) {
    const auto basis = gto_basis(o.max_radial, o.radius);
    const int N = o.max_radial + 1, L = o.max_angular + 1;
    const double w2 = o.width * o.width;
    const double upper = d + 15 * o.width + 3 * o.radius;
    const Rule grid = composite_gauss_legendre(0, upper, int(std::ceil(upper / (o.width / 6))), 10);
    std::vector<double> out(size_t(L * N), 0.0);
    const double prefactor = 4 * M_PI * std::pow(M_PI * w2, -0.75);
    for (size_t k = 0; k < grid.nodes.size(); k++) {
        const double x = grid.nodes[k];
        // exp(-(x^2 + d^2)/2w^2) i_l(xd/w^2) = exp(-(x - d)^2 / 2w^2) [i_l(z) e^-z]
        const double gauss = std::exp(-(x - d) * (x - d) / (2 * w2));
        if (gauss == 0) continue;
        const auto R = basis(x);
        const auto bessel = scaled_bessel_i(o.max_angular, x * d / w2);
        for (int l = 0; l < L; l++)
            for (int n = 0; n < N; n++)
                out[size_t(l * N + n)] += grid.weights[k] * prefactor * x * x * R[size_t(n)] * gauss * bessel[size_t(l)];
    }
    return out;
}

const Options kExact = {6, 4.5, 10, 0.3, 4.5, 0};
const Options kWide = {4, 3.5, 6, 0.8, 5, 0};
const std::vector<double> kDistances = {0, 0.03, 0.4, 1.1, 1.95, 2.7, 3.6, 4.45};

Options with_spline(Options o, double accuracy, double cutoff) {
    o.spline_accuracy = accuracy;
    o.cutoff = cutoff;
    return o;
}

std::vector<double> slice(const std::vector<double>& v, size_t begin, size_t end) {
    return std::vector<double>(v.begin() + long(begin), v.begin() + long(end));
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<double> splined_points() {
    Random random(31);
    std::vector<double> points;
    for (int k = 0; k < 400; k++) points.push_back(random() * 4.5);
    for (double p : {0.0, 4.5, 1e-9, 4.5 - 1e-9}) points.push_back(p);
    return points;
}

}  // namespace

TEST_SUITE("radial integral") {

TEST_CASE("scaled modified spherical Bessel functions (test helper) match closed forms; the two branches agree") {
    for (double z : {0.1, 1.5, 2.5, 7.0, 40.0, 300.0}) {
        const auto v = scaled_bessel_i(2, z);
        const double sinh = (1 - std::exp(-2 * z)) / 2, cosh = (1 + std::exp(-2 * z)) / 2;  // times e^-z
        CHECK(std::fabs(v[0] - sinh / z) < 1e-15);
        CHECK(std::fabs(v[1] - (cosh / z - sinh / (z * z))) < 1e-14 * std::max(1.0, 1 / z));
        CHECK(std::fabs(v[2] - ((3 / (z * z) + 1) * sinh / z - 3 * cosh / (z * z))) < 1e-12);
    }
    CHECK(relative_error(scaled_bessel_i(20, 2 - 1e-12), scaled_bessel_i(20, 2)) < 1e-11);
}

TEST_CASE("exact evaluation matches quadrature of the defining integral (narrow and wide densities)") {
    for (const Options& o : {kExact, kWide}) {
        INFO("width ", o.width);
        const int L = o.max_angular + 1, N = o.max_radial + 1;
        const Integral exact = radial_integral(kDistances, o);
        REQUIRE(exact.values.size() == kDistances.size() * size_t(L * N));
        std::vector<std::vector<double>> quadrature;
        for (double d : kDistances) quadrature.push_back(quadrature_integral(d, o));
        // per l: 1e-11 of the largest value of that channel over all distances
        for (int l = 0; l < L; l++) {
            std::vector<double> a, b;
            for (size_t k = 0; k < kDistances.size(); k++)
                for (int n = 0; n < N; n++) {
                    a.push_back(exact.values[k * size_t(L * N) + size_t(l * N + n)]);
                    b.push_back(quadrature[k][size_t(l * N + n)]);
                }
            CHECK_MESSAGE(relative_error(a, b) < 1e-11, "l = ", l);
        }
    }
}

TEST_CASE("at d = 0 only l = 0 survives") {
    const auto out = radial_integral({0}, kExact);
    const size_t N = size_t(kExact.max_radial + 1);
    bool large = false;
    for (size_t k = 0; k < N; k++) large = large || std::fabs(out.values[k]) > 1e-3;
    CHECK(large);
    for (size_t k = N; k < out.values.size(); k++) CHECK(out.values[k] == 0);
}

TEST_CASE("the Bessel reduction equals a direct integral over space of g(|r - d z|) R_n(r) Y_l0(r)") {
    // c_nl0 for one neighbour on the z axis = I_nl(d) Y_l0(z) with Y_l0(z) = sqrt((2l+1)/4pi)
    const Options o = {3, 3, 4, 0.5, 3, 0};
    const auto basis = gto_basis(o.max_radial, o.radius);
    const int N = o.max_radial + 1, L = o.max_angular + 1;
    const double norm = std::pow(M_PI * o.width * o.width, -0.75);
    const Rule t = gauss_legendre(80);
    for (double d : {0.7, 1.8}) {
        const Rule r = composite_gauss_legendre(0, d + 10 * o.width + 2 * o.radius, 120, 10);
        std::vector<double> direct(size_t(L * N), 0.0);
        for (size_t a = 0; a < r.nodes.size(); a++) {
            const double x = r.nodes[a];
            const auto R = basis(x);
            for (size_t b = 0; b < t.nodes.size(); b++) {
                const double c = t.nodes[b];
                const double g = norm * std::exp(-(x * x + d * d - 2 * x * d * c) / (2 * o.width * o.width));
                // Legendre P_l(c); Y_l0 = sqrt((2l+1)/4pi) P_l
                double p0 = 1, p1 = c;
                for (int l = 0; l < L; l++) {
                    double P = l == 0 ? 1 : c;
                    if (l >= 2) {
                        P = ((2 * l - 1) * c * p1 - (l - 1) * p0) / l;
                        p0 = p1;
                        p1 = P;
                    }
                    const double w = 2 * M_PI * r.weights[a] * t.weights[b] * x * x * g * std::sqrt((2 * l + 1) / (4 * M_PI)) * P;
                    for (int n = 0; n < N; n++) direct[size_t(l * N + n)] += w * R[size_t(n)];
                }
            }
        }
        const auto exact = radial_integral({d}, o).values;
        std::vector<double> expected(exact.size());
        for (size_t k = 0; k < exact.size(); k++) expected[k] = exact[k] * std::sqrt((2 * double(k / size_t(N)) + 1) / (4 * M_PI));
        CHECK_MESSAGE(relative_error(direct, expected) < 1e-11, "d = ", d);
    }
}

TEST_CASE("derivatives match finite differences (exact evaluation)") {
    for (const Options& o : {kExact, kWide}) {
        const std::vector<double> distances(kDistances.begin() + 1, kDistances.end());
        const auto out = radial_integral(distances, o);
        const size_t size = size_t((o.max_angular + 1) * (o.max_radial + 1));
        for (size_t k = 0; k < distances.size(); k++) {
            const auto fd = derivative([&](const std::vector<double>& x) { return radial_integral(x, o).values; }, {distances[k]}, 0, 1e-4);
            CHECK_MESSAGE(relative_error(slice(out.derivatives, k * size, (k + 1) * size), fd) < 1e-8, "d = ", distances[k]);
        }
    }
}

TEST_CASE("derivative at d = 0 is zero for l != 1 and matches a one-sided limit") {
    const auto out = radial_integral({0, 1e-6}, kExact);
    const size_t N = size_t(kExact.max_radial + 1), size = size_t(kExact.max_angular + 1) * N;
    for (size_t k = 0; k < size; k++) {
        const size_t l = k / N;
        if (l != 1) CHECK(std::fabs(out.derivatives[k]) < 1e-12);
        // I_n1(d) ~ d I'_n1(0) near 0
        if (l == 1) CHECK(std::fabs(out.values[size + k] / 1e-6 - out.derivatives[k]) < 1e-6 * std::fabs(out.derivatives[k]) + 1e-12);
    }
}

TEST_CASE("splined: spline_accuracy 1e-8 is met against exact evaluation") {
    const auto points = splined_points();
    for (const Options& o : {kExact, kWide}) {
        const auto splined = radial_integral(points, with_spline(o, 1e-8, 4.5));
        const auto exact = radial_integral(points, with_spline(o, 0, 4.5));
        double worst = 0;
        for (size_t k = 0; k < exact.values.size(); k++) worst = std::fmax(worst, std::fabs(splined.values[k] - exact.values[k]));
        CHECK_MESSAGE(worst < 1e-8, "w = ", o.width);
        CHECK(worst > 0);  // the spline is really used
    }
}

TEST_CASE("splined: derivatives are the derivatives of the spline values") {
    const Options o = with_spline(kExact, 1e-8, kExact.cutoff);
    const size_t size = size_t((o.max_angular + 1) * (o.max_radial + 1));
    const auto points = splined_points();
    const std::vector<double> sample(points.begin(), points.begin() + 6);
    // one spline for every evaluation: building it is the slow part (a minute under valgrind when rebuilt per point)
    const GaussianRadialIntegral ri = make_integral(o);
    const auto out = evaluate(ri, sample, o);
    for (size_t k = 0; k < sample.size(); k++) {
        // step far below the knot spacing: the stencil rarely straddles a knot;
        // across one the C1 interpolant still gives O(h) agreement
        const auto fd = derivative([&](const std::vector<double>& x) { return evaluate(ri, x, o).values; }, {sample[k]}, 0, 1e-7);
        CHECK_MESSAGE(relative_error(slice(out.derivatives, k * size, (k + 1) * size), fd) < 1e-6, "d = ", sample[k]);
    }
}

TEST_CASE("splined: derivatives approximate the exact derivatives") {
    const auto points = splined_points();
    const auto splined = radial_integral(points, with_spline(kExact, 1e-8, kExact.cutoff));
    const auto exact = radial_integral(points, kExact);
    CHECK(relative_error(splined.derivatives, exact.derivatives) < 1e-5);
}

TEST_CASE("rejects bad parameters with messages naming them") {
    auto message = [](Options o) { return thrown_message([&] { radial_integral({1}, o); }); };
    Options o = kExact;
    o.width = -0.3;
    CHECK(contains(message(o), "density.width must be a positive finite number"));
    o.width = 0;
    CHECK(contains(message(o), "density.width"));
    o = kExact;
    o.radius = 0;
    CHECK(contains(message(o), "basis.radial.radius must be a positive finite number"));
    o = kExact;
    o.max_radial = -1;
    CHECK(contains(message(o), "basis.radial.max_radial must be between 0 and 30"));
    o.max_radial = 31;
    CHECK(contains(message(o), "basis.radial.max_radial must be between 0 and 30"));
    for (double v : radial_integral({1}, kExact).values) CHECK(std::isfinite(v));
}

}  // TEST_SUITE
