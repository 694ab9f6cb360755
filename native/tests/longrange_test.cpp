// LODE (direct k sum, real space, mesh), Ewald, PME and the normal equations
// of the fits, in C++ and under valgrind: against pyLODE and LAMMPS numbers
// and the NaCl Madelung constant, against brute-force sums and a dense
// solve written here, always with relative tolerances.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "lodestone/features/lode/lode_expansion.hpp"
#include "lodestone/core/error.hpp"
#include "lodestone/features/soap/contracted_expansion.hpp"
#include "lodestone/longrange/ewald.hpp"
#include "lodestone/models/normal_equations.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::testing;

namespace {

System from_reference(const Json& s, bool periodic = true) {
    System system;
    system.positions = s["positions"].flat();
    for (double t : s["types"].flat()) system.types.push_back(static_cast<int32_t>(t));
    system.has_cell = periodic;
    if (periodic) {
        const std::vector<double> cell = s["cell"].flat();
        std::copy(cell.begin(), cell.end(), system.cell.begin());
        system.pbc = {true, true, true};
    }
    return system;
}

ExpansionRequest all_types(const System& system) {
    ExpansionRequest request;
    request.neighbor_types = system.types;
    std::sort(request.neighbor_types.begin(), request.neighbor_types.end());
    request.neighbor_types.erase(std::unique(request.neighbor_types.begin(), request.neighbor_types.end()), request.neighbor_types.end());
    return request;
}

System small_cell() {
    System s;
    s.positions = {0.1, 0.2, 0.3, 1.4, 0.9, 0.2, 2.2, 2.1, 1.0, 0.5, 2.4, 2.2,
                   3.1, 0.4, 2.7, 2.8, 3.0, 0.6, 1.2, 1.7, 3.3, 3.6, 2.2, 3.4};
    s.types = {11, 17, 11, 17, 11, 17, 11, 17};
    s.has_cell = true;
    s.cell = {5.2, 0.0, 0.0, 0.7, 5.0, 0.0, -0.4, 0.5, 5.4};
    s.pbc = {true, true, true};
    return s;
}

double rms_relative(const std::vector<double>& a, const std::vector<double>& b) {
    double d = 0.0, s = 0.0;
    for (size_t k = 0; k < a.size(); k++) {
        d += (a[k] - b[k]) * (a[k] - b[k]);
        s += b[k] * b[k];
    }
    return std::sqrt(d / s);
}

std::vector<double> values_of(const ExpansionResult& r) { return std::vector<double>(r.values.begin(), r.values.end()); }

}  // namespace

TEST_SUITE("lode") {

TEST_CASE("direct k sum reproduces pyLODE for p = 0, 4 and 6 (k = 0 terms included)") {
    for (int exponent : {0, 4, 6}) {
        const Json ref = load_reference("pylode/lode-triclinic-exponent-" + std::to_string(exponent) + "-values.json");
        const System system = from_reference(ref["input"]["systems"][0]);
        LodeExpansionHypers h;
        h.smearing = 0.5;
        h.exponent = exponent;
        h.max_radial = 3;
        h.max_angular = 4;
        h.radial_radius = 3.0;
        const LodeSphericalExpansion lode(h);
        const ExpansionResult r = lode.compute({system}, all_types(system));
        const std::vector<double> expected = ref["values"].flat();
        REQUIRE(r.values.size() == expected.size());
        CHECK_MESSAGE(relative_error(values_of(r), expected) < 1e-7, "p = " << exponent);
    }
}

TEST_CASE("mesh equals the direct sum to the requested accuracy; backward agrees") {
    const System system = small_cell();
    LodeExpansionHypers h;
    h.smearing = 1.0;
    h.exponent = 1;
    h.max_radial = 2;
    h.max_angular = 2;
    h.radial_radius = 3.0;
    const LodeSphericalExpansion direct(h);
    h.method = "mesh";
    h.accuracy = 1e-8;
    const LodeSphericalExpansion mesh(h);
    const ExpansionRequest request = all_types(system);
    const std::vector<double> a = values_of(direct.compute({system}, request));
    const std::vector<double> b = values_of(mesh.compute({system}, request));
    const LodeMethodParameters p = mesh.parameters(system);
    CHECK(p.method == "mesh");
    // the accuracy is the RMS error relative to the RMS of the values
    CHECK(rms_relative(b, a) < h.accuracy);
    std::vector<double> adjoint(a.size());
    Random random(5);
    for (double& v : adjoint) v = random() - 0.5;
    const BackwardResult da = direct.backward({system}, request, adjoint.data());
    const BackwardResult db = mesh.backward({system}, request, adjoint.data());
    // derivatives of the aliasing error carry one more power of k (test/features/lode-mesh.test.ts)
    CHECK(relative_error(db.positions, da.positions) < 20 * h.accuracy);
    CHECK(relative_error(std::vector<double>(db.strain.begin(), db.strain.end()), std::vector<double>(da.strain.begin(), da.strain.end())) <
          20 * h.accuracy);
}

TEST_CASE("contracted channels on the mesh: the contraction of the full values; backward of the expanded adjoint") {
    System system = small_cell();
    system.types = {11, 17, 19, 17, 11, 19, 11, 17};
    ExpansionRequest request = all_types(system);
    const int L = 3, N = 3, T = 3, W = T * N, K = 4;
    Random random(11);
    std::vector<double> matrices(static_cast<size_t>(L * K * W));
    for (double& u : matrices) u = random() - 0.5;
    const ChannelContraction u{K, W, matrices.data()};
    // out[s][lm][k] = sum_w U_l[k][w] in[s][lm][w] (contract) or its transpose (expand)
    auto map = [&](const std::vector<double>& in, bool expand) {
        const size_t from = expand ? K : W, to = expand ? W : K, samples = in.size() / (static_cast<size_t>(L * L) * from);
        std::vector<double> out(samples * static_cast<size_t>(L * L) * to, 0.0);
        for (size_t s = 0; s < samples; s++)
            for (int l = 0; l < L; l++)
                for (int lm = l * l; lm < (l + 1) * (l + 1); lm++)
                    for (int k = 0; k < K; k++)
                        for (int w = 0; w < W; w++) {
                            const double a = matrices[static_cast<size_t>((l * K + k) * W + w)];
                            if (expand)
                                out[(s * L * L + lm) * to + w] += a * in[(s * L * L + lm) * from + k];
                            else
                                out[(s * L * L + lm) * to + k] += a * in[(s * L * L + lm) * from + w];
                        }
        return out;
    };
    // p = 6 has a k = 0 term, and w = 0.5 a centre correction: both in the l = 0 columns
    for (int exponent : {1, 6}) {
        LodeExpansionHypers h;
        h.smearing = 1.0;
        h.exponent = exponent;
        h.max_radial = N - 1;
        h.max_angular = L - 1;
        h.radial_radius = 3.0;
        h.center_atom_weight = 0.5;
        h.method = "mesh";
        h.accuracy = 1e-8;
        const auto lode = std::make_shared<const LodeSphericalExpansion>(h);
        const ContractedExpansion contracted(lode, request.neighbor_types, K, matrices);
        const std::vector<double> expected = map(values_of(lode->compute({system}, request)), false);
        std::vector<double> values(expected.size());
        REQUIRE(lode->compute_contracted({system}, request, u, values.data()));
        CHECK_MESSAGE(relative_error(values, expected) < 1e-12, "p = " << exponent);
        CHECK(relative_error(values_of(contracted.compute({system}, request)), expected) < 1e-12);

        std::vector<double> adjoint(expected.size());
        for (double& g : adjoint) g = random() - 0.5;
        ExpansionRequest forces = request;
        forces.positions = true;
        forces.strain = true;
        const BackwardResult full = lode->backward({system}, forces, map(adjoint, true).data());
        // the first pass recomputes the fields; after a backward pass compute
        // keeps them at the centres for the next one
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) REQUIRE(lode->compute_contracted({system}, request, u, values.data()));
            BackwardResult native;
            REQUIRE(lode->backward_contracted({system}, forces, u, adjoint.data(), native));
            CHECK_MESSAGE(relative_error(native.positions, full.positions) < 1e-11, "p = " << exponent << ", pass " << pass);
            CHECK_MESSAGE(relative_error(native.strain, full.strain) < 1e-11, "p = " << exponent << ", pass " << pass);
        }
        // declined (the caller contracts): gradient tensors, molecules
        CHECK_FALSE(lode->compute_contracted({system}, forces, u, values.data()));
        System molecule = system;
        molecule.has_cell = false;
        molecule.pbc = {false, false, false};
        BackwardResult unused;
        CHECK_FALSE(lode->backward_contracted({molecule}, forces, u, adjoint.data(), unused));
    }
    // declined: the direct sum, and the mesh with the near field excluded
    LodeExpansionHypers direct;
    direct.smearing = 1.0;
    direct.max_radial = N - 1;
    direct.max_angular = L - 1;
    direct.radial_radius = 3.0;
    std::vector<double> values(static_cast<size_t>(8 * L * L * K));
    CHECK_FALSE(LodeSphericalExpansion(direct).compute_contracted({system}, request, u, values.data()));
    LodeExpansionHypers far = direct;
    far.method = "mesh";
    far.exclusion_radius = 2.0;
    far.exclusion_width = 0.5;
    CHECK_FALSE(LodeSphericalExpansion(far).compute_contracted({system}, request, u, values.data()));
    // a contraction of another width is an error, not a wrong result
    const ChannelContraction narrow{K, W - 1, matrices.data()};
    far.exclusion_radius = 0.0;
    CHECK_THROWS_WITH_AS(LodeSphericalExpansion(far).compute_contracted({system}, request, narrow, values.data()),
                         doctest::Contains("expected matrices of width 9"), Error);
}

TEST_CASE("real space: a molecule in a growing box approaches the molecule as 1/L^6 (p = 6)") {
    System molecule;
    molecule.positions = {0.0, 0.0, 0.0, 1.1, 0.3, -0.2, -0.4, 1.2, 0.5, 0.6, -0.8, 1.0};
    molecule.types = {1, 8, 1, 8};
    LodeExpansionHypers h;
    h.smearing = 1.0;
    h.exponent = 6;
    h.max_radial = 1;
    h.max_angular = 1;
    h.radial_radius = 2.0;
    h.k_cutoff = 1.6 * M_PI;
    const LodeSphericalExpansion lode(h);
    const ExpansionRequest request = all_types(molecule);
    const std::vector<double> reference = values_of(lode.compute({molecule}, request));
    std::vector<double> errors;
    for (double L : {16.0, 24.0}) {
        System box = molecule;
        box.has_cell = true;
        box.cell = {L, 0, 0, 0, L, 0, 0, 0, L};
        box.pbc = {true, true, true};
        errors.push_back(relative_error(values_of(lode.compute({box}, request)), reference));
    }
    const double slope = std::log(errors[0] / errors[1]) / std::log(24.0 / 16.0);
    CHECK_MESSAGE(slope > 5.4, "errors " << errors[0] << ", " << errors[1]);
    CHECK(slope < 6.6);
}

}  // TEST_SUITE

TEST_SUITE("ewald") {

TEST_CASE("rock salt: the Madelung constant, by direct Ewald and by PME") {
    const double a = 5.64, h = a / 2;
    System primitive;
    primitive.positions = {0, 0, 0, h, 0, 0};
    primitive.types = {11, 17};
    primitive.has_cell = true;
    primitive.cell = {0, h, h, h, 0, h, h, h, 0};
    primitive.pbc = {true, true, true};
    const std::vector<double> charges = {1.0, -1.0};
    LongRangeRequest request;
    const double madelung = 1.747564594633;
    LongRangeParameters parameters;
    parameters.smearing = 0.8;
    parameters.cutoff = 8.0;
    parameters.k_cutoff = 9.0;
    const LongRangeResult direct = ewald_sum(primitive, charges, PowerLawPair{1, COULOMB_CONSTANT}, parameters, request);
    CHECK(rel(-direct.energy * h / COULOMB_CONSTANT, madelung) < 1e-10);
    EwaldOptions options;
    options.tuning.accuracy = 1e-10;
    options.tuning.method = LongRangeMethod::Pme;
    const LongRangeResult pme = Ewald(options).compute(primitive, charges, request);
    CHECK(pme.parameters.method == "pme");
    CHECK(rel(-pme.energy * h / COULOMB_CONSTANT, madelung) < 1e-8);
}

TEST_CASE("64 random charges: LAMMPS' energy and forces; PME within its accuracy of Ewald") {
    const Json ref = load_reference("lammps/coulomb-cubic-64.json");
    System system;
    system.positions = ref["positions"].flat();
    system.types.assign(system.positions.size() / 3, 1);
    system.has_cell = true;
    const std::vector<double> cell = ref["cell"].flat();
    std::copy(cell.begin(), cell.end(), system.cell.begin());
    system.pbc = {true, true, true};
    const std::vector<double> charges = ref["charges"].flat();
    LongRangeRequest request;
    EwaldOptions options;
    options.tuning.accuracy = 1e-12;
    options.tuning.method = LongRangeMethod::Ewald;
    const LongRangeResult exact = Ewald(options).compute(system, charges, request);
    // LAMMPS' own precision (tabulated erfc): 3e-7 (test/longrange/ewald.test.ts)
    CHECK(rel(exact.energy, ref["energy"].number) < 3e-7);
    CHECK(relative_error(exact.forces, ref["forces"].flat()) < 3e-7);

    options.tuning.accuracy = 1e-6;
    options.tuning.method = LongRangeMethod::Pme;
    const LongRangeResult pme = Ewald(options).compute(system, charges, request);
    CHECK(pme.parameters.method == "pme");
    // the documented scale of `accuracy`: prefactor q_rms^2 / d^2, d = (V/N)^(1/3)
    const double n = static_cast<double>(charges.size());
    double q2 = 0.0;
    for (double q : charges) q2 += q * q;
    const double volume = std::fabs(cell[0] * (cell[4] * cell[8] - cell[5] * cell[7]) - cell[1] * (cell[3] * cell[8] - cell[5] * cell[6]) +
                                    cell[2] * (cell[3] * cell[7] - cell[4] * cell[6]));
    const double d = std::cbrt(volume / n);
    const double scale = COULOMB_CONSTANT * (q2 / n) / (d * d);
    CHECK(rel(pme.parameters.reference_force, scale) < 1e-12);
    double sq = 0.0;
    for (size_t k = 0; k < pme.forces.size(); k++) sq += (pme.forces[k] - exact.forces[k]) * (pme.forces[k] - exact.forces[k]);
    CHECK(std::sqrt(sq / n) / scale < 1e-6);
}

TEST_CASE("molecules: the direct sum is the pair double loop (p = 1 and 6)") {
    System molecule;
    Random random(11);
    for (int i = 0; i < 12; i++) {
        for (int x = 0; x < 3; x++) molecule.positions.push_back(6.0 * random());
        molecule.types.push_back(i % 2 ? 17 : 11);
    }
    std::vector<double> c(12);
    for (double& v : c) v = random() - 0.5;
    for (int p : {1, 6}) {
        LongRangeRequest request;
        const LongRangeResult r = direct_sum(molecule, c, PowerLawPair{p, 2.0}, request);
        double energy = 0.0;
        std::vector<double> forces(36, 0.0);
        for (int i = 0; i < 12; i++) {
            for (int j = i + 1; j < 12; j++) {
                double d[3], r2 = 0.0;
                for (int x = 0; x < 3; x++) {
                    d[x] = molecule.positions[3 * j + x] - molecule.positions[3 * i + x];
                    r2 += d[x] * d[x];
                }
                const double dist = std::sqrt(r2);
                const double e = 2.0 * c[i] * c[j] / std::pow(dist, p);
                energy += e;
                // F_j = -dE/dr_j = p e / r^2 d
                for (int x = 0; x < 3; x++) {
                    forces[3 * j + x] += p * e / r2 * d[x];
                    forces[3 * i + x] -= p * e / r2 * d[x];
                }
            }
        }
        CHECK_MESSAGE(rel(r.energy, energy) < 1e-13, "p = " << p);
        CHECK_MESSAGE(relative_error(r.forces, forces) < 1e-12, "p = " << p);
    }
}

}  // TEST_SUITE

TEST_SUITE("normal equations") {

// Dense Gaussian elimination with partial pivoting, written for this test.
std::vector<double> dense_solve(std::vector<double> m, std::vector<double> b) {
    const size_t n = b.size();
    for (size_t c = 0; c < n; c++) {
        size_t pivot = c;
        for (size_t r = c + 1; r < n; r++)
            if (std::fabs(m[r * n + c]) > std::fabs(m[pivot * n + c])) pivot = r;
        for (size_t k = 0; k < n; k++) std::swap(m[c * n + k], m[pivot * n + k]);
        std::swap(b[c], b[pivot]);
        for (size_t r = c + 1; r < n; r++) {
            const double f = m[r * n + c] / m[c * n + c];
            for (size_t k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
            b[r] -= f * b[c];
        }
    }
    std::vector<double> x(n);
    for (size_t c = n; c-- > 0;) {
        double s = b[c];
        for (size_t k = c + 1; k < n; k++) s -= m[c * n + k] * x[k];
        x[c] = s / m[c * n + c];
    }
    return x;
}

TEST_CASE("weighted rows added in blocks and merged solve the weighted least squares") {
    const size_t n = 7, rows = 700;  // more rows than one buffered block
    Random random(3);
    std::vector<double> a(rows * n), y(rows), w(rows);
    for (double& v : a) v = random() - 0.5;
    for (double& v : y) v = random();
    for (double& v : w) v = 0.5 + random();
    NormalEquations first(n), second(n);
    first.add(a.data(), y.data(), w.data(), 300);
    second.add(a.data() + 300 * n, y.data() + 300, w.data() + 300, rows - 300);
    first.merge(second);
    CHECK(first.rows() == rows);
    // A^T W A and A^T W y formed here, plus lambda I
    const double lambda = 1e-3;
    std::vector<double> ata(n * n, 0.0), aty(n, 0.0);
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < n; i++) {
            aty[i] += w[r] * a[r * n + i] * y[r];
            for (size_t j = 0; j < n; j++) ata[i * n + j] += w[r] * a[r * n + i] * a[r * n + j];
        }
    }
    std::vector<double> regularised = ata;
    for (size_t i = 0; i < n; i++) regularised[i * n + i] += lambda;
    Regularizer identity;
    identity.kind = Regularizer::Kind::Absolute;
    const std::vector<double> x = first.solve(lambda, identity);
    CHECK(relative_error(x, dense_solve(regularised, aty)) < 1e-12);
    // the residual from the statistics equals the one from the rows
    double residual = 0.0;
    for (size_t r = 0; r < rows; r++) {
        double p = 0.0;
        for (size_t i = 0; i < n; i++) p += a[r * n + i] * x[i];
        residual += w[r] * (p - y[r]) * (p - y[r]);
    }
    CHECK(rel(first.residual(x), residual) < 1e-10);
    // the relative regulariser: diag(A^T W A) raised to its mean
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) mean += ata[i * n + i] / n;
    regularised = ata;
    for (size_t i = 0; i < n; i++) regularised[i * n + i] += lambda * std::max(ata[i * n + i], mean);
    CHECK(relative_error(first.solve(lambda, Regularizer{}), dense_solve(regularised, aty)) < 1e-12);
}

}  // TEST_SUITE
