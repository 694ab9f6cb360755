// Cutoff functions of the density expansion on a dimer: each neighbour
// contributes f_c(d) I_nl(d) Y_lm(r_ij) (from the radial integral and the
// harmonics on their own), ShiftedCosine is continuous at the cutoff and Step
// jumps there, and the centre's own density is center_atom_weight I_n0(0) Y_00.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "features/soap/radial_integral.hpp"
#include "lodestone/features/soap/spherical_expansion.hpp"
#include "math/spherical_harmonics.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::testing;

namespace {

constexpr double kRc = 3.0, kWidth = 0.4;
constexpr int kN = 4, kL = 3;
constexpr size_t kLM = (kL + 1) * (kL + 1);
const double kDirection[3] = {0.36, -0.48, 0.8};  // unit

SphericalExpansion expansion(CutoffFunction::Kind kind, double center_atom_weight = 1.0) {
    SphericalExpansionHypers h;
    h.cutoff.kind = kind;
    h.cutoff.radius = kRc;
    h.cutoff.width = 0.5;
    h.density_width = kWidth;
    h.center_atom_weight = center_atom_weight;
    h.max_radial = kN - 1;
    h.max_angular = kL;
    h.spline_accuracy = 0;
    return SphericalExpansion(h);
}

System dimer(double d) {
    System s;
    s.positions = {0, 0, 0, kDirection[0] * d, kDirection[1] * d, kDirection[2] * d};
    s.types = {8, 1};
    return s;
}

ExpansionResult compute(const SphericalExpansion& e, double d, bool positions = false) {
    ExpansionRequest request;
    request.neighbor_types = {1, 8};
    request.positions = positions;
    return e.compute({dimer(d)}, request);
}

// Neighbour (type 1) block of atom 0: [l, m, n].
std::vector<double> neighbour_block(const ExpansionResult& r) {
    REQUIRE(r.n_properties == kLM * 2 * kN);
    std::vector<double> out(kLM * kN);
    for (size_t lm = 0; lm < kLM; lm++)
        for (size_t n = 0; n < size_t(kN); n++) out[lm * kN + n] = r.values[lm * 2 * kN + n];
    return out;
}

std::vector<double> radial(double d) {
    GaussianRadialIntegral ri(kN - 1, kRc, kL, kWidth, kRc, 0);
    std::vector<double> values((kL + 1) * kN), derivatives((kL + 1) * kN);
    ri.compute(d, values.data(), derivatives.data());
    return values;
}

// f_c(d) I_nl(d) Y_lm(u)
std::vector<double> pair_expected(double d, double fc) {
    const auto I = radial(d);
    std::vector<double> y(kLM);
    SphericalHarmonics(kL).compute(kDirection, y.data(), nullptr);
    std::vector<double> out(kLM * kN);
    for (int l = 0; l <= kL; l++)
        for (int m = -l; m <= l; m++)
            for (int n = 0; n < kN; n++) out[size_t((l * l + l + m) * kN + n)] = fc * I[size_t(l * kN + n)] * y[size_t(l * l + l + m)];
    return out;
}

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m = std::fmax(m, std::fabs(x));
    return m;
}

}  // namespace

TEST_SUITE("cutoff functions") {

TEST_CASE("a neighbour contributes I_nl(d) Y_lm(r_ij) f_c(d) (Step and ShiftedCosine)") {
    const auto cosine = expansion(CutoffFunction::Kind::ShiftedCosine), step = expansion(CutoffFunction::Kind::Step);
    for (double d : {1.2, 2.4, 2.75}) {
        const double fc = d <= kRc - 0.5 ? 1 : 0.5 * (1 + std::cos(M_PI * (d - kRc + 0.5) / 0.5));
        CHECK(relative_error(neighbour_block(compute(cosine, d)), pair_expected(d, fc)) < 1e-13);
        CHECK(relative_error(neighbour_block(compute(step, d)), pair_expected(d, 1)) < 1e-13);
    }
}

TEST_CASE("Step and ShiftedCosine are identical below rc - width") {
    const auto a = compute(expansion(CutoffFunction::Kind::Step), 2.2), b = compute(expansion(CutoffFunction::Kind::ShiftedCosine), 2.2);
    CHECK(relative_error(std::vector<double>(a.values.begin(), a.values.end()), std::vector<double>(b.values.begin(), b.values.end())) < 1e-15);
}

TEST_CASE("ShiftedCosine is continuous (value and slope) at rc; Step jumps there") {
    const auto cosine = expansion(CutoffFunction::Kind::ShiftedCosine), step = expansion(CutoffFunction::Kind::Step);
    const double inside = 1e-6;
    const double scale = max_abs(pair_expected(kRc - inside, 1));
    CHECK(scale > 1e-3);
    CHECK(max_abs(neighbour_block(compute(cosine, kRc + inside))) == 0);
    // f_c(rc - e) ~ (pi e / 2w)^2 / 2 ... O(e^2)
    CHECK(max_abs(neighbour_block(compute(cosine, kRc - inside))) < 1e-9 * scale);
    // positions gradient summed over centres, per atom
    const ExpansionResult g = compute(cosine, kRc - inside, true);
    const size_t P = g.n_properties;
    std::vector<double> summed(2 * 3 * P, 0.0);
    for (size_t row = 0; row < g.positions_gradient_samples.size() / 3; row++) {
        const size_t atom = size_t(g.positions_gradient_samples[3 * row + 2]);
        for (size_t k = 0; k < 3 * P; k++) summed[atom * 3 * P + k] += g.positions_gradient[row * 3 * P + k];
    }
    CHECK(max_abs(summed) < 1e-4 * scale);
    CHECK(max_abs(neighbour_block(compute(step, kRc + inside))) == 0);
    CHECK(relative_error(neighbour_block(compute(step, kRc - inside)), pair_expected(kRc - inside, 1)) < 1e-12);
}

TEST_CASE("the self contribution is center_atom_weight I_n0(0) Y_00 in the centre's own type block") {
    const auto a = compute(expansion(CutoffFunction::Kind::Step), 1.7).values;
    const auto b = compute(expansion(CutoffFunction::Kind::Step, 0.3), 1.7).values;
    const auto c = compute(expansion(CutoffFunction::Kind::Step, 0.0), 1.7).values;
    const auto I0 = radial(0);
    const size_t P = a.size() / 2;
    for (size_t i = 0; i < 2; i++)
        for (size_t p = 0; p < P; p++) {
            const size_t own = i == 0 ? 1 : 0;  // atom 0 is type 8 = block 1, atom 1 is type 1 = block 0
            const bool is_self = p < 2 * kN && p / kN == own;
            const double self = is_self ? I0[p % kN] / std::sqrt(4 * M_PI) : 0;
            CHECK(std::fabs(a[i * P + p] - (c[i * P + p] + self)) < 1e-14);
            CHECK(std::fabs(b[i * P + p] - (c[i * P + p] + 0.3 * self)) < 1e-14);
        }
}

}  // TEST_SUITE
