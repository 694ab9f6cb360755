#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "lodestone/features/expansion.hpp"

namespace lodestone {

namespace lode {
class Engine;
}  // namespace lode

// Hyper-parameters of the LODE expansion, featomic's meaning.
struct LodeExpansionHypers {
    double smearing = 1.0;           // A
    int exponent = 1;                // p = 0..6 (0: the Gaussian density itself)
    int max_radial = 0;              // inclusive
    int max_angular = 0;             // <= 25
    double radial_radius = 0.0;      // GTO radius (A), required
    double k_cutoff = 0.0;           // 1/A; 0 selects 1.2 pi / smearing
    double center_atom_weight = 1.0; // featomic: removes (1 - w) x the centre's own field
    // Near-field exclusion (0: off): the field of every atom closer than
    // exclusion_radius (A) to the centre, and the centre's own, is removed,
    // switched off by a shifted cosine over the last exclusion_width A.
    double exclusion_radius = 0.0;
    double exclusion_width = 0.0;
    double spline_accuracy = 1e-8;   // <= 0: exact radial integrals
    // k-space method of periodic systems: "direct" (the k sum below),
    // "mesh" (particle-mesh, native/src/features/lode/mesh.cpp), "split"
    // (range separation, native/src/features/lode/split.cpp: the field summed to
    // convergence instead of band-limited, k_cutoff 0 or >= 9 / smearing) or
    // "auto" (the cheapest that meets `accuracy`, 'split' only when the band
    // limit of the others is itself within `accuracy`; molecules always use
    // real space).
    std::string method = "direct";
    // Target of the mesh: estimated RMS error of v over centres and (n, l, m)
    // divided by the RMS of v's k-space part for uncorrelated positions at
    // the same density (see lode_mesh_error in native/src/longrange/tuning/lode_mesh.hpp).
    double accuracy = 1e-6;
    // 'split' only: smearing of its k-space part (A, >= smearing), 0 = choose
    double split_smearing = 0.0;
    std::array<int64_t, 3> mesh{};  // points along each lattice vector, 0 = choose
    double mesh_spacing = 0.0;      // A (largest |a_d| / mesh_d), 0 = choose
    int mesh_order = 0;             // B-spline order 3..7, 0 = choose
};

// What a periodic system is computed with (LodeSphericalExpansion::parameters).
struct LodeMethodParameters {
    std::string method;             // "direct", "mesh" or "split"
    std::array<int64_t, 3> mesh{};  // mesh only
    int mesh_order = 0;             // the window's width in mesh points
    double mesh_beta = 0.0;         // the window's shape: 0 for the B-spline, else Kaiser-Bessel's beta
    double mesh_spacing = 0.0;      // A
    double estimated_error = 0.0;   // relative, as `accuracy` (0 for direct)
    double value_scale = 0.0;       // the RMS the relative error refers to
    double direct_cost = 0.0;       // modelled costs (same arbitrary unit)
    double mesh_cost = 0.0;
    double split_cost = std::numeric_limits<double>::infinity();  // not considered: infinity
    size_t n_kvectors = 0;          // half space, 0 < |k| < k_cutoff (split: of its k-space part)
    // split only: smearing and k cutoff of the k-space part, real-space cutoff
    double split_smearing = 0.0;    // A
    double split_k_cutoff = 0.0;    // 1/A
    double split_cutoff = 0.0;      // A
};

// Long-distance equivariant expansion (Grisafi & Ceriotti 2019) of the field
// V_a(r) = sum_{j of type a} long_p(|r - r_j|) around each centre, on the
// orthonormal GTO x real harmonics basis:
//   v[i][a][n,l,m] = int d^3r R_n(r) Y_lm(r^) V_a(r_i + r).
// Periodic systems: in k-space,
//   (4 pi / V) sum_{0 < |k| < k_cut} G_p(k) I_nl(k) Y_lm(k^) i^l S_a(k) e^{i k.r_i}
// (plus the k = 0 term when finite). Molecules: the same field band-limited
// to |k| < k_cut, summed in real space over all pairs, so that a molecule in
// a growing periodic box converges to it. Mixed periodicity is rejected.
class LodeSphericalExpansion : public Expansion {
public:
    explicit LodeSphericalExpansion(const LodeExpansionHypers& hypers);
    ~LodeSphericalExpansion() override;

    const LodeExpansionHypers& hypers() const;
    int max_angular() const override;
    int max_radial() const override;

    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const override;
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dvalues) const override;
    // Contracted channels on the mesh: when every system is periodic and
    // computed with method 'mesh' (and no near-field exclusion).
    bool compute_contracted(const std::vector<System>& systems, const ExpansionRequest& request,
                            const ChannelContraction& contraction, double* values) const override;
    bool backward_contracted(const std::vector<System>& systems, const ExpansionRequest& request,
                             const ChannelContraction& contraction, const double* dl_dvalues,
                             BackwardResult& result) const override;

    // Method (and mesh) used for a periodic system; `gradients`: compute()
    // is asked for positions/strain/cell gradients, which only 'direct' gives.
    LodeMethodParameters parameters(const System& system, bool gradients = false) const;

private:
    // The k-space, mesh and real-space evaluations and their caches
    // (native/src/features/lode/engine.hpp).
    std::unique_ptr<lode::Engine> engine_;
};

}  // namespace lodestone
