// The kernel part of a sparse-kernel potential against its definition
// evaluated in plain loops here, its gradient against central differences,
// and the errors it reports.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lodestone/core/error.hpp"
#include "lodestone/models/sparse_kernel.hpp"
#include "support.hpp"

using namespace lodestone;
using testing::relative_error;

namespace {

struct Problem {
    size_t dimension = 13;
    std::vector<size_t> counts{5, 0, 3};
    std::vector<double> points, weights, x;
    std::vector<int32_t> species;
};

Problem random_problem(uint32_t seed) {
    testing::Random random(seed);
    Problem p;
    const size_t M = 8, D = p.dimension;
    for (size_t m = 0; m < M; ++m) {
        double n2 = 0.0;
        std::vector<double> y(D);
        for (double& v : y) {
            v = random() - 0.3;
            n2 += v * v;
        }
        for (double v : y) p.points.push_back(v / std::sqrt(n2));
        p.weights.push_back(2.0 * random() - 1.0);
    }
    p.species = {0, 2, 1, 0, 2, 0, 0};
    for (size_t i = 0; i < p.species.size() * D; ++i) p.x.push_back(random() - 0.4);
    for (size_t k = 0; k < D; ++k) p.x[3 * D + k] = 0.0;  // a centre with no neighbours
    return p;
}

// sum_m alpha_m (x^ . y_m)^zeta over the centre's species, from the definition.
double energy_of(const Problem& p, const double* x, int32_t s, int zeta) {
    const size_t D = p.dimension;
    double n2 = 0.0;
    for (size_t k = 0; k < D; ++k) n2 += x[k] * x[k];
    if (n2 == 0.0) return 0.0;
    size_t first = 0;
    for (int32_t t = 0; t < s; ++t) first += p.counts[static_cast<size_t>(t)];
    double e = 0.0;
    for (size_t m = first; m < first + p.counts[static_cast<size_t>(s)]; ++m) {
        double c = 0.0;
        for (size_t k = 0; k < D; ++k) c += x[k] * p.points[m * D + k];
        e += p.weights[m] * std::pow(c / std::sqrt(n2), zeta);
    }
    return e;
}

}  // namespace

TEST_CASE("sparse kernel: energies from the definition, gradient against central differences") {
    const Problem p = random_problem(3);
    const size_t D = p.dimension, n = p.species.size();
    for (int zeta : {1, 2, 3}) {
        const SparseKernel kernel(p.points, p.weights, p.counts, D, zeta);
        const SparseKernel::Result r = kernel.evaluate(p.x.data(), p.species.data(), n);
        std::vector<double> want(n), fd(n * D);
        for (size_t i = 0; i < n; ++i) {
            want[i] = energy_of(p, &p.x[i * D], p.species[i], zeta);
            std::vector<double> x(p.x.begin() + static_cast<long>(i * D), p.x.begin() + static_cast<long>((i + 1) * D));
            const bool empty = i == 3;
            for (size_t k = 0; k < D && !empty; ++k) {
                const double h = 1e-6, x0 = x[k];
                x[k] = x0 + h;
                const double up = energy_of(p, x.data(), p.species[i], zeta);
                x[k] = x0 - h;
                const double down = energy_of(p, x.data(), p.species[i], zeta);
                x[k] = x0;
                fd[i * D + k] = (up - down) / (2.0 * h);
            }
        }
        CHECK(relative_error(r.energies, want) < 1e-13);
        CHECK(relative_error(r.gradient, fd) < 1e-8);
        CHECK(r.energies[3] == 0.0);
        CHECK(r.energies[2] == 0.0);  // species 1 has no sparse points
        // Homogeneous of degree 0: the gradient is orthogonal to x.
        for (size_t i = 0; i < n; ++i) {
            double dot = 0.0, scale = 0.0;
            for (size_t k = 0; k < D; ++k) {
                dot += r.gradient[i * D + k] * p.x[i * D + k];
                scale += std::fabs(r.gradient[i * D + k] * p.x[i * D + k]);
            }
            CHECK(std::fabs(dot) <= 1e-14 * scale + 1e-300);
        }
    }
}

TEST_CASE("sparse kernel: clear errors for inconsistent inputs") {
    const Problem p = random_problem(4);
    const size_t D = p.dimension;
    CHECK_THROWS_WITH_AS(SparseKernel(p.points, p.weights, p.counts, D, 0), doctest::Contains("zeta"), Error);
    CHECK_THROWS_WITH_AS(SparseKernel(p.points, std::vector<double>(3), p.counts, D, 2), doctest::Contains("weights"), Error);
    CHECK_THROWS_WITH_AS(SparseKernel(p.points, p.weights, p.counts, D + 1, 2), doctest::Contains("point coordinates"), Error);
    const SparseKernel kernel(p.points, p.weights, p.counts, D, 2);
    std::vector<int32_t> species = p.species;
    species[4] = 3;
    CHECK_THROWS_WITH_AS(kernel.evaluate(p.x.data(), species.data(), species.size()), doctest::Contains("centre 4 has species index 3"), Error);
    std::vector<double> x = p.x;
    x[2 * D + 1] = std::nan("");
    CHECK_THROWS_WITH_AS(kernel.evaluate(x.data(), p.species.data(), p.species.size()), doctest::Contains("centre 2 has non-finite"), Error);
}

TEST_CASE("sparse kernel: design rows; energy row . weights = the energies, force rows = -(dk/dx . dx/dr) . weights") {
    const Problem p = random_problem(6);
    const size_t D = p.dimension, n = p.species.size();
    const SparseKernel kernel(p.points, p.weights, p.counts, D, 2);
    // Columns [species][alpha..., bias], as the kernel-only fits lay them out.
    std::vector<size_t> columns;
    size_t P = 0;
    for (size_t c : p.counts) {
        columns.push_back(P);
        P += c + 1;
    }
    // A made-up gradient block over columns 2..8: rows (centre, atom) with dx_centre/dr_atom.
    testing::Random random(8);
    const size_t offset = 2, size = 7;
    std::vector<int32_t> samples;  // [row][centre, system, atom]
    std::vector<double> values;
    for (int32_t i = 0; i < static_cast<int32_t>(n); ++i)
        for (int32_t j : {i, (i + 2) % static_cast<int32_t>(n)}) {
            samples.insert(samples.end(), {i, 0, j});
            for (size_t k = 0; k < 3 * size; ++k) values.push_back(random() - 0.5);
        }
    const size_t rows = samples.size() / 3;
    const double scale = 1.7;
    const std::vector<SparseKernel::GradientBlock> blocks{{values.data(), samples.data(), rows, size, offset, scale}};
    std::vector<double> energy(P, 0.0), forces(3 * n * P, 0.0);
    kernel.design_rows(p.x.data(), p.species.data(), n, blocks, columns, true, P, energy.data(), forces.data());
    // The parameters: the kernel's weights, and biases 0.25 per species.
    std::vector<double> parameters(P, 0.25);
    size_t m = 0;
    for (size_t s = 0; s < p.counts.size(); ++s)
        for (size_t c = 0; c < p.counts[s]; ++c) parameters[columns[s] + c] = p.weights[m++];
    const SparseKernel::Result r = kernel.evaluate(p.x.data(), p.species.data(), n);
    double want = 0.25 * static_cast<double>(n), got = 0.0;
    for (double e : r.energies) want += e;
    for (size_t k = 0; k < P; ++k) got += energy[k] * parameters[k];
    CHECK(std::fabs(got - want) < 1e-13 * std::fabs(want));
    std::vector<double> want_forces(3 * n, 0.0), got_forces(3 * n, 0.0);
    for (size_t row = 0; row < rows; ++row)
        for (size_t d = 0; d < 3; ++d)
            for (size_t k = 0; k < size; ++k) {
                want_forces[3 * static_cast<size_t>(samples[3 * row + 2]) + d] -=
                    scale * r.gradient[static_cast<size_t>(samples[3 * row]) * D + offset + k] * values[(row * 3 + d) * size + k];
            }
    for (size_t q = 0; q < 3 * n; ++q)
        for (size_t k = 0; k < P; ++k) got_forces[q] += forces[q * P + k] * parameters[k];
    CHECK(relative_error(got_forces, want_forces) < 1e-13);

    std::vector<int32_t> bad = samples;
    bad[3 * 3 + 2] = static_cast<int32_t>(n);
    const std::vector<SparseKernel::GradientBlock> outside{{values.data(), bad.data(), rows, size, offset, scale}};
    CHECK_THROWS_WITH_AS(kernel.design_rows(p.x.data(), p.species.data(), n, outside, columns, true, P, energy.data(), forces.data()),
                         doctest::Contains("gradient row 3 names an atom outside"), Error);
    CHECK_THROWS_WITH_AS(kernel.design_rows(p.x.data(), p.species.data(), n, blocks, columns, true, P - 1, energy.data(), forces.data()),
                         doctest::Contains("end past"), Error);
}
