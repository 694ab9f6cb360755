#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "lodestone/expansions/cutoff.hpp"
#include "lodestone/expansions/expansion.hpp"
#include "lodestone/expansions/radial_integral.hpp"
#include "lodestone/math/spherical_harmonics.hpp"
#include "lodestone/neighbors.hpp"
#include "lodestone/system.hpp"

namespace lodestone {

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

    const SphericalExpansionHypers& hypers() const { return hypers_; }

    int max_angular() const override { return hypers_.max_angular; }
    int max_radial() const override { return hypers_.max_radial; }

    // Validates systems and request, then computes (OpenMP over centres).
    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const override;
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dvalues) const override;

private:
    SphericalExpansionHypers hypers_;
    SphericalHarmonics harmonics_;
    std::unique_ptr<GaussianRadialIntegral> radial_;
    std::vector<double> self_radial_;  // I_n0(0): the centre's own density

public:
    // Per-thread scratch for one pair: f = fc(r) I_nl(r) [l][n], df = d f/dr,
    // Y_lm(r^) and dY/dr [xyz][lm] (already divided by r), unit vector u.
    struct PairWork {
        std::vector<double> f, df, ylm, dylm, sh_work, grad;
        double u[3];
    };
    PairWork make_work() const;
    void evaluate_pair(const Neighbor& pair, PairWork& w, bool gradients) const;
};

}  // namespace lodestone
