// Shells of equal |k|: what the LODE direct sum runs its products by and
// what 'auto' prices it with. Checked against integer arithmetic.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "math/kvectors.hpp"

using namespace lodestone;

namespace {

KVectors sorted_by_length(KVectors kv) {
    sort_by_length(kv);
    return kv;
}

}  // namespace

TEST_CASE("k-vector shells of a cubic cell are the distinct m1^2 + m2^2 + m3^2") {
    const KVectors kv = half_space_kvectors({5, 0, 0, 0, 5, 0, 0, 0, 5}, 4.0);
    std::set<int> squares;
    for (size_t k = 0; k < kv.size(); ++k)
        squares.insert(kv.m[3 * k] * kv.m[3 * k] + kv.m[3 * k + 1] * kv.m[3 * k + 1] + kv.m[3 * k + 2] * kv.m[3 * k + 2]);
    CHECK(count_lengths(kv) == squares.size());
    CHECK(kv.size() > 4 * squares.size());

    const KVectors sorted = sorted_by_length(kv);
    const std::vector<size_t> start = length_shells(sorted.norm);
    REQUIRE(start.size() == squares.size() + 1);
    CHECK(start.front() == 0);
    CHECK(start.back() == kv.size());
    for (size_t s = 0; s + 1 < start.size(); ++s) {
        const auto square = [&](size_t k) {
            const int* m = &sorted.m[3 * k];
            return m[0] * m[0] + m[1] * m[1] + m[2] * m[2];
        };
        for (size_t k = start[s]; k < start[s + 1]; ++k) CHECK(square(k) == square(start[s]));
        if (s > 0) CHECK(square(start[s]) > square(start[s - 1]));
    }
}

TEST_CASE("a cell without symmetry has one k-vector per length") {
    const KVectors kv = half_space_kvectors({5.1, 0, 0, 0.37, 6.3, 0, -0.81, 0.53, 7.7}, 3.0);
    REQUIRE(kv.size() > 50);
    CHECK(count_lengths(kv) == kv.size());
    CHECK(length_shells(sorted_by_length(kv).norm).size() == kv.size() + 1);
}
