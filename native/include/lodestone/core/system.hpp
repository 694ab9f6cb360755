#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lodestone {

// An atomic structure: Angstrom, rows of `cell` are the lattice vectors.
// Non-owning views are avoided on purpose: a System owns copies so native work
// can outlive the caller's buffers (async calls).
struct System {
    std::vector<double> positions;  // n_atoms x 3
    std::vector<int32_t> types;     // atomic numbers (any integer label)
    bool has_cell = false;
    std::array<double, 9> cell{};   // rows = lattice vectors
    std::array<bool, 3> pbc{{false, false, false}};

    size_t size() const { return types.size(); }
    bool periodic() const { return pbc[0] || pbc[1] || pbc[2]; }

    // Throws lodestone::Error naming the field when lengths, finiteness or
    // the cell are invalid. `label` prefixes messages (e.g. "systems[2]").
    void validate(const char* label) const;
};

double determinant3(const std::array<double, 9>& m);
// Inverse of a 3x3 row-major matrix; throws when singular.
std::array<double, 9> inverse3(const std::array<double, 9>& m);

}  // namespace lodestone
