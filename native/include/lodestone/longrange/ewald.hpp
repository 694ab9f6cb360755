#pragma once
// Lattice sums of a pair potential prefactor * c_i c_j / r^p over point
// weights c_i: Coulomb electrostatics (p = 1, c = charges) and dispersion
// (p = 6). The potential (SmearedPowerLaw) says what is summed, the methods
// below say how (Ewald for 3D-periodic cells, direct pair sum for molecules),
// and tune_ewald (tuning.hpp) chooses parameters; a mesh method slots in as
// another method over the same potential and real-space part.
#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "lodestone/longrange/tuning.hpp"
#include "lodestone/core/system.hpp"

namespace lodestone {

// Coulomb constant e^2 / (4 pi eps0) in eV A / e^2, the value of LAMMPS'
// `units metal` (qqr2e = 14.399645), so energies compare with LAMMPS runs.
constexpr double COULOMB_CONSTANT = 14.399645;

struct LongRangeRequest {
    bool forces = true;
    bool virial = false;
    bool per_atom = false;
};

struct LongRangeResult {
    double energy = 0.0;                // eV
    std::vector<double> forces;         // [n][3] eV/A, -dE/dr
    std::array<double, 9> virial{};     // eV, -dE/d(strain), symmetric
    std::vector<double> energies;       // [n] eV; they sum to `energy`
    LongRangeParameters parameters;
};

// What a sum adds up: prefactor * c_i c_j / r^p over pairs of weights.
struct PowerLawPair {
    int exponent = 1;  // p: 1 or 6
    double prefactor = COULOMB_CONSTANT;
};

struct EwaldOptions {
    int exponent = 1;                 // 1 or 6
    double prefactor = COULOMB_CONSTANT;
    EwaldTuningRequest tuning;        // accuracy and optional overrides
};

// Energy E = prefactor * (1/2) sum_i sum_{j, n}' c_i c_j / |r_j - r_i + n.cell|^p.
// Periodic systems (pbc on all three axes): Ewald summation with tin-foil
// boundary conditions. For p = 1 a non-zero total weight Q is compensated by
// a uniform background (energy term prefactor Q^2 / 2V * lim_{k->0}(G_long -
// 4 pi / k^2) = -prefactor pi sigma^2 Q^2 / V, independent of the split); for
// p = 6 the sum converges absolutely and the k = 0 term is exact.
// The k-space part is the direct k sum or smooth PME (pme.hpp), chosen with
// the parameters by tune_long_range (options.tuning.method).
// Molecules (no pbc): the direct sum over all pairs, O(N^2).
// Per-atom energies split every pair term equally between its two atoms.
class Ewald {
public:
    explicit Ewald(const EwaldOptions& options);

    // Parameters the next compute() would use for this system and weights.
    LongRangeParameters parameters(const System& system, const std::vector<double>& weights) const;

    LongRangeResult compute(const System& system, const std::vector<double>& weights,
                            const LongRangeRequest& request) const;

    const EwaldOptions& options() const { return options_; }

private:
    struct PmeCache;
    EwaldOptions options_;
    std::shared_ptr<PmeCache> pme_cache_;
};

// The two methods, usable on their own with explicit parameters: ewald_sum
// reads `parameters`' smearing, cutoff and k_cutoff.
LongRangeResult ewald_sum(const System& system, const std::vector<double>& weights, const PowerLawPair& pair,
                          const LongRangeParameters& parameters, const LongRangeRequest& request);
LongRangeResult direct_sum(const System& system, const std::vector<double>& weights, const PowerLawPair& pair,
                           const LongRangeRequest& request);

}  // namespace lodestone
