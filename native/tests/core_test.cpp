// The core used on its own (no Node), as another engine would: an expansion
// and its power spectrum with backward against finite differences, errors,
// the plane-by-plane FFTs of interleaved grids, Kummer's function.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <memory>
#include <vector>

#include "lodestone/core/error.hpp"
#include "lodestone/features/soap/spherical_expansion.hpp"
#include "lodestone/features/invariants/invariants.hpp"
#include "math/fft.hpp"
#include "math/gto_basis.hpp"
#include "support.hpp"

using namespace lodestone;

namespace {

System triclinic_system() {
    System s;
    s.positions = {0.1, 0.2, 0.3, 1.4, 0.9, 0.2, 2.2, 2.1, 1.0, 0.5, 2.4, 2.2,
                   3.1, 0.4, 2.7, 2.8, 3.0, 0.6, 1.2, 1.7, 3.3, 3.6, 2.2, 3.4};
    s.types = {11, 17, 11, 17, 11, 17, 11, 17};
    s.has_cell = true;
    s.cell = {4.2, 0.0, 0.0, 0.7, 4.0, 0.0, -0.4, 0.5, 4.4};
    s.pbc = {true, true, true};
    return s;
}

SphericalExpansionHypers hypers() {
    SphericalExpansionHypers h;
    h.cutoff.kind = CutoffFunction::Kind::ShiftedCosine;
    h.cutoff.radius = 3.5;
    h.cutoff.width = 0.5;
    h.density_width = 0.4;
    h.max_radial = 3;
    h.max_angular = 3;
    return h;
}

// Largest |analytic - central difference| over all coordinates of all atoms
// for the power spectrum's backward pass with dL/dx = 1.
double backward_vs_finite_difference(const Invariants& soap, const System& system, const ExpansionRequest& request) {
    const std::vector<System> one{system};
    const size_t n = count_samples(one, request) * soap.n_properties(request);
    const std::vector<double> ones(n, 1.0);
    const BackwardResult analytic = soap.backward(one, request, ones.data());
    auto loss = [&](const System& s) {
        ExpansionRequest values = request;
        values.positions = values.strain = values.cell = false;
        const ExpansionResult r = soap.compute({s}, values);
        double sum = 0.0;
        for (size_t k = 0; k < r.values.size(); k++) sum += r.values[k];
        return sum;
    };
    const double h = 1e-5;
    double worst = 0.0;
    for (size_t c = 0; c < system.positions.size(); c++) {
        System plus = system, minus = system;
        plus.positions[c] += h;
        minus.positions[c] -= h;
        const double fd = (loss(plus) - loss(minus)) / (2 * h);
        worst = std::fmax(worst, std::fabs(fd - analytic.positions[c]));
    }
    return worst;
}

}  // namespace


TEST_SUITE("core") {

ExpansionRequest gradient_request() {
    ExpansionRequest request;
    request.neighbor_types = {11, 17};
    request.positions = true;
    request.strain = true;
    return request;
}

TEST_CASE("spherical expansion and power spectrum, backward against finite differences") {
    const System system = triclinic_system();
    auto density = std::make_shared<SphericalExpansion>(hypers());
    const ExpansionRequest request = gradient_request();
    const ExpansionResult c = density->compute({system}, request);
    CHECK(c.n_samples == 8);
    CHECK(c.n_properties == 16 * 2 * 4);
    for (size_t k = 0; k < c.values.size(); k++) CHECK(std::isfinite(c.values[k]));

    Invariants soap(density, density, InvariantsOptions{});
    CHECK(backward_vs_finite_difference(soap, system, request) < 1e-6);
}

TEST_CASE("bad input throws lodestone::Error") {
    auto density = std::make_shared<SphericalExpansion>(hypers());
    System broken = triclinic_system();
    broken.positions[4] = std::nan("");
    CHECK_THROWS_AS(density->compute({broken}, gradient_request()), Error);
    SphericalExpansionHypers bad = hypers();
    bad.max_angular = 26;
    CHECK_THROWS_AS(SphericalExpansion{bad}, Error);
}

TEST_CASE("plane-by-plane transforms of interleaved grids equal one transform per grid, both ways") {
    // 3 grids: one grid per lane group; 4: groups of 4; with and without row
    // bands, on one plan (what a call leaves in its buffers must not leak
    // into the next)
    Fft3dPlan plan(6, 10, 7);
    for (size_t count : {size_t(3), size_t(4)})
    for (bool with_rows : {false, true}) {
        CAPTURE(count);
        CAPTURE(with_rows);
        const int64_t n0 = 6, n1 = 10, n2 = 7, h = n2 / 2 + 1;
        const std::array<int64_t, 3> band = {2, 3, 2};
        const size_t points = n0 * n1 * n2, plane_points = n1 * n2, hb = size_t(band[2] + 1);
        REQUIRE(plan.real_size() == points);
        std::vector<double> interleaved(count * points), single(points), planes(count * points);
        for (size_t k = 0; k < interleaved.size(); k++) interleaved[k] = std::sin(0.37 * double(k)) + 0.1 * double(k % 5);
        auto in_band = [&](int64_t a, int64_t b) {
            return (a <= band[0] || n0 - a <= band[0]) && (b <= band[1] || n1 - b <= band[1]);
        };
        auto at = [&](int64_t a, int64_t b, int64_t c) { return size_t((a * n1 + b) * h + c); };
        // row bands: row b keeps m2 <= b % 4 - 1 (none, then 0..2, with band[2] = 2 the largest)
        Fft3dPlan::RowBands rows(size_t(n1), band[2]);
        if (with_rows)
            for (int64_t b = 0; b < n1; b++) rows[size_t(b)] = std::min<int64_t>(b % 4 - 1, band[2]);
        const Fft3dPlan::RowBands* row_bands = with_rows ? &rows : nullptr;
        auto kept_row = [&](int64_t b, int64_t c) { return c <= rows[size_t(b)]; };
        size_t expected_rows = 0;
        for (int64_t b = 0; b < n1; b++) expected_rows += in_band(0, b) && rows[size_t(b)] >= 0 ? 1 : 0;
        // the column blocks of the plane-by-plane forward, kept per row
        std::vector<std::vector<std::complex<double>>> by_row(count, std::vector<std::complex<double>>(plan.complex_size()));
        size_t rows_seen = 0;
        plan.forward_columns(
            [&](size_t i0, double* plane) {
                std::copy_n(interleaved.data() + i0 * plane_points * count, plane_points * count, plane);
            },
            count, band,
            [&](size_t m1, const std::complex<double>* const* blocks) {
                rows_seen++;
                for (size_t q = 0; q < count; q++)
                    for (int64_t a = 0; a < n0; a++)
                        for (size_t c = 0; c < hb; c++)
                            by_row[q][at(a, int64_t(m1), int64_t(c))] = blocks[q][(size_t(a) * hb + c) * count];
            },
            row_bands);
        CHECK(rows_seen == expected_rows);  // forward_columns hands out every kept row
        std::vector<std::complex<double>> reference(plan.complex_size());
        double forward_err = 0.0, inverse_err = 0.0;
        for (size_t q = 0; q < count; q++) {
            for (size_t p = 0; p < points; p++) single[p] = interleaved[p * count + q];
            plan.forward(single.data(), reference.data(), band);
            // only entries inside the band are defined after a band-limited forward
            for (int64_t a = 0; a < n0; a++)
                for (int64_t b = 0; b < n1; b++)
                    for (int64_t c = 0; c <= band[2]; c++)
                        if (in_band(a, b) && kept_row(b, c))
                            forward_err = std::max(forward_err, std::abs(by_row[q][at(a, b, c)] - reference[at(a, b, c)]));
        }
        CHECK(forward_err < 1e-12);
        // band-limited spectra (zero outside the band) back to real space
        std::vector<std::vector<std::complex<double>>> spectra(count, std::vector<std::complex<double>>(plan.complex_size()));
        for (size_t q = 0; q < count; q++)
            for (int64_t a = 0; a < n0; a++)
                for (int64_t b = 0; b < n1; b++)
                    for (int64_t c = 0; c <= band[2]; c++)
                        if (in_band(a, b) && kept_row(b, c))
                            spectra[q][at(a, b, c)] = {std::cos(double(a + 2 * b + 3 * c + q)), 0.5 * std::sin(double(a * b + c + q))};
        const std::vector<std::vector<std::complex<double>>> kept = spectra;
        size_t planes_done = 0;
        plan.inverse_columns(
            count, band,
            [&](size_t m1, std::complex<double>* const* blocks) {
                for (size_t q = 0; q < count; q++)
                    for (int64_t a = 0; a < n0; a++)
                        // inside the row's band only (the plan clears the blocks between rows)
                        for (size_t c = 0; c < hb && kept_row(int64_t(m1), int64_t(c)); c++)
                            blocks[q][(size_t(a) * hb + c) * count] = kept[q][at(a, int64_t(m1), int64_t(c))];
            },
            [&](size_t i0) { return planes.data() + i0 * plane_points * count; },
            [&](size_t i0) { planes_done += i0 == planes_done ? 1 : 0; }, row_bands);
        CHECK(planes_done == size_t(n0));  // inverse_columns delivers every plane in order
        for (size_t q = 0; q < count; q++) {
            plan.inverse(spectra[q].data(), single.data(), band);
            for (size_t p = 0; p < points; p++)
                inverse_err = std::max(inverse_err, std::abs(planes[p * count + q] - single[p]));
        }
        CHECK(inverse_err < 1e-12);
    }
}

TEST_CASE("hyp1f1_scaled: M(1, 2, z) e^-z = (1 - e^-z) / z on both branches; a < 0 throws") {
    for (double z : {0.3, 5.0, 29.0, 45.0, 300.0}) {
        const double exact = -std::expm1(-z) / z;
        CHECK_MESSAGE(std::abs(hyp1f1_scaled(1.0, 2.0, z) - exact) / exact < 1e-13, "z = ", z);
    }
    CHECK_THROWS_AS(hyp1f1_scaled(-0.5, 1.5, 40.0), Error);
}

}  // TEST_SUITE
