#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lodestone/core/system.hpp"

namespace lodestone {

// One neighbour j of a centre i: r_ij = r_j - r_i + shift . cell (shift in
// units of the lattice vectors, 0 along non-periodic axes).
struct Neighbor {
    int32_t j;
    std::array<int32_t, 3> shift;
    std::array<double, 3> vector;
    double distance;
};

// Full neighbour list in compressed rows: neighbours of centre i are
// neighbors[offsets[i] .. offsets[i+1]). Every image of every atom closer
// than the cutoff appears, including an atom's own periodic images (but never
// the atom itself with a zero shift), so cutoffs larger than half the cell work.
struct NeighborList {
    double cutoff = 0.0;
    std::vector<size_t> offsets;
    std::vector<Neighbor> neighbors;

    size_t n_centers() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};

// One pair of a half list: each unordered pair (i, j, shift) once, with
// i < j, or i == j and a shift that is lexicographically positive.
struct Pair {
    int32_t i;
    int32_t j;
    std::array<int32_t, 3> shift;
    std::array<double, 3> vector;
    double distance;
};

// Linked-cell construction in fractional coordinates (any triclinic cell, any
// pbc combination, no cell at all). Throws when two atoms overlap.
NeighborList build_neighbor_list(const System& system, double cutoff);

std::vector<Pair> half_list(const NeighborList& list);

}  // namespace lodestone
