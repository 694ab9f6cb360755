#pragma once
// The closest pair of atoms of every pair of atom types within a cutoff
// (periodic images included): what a model's training frames covered, and
// what an MD run compares its atoms against (lib/core/contacts.ts).
#include <cstdint>
#include <vector>

#include "lodestone/core/system.hpp"

namespace lodestone {

struct ClosestPair {
    int32_t type_a = 0, type_b = 0;  // type_a <= type_b
    double distance = 0.0;
    int32_t i = 0, j = 0;  // atoms (type i = type_a)
};

// One entry per type pair with a pair closer than `cutoff` (A), ordered by
// (type_a, type_b); linked cells, so O(atoms) at fixed density.
std::vector<ClosestPair> closest_pairs(const System& system, double cutoff);

}  // namespace lodestone
