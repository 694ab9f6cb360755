#pragma once
// Electrostatics of Gaussian charges and point dipoles at the atoms, in
// vacuum, by direct pair sums: the long-range term of models that predict
// per-atom charges and atomic dipoles. With r = r_i - r_j and
// f(r) = k_e erf(r / (2 sigma)) / r, B_0 = f and B_{n+1} = -(1/r) dB_n/dr
// (the Ewald-sum functions; for 1/r, B_n = (2n - 1)!! / r^(2n+1)), a pair's energy is
//   E_ij = B_0 q_i q_j + B_1 [q_i mu_j.r - q_j mu_i.r + mu_i.mu_j] - B_2 (mu_i.r)(mu_j.r),
// the charge-charge, charge-dipole and dipole-dipole terms of the Taylor
// expansion of f about both atoms. An exclusion switch multiplies the whole
// pair energy (so the energy stays once differentiable in r), and pairs of
// one group (a molecule) can be left out.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lodestone {

struct SmearedMultipolesInput {
    size_t atoms = 0;
    const double* positions = nullptr;  // [atoms][3], A
    const double* charges = nullptr;    // [atoms], e
    const double* dipoles = nullptr;    // [atoms][3], e A; null: charges only
    double sigma = 0.0;                 // width of the Gaussian charges, A
    // Pairs closer than radius - width are left out, switched in by a
    // shifted cosine up to radius (A); radius 0: none.
    double exclusion_radius = 0.0;
    double exclusion_width = 0.0;
    const int32_t* groups = nullptr;  // [atoms]; pairs of one group >= 0 are left out; null: none
};

struct SmearedMultipolesResult {
    double energy = 0.0;               // eV
    std::vector<double> energies;      // each atom's half of its pairs' energies, eV
    std::vector<double> potentials;    // dE/dq_i, eV/e
    std::vector<double> fields;        // dE/dmu_i: minus the field of the others' charges and dipoles, eV/(e A), [atoms][3]
    std::vector<double> forces;        // -dE/dr at fixed charges and dipoles, eV/A, [atoms][3]
};

// Throws lodestone::Error for a non-finite input, a non-positive sigma, a
// bad exclusion, or two atoms of a kept pair at the same position.
SmearedMultipolesResult smeared_multipoles(const SmearedMultipolesInput& input);

}  // namespace lodestone
