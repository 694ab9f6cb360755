// Real spherical harmonics (featomic convention, no Condon-Shortley phase):
// reference values up to l = 25, gradients by finite differences,
// orthonormality by quadrature, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "lodestone/core/error.hpp"
#include "math/spherical_harmonics.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::testing;

namespace {

constexpr int kMaxL = 25;
size_t size_of(int L) { return static_cast<size_t>((L + 1) * (L + 1)); }

struct Harmonics {
    std::vector<double> values, gradients;
};

Harmonics harmonics(const std::vector<double>& directions, int max_l, bool gradients = false) {
    SphericalHarmonics sh(max_l);
    const size_t n = directions.size() / 3, size = size_of(max_l);
    Harmonics out{std::vector<double>(n * size), std::vector<double>(gradients ? n * 3 * size : 0)};
    for (size_t k = 0; k < n; k++) {
        sh.compute(&directions[3 * k], &out.values[k * size], gradients ? &out.gradients[k * 3 * size] : nullptr);
    }
    return out;
}

std::vector<double> normalized(const std::vector<double>& v) {
    const double n = std::hypot(v[0], v[1], v[2]);
    return {v[0] / n, v[1] / n, v[2] / n};
}

std::vector<double> random_directions(uint32_t seed, size_t count) {
    Random random(seed);
    std::vector<double> out;
    for (size_t k = 0; k < count; k++) {
        const double z = 2 * random() - 1, phi = 2 * M_PI * random();
        const double s = std::sqrt(1 - z * z);
        out.insert(out.end(), {s * std::cos(phi), s * std::sin(phi), z});
    }
    return out;
}

}  // namespace

TEST_SUITE("spherical harmonics") {

TEST_CASE("values match featomic up to l = 25 (1e-8 of the largest magnitude, per l too)") {
    const Json ref = load_reference("featomic/spherical-harmonics.json");
    const std::vector<double> directions = ref["input"]["directions"].flat();
    const size_t n_directions = static_cast<size_t>(ref["shape"][0].number);
    const size_t n_l = static_cast<size_t>(ref["shape"][1].number), width = static_cast<size_t>(ref["shape"][2].number);
    const std::vector<double> expected = ref["values"].flat();
    CHECK(n_directions == 7);
    CHECK(n_l == kMaxL + 1);
    CHECK(width == 2 * kMaxL + 1);
    REQUIRE(expected.size() == n_directions * n_l * width);

    const Harmonics out = harmonics(directions, kMaxL);
    REQUIRE(out.values.size() == n_directions * size_of(kMaxL));
    // ours in the reference layout [direction][l][m + l], zero-padded
    std::vector<double> ours(expected.size(), 0.0);
    for (size_t d = 0; d < n_directions; d++)
        for (int l = 0; l <= kMaxL; l++)
            for (int m = -l; m <= l; m++)
                ours[(d * n_l + l) * width + m + l] = out.values[d * size_of(kMaxL) + l * l + l + m];
    CHECK(relative_error(ours, expected) < 1e-8);
    // per l, so that high-l blocks are not hidden by large low-l values
    for (int l = 0; l <= kMaxL; l++) {
        std::vector<double> a, b;
        for (size_t d = 0; d < n_directions; d++)
            for (int k = 0; k < 2 * l + 1; k++) {
                a.push_back(ours[(d * n_l + l) * width + k]);
                b.push_back(expected[(d * n_l + l) * width + k]);
            }
        CHECK_MESSAGE(relative_error(a, b) < 1e-8, "l = ", l);
    }
}

TEST_CASE("a smaller max_l gives the leading part of a larger one") {
    const auto dirs = random_directions(1, 5);
    const auto big = harmonics(dirs, kMaxL).values;
    const auto small = harmonics(dirs, 6).values;
    for (size_t d = 0; d < 5; d++)
        for (size_t k = 0; k < size_of(6); k++) CHECK(small[d * size_of(6) + k] == big[d * size_of(kMaxL) + k]);
}

TEST_CASE("addition theorem: sum_m Y_lm^2 = (2l + 1) / 4 pi for every direction") {
    const auto dirs = random_directions(2, 20);
    const auto v = harmonics(dirs, kMaxL).values;
    for (size_t d = 0; d < 20; d++)
        for (int l = 0; l <= kMaxL; l++) {
            double s = 0;
            for (int m = -l; m <= l; m++) s += std::pow(v[d * size_of(kMaxL) + l * l + l + m], 2);
            CHECK(std::fabs(s - (2 * l + 1) / (4 * M_PI)) < 1e-12 * (2 * l + 1));
        }
}

TEST_CASE("known closed forms for l <= 2 (no Condon-Shortley phase)") {
    const auto u = normalized({0.3, -0.7, 0.5});
    const double x = u[0], y = u[1], z = u[2];
    const auto v = harmonics(u, 2).values;
    const double c1 = std::sqrt(3 / (4 * M_PI)), c2 = std::sqrt(15 / (4 * M_PI));
    const std::vector<double> expected = {
        1 / std::sqrt(4 * M_PI), c1 * y, c1 * z, c1 * x, c2 * x * y, c2 * y * z,
        std::sqrt(5 / (16 * M_PI)) * (3 * z * z - 1), c2 * x * z, c2 / 2 * (x * x - y * y)};
    CHECK(relative_error(v, expected) < 1e-14);
}

// The gradient of Y_lm(r / |r|) with respect to r at |r| = 1, [xyz][lm],
// per l against finite differences relative to the block's largest component.
Harmonics check_gradients(const std::vector<double>& direction, int max_l) {
    const size_t L2 = size_of(max_l);
    Harmonics out = harmonics(direction, max_l, true);
    REQUIRE(out.gradients.size() == 3 * L2);
    std::vector<std::vector<double>> fd;
    for (size_t xyz = 0; xyz < 3; xyz++) {
        fd.push_back(derivative([&](const std::vector<double>& r) { return harmonics(normalized(r), max_l).values; },
                                direction, xyz, 1e-4));
    }
    for (int l = 0; l <= max_l; l++) {
        double diff = 0, scale = 0;
        for (size_t xyz = 0; xyz < 3; xyz++)
            for (size_t k = size_t(l * l); k < size_t((l + 1) * (l + 1)); k++) {
                diff = std::fmax(diff, std::fabs(out.gradients[xyz * L2 + k] - fd[xyz][k]));
                scale = std::fmax(scale, std::fabs(fd[xyz][k]));
            }
        if (l == 0) {
            CHECK(diff < 1e-12);
            continue;
        }
        CHECK(scale > 0.1);
        CHECK_MESSAGE(diff / scale < 1e-7, "direction ", direction[0], " ", direction[1], " ", direction[2], " l ", l);
    }
    return out;
}

TEST_CASE("gradients match finite differences up to l = 25 at random directions") {
    const auto dirs = random_directions(3, 4);
    for (size_t d = 0; d < 4; d++) check_gradients({dirs[3 * d], dirs[3 * d + 1], dirs[3 * d + 2]}, kMaxL);
}

TEST_CASE("gradients match finite differences at the poles and on the axes (no singularity)") {
    for (const auto& dir : std::vector<std::vector<double>>{{0, 0, 1}, {0, 0, -1}, {1, 0, 0}, {0, 1, 0}, normalized({1, 1, 1})}) {
        const Harmonics out = check_gradients(dir, 12);
        for (double g : out.gradients) CHECK(std::isfinite(g));
    }
}

TEST_CASE("gradients are tangential: r . grad Y_lm = 0 at |r| = 1") {
    const auto dirs = random_directions(4, 10);
    const Harmonics out = harmonics(dirs, kMaxL, true);
    const size_t L2 = size_of(kMaxL);
    for (size_t d = 0; d < 10; d++) {
        double scale = 0, worst = 0;
        for (size_t k = 0; k < L2; k++) {
            double radial = 0;
            for (size_t xyz = 0; xyz < 3; xyz++) {
                const double g = out.gradients[(3 * d + xyz) * L2 + k];
                radial += dirs[3 * d + xyz] * g;
                scale = std::fmax(scale, std::fabs(g));
            }
            worst = std::fmax(worst, std::fabs(radial));
        }
        CHECK(worst < 1e-12 * scale);
    }
}

TEST_CASE("values are the same whether gradients are requested or not") {
    const auto dirs = random_directions(5, 6);
    CHECK(harmonics(dirs, kMaxL, true).values == harmonics(dirs, kMaxL, false).values);
}

TEST_CASE("orthonormal: Gauss-Legendre x uniform phi quadrature (l <= 8)") {
    const int max_l = 8;
    // exact for degree <= 2 max_l: 2 n_theta - 1 >= 16 in cos(theta), n_phi > 2 max_l
    const int n_theta = 12, n_phi = 24;
    const Rule rule = gauss_legendre(n_theta);
    std::vector<double> dirs, w;
    for (int t = 0; t < n_theta; t++) {
        const double z = rule.nodes[size_t(t)], s = std::sqrt(1 - z * z);
        for (int p = 0; p < n_phi; p++) {
            const double phi = 2 * M_PI * (p + 0.37) / n_phi;
            dirs.insert(dirs.end(), {s * std::cos(phi), s * std::sin(phi), z});
            w.push_back(rule.weights[size_t(t)] * 2 * M_PI / n_phi);
        }
    }
    const auto v = harmonics(dirs, max_l).values;
    const size_t L2 = size_of(max_l);
    double worst = 0;
    for (size_t a = 0; a < L2; a++)
        for (size_t b = 0; b <= a; b++) {
            double s = 0;
            for (size_t k = 0; k < w.size(); k++) s += w[k] * v[k * L2 + a] * v[k * L2 + b];
            worst = std::fmax(worst, std::fabs(s - (a == b ? 1 : 0)));
        }
    CHECK(worst < 1e-12);
}

TEST_CASE("l > 25 and l < 0 are rejected with a message naming max_angular") {
    CHECK(thrown_message([] { SphericalHarmonics(26); }).find("max_angular must be between 0 and 25, got 26") != std::string::npos);
    CHECK(thrown_message([] { SphericalHarmonics(-1); }).find("max_angular must be between 0 and 25, got -1") != std::string::npos);
    CHECK_THROWS_AS(SphericalHarmonics(26), lodestone::Error);
    CHECK(harmonics({0, 0, 1}, 25).values.size() == 26 * 26);
    CHECK(std::fabs(harmonics({0, 0, 1}, 1).values[2] - std::sqrt(3 / (4 * M_PI))) < 0.5e-14);
}

}  // TEST_SUITE
