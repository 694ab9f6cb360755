#pragma once
#include <array>
#include <cstddef>
#include <vector>

namespace lodestone {

// Reciprocal lattice vectors as rows: b_i . a_j = 2 pi delta_ij for the rows
// a_j of `cell`. Throws when the cell is singular.
std::array<double, 9> reciprocal_cell(const std::array<double, 9>& cell);

// Reciprocal lattice vectors k = m1 b1 + m2 b2 + m3 b3 with 0 < |k| < k_cutoff,
// one of each (k, -k) pair: the half space where the first non-zero m_i is
// positive. Sums of real quantities over all k are twice the sums over this set.
struct KVectors {
    std::vector<double> k;      // [n][3], 1/Angstrom
    std::vector<double> norm;   // |k|
    std::vector<int> m;         // [n][3] integer coordinates (for strain/cell gradients)
    size_t size() const { return norm.size(); }
};

KVectors half_space_kvectors(const std::array<double, 9>& cell, double k_cutoff);

// Largest |m_d| over the set along each reciprocal vector: the band a mesh
// must hold.
std::array<int, 3> max_frequencies(const KVectors& kv);

// Sorts k-vectors by length (stable), so that shells of equal |k| are
// contiguous.
void sort_by_length(KVectors& kv);

// Shells of equal |k| (1e-12 relative) of lengths sorted ascending: the
// first index of each shell, then their count.
std::vector<size_t> length_shells(const std::vector<double>& sorted_norms);

// The number of distinct lengths of any set.
size_t count_lengths(const KVectors& kv);

}  // namespace lodestone
