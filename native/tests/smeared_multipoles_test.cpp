// Vacuum electrostatics of Gaussian charges and point dipoles
// (smeared_multipoles.hpp): forces, potentials and fields against central
// differences of the energy, the point-multipole law between distant atoms,
// and clear errors for bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "lodestone/core/error.hpp"
#include "lodestone/longrange/ewald.hpp"
#include "lodestone/longrange/smeared_multipoles.hpp"

using namespace lodestone;

namespace {

struct Config {
    std::vector<double> positions, charges, dipoles;
    std::vector<int32_t> groups;
};

// 9 atoms in 3 groups, no two closer than 0.9 A (a fixed linear congruential sequence)
Config config() {
    Config c;
    uint64_t state = 12345;
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 9007199254740992.0;
    };
    while (c.charges.size() < 9) {
        const double p[3] = {5 * next(), 5 * next(), 5 * next()};
        bool close = false;
        for (size_t j = 0; j < c.charges.size(); j++) {
            const double dx = p[0] - c.positions[3 * j], dy = p[1] - c.positions[3 * j + 1], dz = p[2] - c.positions[3 * j + 2];
            close = close || dx * dx + dy * dy + dz * dz < 0.81;
        }
        if (close) continue;
        c.positions.insert(c.positions.end(), p, p + 3);
        c.charges.push_back(next() - 0.5);
        for (int d = 0; d < 3; d++) c.dipoles.push_back(0.4 * (next() - 0.5));
        c.groups.push_back(static_cast<int32_t>(c.charges.size() % 3));
    }
    return c;
}

SmearedMultipolesInput input_of(const Config& c, bool dipoles, bool exclusion, bool groups) {
    SmearedMultipolesInput in;
    in.atoms = c.charges.size();
    in.positions = c.positions.data();
    in.charges = c.charges.data();
    in.dipoles = dipoles ? c.dipoles.data() : nullptr;
    in.sigma = 0.7;
    if (exclusion) {
        in.exclusion_radius = 3.0;
        in.exclusion_width = 1.5;
    }
    in.groups = groups ? c.groups.data() : nullptr;
    return in;
}

// Central difference of the energy in one entry of `values` (a copy of the input's array).
double derivative(Config c, std::vector<double> Config::*array, size_t k, bool dipoles, bool exclusion, bool groups) {
    const double h = 1e-5;
    (c.*array)[k] += h;
    const double up = smeared_multipoles(input_of(c, dipoles, exclusion, groups)).energy;
    (c.*array)[k] -= 2 * h;
    const double down = smeared_multipoles(input_of(c, dipoles, exclusion, groups)).energy;
    return (up - down) / (2 * h);
}

}  // namespace

TEST_CASE("smeared multipoles: forces, potentials and fields are the energy's derivatives") {
    const Config c = config();
    for (int variant = 0; variant < 8; variant++) {
        const bool dipoles = variant & 1, exclusion = variant & 2, groups = variant & 4;
        CAPTURE(variant);
        const SmearedMultipolesResult r = smeared_multipoles(input_of(c, dipoles, exclusion, groups));
        double sum = 0;
        for (double e : r.energies) sum += e;
        CHECK(std::fabs(sum - r.energy) <= 1e-12 * std::fabs(r.energy));
        double scale = 0, error = 0;
        for (size_t k = 0; k < c.positions.size(); k++) {
            const double fd = -derivative(c, &Config::positions, k, dipoles, exclusion, groups);
            scale = std::max(scale, std::fabs(fd));
            error = std::max(error, std::fabs(fd - r.forces[k]));
        }
        CHECK(error <= 1e-7 * scale);
        for (size_t i = 0; i < c.charges.size(); i++) {
            CHECK(std::fabs(derivative(c, &Config::charges, i, dipoles, exclusion, groups) - r.potentials[i]) <= 1e-7 * scale);
        }
        // without dipoles, dE/dmu at mu = 0: minus the charges' field
        Config zero = c;
        if (!dipoles) std::fill(zero.dipoles.begin(), zero.dipoles.end(), 0.0);
        const SmearedMultipolesResult at_zero = smeared_multipoles(input_of(zero, true, exclusion, groups));
        if (!dipoles) {
            for (size_t k = 0; k < r.forces.size(); k++) CHECK(at_zero.forces[k] == doctest::Approx(r.forces[k]).epsilon(1e-14));
        }
        for (size_t k = 0; k < c.dipoles.size(); k++) {
            const double fd = derivative(zero, &Config::dipoles, k, true, exclusion, groups);
            CHECK(std::fabs(fd - r.fields[k]) <= 1e-7 * scale);
        }
    }
}

TEST_CASE("smeared multipoles: the point charge-dipole and dipole-dipole law between distant atoms") {
    // E = k [q1 q2 / r + q1 mu2.u / r^2 - q2 mu1.u / r^2 + (mu1.mu2 - 3 (mu1.u)(mu2.u)) / r^3], u from atom 2 to 1
    const std::vector<double> positions = {0.2, -0.4, 0.1, 0.3, 9.5, -4.0};
    const std::vector<double> q = {0.7, -1.3}, mu = {0.11, -0.3, 0.25, -0.2, 0.05, 0.4};
    SmearedMultipolesInput in;
    in.atoms = 2;
    in.positions = positions.data();
    in.charges = q.data();
    in.dipoles = mu.data();
    in.sigma = 0.8;
    const double d[3] = {0.2 - 0.3, -0.4 - 9.5, 0.1 + 4.0};
    const double r = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    const double u[3] = {d[0] / r, d[1] / r, d[2] / r};
    auto dot = [](const double* a, const double* b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; };
    const double expected = COULOMB_CONSTANT * (q[0] * q[1] / r + (q[0] * dot(&mu[3], u) - q[1] * dot(&mu[0], u)) / (r * r) +
                                                (dot(&mu[0], &mu[3]) - 3 * dot(&mu[0], u) * dot(&mu[3], u)) / (r * r * r));
    CHECK(std::fabs(smeared_multipoles(in).energy - expected) <= 1e-12 * std::fabs(expected));
}

TEST_CASE("smeared multipoles: bad input is a clear error") {
    const std::vector<double> positions = {0, 0, 0, 0, 0, 0}, q = {1, -1};
    SmearedMultipolesInput in;
    in.atoms = 2;
    in.positions = positions.data();
    in.charges = q.data();
    in.sigma = 1.0;
    CHECK_THROWS_WITH_AS(smeared_multipoles(in), "smeared electrostatics: atoms 0 and 1 are at the same position", Error);
    const std::vector<int32_t> one_molecule = {0, 0};
    in.groups = one_molecule.data();
    CHECK(smeared_multipoles(in).energy == 0.0);  // a molecule's own pairs are left out, even coincident ones
    const std::vector<double> nan_charges = {1, std::nan("")};
    in.charges = nan_charges.data();
    CHECK_THROWS_WITH_AS(smeared_multipoles(in), "smeared electrostatics: charges[1]: expected a finite number, got NaN", Error);
    in.charges = q.data();
    in.sigma = 0.0;
    CHECK_THROWS_WITH_AS(smeared_multipoles(in), doctest::Contains("sigma: expected a positive finite width"), Error);
    in.sigma = 1.0;
    in.exclusion_radius = 1.0;
    in.exclusion_width = 2.0;
    CHECK_THROWS_WITH_AS(smeared_multipoles(in), doctest::Contains("exclusion: expected 0 < width <= radius"), Error);
}
