// Linked-cell neighbour list (half list with cell shifts), and the closest
// pair of every type pair built on it, against a brute force sum over
// periodic images written here.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "lodestone/core/error.hpp"
#include "lodestone/core/closest_pairs.hpp"
#include "lodestone/core/neighbors.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::testing;

namespace {

using Key = std::tuple<int32_t, int32_t, int32_t, int32_t, int32_t>;
using Cell = std::array<double, 9>;
using Pbc = std::array<bool, 3>;

Key key_of(int32_t i, int32_t j, const std::array<int32_t, 3>& s) { return {i, j, s[0], s[1], s[2]}; }

std::string describe(const Key& k) {
    return std::to_string(std::get<0>(k)) + "," + std::to_string(std::get<1>(k)) + "," + std::to_string(std::get<2>(k)) +
           "," + std::to_string(std::get<3>(k)) + "," + std::to_string(std::get<4>(k));
}

const Cell kTriclinic = {6.2, 0, 0, 1.3, 5.9, 0, -0.8, 0.9, 6.4};
// strongly skewed: small distances between lattice planes compared to the
// lengths of the lattice vectors
const Cell kSkewed = {4.5, 0, 0, 4.1, 1.7, 0, -3.2, 1.1, 2.6};

System make(std::vector<double> positions, std::vector<int32_t> types, std::optional<Cell> cell = std::nullopt,
            std::optional<Pbc> pbc = std::nullopt) {
    System s;
    s.positions = std::move(positions);
    s.types = std::move(types);
    if (cell) {
        s.has_cell = true;
        s.cell = *cell;
    }
    s.pbc = pbc ? *pbc : Pbc{cell.has_value(), cell.has_value(), cell.has_value()};
    return s;
}

std::array<double, 3> cross(const double* u, const double* v) {
    return {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
}

// Every (i <= j, shift) with 0 < |r_j - r_i + shift . H| < cutoff; for i == j
// only lexicographically positive shifts. Shifts run over a box that
// certainly holds every image, whatever the fractional coordinates.
std::map<Key, Pair> brute_force(const System& system, double cutoff) {
    const int32_t n = int32_t(system.size());
    const auto& r = system.positions;
    const Cell h = system.has_cell ? system.cell : Cell{};
    int range[3] = {0, 0, 0};
    if (system.has_cell) {
        const Cell inv = inverse3(h);
        const double volume = std::fabs(determinant3(h));
        for (int a = 0; a < 3; a++) {
            if (!system.pbc[size_t(a)]) continue;
            const auto normal = cross(&h[3 * ((a + 1) % 3)], &h[3 * ((a + 2) % 3)]);
            const double plane_distance = volume / std::hypot(normal[0], normal[1], normal[2]);
            double lo = INFINITY, hi = -INFINITY;
            for (int32_t k = 0; k < n; k++) {
                const double s = r[3 * k] * inv[a] + r[3 * k + 1] * inv[3 + a] + r[3 * k + 2] * inv[6 + a];
                lo = std::min(lo, s);
                hi = std::max(hi, s);
            }
            range[a] = int(std::ceil(cutoff / plane_distance + (hi - lo))) + 1;
        }
    }
    std::map<Key, Pair> out;
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = i; j < n; j++)
            for (int32_t s0 = -range[0]; s0 <= range[0]; s0++)
                for (int32_t s1 = -range[1]; s1 <= range[1]; s1++)
                    for (int32_t s2 = -range[2]; s2 <= range[2]; s2++) {
                        if (i == j && !(s0 > 0 || (s0 == 0 && (s1 > 0 || (s1 == 0 && s2 > 0))))) continue;
                        Pair p{i, j, {s0, s1, s2}, {}, 0.0};
                        for (int x = 0; x < 3; x++)
                            p.vector[size_t(x)] = r[3 * j + x] - r[3 * i + x] + s0 * h[x] + s1 * h[3 + x] + s2 * h[6 + x];
                        p.distance = std::hypot(p.vector[0], p.vector[1], p.vector[2]);
                        if (p.distance < cutoff) out[key_of(i, j, p.shift)] = p;
                    }
    return out;
}

std::vector<Pair> neighbor_pairs(const System& system, double cutoff) {
    system.validate("system");
    return half_list(build_neighbor_list(system, cutoff));
}

std::map<Key, Pair> linked_cells(const System& system, double cutoff) {
    std::map<Key, Pair> out;
    for (const Pair& p : neighbor_pairs(system, cutoff)) {
        const Key k = key_of(p.i, p.j, p.shift);
        CHECK_MESSAGE(out.count(k) == 0, "pair ", describe(k), " listed twice");
        out[k] = p;
    }
    return out;
}

// The half list against brute force: same pairs, vectors and distances from the shifts.
std::map<Key, Pair> compare(const System& system, double cutoff) {
    const auto expected = brute_force(system, cutoff);
    const auto actual = linked_cells(system, cutoff);
    for (const auto& [k, e] : expected) CHECK_MESSAGE(actual.count(k) == 1, "pair missing from the linked-cell list: ", describe(k));
    for (const auto& [k, a] : actual) CHECK_MESSAGE(expected.count(k) == 1, "pair the brute force does not find: ", describe(k));
    for (const auto& [k, e] : expected) {
        auto found = actual.find(k);
        if (found == actual.end()) continue;
        const Pair& a = found->second;
        CHECK(a.i <= a.j);
        for (size_t x = 0; x < 3; x++) CHECK_MESSAGE(std::fabs(a.vector[x] - e.vector[x]) < 1e-10, describe(k));
        CHECK(std::fabs(a.distance - e.distance) < 1e-10);
        CHECK(std::fabs(a.distance - std::hypot(a.vector[0], a.vector[1], a.vector[2])) < 1e-12);
        for (size_t x = 0; x < 3; x++)
            if (!system.pbc[x]) CHECK(a.shift[x] == 0);
    }
    return actual;
}

struct Options {
    uint32_t seed;
    size_t atoms;
    std::optional<Cell> cell;
    std::optional<Pbc> pbc = std::nullopt;
    // fractional coordinates drawn in [lo, hi) (outside [0, 1) tests folding)
    double lo = 0.0, hi = 1.0;
    double box = 8.0;
};

System random_system(const Options& o) {
    Random random(o.seed);
    std::vector<double> positions;
    std::vector<int32_t> types;
    for (size_t k = 0; k < o.atoms; k++) {
        double f[3];
        for (double& v : f) v = o.lo + (o.hi - o.lo) * random();
        for (int x = 0; x < 3; x++) {
            positions.push_back(o.cell ? f[0] * (*o.cell)[x] + f[1] * (*o.cell)[3 + x] + f[2] * (*o.cell)[6 + x]
                                       : f[x] * o.box);
        }
        types.push_back(std::array<int32_t, 3>{1, 6, 8}[k % 3]);
    }
    return make(positions, types, o.cell, o.pbc);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("neighbour list") {

TEST_CASE("triclinic cell, cutoff below half the cell") {
    CHECK(compare(random_system({1, 30, kTriclinic}), 2.9).size() > 30);
}

TEST_CASE("skewed triclinic cells, several seeds and cutoffs") {
    for (uint32_t seed : {2u, 3u, 4u})
        for (double cutoff : {1.5, 3.0}) compare(random_system({seed, 12, kSkewed}), cutoff);
}

TEST_CASE("cutoff larger than half the cell: several images of one atom") {
    const auto list = compare(random_system({5, 6, kSkewed}), 6.5);
    std::map<std::pair<int32_t, int32_t>, int> images;
    for (const auto& [k, p] : list) images[{p.i, p.j}]++;
    int most = 0;
    for (const auto& [pair, count] : images) most = std::max(most, count);
    CHECK(most > 5);
}

TEST_CASE("closest pair of every type pair: the brute force's shortest, images and skewed cells included") {
    for (const Options& o : {Options{7, 30, kTriclinic}, Options{8, 12, kSkewed}, Options{9, 20, std::nullopt}}) {
        const System system = random_system(o);
        const double cutoff = 3.2;
        std::map<std::pair<int32_t, int32_t>, double> expected;
        for (const auto& [k, p] : brute_force(system, cutoff)) {
            const auto types = std::minmax(system.types[size_t(p.i)], system.types[size_t(p.j)]);
            auto found = expected.find(types);
            if (found == expected.end() || p.distance < found->second) expected[types] = p.distance;
        }
        const std::vector<ClosestPair> got = closest_pairs(system, cutoff);
        REQUIRE(got.size() == expected.size());
        CHECK(got.size() >= 3);
        for (const ClosestPair& c : got) {
            CHECK(c.type_a <= c.type_b);
            CHECK(system.types[size_t(c.i)] == c.type_a);
            CHECK(system.types[size_t(c.j)] == c.type_b);
            CHECK(std::fabs(c.distance - expected.at({c.type_a, c.type_b})) < 1e-12);
        }
    }
    CHECK_THROWS_WITH_AS(closest_pairs(random_system({1, 3, kTriclinic}), 0.0), doctest::Contains("cutoff: expected a positive finite distance"), Error);
}

TEST_CASE("an atom sees its own images (one atom in a small cell)") {
    const Cell cell = {2.1, 0, 0, 0.7, 2.3, 0, 0.4, -0.5, 2.2};
    const auto list = compare(make({0.3, 0.2, 0.1}, {14}, cell), 5.0);
    CHECK(list.size() > 10);
    for (const auto& [k, p] : list) {
        CHECK(p.i == 0);
        CHECK(p.j == 0);
        // the vector of a self-image is the lattice vector shift . H
        for (int x = 0; x < 3; x++) {
            const double lattice = p.shift[0] * cell[x] + p.shift[1] * cell[3 + x] + p.shift[2] * cell[6 + x];
            CHECK(std::fabs(p.vector[size_t(x)] - lattice) < 1e-12);
        }
        // half list: exactly one of shift / -shift
        CHECK(list.count(key_of(0, 0, {-p.shift[0], -p.shift[1], -p.shift[2]})) == 0);
    }
}

TEST_CASE("very large cutoff compared to a skewed cell (many images, few atoms)") {
    compare(random_system({6, 3, kSkewed}), 9.0);
}

TEST_CASE("positions outside the cell: shifts refer to the unwrapped positions") {
    compare(random_system({7, 15, kTriclinic, std::nullopt, -1.7, 2.4}), 3.3);
    compare(random_system({8, 8, kSkewed, std::nullopt, -3, -1}), 4.0);
}

TEST_CASE("mixed periodicity") {
    const auto list = compare(random_system({9, 14, kSkewed, Pbc{true, false, true}, -0.5, 1.5}), 3.5);
    bool shifted = false;
    for (const auto& [k, p] : list) shifted = shifted || p.shift[0] != 0 || p.shift[2] != 0;
    CHECK(shifted);
    compare(random_system({10, 10, kTriclinic, Pbc{false, true, false}}), 7.0);
    compare(random_system({11, 10, kTriclinic, Pbc{false, false, true}}), 4.0);
}

TEST_CASE("a cell with pbc all false is not periodic") {
    for (const auto& [k, p] : compare(random_system({12, 12, kSkewed, Pbc{false, false, false}}), 3.0)) {
        CHECK(p.shift == std::array<int32_t, 3>{0, 0, 0});
    }
}

TEST_CASE("non-periodic molecules (no cell), compact and sparse") {
    compare(random_system({13, 25, std::nullopt, std::nullopt, 0, 1, 6}), 3.0);
    compare(random_system({14, 25, std::nullopt, std::nullopt, 0, 1, 60}), 7.0);
    // cutoff far larger than the molecule: all pairs
    CHECK(compare(random_system({15, 9, std::nullopt, std::nullopt, 0, 1, 3}), 50).size() == 9 * 8 / 2);
    // flat molecule (zero extent along z)
    compare(make({0, 0, 0, 1, 0, 0, 0, 1.2, 0, 2, 2, 0}, {1, 1, 1, 1}), 1.5);
}

TEST_CASE("empty and single-atom systems") {
    CHECK(neighbor_pairs(make({}, {}), 3).empty());
    CHECK(neighbor_pairs(make({1, 2, 3}, {1}), 3).empty());
    CHECK(neighbor_pairs(make({}, {}, kTriclinic), 3).empty());
}

TEST_CASE("pairs exactly at the cutoff are excluded, just inside are included") {
    const auto list = linked_cells(make({0, 0, 0, 2, 0, 0, 0, 2 - 1e-9, 0}, {1, 1, 1}), 2);
    CHECK(list.count(key_of(0, 1, {0, 0, 0})) == 0);
    CHECK(list.count(key_of(0, 2, {0, 0, 0})) == 1);
}

TEST_CASE("1 and 2 threads give the same list in the same order") {
    const System system = random_system({16, 200, Cell{12, 0, 0, 2, 11, 0, -1, 1.5, 10.5}});
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = neighbor_pairs(system, 4.0);
    omp_set_num_threads(2);
    const auto two = neighbor_pairs(system, 4.0);
    omp_set_num_threads(threads);
    REQUIRE(one.size() == two.size());
    for (size_t k = 0; k < one.size(); k++) {
        CHECK(one[k].i == two[k].i);
        CHECK(one[k].j == two[k].j);
        CHECK(one[k].shift == two[k].shift);
        CHECK(one[k].vector == two[k].vector);
    }
}

TEST_CASE("rejects a non-positive or non-finite cutoff") {
    const System system = random_system({17, 4, kTriclinic});
    for (double cutoff : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
        CHECK(contains(thrown_message([&] { neighbor_pairs(system, cutoff); }), "cutoff must be a positive finite number"));
    }
    compare(system, 3);
}

TEST_CASE("rejects atoms on top of each other (or of a periodic image), naming them") {
    const std::string overlapping =
        thrown_message([] { neighbor_pairs(make({0, 0, 0, 1, 1, 1, 0, 0, 0}, {1, 1, 1}), 2); });
    CHECK((contains(overlapping, "atoms 0 and 2 are at the same position") ||
           contains(overlapping, "atoms 2 and 0 are at the same position")));
    const std::string image = thrown_message([] {
        neighbor_pairs(make({0.5, 0.5, 0.5, 0.5 + kTriclinic[0], 0.5 + kTriclinic[1], 0.5 + kTriclinic[2]}, {1, 1}, kTriclinic), 2);
    });
    CHECK((contains(image, "atoms 0 and 1 are at the same position") || contains(image, "atoms 1 and 0 are at the same position")));
    compare(random_system({17, 4, kTriclinic}), 3);
}

}  // TEST_SUITE
