#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "lodestone/features/soap/cutoff.hpp"
#include "lodestone/features/expansion.hpp"
#include "lodestone/core/neighbors.hpp"
#include "lodestone/core/system.hpp"

namespace lodestone {

class GaussianRadialIntegral;
class SphericalHarmonics;

// Hyper-parameters of the local (SOAP) density expansion, featomic's meaning.
struct SphericalExpansionHypers {
    CutoffFunction cutoff;
    double density_width = 0.3;       // Gaussian width (A)
    double center_atom_weight = 1.0;  // weight of the centre's own density
    int max_radial = 0;               // inclusive
    int max_angular = 0;
    double radial_radius = 0.0;       // GTO radius; <= 0 means cutoff.radius
    double spline_accuracy = 1e-8;    // <= 0: exact radial integrals
};

class SphericalExpansion : public Expansion {
public:
    explicit SphericalExpansion(const SphericalExpansionHypers& hypers);
    ~SphericalExpansion() override;

    const SphericalExpansionHypers& hypers() const { return hypers_; }

    int max_angular() const override { return hypers_.max_angular; }
    int max_radial() const override { return hypers_.max_radial; }

    // Validates systems and request, then computes (OpenMP over centres).
    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const override;
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dvalues) const override;
    bool backward_local(const std::vector<System>& systems, const ExpansionRequest& request,
                        const LocalAdjoint& adjoint, BackwardResult& result) const override;

private:
    SphericalExpansionHypers hypers_;
    std::unique_ptr<const SphericalHarmonics> harmonics_;
    std::unique_ptr<GaussianRadialIntegral> radial_;
    std::vector<double> self_radial_;  // I_n0(0): the centre's own density

    // Both backward passes: the adjoint of each centre comes from dl_dvalues,
    // or from `adjoint` applied to the centre's values computed on the way.
    BackwardResult backward_pairs(const std::vector<System>& systems, const ExpansionRequest& request,
                                  const LocalAdjoint* adjoint, const double* dl_dvalues) const;

    // Up to four pairs evaluated together (the harmonics one pair per vector
    // lane) into `block` (block_size() doubles): fc I_nl and its derivative
    // [4][l][n], Y_lm [lm][4], dY/dr [xyz][lm][4], unit vectors [4][3].
    size_t block_size() const;
    void evaluate_block(const Neighbor* const* pairs, int count, bool gradients, double* block) const;
};

}  // namespace lodestone
