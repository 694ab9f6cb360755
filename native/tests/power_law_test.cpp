// The smeared power-law potential of the long-range methods and its special
// functions: mpmath references, long + short = 1/r^p, the self-energy and
// k = 0 terms, the Fourier transform against radial quadrature of the real
// space functions, derivatives by finite differences, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "lodestone/core/error.hpp"
#include "lodestone/longrange/power_law.hpp"
#include "math/gamma.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::testing;

namespace {

using Member = double (SmearedPowerLaw::*)(double) const;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("special functions") {

// mpmath 1.3 (30 digits): mp.gammainc(s, x) at x = 0.001, 0.7, 1.3, 40
const double kXs[] = {0.001, 0.7, 1.3, 40};
const std::map<double, std::vector<double>> kGammaReference = {
    {-3, {332833831.97264618, 0.36962341134962556, 0.02683699218303394, 1.5116496741077837e-24}},
    {-2.5, {12628059.477613657, 0.35118296608911347, 0.034004668397316968, 9.6683728874293862e-24}},
    {-1, {992.66896046923884, 0.33563873361136159, 0.074188882946265171, 2.5315302371240277e-21}},
    {-0.5, {59.763880515942197, 0.34790271537865913, 0.099230382869038711, 1.6199610039846915e-20}},
    {0, {6.3315393641361493, 0.37376884323350914, 0.13545095784912914, 1.036773261451657e-19}},
    {0.5, {1.7092293732301665, 0.41958160437717422, 0.18941100316208496, 6.6362398267956973e-19}},
    {2, {0.99999950033320837, 0.84419501644539617, 0.62682312397822899, 1.7418252446695515e-16}},
    {3.5, {3.3233509704388145, 3.275399218152052, 3.0554245512867483, 4.5779220426687985e-14}},
};

TEST_CASE("upper incomplete gamma matches mpmath for half-integer and integer orders, small and large x; E1 too") {
    for (const auto& [s, expected] : kGammaReference)
        for (size_t i = 0; i < 4; i++) CHECK_MESSAGE(rel(upper_incomplete_gamma(s, kXs[i]), expected[i]) < 1e-14, "s=", s, " x=", kXs[i]);
    for (size_t i = 0; i < 4; i++) CHECK(rel(exp_integral_e1(kXs[i]), kGammaReference.at(0)[i]) < 2e-15);
}

TEST_CASE("regularised lower gamma stays accurate near 0 (no cancellation)") {
    // x^-s P(s, x) -> 1/Gamma(s+1) - x/Gamma(s+2) + ...: at x = 1e-12 the first two terms are exact to 1e-24
    for (double s : {0.5, 1.0, 3.0, 4.0}) {
        const double g1 = s == 0.5 ? std::sqrt(M_PI) / 2 : std::tgamma(s + 1);
        const double expected = 1 / g1 - 1e-12 * s / (g1 * (s + 1));
        CHECK(rel(scaled_lower_gamma(s, 1e-12), expected) < 1e-15);
    }
}

}  // TEST_SUITE

TEST_SUITE("smeared power law") {

const double kSigma = 0.8;

TEST_CASE("long + short = 1/r^p") {
    for (int p = 1; p <= 6; p++) {
        const SmearedPowerLaw v(p, kSigma);
        for (double r : {0.05, 0.3, 0.9, 1.7, 3.2, 6.0}) CHECK(rel(v.real_long(r) + v.real_short(r), std::pow(r, -p)) < 1e-14);
    }
}

TEST_CASE("real_long(0) is the smooth limit and the self-energy term") {
    for (int p = 1; p <= 6; p++) {
        const SmearedPowerLaw v(p, kSigma);
        const double at0 = v.real_long(0), near0 = v.real_long(1e-7);
        CHECK(rel(near0, at0) < 1e-12);
        CHECK(rel(v.self_energy_term(), at0) < 1e-15);
        // (2 sigma^2)^(-p/2) / Gamma(p/2 + 1)
        CHECK(rel(at0, std::pow(2 * kSigma * kSigma, -p / 2.0) / std::tgamma(p / 2.0 + 1)) < 1e-14);
    }
}

TEST_CASE("Fourier transform matches mpmath values of pi^1.5/Gamma(p/2) (k/2)^(p-3) Gamma((3-p)/2, k^2 sigma^2/2)") {
    const double ks[] = {0.5, 2, 6};
    const double expected[6][3] = {
        {46.400888515470494, 0.87347994052769278, 3.4660508645611071e-6},
        {27.206808764179607, 1.0816946610690743, 5.2198900134976108e-6},
        {12.735645925966591, 0.87788029777324098, 5.0111885548426812e-6},
        {5.6858503982962374, 0.5734725731740008, 3.7831171142465791e-6},
        {2.490239265810669, 0.32462140620085266, 2.4270955262042916e-6},
        {1.0647090403764701, 0.16520470156076918, 1.3773592506461448e-6},
    };
    for (int p = 1; p <= 6; p++) {
        const SmearedPowerLaw v(p, kSigma);
        for (size_t i = 0; i < 3; i++) CHECK_MESSAGE(rel(v.fourier(ks[i]), expected[p - 1][i]) < 1e-14, "p=", p);
    }
    const double k = 1.3;
    CHECK(rel(SmearedPowerLaw(1, kSigma).fourier(k), 4 * M_PI * std::exp(-k * k * kSigma * kSigma / 2) / (k * k)) < 1e-14);
}

TEST_CASE("Fourier transform agrees with radial quadrature of the real-space functions") {
    // 4 pi int r^2 f(r) sin(kr)/(kr) dr by Gauss-Legendre on panels of 0.25 A
    const Rule rule = gauss_legendre(24);
    auto transform = [&](const SmearedPowerLaw& v, Member f, double k, double rmax) {
        double sum = 0;
        for (double a = 0; a < rmax; a += 0.25)
            for (size_t i = 0; i < rule.nodes.size(); i++) {
                const double r = a + 0.125 * (rule.nodes[i] + 1);
                sum += 0.125 * rule.weights[i] * r * r * (v.*f)(r) * (k == 0 ? 1 : std::sin(k * r) / (k * r));
            }
        return 4 * M_PI * sum;
    };
    // p < 3: the short part is integrable and FT[short] = FT[1/r^p] - G_p
    for (int p : {1, 2}) {
        const SmearedPowerLaw v(p, kSigma);
        for (double k : {0.7, 2.5}) {
            const double bare = p == 1 ? 4 * M_PI / (k * k) : 2 * M_PI * M_PI / k;
            CHECK_MESSAGE(std::fabs(transform(v, &SmearedPowerLaw::real_short, k, 12) - (bare - v.fourier(k))) / bare < 1e-12,
                          "p=", p, " k=", k);
        }
    }
    // p > 3: the long part is integrable; at k = 0 the tail beyond R (where
    // long = 1/r^p to 1e-16) is 4 pi R^(3-p) / (p - 3)
    for (int p : {4, 5, 6}) {
        const SmearedPowerLaw v(p, kSigma);
        const double R = 12;
        const double g0 = transform(v, &SmearedPowerLaw::real_long, 0, R) + 4 * M_PI * std::pow(R, 3 - p) / (p - 3);
        CHECK(rel(g0, v.fourier_at_zero()) < 1e-12);
        // and the finite-k values approach it
        CHECK(rel(v.fourier(1e-4), v.fourier_at_zero()) < 2e-4);
    }
}

TEST_CASE("derivatives match finite differences") {
    const std::pair<Member, Member> pairs[] = {{&SmearedPowerLaw::real_long, &SmearedPowerLaw::d_real_long},
                                               {&SmearedPowerLaw::real_short, &SmearedPowerLaw::d_real_short},
                                               {&SmearedPowerLaw::fourier, &SmearedPowerLaw::d_fourier}};
    for (int p = 1; p <= 6; p++) {
        const SmearedPowerLaw v(p, kSigma);
        for (const auto& [f, d] : pairs)
            for (double x : {0.4, 1.1, 2.3}) {
                const double fd = derivative([&](const std::vector<double>& y) { return std::vector<double>{(v.*f)(y[0])}; },
                                             {x}, 0, 1e-3)[0];
                const double analytic = (v.*d)(x);
                CHECK_MESSAGE(std::fabs(fd - analytic) / std::fmax(std::fabs(analytic), 1e-6) < 1e-8, "p=", p, " x=", x);
            }
        CHECK(std::fabs(v.d_real_long(0)) == 0);
    }
}

TEST_CASE("k = 0 terms and the background correction; bad parameters") {
    for (int p = 1; p <= 3; p++) {
        CHECK(contains(thrown_message([&] { SmearedPowerLaw(p, kSigma).fourier_at_zero(); }), "diverges"));
    }
    CHECK(rel(SmearedPowerLaw(1, kSigma).background_correction(), -2 * M_PI * kSigma * kSigma) < 1e-15);
    CHECK(contains(thrown_message([] { SmearedPowerLaw(3, kSigma).background_correction(); }), "exponent < 3"));
    CHECK(contains(thrown_message([] { SmearedPowerLaw(7, kSigma); }), "exponent"));
    CHECK(contains(thrown_message([] { SmearedPowerLaw(1, 0); }), "smearing"));
    CHECK_THROWS_AS(SmearedPowerLaw(7, kSigma), lodestone::Error);
}

}  // TEST_SUITE
