#pragma once
// The LODE expansion's evaluations behind LodeSphericalExpansion: k-space
// direct sum (lode_expansion.cpp), particle mesh (mesh.cpp) and real space
// for molecules (real_space.cpp), with the caches they share between calls.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "features/lode/radial_integral.hpp"
#include "features/soap/pair_kernels.hpp"
#include "lodestone/core/neighbors.hpp"
#include "lodestone/features/lode/lode_expansion.hpp"
#include "math/spherical_harmonics.hpp"

namespace lodestone::lode {

class Potential;
struct RealSpaceKernel;
struct MeshKSpace;

// Per-thread sums of a real-space backward pass: each pair (i, j) adds
// dL/dr_ij to atom j, its opposite to atom i, and r_ij (x) dL/dr_ij to the
// strain; add_to() sums the threads in order, so runs are bit-identical.
class PairBackwardSums {
public:
    PairBackwardSums(int n_threads, size_t n_atoms, bool positions)
        : n_atoms_(n_atoms), forces_(positions ? static_cast<size_t>(n_threads) * 3 * n_atoms : 0, 0.0),
          strains_(static_cast<size_t>(n_threads) * 9, 0.0) {}

    void add(int thread, size_t i, size_t j, const double* r_ij, const double grad[3]) {
        if (!forces_.empty() && i != j) {
            double* force = forces_.data() + static_cast<size_t>(thread) * 3 * n_atoms_;
            for (int x = 0; x < 3; ++x) {
                force[3 * j + x] += grad[x];
                force[3 * i + x] -= grad[x];
            }
        }
        double* strain = strains_.data() + static_cast<size_t>(thread) * 9;
        for (int x = 0; x < 3; ++x)
            for (int y = 0; y < 3; ++y) strain[3 * x + y] += r_ij[x] * grad[y];
    }

    // Adds the sums to positions [3 n_atoms] and strain [9] (either may be null).
    void add_to(double* positions, double* strain) const {
        const size_t threads = strains_.size() / 9;
        for (size_t th = 0; th < threads; ++th) {
            if (positions && !forces_.empty())
                for (size_t k = 0; k < 3 * n_atoms_; ++k) positions[k] += forces_[th * 3 * n_atoms_ + k];
            if (strain)
                for (int k = 0; k < 9; ++k) strain[k] += strains_[th * 9 + static_cast<size_t>(k)];
        }
    }

private:
    size_t n_atoms_;
    std::vector<double> forces_, strains_;
};

// One system's centres and the neighbour-type block of each of its atoms
// (-1 for atoms of a type that was not requested).
struct CenterLayout {
    const std::vector<int32_t>& centers;
    const std::vector<int>& type_block;
};

// Where compute writes one system: its rows of the result (null for what was
// not requested); positions rows follow partner_start/partners.
struct ComputeOutput {
    double* values = nullptr;
    double* positions = nullptr;
    const std::vector<size_t>* partner_start = nullptr;
    const std::vector<int32_t>* partners = nullptr;
    double* strain = nullptr;
    double* cell = nullptr;
};

// Where backward adds one system's dL/dr ([atom][xyz]) and dL/dstrain (3 x 3);
// null for what was not requested.
struct BackwardOutput {
    double* positions = nullptr;
    double* strain = nullptr;
};

class Engine {
public:
    explicit Engine(const LodeExpansionHypers& hypers);
    ~Engine();

    const LodeExpansionHypers& hypers() const { return hypers_; }

    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const;
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dvalues) const;
    LodeMethodParameters parameters(const System& system, bool gradients) const;
    // LodeSphericalExpansion::compute_contracted / backward_contracted
    bool compute_contracted(const std::vector<System>& systems, const ExpansionRequest& request,
                            const ChannelContraction& contraction, double* values) const;
    bool backward_contracted(const std::vector<System>& systems, const ExpansionRequest& request,
                             const ChannelContraction& contraction, const double* dl_dvalues,
                             BackwardResult& result) const;

private:
    // The mesh parameters of every system when all of them are computed on
    // the mesh (what the contracted evaluation needs), else nothing.
    std::optional<std::vector<LodeMethodParameters>> contracted_mesh_methods(const std::vector<System>& systems,
                                                                             const ExpansionRequest& request,
                                                                             const ChannelContraction& contraction) const;
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

    // compute() without the values cache.
    ExpansionResult evaluate(const std::vector<System>& systems, const ExpansionRequest& request) const;
    // Particle-mesh evaluation (mesh.cpp) of the same k sum, of the
    // contracted channels when `contraction` is not null (values and adjoint
    // then laid out [centre][l m][k]). Returns what backward_mesh reuses for
    // the same system, or null when it would not fit in `cache_budget` bytes
    // (decremented by what it keeps).
    struct MeshCache;
    // The k-space part of the mesh evaluation that depends on the cell, mesh
    // and contraction only (mesh.cpp): that of the last of them, cached (in
    // NVT MD only the positions change; it took ~2 % of a 1728-ion step).
    std::shared_ptr<const MeshKSpace> mesh_kspace(const System& system, int n_types, const LodeMethodParameters& method,
                                                  const ChannelContraction* contraction) const;
    mutable std::mutex mesh_kspace_mutex_;
    mutable std::shared_ptr<const MeshKSpace> mesh_kspace_;
    std::shared_ptr<const MeshCache> compute_mesh(const System& system, const ExpansionRequest& request,
                                                  const CenterLayout& layout, const LodeMethodParameters& method,
                                                  const ChannelContraction* contraction, double* values,
                                                  size_t& cache_budget) const;
    void backward_mesh(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                       const LodeMethodParameters& method, const ChannelContraction* contraction,
                       const double* adjoint, const BackwardOutput& out) const;
    // The k = 0 term of every centre's row, [t][n] (the l = 0 columns; all
    // zero unless the potential's k = 0 limit is finite): per atom of a
    // neighbour type times that type's atom count.
    std::vector<double> zero_term(const System& system, const std::vector<int>& type_block, int n_types) const;
    void compute_periodic(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                          const ComputeOutput& out) const;
    void backward_periodic(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                           const double* adjoint, const BackwardOutput& out) const;
    // out.cell is not used: the cell gradient of a molecule is zero.
    void compute_molecule(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                          const ComputeOutput& out) const;
    void backward_molecule(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                           const double* adjoint, const BackwardOutput& out) const;
    // The exclusion of the near field (near_field.cpp; hypers_.exclusion_radius > 0).
    void subtract_near_field(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                             const ComputeOutput& out) const;
    void backward_near_field(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                             const double* adjoint, const BackwardOutput& out) const;
    // Range separation (split.cpp): the k-space part of a larger smearing
    // (an inner engine), the pair sum of the difference and the k = 0 term
    // of the difference, tuned per density (split_tuning.hpp).
    struct SplitPlan;
    std::shared_ptr<const SplitPlan> split_plan(const System& system, int n_types) const;
    LodeMethodParameters split_parameters(const System& system, int n_types) const;
    // Whether the band limit k_cutoff leaves out less than `accuracy` of the
    // field (split_tuning.hpp), so that 'split' and 'direct' agree.
    bool split_agrees(const System& system) const;
    void compute_split(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                       const ComputeOutput& out) const;
    void backward_split(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                        const double* adjoint, const BackwardOutput& out) const;
    mutable std::mutex split_mutex_;
    mutable std::shared_ptr<const SplitPlan> split_plan_;
    // Kernel tabulated at least up to `max_distance` (cached between calls).
    std::shared_ptr<const RealSpaceKernel> real_space_kernel(double max_distance) const;
    // Adds the self terms (the k = 0 term is not among them) and the
    // centre-weight correction to one centre's row.
    void add_center_terms(double* row, int center_block, int n_types) const;

    LodeExpansionHypers hypers_;
    SphericalHarmonics harmonics_;
    std::unique_ptr<LodeRadialIntegral> radial_;
    std::unique_ptr<Potential> potential_;
    std::vector<double> center_correction_;  // -(1 - w) x centre contribution, [n]

    mutable std::mutex kernel_mutex_;
    mutable std::shared_ptr<const RealSpaceKernel> kernel_;
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
    // The result of the last values-only compute(), kept as the mesh's is
    // (after a first backward(), up to kValuesCacheBytes): a model that needs
    // its features before its adjoint (a kernel model: compute(), then
    // backward(), whose products compute the values again) evaluates the
    // field once per step.
    struct ValuesCache;
    mutable std::mutex values_cache_mutex_;
    mutable std::shared_ptr<const ValuesCache> values_cache_;
};

}  // namespace lodestone::lode
