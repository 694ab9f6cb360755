#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lodestone/expansions/expansion.hpp"
#include "lodestone/longrange/lode_radial_integral.hpp"
#include "lodestone/math/spherical_harmonics.hpp"

namespace lodestone {

namespace lode {
class Potential;
struct RealSpaceKernel;
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
    double spline_accuracy = 1e-8;   // <= 0: exact radial integrals
    // k-space method of periodic systems: "direct" (the k sum below),
    // "mesh" (particle-mesh, lode_mesh.cpp) or "auto" (the cheaper of the two
    // that meets `accuracy`; molecules always use real space).
    std::string method = "direct";
    // Target of the mesh: estimated RMS error of v over centres and (n, l, m)
    // divided by the RMS of v's k-space part for uncorrelated positions at
    // the same density (see lode_mesh_error in tuning.hpp).
    double accuracy = 1e-6;
    std::array<int64_t, 3> mesh{};  // points along each lattice vector, 0 = choose
    double mesh_spacing = 0.0;      // A (largest |a_d| / mesh_d), 0 = choose
    int mesh_order = 0;             // B-spline order 3..7, 0 = choose
};

// What a periodic system is computed with (LodeSphericalExpansion::parameters).
struct LodeMethodParameters {
    std::string method;             // "direct" or "mesh"
    std::array<int64_t, 3> mesh{};  // mesh only
    int mesh_order = 0;
    double mesh_spacing = 0.0;      // A
    double estimated_error = 0.0;   // relative, as `accuracy` (0 for direct)
    double value_scale = 0.0;       // the RMS the relative error refers to
    double direct_cost = 0.0;       // modelled costs (same arbitrary unit)
    double mesh_cost = 0.0;
    size_t n_kvectors = 0;          // half space, 0 < |k| < k_cutoff
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

    const LodeExpansionHypers& hypers() const { return hypers_; }
    int max_angular() const override { return hypers_.max_angular; }
    int max_radial() const override { return hypers_.max_radial; }

    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const override;
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dvalues) const override;

    // Method (and mesh) used for a periodic system; `gradients`: compute()
    // is asked for positions/strain/cell gradients, which only 'direct' gives.
    LodeMethodParameters parameters(const System& system, bool gradients = false) const;

private:
    // parameters() without its cache; T: distinct types in the system.
    LodeMethodParameters choose_method(const System& system, int T, bool gradients) const;
    struct MethodKey {
        std::array<double, 9> cell;
        size_t n_atoms;
        int n_types;
        bool gradients;
        bool operator==(const MethodKey& o) const {
            return cell == o.cell && n_atoms == o.n_atoms && n_types == o.n_types && gradients == o.gradients;
        }
    };
    mutable std::mutex method_cache_mutex_;
    mutable std::optional<std::pair<MethodKey, LodeMethodParameters>> method_cache_;

    // Particle-mesh evaluation (lode_mesh.cpp) of the same k sum. Returns
    // what backward_mesh reuses for the same system, or null when it would
    // not fit in `cache_budget` bytes (decremented by what it keeps).
    struct MeshCache;
    std::shared_ptr<const MeshCache> compute_mesh(const System& system, const ExpansionRequest& request,
                                                  const std::vector<int32_t>& centers,
                                                  const std::vector<int>& type_block,
                                                  const LodeMethodParameters& method, double* values,
                                                  size_t& cache_budget) const;
    void backward_mesh(const System& system, const ExpansionRequest& request, const std::vector<int32_t>& centers,
                       const std::vector<int>& type_block, const LodeMethodParameters& method, const double* adjoint,
                       double* positions, double* strain) const;
    // The k = 0 term of every centre's row, [t][n] (the l = 0 columns; all
    // zero unless the potential's k = 0 limit is finite): per atom of a
    // neighbour type times that type's atom count.
    std::vector<double> zero_term(const System& system, const std::vector<int>& type_block, int n_types) const;
    void compute_periodic(const System& system, const ExpansionRequest& request,
                          const std::vector<int32_t>& centers, const std::vector<int>& type_block, double* values,
                          double* positions_gradient, const std::vector<size_t>& partner_start,
                          const std::vector<int32_t>& partners, double* strain, double* cell) const;
    void backward_periodic(const System& system, const ExpansionRequest& request,
                           const std::vector<int32_t>& centers, const std::vector<int>& type_block,
                           const double* adjoint, double* positions, double* strain) const;
    void compute_molecule(const System& system, const ExpansionRequest& request,
                          const std::vector<int32_t>& centers, const std::vector<int>& type_block, double* values,
                          double* positions_gradient, const std::vector<size_t>& partner_start,
                          const std::vector<int32_t>& partners, double* strain) const;
    void backward_molecule(const System& system, const ExpansionRequest& request,
                           const std::vector<int32_t>& centers, const std::vector<int>& type_block,
                           const double* adjoint, double* positions, double* strain) const;
    // Kernel tabulated at least up to `max_distance` (cached between calls).
    std::shared_ptr<const lode::RealSpaceKernel> real_space_kernel(double max_distance) const;
    // Adds the self terms (the k = 0 term is not among them) and the
    // centre-weight correction to one centre's row.
    void add_center_terms(double* row, int center_block, int n_types) const;

    LodeExpansionHypers hypers_;
    SphericalHarmonics harmonics_;
    std::unique_ptr<LodeRadialIntegral> radial_;
    std::unique_ptr<lode::Potential> potential_;
    std::vector<double> center_correction_;  // -(1 - w) x centre contribution, [n]

    mutable std::mutex kernel_mutex_;
    mutable std::shared_ptr<const lode::RealSpaceKernel> kernel_;
    // k-vectors and k-space coefficients of the last periodic cell (cached:
    // in NVT MD the cell never changes between steps).
    struct KCache;
    std::shared_ptr<const KCache> k_cache(const std::array<double, 9>& cell, bool derivatives) const;
    mutable std::mutex k_cache_mutex_;
    mutable std::shared_ptr<const KCache> k_cache_;
    // The mesh systems of the last compute(): a following backward() of the
    // same system (a force evaluation) skips one FFT per channel. Kept only
    // after a first backward(), so values-only use pays nothing.
    mutable std::atomic<bool> backward_seen_{false};
    mutable std::mutex mesh_cache_mutex_;
    mutable std::vector<std::shared_ptr<const MeshCache>> mesh_cache_;
};

}  // namespace lodestone
