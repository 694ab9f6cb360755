// LODE expansion: hypers, dispatch between periodic (k-space) and molecular
// (real-space, real_space.cpp) systems, and the k-space sums.
//
// Half space of k: k and -k give complex-conjugate terms, so with
// z_ia(k) = e^{ik.r_i} S_a(k) = sum_{j in a} e^{ik.(r_i - r_j)} and
// C(k) = (4 pi/V) G(k) I_nl(k) Y_lm(k^), C(-k) = (-1)^l C(k):
//   even l: 2 (-1)^(l/2)     C(k) Re z,
//   odd l:  2 (-1)^((l+1)/2) C(k) Im z.
// H[k][(l m n)] below is C(k) times that factor; structure factors are per
// neighbour type and shared by all centres.
#include "lodestone/features/lode/lode_expansion.hpp"

#include "features/lode/engine.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "features/lode/kshells.hpp"
#include "features/lode/kspace_rows.hpp"
#include "features/lode/potential.hpp"
#include "features/lode/split_tuning.hpp"
#include "math/gemm.hpp"
#include "features/lode/mesh.hpp"
#include "lodestone/core/error.hpp"
#include "math/kvectors.hpp"
#include "math/phases.hpp"
#include "core/simd.hpp"

namespace lodestone {

namespace {

constexpr double kY00 = 0.28209479177387814;  // 1 / sqrt(4 pi)

// (l m n) columns of one type block split by the parity of l: the even part
// multiplies Re z, the odd part Im z.
struct ParitySplit {
    std::vector<int> even_lm, even_n, odd_lm, odd_n;
    std::vector<int> even_l, odd_l;
    int Qe = 0, Qo = 0;

    ParitySplit(int L, int N) {
        for (int l = 0; l < L; ++l)
            for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm)
                for (int n = 0; n < N; ++n) {
                    if (l % 2 == 0) {
                        even_lm.push_back(lm);
                        even_n.push_back(n);
                        even_l.push_back(l);
                    } else {
                        odd_lm.push_back(lm);
                        odd_n.push_back(n);
                        odd_l.push_back(l);
                    }
                }
        Qe = static_cast<int>(even_lm.size());
        Qo = static_cast<int>(odd_lm.size());
    }
    // column of (parity entry q, type block t) in a row of P columns
    size_t even_column(int q, int t, int T, int N) const {
        return (static_cast<size_t>(even_lm[q]) * T + t) * N + even_n[q];
    }
    size_t odd_column(int q, int t, int T, int N) const {
        return (static_cast<size_t>(odd_lm[q]) * T + t) * N + odd_n[q];
    }
};

// k-vectors per block: few blocks (each costs a handful of barriers, slow
// when the machine is oversubscribed) within ~32 MB of per-block storage
// (phases of every atom, coefficients, per-thread adjoint sums).
size_t block_size(size_t n_k, size_t n_atoms, size_t P) {
    const size_t threads = static_cast<size_t>(std::max(1, omp_get_max_threads()));
    const size_t per_k = 16 * n_atoms + 64 * P + 16 * P * threads;
    const size_t target = (size_t(32) << 20) / std::max<size_t>(per_k, 1);
    return std::min(n_k, std::max<size_t>(64, target));
}

}  // namespace

lode::Engine::Engine(const LodeExpansionHypers& hypers)
    : hypers_(hypers), harmonics_(hypers.max_angular) {
    potential_ = std::make_unique<lode::Potential>(hypers_.exponent, hypers_.smearing);
    // 'split' sums the field to convergence; so do the real-space kernels it
    // shares with molecules and the exclusion once k_cutoff is that far out.
    const double converged = lode::kConvergedKSmearing / hypers_.smearing;
    if (hypers_.k_cutoff == 0.0) hypers_.k_cutoff = hypers_.method == "split" ? converged : 1.2 * M_PI / hypers_.smearing;
    if (!(hypers_.k_cutoff > 0.0) || !std::isfinite(hypers_.k_cutoff)) {
        throw Error("k_cutoff: expected a positive finite number (1/A), got " + format_number(hypers_.k_cutoff));
    }
    if (hypers_.split_smearing != 0.0 &&
        (hypers_.method != "split" || !(hypers_.split_smearing >= hypers_.smearing) ||
         !std::isfinite(hypers_.split_smearing))) {
        throw Error("split_smearing: expected, with method 'split' only, a finite smearing (A) of the k-space part "
                    "at least the density's smearing " + format_number(hypers_.smearing) + ", got " +
                    format_number(hypers_.split_smearing) + " with method '" + hypers_.method + "'");
    }
    if (hypers_.method == "split" && hypers_.k_cutoff < converged * (1.0 - 1e-12)) {
        throw Error("k_cutoff: method 'split' sums the field to convergence, k_cutoff must be unset or at least " +
                    format_number(lode::kConvergedKSmearing) + " / smearing = " + format_number(converged) +
                    " 1/A, got " + format_number(hypers_.k_cutoff));
    }
    if (!(hypers_.radial_radius > 0.0) || !std::isfinite(hypers_.radial_radius)) {
        throw Error("basis.radial.radius: expected a positive finite number (A), got " +
                    format_number(hypers_.radial_radius));
    }
    if (!std::isfinite(hypers_.center_atom_weight)) {
        throw Error("center_atom_weight must be a finite number, got " + format_number(hypers_.center_atom_weight));
    }
    if (!(hypers_.exclusion_radius >= 0.0) || !std::isfinite(hypers_.exclusion_radius)) {
        throw Error("exclusion.radius: expected a finite number >= 0 (A), got " + format_number(hypers_.exclusion_radius));
    }
    if (hypers_.exclusion_radius > 0.0 &&
        !(hypers_.exclusion_width > 0.0 && hypers_.exclusion_width <= hypers_.exclusion_radius)) {
        throw Error("exclusion.width: expected a number in (0, radius = " + format_number(hypers_.exclusion_radius) +
                    "] (A), got " + format_number(hypers_.exclusion_width));
    }
    validate_lode_mesh_request(lode::mesh_request(hypers_, true));
    radial_ = std::make_unique<LodeRadialIntegral>(hypers_.max_radial, hypers_.radial_radius, hypers_.max_angular,
                                                   hypers_.k_cutoff, hypers_.spline_accuracy);
    const int N = hypers_.max_radial + 1;
    center_correction_.assign(static_cast<size_t>(N), 0.0);
    // With the near field excluded, the centre's own (band-limited) field goes
    // with it, whatever its weight (near_field.cpp).
    const double removed = hypers_.exclusion_radius > 0.0 ? 0.0 : 1.0 - hypers_.center_atom_weight;
    if (removed != 0.0) {
        std::vector<double> own = lode_center_contribution(radial_->basis(), hypers_.exponent, hypers_.smearing);
        for (int n = 0; n < N; ++n) center_correction_[n] = -removed * own[n];
    }
}

lode::Engine::~Engine() = default;

LodeSphericalExpansion::LodeSphericalExpansion(const LodeExpansionHypers& hypers)
    : engine_(std::make_unique<lode::Engine>(hypers)) {}

LodeSphericalExpansion::~LodeSphericalExpansion() = default;

const LodeExpansionHypers& LodeSphericalExpansion::hypers() const { return engine_->hypers(); }
int LodeSphericalExpansion::max_angular() const { return engine_->hypers().max_angular; }
int LodeSphericalExpansion::max_radial() const { return engine_->hypers().max_radial; }

ExpansionResult LodeSphericalExpansion::compute(const std::vector<System>& systems,
                                                const ExpansionRequest& request) const {
    return engine_->compute(systems, request);
}

BackwardResult LodeSphericalExpansion::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                                const double* dl_dvalues) const {
    return engine_->backward(systems, request, dl_dvalues);
}

bool LodeSphericalExpansion::compute_contracted(const std::vector<System>& systems, const ExpansionRequest& request,
                                                const ChannelContraction& contraction, double* values) const {
    return engine_->compute_contracted(systems, request, contraction, values);
}

bool LodeSphericalExpansion::backward_contracted(const std::vector<System>& systems, const ExpansionRequest& request,
                                                 const ChannelContraction& contraction, const double* dl_dvalues,
                                                 BackwardResult& result) const {
    return engine_->backward_contracted(systems, request, contraction, dl_dvalues, result);
}

LodeMethodParameters LodeSphericalExpansion::parameters(const System& system, bool gradients) const {
    return engine_->parameters(system, gradients);
}

std::vector<double> lode::Engine::zero_term(const System& system, const std::vector<int>& type_block,
                                                     int n_types) const {
    const int N = hypers_.max_radial + 1;
    std::vector<double> zero(static_cast<size_t>(n_types) * N, 0.0);
    if (!potential_->has_zero_term()) return zero;
    std::vector<int> count(static_cast<size_t>(n_types), 0);
    for (int b : type_block)
        if (b >= 0) count[static_cast<size_t>(b)]++;
    std::vector<double> at_zero(static_cast<size_t>((hypers_.max_angular + 1) * N));
    radial_->compute(0.0, at_zero.data(), nullptr);
    const double volume = std::abs(determinant3(system.cell));
    const double factor = 4.0 * M_PI / volume * potential_->fourier_at_zero() * kY00;
    for (int t = 0; t < n_types; ++t)
        for (int n = 0; n < N; ++n)
            zero[static_cast<size_t>(t) * N + n] = factor * at_zero[static_cast<size_t>(n)] * count[static_cast<size_t>(t)];
    return zero;
}

void lode::Engine::add_center_terms(double* row, int center_block, int n_types) const {
    if (center_block < 0 || hypers_.center_atom_weight == 1.0 || hypers_.exclusion_radius > 0.0) return;
    const int N = hypers_.max_radial + 1;
    double* block = row + static_cast<size_t>(center_block) * N;  // l = m = 0
    (void)n_types;
    for (int n = 0; n < N; ++n) block[n] += center_correction_[n];
}

namespace {

enum class Geometry { Periodic, Molecule };

Geometry geometry_of(const System& system, size_t s) {
    const bool all = system.pbc[0] && system.pbc[1] && system.pbc[2];
    if (all) return Geometry::Periodic;
    if (!system.periodic()) return Geometry::Molecule;
    throw Error("systems[" + std::to_string(s) +
                "]: LODE supports fully periodic systems (pbc on all three axes) or molecules (no pbc); "
                "mixed periodic boundary conditions are not supported");
}

constexpr size_t kValuesCacheBytes = size_t(64) << 20;

bool same_systems(const std::vector<System>& a, const std::vector<System>& b) {
    if (a.size() != b.size()) return false;
    for (size_t s = 0; s < a.size(); ++s) {
        if (a[s].positions != b[s].positions || a[s].types != b[s].types || a[s].has_cell != b[s].has_cell ||
            a[s].cell != b[s].cell || a[s].pbc != b[s].pbc) {
            return false;
        }
    }
    return true;
}

bool values_only(const ExpansionRequest& r) { return !r.positions && !r.strain && !r.cell && !r.sum_centers; }

}  // namespace

struct lode::Engine::ValuesCache {
    std::vector<System> systems;
    ExpansionRequest request;
    ExpansionResult result;
};

ExpansionResult lode::Engine::compute(const std::vector<System>& systems,
                                                const ExpansionRequest& request) const {
    validate_systems(systems);
    validate_request(systems, request);
    for (size_t s = 0; s < systems.size(); ++s) geometry_of(systems[s], s);
    const bool keep = values_only(request) && backward_seen_.load();
    if (keep) {
        std::shared_ptr<const ValuesCache> cached;
        {
            std::lock_guard<std::mutex> lock(values_cache_mutex_);
            cached = values_cache_;
        }
        if (cached && cached->request.centers == request.centers && cached->request.neighbor_types == request.neighbor_types &&
            same_systems(cached->systems, systems)) {
            return cached->result;
        }
    }
    ExpansionResult result = evaluate(systems, request);
    if (keep && result.values.size() * sizeof(double) <= kValuesCacheBytes) {
        auto cache = std::make_shared<const ValuesCache>(ValuesCache{systems, request, result});
        std::lock_guard<std::mutex> lock(values_cache_mutex_);
        values_cache_ = std::move(cache);
    }
    return result;
}

ExpansionResult lode::Engine::evaluate(const std::vector<System>& systems, const ExpansionRequest& request) const {
    const bool gradients = request.positions || request.strain || request.cell;
    if (gradients && hypers_.method == "mesh") {
        throw Error("method 'mesh': compute() gives values only (use backward() for forces and stress); "
                    "positions, strain or cell gradients need method 'direct'");
    }

    const int L = hypers_.max_angular + 1;
    const int LM = L * L;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(LM) * T * N;

    ExpansionResult result;
    SampleLayout layout = start_result(systems, request, hypers_.max_angular, hypers_.max_radial, result);
    const std::vector<std::vector<int32_t>>& all_centers = layout.centers;
    const std::vector<size_t>& sample_start = layout.sample_start;

    // Gradient rows: every centre with itself and every atom of a requested
    // type (the field at any centre depends on all of them), ascending.
    std::vector<std::vector<size_t>> partner_starts(systems.size());
    std::vector<std::vector<int32_t>> partner_lists(systems.size());
    std::vector<size_t> grad_base(systems.size() + 1, 0);
    if (request.positions) {
        for (size_t s = 0; s < systems.size(); ++s) {
            const std::vector<int> block = type_blocks(systems[s], request.neighbor_types);
            auto& start = partner_starts[s];
            auto& list = partner_lists[s];
            start.assign(1, 0);
            for (int32_t i : all_centers[s]) {
                for (size_t j = 0; j < systems[s].size(); ++j) {
                    if (static_cast<int32_t>(j) == i || block[j] >= 0) list.push_back(static_cast<int32_t>(j));
                }
                start.push_back(list.size());
            }
            grad_base[s + 1] = grad_base[s] + list.size();
        }
        const size_t rows = grad_base.back();
        const double bytes = static_cast<double>(rows) * 3.0 * static_cast<double>(P) * 8.0;
        if (bytes > 64e9) {
            throw Error("positions gradient: the full LODE gradient tensor would need " +
                        format_number(std::round(bytes / 1e9)) +
                        " GB (every atom moves every centre); use backward() for forces instead");
        }
        result.positions_gradient_samples.resize(3 * rows);
        result.positions_gradient.resize(rows * 3 * P);
        for (size_t s = 0; s < systems.size(); ++s) {
            for (size_t c = 0; c < all_centers[s].size(); ++c) {
                for (size_t k = partner_starts[s][c]; k < partner_starts[s][c + 1]; ++k) {
                    int32_t* row = &result.positions_gradient_samples[3 * (grad_base[s] + k)];
                    row[0] = static_cast<int32_t>(sample_start[s] + c);
                    row[1] = static_cast<int32_t>(s);
                    row[2] = partner_lists[s][k];
                }
            }
        }
    }

    std::vector<std::shared_ptr<const MeshCache>> mesh_caches;
    size_t cache_budget = lode::kMeshCacheBytes;
    for (size_t s = 0; s < systems.size(); ++s) {
        const System& system = systems[s];
        const auto& centers = all_centers[s];
        const std::vector<int> block = type_blocks(system, request.neighbor_types);
        for (size_t c = 0; c < centers.size(); ++c) {
            result.samples[2 * (sample_start[s] + c)] = static_cast<int32_t>(s);
            result.samples[2 * (sample_start[s] + c) + 1] = centers[c];
        }
        double* values = &result.values[sample_start[s] * P];
        double* pos = request.positions ? &result.positions_gradient[grad_base[s] * 3 * P] : nullptr;
        double* strain = request.strain ? &result.strain_gradient[sample_start[s] * 9 * P] : nullptr;
        double* cell = request.cell ? &result.cell_gradient[sample_start[s] * 9 * P] : nullptr;
        const LodeMethodParameters method =
            geometry_of(system, s) == Geometry::Periodic && hypers_.method != "direct" ? parameters(system, gradients)
                                                                                        : LodeMethodParameters{};
        const lode::CenterLayout layout{centers, block};
        const lode::ComputeOutput out{values, pos, &partner_starts[s], &partner_lists[s], strain, cell};
        const bool periodic = geometry_of(system, s) == Geometry::Periodic;
        if (method.method == "mesh") {
            if (auto cache = compute_mesh(system, request, layout, method, nullptr, values, cache_budget))
                mesh_caches.push_back(cache);
        } else if (method.method == "split") {
            compute_split(system, request, layout, out);
        } else if (periodic) {
            compute_periodic(system, request, layout, out);
        } else {
            compute_molecule(system, request, layout, out);
            // no cell: the cell gradient of a molecule is zero
            if (cell) std::fill(cell, cell + centers.size() * 9 * P, 0.0);
        }
        if (hypers_.exclusion_radius > 0.0) {
            lode::ComputeOutput near = out;
            if (!periodic) near.cell = nullptr;
            subtract_near_field(system, request, layout, near);
        }
    }
    if (!mesh_caches.empty()) {
        std::lock_guard<std::mutex> lock(mesh_cache_mutex_);
        mesh_cache_ = std::move(mesh_caches);
    }
    return result;
}

BackwardResult lode::Engine::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                                const double* dl_dvalues) const {
    validate_systems(systems);
    validate_request(systems, request);
    backward_seen_.store(true);
    for (size_t s = 0; s < systems.size(); ++s) geometry_of(systems[s], s);
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;

    BackwardResult result = zero_backward(systems, request);
    if (!request.positions && !request.strain) return result;

    size_t atom_base = 0, sample_base = 0;
    for (size_t s = 0; s < systems.size(); ++s) {
        const System& system = systems[s];
        const std::vector<int32_t> centers = request_centers(systems, request, s);
        const std::vector<int> block = type_blocks(system, request.neighbor_types);
        const double* adjoint = dl_dvalues + sample_base * P;
        double* positions = request.positions ? &result.positions[3 * atom_base] : nullptr;
        double* strain = request.strain ? &result.strain[9 * s] : nullptr;
        const LodeMethodParameters method =
            geometry_of(system, s) == Geometry::Periodic && hypers_.method != "direct" ? parameters(system, false)
                                                                                        : LodeMethodParameters{};
        const lode::CenterLayout layout{centers, block};
        const lode::BackwardOutput out{positions, strain};
        if (method.method == "mesh") {
            backward_mesh(system, request, layout, method, nullptr, adjoint, out);
        } else if (method.method == "split") {
            backward_split(system, request, layout, adjoint, out);
        } else if (geometry_of(system, s) == Geometry::Periodic) {
            backward_periodic(system, request, layout, adjoint, out);
        } else {
            backward_molecule(system, request, layout, adjoint, out);
        }
        if (hypers_.exclusion_radius > 0.0) backward_near_field(system, request, layout, adjoint, out);
        atom_base += system.size();
        sample_base += centers.size();
    }
    return result;
}

// The mesh parameters of every system, or nothing when one of them is not
// computed on the mesh (molecules, small cells, method 'direct' or 'split')
// or the near field is excluded: the contracted evaluation then declines.
// The choice is the plain expansion's: with K channels per l the mesh
// transforms fewer channels, but its k-space rows mix every type into each
// (measured with 4 species at 512 ions, K = 8 of 24: the direct sum was
// still faster, as 'auto' chooses without the contraction).
std::optional<std::vector<LodeMethodParameters>> lode::Engine::contracted_mesh_methods(
    const std::vector<System>& systems, const ExpansionRequest& request, const ChannelContraction& contraction) const {
    validate_systems(systems);
    validate_request(systems, request);
    const int width = static_cast<int>(request.neighbor_types.size()) * (hypers_.max_radial + 1);
    if (contraction.width != width || contraction.channels < 1 || !contraction.matrices) {
        throw Error("contracted LODE expansion: expected matrices of width " + std::to_string(width) +
                    " (types x radial functions) and at least one channel, got width " +
                    std::to_string(contraction.width) + " and " + std::to_string(contraction.channels) + " channels");
    }
    if (hypers_.method == "direct" || hypers_.method == "split" || hypers_.exclusion_radius > 0.0) return std::nullopt;
    std::vector<LodeMethodParameters> methods;
    for (size_t s = 0; s < systems.size(); ++s) {
        if (geometry_of(systems[s], s) != Geometry::Periodic) return std::nullopt;
        methods.push_back(parameters(systems[s], false));
        if (methods.back().method != "mesh") return std::nullopt;
    }
    return methods;
}

bool lode::Engine::compute_contracted(const std::vector<System>& systems, const ExpansionRequest& request,
                                      const ChannelContraction& contraction, double* values) const {
    if (request.positions || request.strain || request.cell) return false;
    const auto methods = contracted_mesh_methods(systems, request, contraction);
    if (!methods) return false;
    const int L = hypers_.max_angular + 1;
    const size_t P = static_cast<size_t>(L * L) * static_cast<size_t>(contraction.channels);
    std::vector<std::shared_ptr<const MeshCache>> mesh_caches;
    size_t cache_budget = lode::kMeshCacheBytes;
    size_t sample = 0;
    for (size_t s = 0; s < systems.size(); ++s) {
        const std::vector<int32_t> centers = request_centers(systems, request, s);
        const std::vector<int> block = type_blocks(systems[s], request.neighbor_types);
        const lode::CenterLayout layout{centers, block};
        if (auto cache = compute_mesh(systems[s], request, layout, (*methods)[s], &contraction, values + sample * P,
                                      cache_budget))
            mesh_caches.push_back(cache);
        sample += centers.size();
    }
    if (!mesh_caches.empty()) {
        std::lock_guard<std::mutex> lock(mesh_cache_mutex_);
        mesh_cache_ = std::move(mesh_caches);
    }
    return true;
}

bool lode::Engine::backward_contracted(const std::vector<System>& systems, const ExpansionRequest& request,
                                       const ChannelContraction& contraction, const double* dl_dvalues,
                                       BackwardResult& result) const {
    const auto methods = contracted_mesh_methods(systems, request, contraction);
    if (!methods) return false;
    const int L = hypers_.max_angular + 1;
    const size_t P = static_cast<size_t>(L * L) * static_cast<size_t>(contraction.channels);
    result = zero_backward(systems, request);
    if (!request.positions && !request.strain) return true;
    size_t atom_base = 0, sample = 0;
    for (size_t s = 0; s < systems.size(); ++s) {
        const std::vector<int32_t> centers = request_centers(systems, request, s);
        const std::vector<int> block = type_blocks(systems[s], request.neighbor_types);
        const lode::CenterLayout layout{centers, block};
        const lode::BackwardOutput out{request.positions ? &result.positions[3 * atom_base] : nullptr,
                                       request.strain ? &result.strain[9 * s] : nullptr};
        backward_mesh(systems[s], request, layout, (*methods)[s], &contraction, dl_dvalues + sample * P, out);
        atom_base += systems[s].size();
        sample += centers.size();
    }
    return true;
}

// ---------------------------------------------------------------------------
// k-space

namespace {

// Everything of one periodic system that does not depend on the centre.
struct KSpace {
    std::array<double, 9> cell{}, inverse{};
    double volume = 0.0;
    const KVectors* kv = nullptr;  // owned by the k-space cache entry
    std::unique_ptr<PhaseTables> phases;
    std::vector<double> zero;  // lode::Engine::zero_term
};

KSpace make_kspace(const System& system, const KVectors& kv, std::vector<double> zero) {
    KSpace ks;
    ks.cell = system.cell;
    ks.inverse = inverse3(system.cell);
    ks.volume = std::abs(determinant3(system.cell));
    ks.kv = &kv;
    ks.phases = std::make_unique<PhaseTables>(system, kv);
    ks.zero = std::move(zero);
    return ks;
}

// A block's k-vectors and structure factors with k as the inner index, for
// the loops over k of one row (kspace_rows.hpp).
struct BlockColumns {
    std::vector<double> k;       // [x][k]
    std::vector<double> sr, si;  // [t][k]
};

// Phases and structure factors of one block of k-vectors.
struct KBlock {
    size_t begin = 0, size = 0;
    std::vector<double> pr, pi;    // phases [atom][kb]
    std::vector<double> sr, si;    // S_t(k) = sum_{j in t} e^{-ik.r_j}: [kb][t]
    std::vector<double> rr, ri;    // R_t(k) = sum_{j in t} r_j e^{-ik.r_j}: [kb][t][xyz]
    std::vector<double> thread_sums;  // each thread's part of sr, si, rr, ri, added in thread order
    BlockColumns columns;             // k and S_t by column
    // What the phases above were computed for: a values pass and the
    // backward pass of the same step (MD) share them.
    struct Key {
        uint64_t k_set = 0;  // KCache::id, 0: none yet
        size_t begin = 0, size = 0;
        std::vector<double> positions;
        std::array<double, 9> cell{};
        std::vector<int> type_block;
        int T = 0;
        bool weighted = false;
    } key;
    bool reused = false;  // this call kept the phases of the last
};

// Row length of one parity's coefficients: zero columns up to a multiple of
// 4 let every product run in vector tiles (Q = 90 or 60 otherwise leaves
// scalar remainder columns that cost as much as a third of the rest).
int padded(int q) { return (q + 3) & ~3; }

// H[k][q] of each parity and dH/dk_x for k-vectors [begin, begin + size).
struct KCoefficients {
    size_t begin = 0, size = 0;
    int Qep = 0, Qop = 0;          // padded row lengths
    bool derivatives = false;
    std::vector<double> he, ho;    // [k][Qep], [k][Qop]
    std::vector<double> dhe, dho;  // [k][x][Qep], [k][x][Qop]
};

// What H(k) is made of.
struct CoefficientInputs {
    const KVectors& kv;
    double volume;
    const ParitySplit& split;
    int L, N;
    const lode::Potential& potential;
    const LodeRadialIntegral& radial;
    const SphericalHarmonics& harmonics;
};

// The rows of the current block in a set of coefficients (the cached set of
// every k-vector, or the block's own).
struct BlockCoefficients {
    const double* he = nullptr;
    const double* ho = nullptr;
    const double* dhe = nullptr;  // null without derivatives
    const double* dho = nullptr;
};

BlockCoefficients block_rows(const KCoefficients& co, size_t begin, bool derivatives) {
    const size_t off = begin - co.begin;
    BlockCoefficients h;
    h.he = co.he.data() + off * co.Qep;
    h.ho = co.ho.data() + off * co.Qop;
    h.dhe = derivatives ? co.dhe.data() + off * 3 * co.Qep : nullptr;
    h.dho = derivatives ? co.dho.data() + off * 3 * co.Qop : nullptr;
    return h;
}

// One periodic system's k sum: sizes, the parity split of the columns and
// what does not depend on the block, shared by the steps of compute and
// backward.
struct KSum {
    KSum(const System& system, const lode::CenterLayout& layout, const LodeExpansionHypers& hypers, int T,
         const KVectors& kv, std::vector<double> zero)
        : system(system), centers(layout.centers), type_block(layout.type_block), L(hypers.max_angular + 1),
          N(hypers.max_radial + 1), T(T), P(static_cast<size_t>(L * L) * T * N), split(L, N), Qep(padded(split.Qe)),
          Qop(padded(split.Qo)), kv(kv), ks(make_kspace(system, kv, std::move(zero))),
          block(block_size(kv.size(), system.size(), P)) {}

    const System& system;
    const std::vector<int32_t>& centers;
    const std::vector<int>& type_block;
    int L, N, T;
    size_t P;
    ParitySplit split;
    int Qep, Qop;  // padded row lengths of each parity
    const KVectors& kv;
    KSpace ks;
    size_t block;  // k-vectors per block
    uint64_t k_set = 0;  // KCache::id of kv
    const lode::KShells* shells = nullptr;  // the values' and Gamma's products by shell, when kv has shells

    bool by_shell() const { return shells && shells->count() > 0; }
};

// Centres per chunk: the structure factors of a chunk (rows) times the
// coefficients of a block (columns) is one dense product per output.
constexpr size_t kChunkCenters = 8;
// Partner atoms per chunk of the full positions gradient.
constexpr size_t kChunkPartners = 32;
// k-vectors per chunk of backward's strain pass.
constexpr size_t kChunkKVectors = 16;

// Centres [first, first + count) of one chunk, `rows` (centre, type) pairs.
struct Chunk {
    size_t first = 0, count = 0;
    int rows = 0;
};

Chunk chunk_of(int64_t chunk, size_t n_centers, int T) {
    Chunk ch;
    ch.first = static_cast<size_t>(chunk) * kChunkCenters;
    ch.count = std::min(kChunkCenters, n_centers - ch.first);
    ch.rows = static_cast<int>(ch.count) * T;
    return ch;
}

// A thread's buffers for one chunk of compute_periodic: rows are the chunk's
// (centre, type) pairs, columns a block's k-vectors or one parity's
// coefficients.
struct ChunkValues {
    std::vector<double> factor_re, factor_im;  // Re, Im of e^{ik.r_i} S_t(k): [row][k]
    std::vector<double> even, odd;             // the rows' value columns of each parity: [row][q]
};
struct ChunkGradients {
    std::vector<double> strain_factor_re, strain_factor_im;  // -k_y factor_re, -k_y factor_im: [row][y][k]
    std::vector<double> strain_even, strain_odd;             // [row][y][x][q]
    std::vector<double> cell_factor_even, cell_factor_odd;   // k_y Im Z_x, -k_y Re Z_x: [row][x y][k]
    std::vector<double> cell_even, cell_odd;                 // [row][x y][q]
    std::vector<double> pair_sin, pair_minus_cos;            // sin, -cos of k.(r_i - r_j): [partner][k]
    std::vector<double> pair_even, pair_odd;                 // d v_i / d r_j of a chunk of partners: [partner][x][q]
};
// The values' buffers are kept between calls (kept<>); the gradients' are
// per call, as only gradient requests need them.
struct ChunkBuffers {
    ChunkValues& values;
    ChunkGradients gradients;
};

// k_x H of a block per parity, [k][x][q]: the positions gradient is
// sum_k (trig) k_x H.
struct KTimesH {
    std::vector<double> even, odd;
};

// The adjoint rows g_c[t][q] split by parity, as [c][t][q] (rows padded with
// zeros) and transposed, [q][c][t].
struct AdjointByParity {
    std::vector<double> even, odd;
    std::vector<double> even_by_q, odd_by_q;
};

// A thread's buffers of backward_periodic.
struct BackwardBuffers {
    std::vector<double> gamma_even, gamma_odd;  // Gamma^e, Gamma^o of a chunk of centres: [k][c][t]
    std::vector<double> rows_even, rows_odd;    // the same by row: [c][t][k]
    std::vector<double> factor_re, factor_im;   // Re, Im A_ct(k) of a chunk of k-vectors: [k][c][t]
    std::vector<double> z_even, z_odd;          // Z_q(k) of that chunk: [k][q]
};

// U_t(k) = sum_c gamma_ct(k) e^{ik.r_c} of a block: each thread's part
// ([thread][t][re im][k]), then their sum.
struct UFactors {
    std::vector<double> thread_parts, re, im;  // re, im: [t][k]
};

// What the steps of backward_periodic share.
struct AdjointSum {
    const KSum& sum;
    const AdjointByParity& adjoint;
    UFactors& u;
    double* force;  // dL/dr, [atom][xyz]; null without positions
};

// Buffers kept by each thread between calls, one per type: fresh
// multi-megabyte vectors in every call cost page faults comparable to the
// arithmetic, and a thread of a team waits for the one that takes them at
// every barrier. Each holds one live use at a time (compute and backward do
// not nest).
template <class Scratch>
Scratch& kept() {
    thread_local Scratch scratch;
    return scratch;
}

// Coefficients of the k-vectors are kept with the cell when within this size
// (every later call with the same cell reuses them: NVT MD, compute then
// backward); larger sets are computed block by block in every call.
constexpr size_t kCoefficientCacheBytes = size_t(64) << 20;

// Sum of x[i] y[i] over n = 4 m entries in four interleaved partial sums (a
// fixed order: the result does not depend on the thread that computes it).
LODESTONE_MULTIVERSION
double dot4(int n, const double* x, const double* y) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int i = 0; i < n; i += 4) {
        s0 += x[i] * y[i];
        s1 += x[i + 1] * y[i + 1];
        s2 += x[i + 2] * y[i + 2];
        s3 += x[i + 3] * y[i + 3];
    }
    return (s0 + s1) + (s2 + s3);
}

// Fills H (and dH when `derivatives`) for k-vectors [begin, begin + size);
// inside a parallel region (or alone, serially).
void fill_coefficients(KCoefficients& co, const CoefficientInputs& in, size_t begin, size_t size, bool derivatives) {
    const KVectors& kv = in.kv;
    const ParitySplit& split = in.split;
    const int L = in.L, N = in.N;
    const int LM = L * L;
    const int Qe = split.Qe, Qo = split.Qo;
    const int Qep = padded(Qe), Qop = padded(Qo);
#pragma omp single
    {
        co.begin = begin;
        co.size = size;
        co.Qep = Qep;
        co.Qop = Qop;
        co.derivatives = derivatives;
        co.he.assign(size * Qep, 0.0);
        co.ho.assign(size * Qop, 0.0);
        co.dhe.assign(derivatives ? size * 3 * Qep : 0, 0.0);
        co.dho.assign(derivatives ? size * 3 * Qop : 0, 0.0);
    }
    double parity[32];
    for (int l = 0; l < L; ++l) parity[l] = lode::k_sum_factor(l, in.volume);
#pragma omp for schedule(static)
    for (int64_t kk = 0; kk < static_cast<int64_t>(size); ++kk) {
        thread_local std::vector<double> I, dI, Y, dY;
        I.resize(static_cast<size_t>(L * N));
        dI.resize(static_cast<size_t>(L * N));
        Y.resize(static_cast<size_t>(LM));
        dY.resize(static_cast<size_t>(3 * LM));
        const size_t kb = static_cast<size_t>(kk);
        const size_t k = begin + kb;
        const double knorm = kv.norm[k];
        const double u[3] = {kv.k[3 * k] / knorm, kv.k[3 * k + 1] / knorm, kv.k[3 * k + 2] / knorm};
        in.radial.compute(knorm, I.data(), derivatives ? dI.data() : nullptr);
        in.harmonics.compute(u, Y.data(), derivatives ? dY.data() : nullptr);
        const double G = in.potential.fourier(knorm);
        const double dG = derivatives ? in.potential.d_fourier(knorm) : 0.0;
        double* he = &co.he[kb * Qep];
        double* ho = &co.ho[kb * Qop];
        for (int q = 0; q < Qe; ++q) {
            const int l = split.even_l[q], lm = split.even_lm[q], n = split.even_n[q];
            he[q] = parity[l] * G * I[l * N + n] * Y[lm];
        }
        for (int q = 0; q < Qo; ++q) {
            const int l = split.odd_l[q], lm = split.odd_lm[q], n = split.odd_n[q];
            ho[q] = parity[l] * G * I[l * N + n] * Y[lm];
        }
        if (derivatives) {
            // d/dk_x [G I Y] = (G I)' u_x Y + G I dY_x / |k|
            const double inv = 1.0 / knorm;
            for (int x = 0; x < 3; ++x) {
                double* dhe = &co.dhe[(kb * 3 + x) * Qep];
                double* dho = &co.dho[(kb * 3 + x) * Qop];
                for (int q = 0; q < Qe; ++q) {
                    const int l = split.even_l[q], lm = split.even_lm[q], n = split.even_n[q];
                    const double gi = G * I[l * N + n], dgi = dG * I[l * N + n] + G * dI[l * N + n];
                    dhe[q] = parity[l] * (dgi * u[x] * Y[lm] + gi * dY[x * LM + lm] * inv);
                }
                for (int q = 0; q < Qo; ++q) {
                    const int l = split.odd_l[q], lm = split.odd_lm[q], n = split.odd_n[q];
                    const double gi = G * I[l * N + n], dgi = dG * I[l * N + n] + G * dI[l * N + n];
                    dho[q] = parity[l] * (dgi * u[x] * Y[lm] + gi * dY[x * LM + lm] * inv);
                }
            }
        }
    }
}

// The block of k-vectors from `begin` on; every thread sees it after the
// barrier of the single.
void start_block(KBlock& blk, const KSum& sum, size_t begin) {
#pragma omp single
    {
        blk.begin = begin;
        blk.size = std::min(sum.block, sum.kv.size() - begin);
    }
}

// Phases of every atom and the per-type structure factors of one block, with
// R_t when `weighted` (inside a parallel region; per-thread partial sums
// reduced in thread order).
void fill_block_phases(KBlock& blk, const KSum& sum, bool weighted) {
    const KSpace& ks = sum.ks;
    const System& system = sum.system;
    const std::vector<int>& type_block = sum.type_block;
    const int T = sum.T;
    std::vector<double>& partial = blk.thread_sums;
    const size_t n_atoms = system.size();
    const size_t KB = blk.size;
#pragma omp single
    {
        const KBlock::Key& key = blk.key;
        blk.reused = key.k_set == sum.k_set && key.begin == blk.begin && key.size == KB &&
                     (key.weighted || !weighted) && key.cell == system.cell && key.T == T && key.type_block == type_block &&
                     std::equal(key.positions.begin(), key.positions.end(), system.positions.begin(),
                                system.positions.end());
    }
    if (blk.reused) return;
#pragma omp single
    {
        blk.key.k_set = 0;  // until the phases below are complete
        blk.pr.resize(n_atoms * KB);
        blk.pi.resize(n_atoms * KB);
        blk.sr.assign(KB * T, 0.0);
        blk.si.assign(KB * T, 0.0);
        if (weighted) {
            blk.rr.assign(KB * T * 3, 0.0);
            blk.ri.assign(KB * T * 3, 0.0);
        }
        const size_t per_thread = KB * T * (weighted ? 8 : 2);
        partial.assign(per_thread * static_cast<size_t>(omp_get_num_threads()), 0.0);
    }
    const int tid = omp_get_thread_num();
    const size_t per_thread = KB * T * (weighted ? 8 : 2);
    double* mine = &partial[per_thread * static_cast<size_t>(tid)];
    double* sr = mine;
    double* si = mine + KB * T;
    double* rr = mine + 2 * KB * T;
    double* ri = mine + 5 * KB * T;
#pragma omp for schedule(static)
    for (int64_t jj = 0; jj < static_cast<int64_t>(n_atoms); ++jj) {
        const size_t j = static_cast<size_t>(jj);
        double* pr = &blk.pr[j * KB];
        double* pi = &blk.pi[j * KB];
        for (size_t kb = 0; kb < KB; ++kb) {
            const Complex p = ks.phases->phase(j, &ks.kv->m[3 * (blk.begin + kb)]);
            pr[kb] = p.re;
            pi[kb] = p.im;
        }
        const int t = type_block[j];
        if (t < 0) continue;
        for (size_t kb = 0; kb < KB; ++kb) {
            sr[kb * T + t] += pr[kb];
            si[kb * T + t] -= pi[kb];
        }
        if (weighted) {
            const double* r = &system.positions[3 * j];
            for (size_t kb = 0; kb < KB; ++kb)
                for (int x = 0; x < 3; ++x) {
                    rr[(kb * T + t) * 3 + x] += r[x] * pr[kb];
                    ri[(kb * T + t) * 3 + x] -= r[x] * pi[kb];
                }
        }
    }
    // implicit barrier of the omp for above
    const int n_threads = omp_get_num_threads();
#pragma omp for schedule(static)
    for (int64_t kk = 0; kk < static_cast<int64_t>(KB); ++kk) {
        const size_t kb = static_cast<size_t>(kk);
        for (int th = 0; th < n_threads; ++th) {
            const double* other = &partial[per_thread * static_cast<size_t>(th)];
            for (int t = 0; t < T; ++t) {
                blk.sr[kb * T + t] += other[kb * T + t];
                blk.si[kb * T + t] += other[KB * T + kb * T + t];
                if (weighted) {
                    for (int x = 0; x < 3; ++x) {
                        blk.rr[(kb * T + t) * 3 + x] += other[2 * KB * T + (kb * T + t) * 3 + x];
                        blk.ri[(kb * T + t) * 3 + x] += other[5 * KB * T + (kb * T + t) * 3 + x];
                    }
                }
            }
        }
    }
#pragma omp single
    {
        KBlock::Key& key = blk.key;
        key.begin = blk.begin;
        key.size = KB;
        key.positions = system.positions;
        key.cell = system.cell;
        key.type_block = type_block;
        key.T = T;
        key.weighted = weighted;
        key.k_set = sum.k_set;
    }
}

// The block's k-vectors and structure factors by column (inside a parallel
// region, after fill_block_phases).
void fill_block_columns(KBlock& blk, const KSum& sum) {
    BlockColumns& col = blk.columns;
    const int T = sum.T;
    const size_t nb = blk.size;
#pragma omp single
    {
        col.k.resize(3 * nb);
        col.sr.resize(static_cast<size_t>(T) * nb);
        col.si.resize(static_cast<size_t>(T) * nb);
        for (size_t kb = 0; kb < nb; ++kb) {
            for (int x = 0; x < 3; ++x) col.k[x * nb + kb] = sum.kv.k[3 * (blk.begin + kb) + x];
            for (int t = 0; t < T; ++t) {
                col.sr[t * nb + kb] = blk.sr[kb * T + t];
                col.si[t * nb + kb] = blk.si[kb * T + t];
            }
        }
    }
}

}  // namespace

struct lode::Engine::KCache {
    uint64_t id = 0;  // unique per cache entry, never 0
    std::array<double, 9> cell{};
    KVectors kv;  // sorted by length
    lode::KShells shells;
    KCoefficients coef;  // every k-vector, or none (size 0) when over kCoefficientCacheBytes
};

std::shared_ptr<const lode::Engine::KCache> lode::Engine::k_cache(
    const std::array<double, 9>& cell, bool derivatives) const {
    {
        std::lock_guard<std::mutex> lock(k_cache_mutex_);
        const std::shared_ptr<const KCache>& c = k_cache_;
        if (c && c->cell == cell && (!derivatives || c->coef.derivatives || c->coef.size == 0)) return c;
    }
    // built outside the lock: concurrent callers with other cells are not held up
    auto made = std::make_shared<KCache>();
    static std::atomic<uint64_t> next_id{1};
    made->id = next_id++;
    made->cell = cell;
    made->kv = half_space_kvectors(cell, hypers_.k_cutoff);
    if (made->kv.size() == 0) {
        throw Error("k_cutoff too small: no reciprocal lattice vector has 0 < |k| < k_cutoff = " +
                    format_number(hypers_.k_cutoff) +
                    " 1/A for this cell (the shortest is 2 pi / the longest cell height); increase k_cutoff");
    }
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    sort_by_length(made->kv);
    made->shells = lode::make_shells(made->kv, {L, N, std::abs(determinant3(cell)), *potential_, *radial_, harmonics_});
    const ParitySplit split(L, N);
    const size_t row = static_cast<size_t>(padded(split.Qe) + padded(split.Qo));
    const size_t bytes = made->kv.size() * row * (derivatives ? 4 : 1) * sizeof(double);
    if (bytes <= kCoefficientCacheBytes) {
        const CoefficientInputs inputs{made->kv, std::abs(determinant3(cell)), split, L, N, *potential_, *radial_,
                                       harmonics_};
        KCoefficients& co = made->coef;
        const size_t n_k = made->kv.size();
#pragma omp parallel
        fill_coefficients(co, inputs, 0, n_k, derivatives);
    }
    std::lock_guard<std::mutex> lock(k_cache_mutex_);
    k_cache_ = made;
    return made;
}

namespace {

// ---- compute_periodic's steps

// Zeroes the rows that the blocks accumulate into.
void zero_rows(const KSum& sum, const lode::ComputeOutput& out) {
    const size_t n_centers = sum.centers.size();
    const size_t P = sum.P;
    std::fill(out.values, out.values + n_centers * P, 0.0);
    if (out.strain) std::fill(out.strain, out.strain + n_centers * 9 * P, 0.0);
    if (out.cell) std::fill(out.cell, out.cell + n_centers * 9 * P, 0.0);
    if (out.positions) std::fill(out.positions, out.positions + out.partners->size() * 3 * P, 0.0);
}

void size_chunk_buffers(ChunkBuffers& buf, const KSum& sum, const lode::ComputeOutput& out) {
    const size_t rows = kChunkCenters * static_cast<size_t>(sum.T);
    const size_t KB = sum.block;
    const size_t Qep = static_cast<size_t>(sum.Qep), Qop = static_cast<size_t>(sum.Qop);
    ChunkValues& v = buf.values;
    v.factor_re.resize(rows * KB);
    v.factor_im.resize(rows * KB);
    v.even.resize(rows * Qep);
    v.odd.resize(rows * Qop);
    ChunkGradients& g = buf.gradients;
    if (out.strain || out.cell) {
        g.strain_factor_re.resize(3 * rows * KB);
        g.strain_factor_im.resize(3 * rows * KB);
        g.strain_even.resize(3 * rows * 3 * Qep);
        g.strain_odd.resize(3 * rows * 3 * Qop);
    }
    if (out.cell) {
        g.cell_factor_even.resize(9 * rows * KB);
        g.cell_factor_odd.resize(9 * rows * KB);
        g.cell_even.resize(9 * rows * Qep);
        g.cell_odd.resize(9 * rows * Qop);
    }
    if (out.positions) {
        g.pair_sin.resize(kChunkPartners * KB);
        g.pair_minus_cos.resize(kChunkPartners * KB);
        g.pair_even.resize(kChunkPartners * 3 * Qep);
        g.pair_odd.resize(kChunkPartners * 3 * Qop);
    }
}

// k_x H of the block (inside a parallel region).
void fill_k_times_h(KTimesH& kh, const KSum& sum, const KBlock& blk, const BlockCoefficients& h) {
    const int Qep = sum.Qep, Qop = sum.Qop;
    const size_t nb = blk.size;
#pragma omp single
    {
        kh.even.resize(nb * 3 * Qep);
        kh.odd.resize(nb * 3 * Qop);
    }
#pragma omp for schedule(static)
    for (int64_t kk = 0; kk < static_cast<int64_t>(nb); ++kk) {
        const size_t kb = static_cast<size_t>(kk);
        const double* kvec = &sum.kv.k[3 * (blk.begin + kb)];
        for (int x = 0; x < 3; ++x) {
            for (int q = 0; q < Qep; ++q) kh.even[(kb * 3 + x) * Qep + q] = kvec[x] * h.he[kb * Qep + q];
            for (int q = 0; q < Qop; ++q) kh.odd[(kb * 3 + x) * Qop + q] = kvec[x] * h.ho[kb * Qop + q];
        }
    }
}

// Structure factors of the chunk's rows, re/im of e^{ik.r_i} S_t(k), and the
// factors that the strain and cell products take.
void chunk_factors(const KSum& sum, const KBlock& blk, const Chunk& ch, const lode::ComputeOutput& out,
                   ChunkBuffers& buf) {
    const BlockColumns& col = blk.columns;
    const int T = sum.T;
    const KVectors& kv = sum.kv;
    const bool derivatives = out.strain || out.cell;
    const size_t nb = blk.size;
    ChunkValues& v = buf.values;
    ChunkGradients& g = buf.gradients;
    for (size_t cc = 0; cc < ch.count; ++cc) {
        const size_t i = static_cast<size_t>(sum.centers[ch.first + cc]);
        const double* pri = &blk.pr[i * nb];
        const double* pii = &blk.pi[i * nb];
        const double* ri = &sum.system.positions[3 * i];
        for (int t = 0; t < T; ++t) {
            const size_t r = cc * T + static_cast<size_t>(t);
            double* re = &v.factor_re[r * nb];
            double* im = &v.factor_im[r * nb];
            lode::fill_factor_row(nb, {pri, pii, &col.sr[t * nb], &col.si[t * nb], re, im});
            if (derivatives) {
                // strain: -k_y (dH/dk_x) times the structure factor
                for (int y = 0; y < 3; ++y) {
                    double* e = &g.strain_factor_re[(r * 3 + y) * nb];
                    double* o = &g.strain_factor_im[(r * 3 + y) * nb];
                    for (size_t kb = 0; kb < nb; ++kb) {
                        const double ky = kv.k[3 * (blk.begin + kb) + y];
                        e[kb] = -ky * re[kb];
                        o[kb] = -ky * im[kb];
                    }
                }
            }
            if (out.cell) {
                // Z_x = sum_j (r_i - r_j)_x e^{ik.(r_i - r_j)} = e^{ik.r_i} (r_ix S_t - R_tx);
                // X_xy += k_y H (even: Im Z_x, odd: -Re Z_x)
                for (size_t kb = 0; kb < nb; ++kb) {
                    const double sr = blk.sr[kb * T + t], si = blk.si[kb * T + t];
                    const double* kvec = &kv.k[3 * (blk.begin + kb)];
                    for (int x = 0; x < 3; ++x) {
                        const double wr = ri[x] * sr - blk.rr[(kb * T + t) * 3 + x];
                        const double wi = ri[x] * si - blk.ri[(kb * T + t) * 3 + x];
                        const double zr = pri[kb] * wr - pii[kb] * wi;
                        const double zi = pri[kb] * wi + pii[kb] * wr;
                        for (int y = 0; y < 3; ++y) {
                            g.cell_factor_even[(r * 9 + 3 * x + y) * nb + kb] = kvec[y] * zi;
                            g.cell_factor_odd[(r * 9 + 3 * x + y) * nb + kb] = -kvec[y] * zr;
                        }
                    }
                }
            }
        }
    }
}

// The chunk's factors (rows) times the block's coefficients (columns).
void chunk_products(const KSum& sum, const KBlock& blk, const BlockCoefficients& h, const Chunk& ch,
                    const lode::ComputeOutput& out, ChunkBuffers& buf) {
    const int Qep = sum.Qep, Qop = sum.Qop;
    const int nr = ch.rows;
    const size_t nb = blk.size;
    const int K = static_cast<int>(nb);
    ChunkValues& v = buf.values;
    ChunkGradients& g = buf.gradients;
    std::fill(v.even.begin(), v.even.begin() + nr * Qep, 0.0);
    std::fill(v.odd.begin(), v.odd.begin() + nr * Qop, 0.0);
    const size_t qe = static_cast<size_t>(Qep), qo = static_cast<size_t>(Qop);
    if (sum.by_shell()) {
        const lode::ShellBlock sb{blk.begin, nb};
        lode::shell_values(*sum.shells, sum.shells->even, sb, {v.factor_re.data(), nb}, nr, {v.even.data(), qe});
        lode::shell_values(*sum.shells, sum.shells->odd, sb, {v.factor_im.data(), nb}, nr, {v.odd.data(), qo});
    } else {
        lode::gemm_accumulate({nr, Qep, K}, {v.factor_re.data(), nb}, {h.he, qe}, {v.even.data(), qe});
        lode::gemm_accumulate({nr, Qop, K}, {v.factor_im.data(), nb}, {h.ho, qo}, {v.odd.data(), qo});
    }
    if (out.strain || out.cell) {
        std::fill(g.strain_even.begin(), g.strain_even.begin() + 3 * nr * 3 * Qep, 0.0);
        std::fill(g.strain_odd.begin(), g.strain_odd.begin() + 3 * nr * 3 * Qop, 0.0);
        lode::gemm_accumulate({3 * nr, 3 * Qep, K}, {g.strain_factor_re.data(), nb}, {h.dhe, 3 * qe},
                              {g.strain_even.data(), 3 * qe});
        lode::gemm_accumulate({3 * nr, 3 * Qop, K}, {g.strain_factor_im.data(), nb}, {h.dho, 3 * qo},
                              {g.strain_odd.data(), 3 * qo});
    }
    if (out.cell) {
        std::fill(g.cell_even.begin(), g.cell_even.begin() + 9 * nr * Qep, 0.0);
        std::fill(g.cell_odd.begin(), g.cell_odd.begin() + 9 * nr * Qop, 0.0);
        lode::gemm_accumulate({9 * nr, Qep, K}, {g.cell_factor_even.data(), nb}, {h.he, qe}, {g.cell_even.data(), qe});
        lode::gemm_accumulate({9 * nr, Qop, K}, {g.cell_factor_odd.data(), nb}, {h.ho, qo}, {g.cell_odd.data(), qo});
    }
}

// Adds the chunk's products to its rows of values, strain and cell.
void add_chunk_rows(const KSum& sum, const Chunk& ch, const lode::ComputeOutput& out, const ChunkBuffers& buf) {
    const int N = sum.N, T = sum.T;
    const size_t P = sum.P;
    const ParitySplit& split = sum.split;
    const int Qe = split.Qe, Qo = split.Qo, Qep = sum.Qep, Qop = sum.Qop;
    const bool derivatives = out.strain || out.cell;
    const ChunkValues& v = buf.values;
    const ChunkGradients& g = buf.gradients;
    for (size_t cc = 0; cc < ch.count; ++cc) {
        const size_t c = ch.first + cc;
        double* row = out.values + c * P;
        double* srow = out.strain ? out.strain + c * 9 * P : nullptr;
        double* crow = out.cell ? out.cell + c * 9 * P : nullptr;
        for (int t = 0; t < T; ++t) {
            const size_t r = cc * T + static_cast<size_t>(t);
            for (int q = 0; q < Qe; ++q) row[split.even_column(q, t, T, N)] += v.even[r * Qep + q];
            for (int q = 0; q < Qo; ++q) row[split.odd_column(q, t, T, N)] += v.odd[r * Qop + q];
            if (!derivatives) continue;
            for (int x = 0; x < 3; ++x)
                for (int y = 0; y < 3; ++y) {
                    const size_t xy = static_cast<size_t>(3 * x + y);
                    const double* s_e = &g.strain_even[(r * 3 + y) * 3 * Qep + static_cast<size_t>(x) * Qep];
                    const double* s_o = &g.strain_odd[(r * 3 + y) * 3 * Qop + static_cast<size_t>(x) * Qop];
                    for (int q = 0; q < Qe; ++q) {
                        const size_t col = xy * P + split.even_column(q, t, T, N);
                        if (srow) srow[col] += s_e[q];
                        if (crow) crow[col] += s_e[q] + g.cell_even[(r * 9 + xy) * Qep + q];
                    }
                    for (int q = 0; q < Qo; ++q) {
                        const size_t col = xy * P + split.odd_column(q, t, T, N);
                        if (srow) srow[col] += s_o[q];
                        if (crow) crow[col] += s_o[q] + g.cell_odd[(r * 9 + xy) * Qop + q];
                    }
                }
        }
    }
}

// The chunk's rows of the full positions gradient:
// d v_i / d r_j = sum_k k H (even: sin(k.r_ij), odd: -cos(k.r_ij)), r_ij = r_i - r_j.
void add_chunk_positions(const KSum& sum, const KBlock& blk, const KTimesH& kh, const Chunk& ch,
                         const lode::ComputeOutput& out, ChunkBuffers& buf) {
    const int N = sum.N, T = sum.T;
    const size_t P = sum.P;
    const ParitySplit& split = sum.split;
    const int Qe = split.Qe, Qo = split.Qo, Qep = sum.Qep, Qop = sum.Qop;
    const std::vector<size_t>& partner_start = *out.partner_start;
    const size_t nb = blk.size;
    const int K = static_cast<int>(nb);
    ChunkGradients& g = buf.gradients;
    for (size_t cc = 0; cc < ch.count; ++cc) {
        const size_t c = ch.first + cc;
        const size_t i = static_cast<size_t>(sum.centers[c]);
        const double* pri = &blk.pr[i * nb];
        const double* pii = &blk.pi[i * nb];
        double* grow = out.positions + partner_start[c] * 3 * P;
        const size_t n_partners = partner_start[c + 1] - partner_start[c];
        const int32_t* plist = &(*out.partners)[partner_start[c]];
        const size_t self_row =
            static_cast<size_t>(std::lower_bound(plist, plist + n_partners, sum.centers[c]) - plist);
        for (size_t j0 = 0; j0 < n_partners; j0 += kChunkPartners) {
            const size_t nj = std::min(kChunkPartners, n_partners - j0);
            for (size_t jj = 0; jj < nj; ++jj) {
                const size_t j = static_cast<size_t>(plist[j0 + jj]);
                const double* prj = &blk.pr[j * nb];
                const double* pij = &blk.pi[j * nb];
                double* s = &g.pair_sin[jj * nb];
                double* mc = &g.pair_minus_cos[jj * nb];
                for (size_t kb = 0; kb < nb; ++kb) {
                    mc[kb] = -(pri[kb] * prj[kb] + pii[kb] * pij[kb]);
                    s[kb] = pii[kb] * prj[kb] - pri[kb] * pij[kb];
                }
            }
            std::fill(g.pair_even.begin(), g.pair_even.begin() + nj * 3 * Qep, 0.0);
            std::fill(g.pair_odd.begin(), g.pair_odd.begin() + nj * 3 * Qop, 0.0);
            const size_t qe3 = static_cast<size_t>(3 * Qep), qo3 = static_cast<size_t>(3 * Qop);
            lode::gemm_accumulate({static_cast<int>(nj), 3 * Qep, K}, {g.pair_sin.data(), nb}, {kh.even.data(), qe3},
                                  {g.pair_even.data(), qe3});
            lode::gemm_accumulate({static_cast<int>(nj), 3 * Qop, K}, {g.pair_minus_cos.data(), nb},
                                  {kh.odd.data(), qo3}, {g.pair_odd.data(), qo3});
            for (size_t jj = 0; jj < nj; ++jj) {
                const size_t j = static_cast<size_t>(plist[j0 + jj]);
                const int t = sum.type_block[j];
                if (j == i || t < 0) continue;
                double* gj = grow + (j0 + jj) * 3 * P;
                double* gi = grow + self_row * 3 * P;
                for (int x = 0; x < 3; ++x) {
                    const double* src_e = &g.pair_even[(jj * 3 + x) * Qep];
                    const double* src_o = &g.pair_odd[(jj * 3 + x) * Qop];
                    for (int q = 0; q < Qe; ++q) {
                        const size_t col = x * P + split.even_column(q, t, T, N);
                        gj[col] += src_e[q];
                        gi[col] -= src_e[q];
                    }
                    for (int q = 0; q < Qo; ++q) {
                        const size_t col = x * P + split.odd_column(q, t, T, N);
                        gj[col] += src_o[q];
                        gi[col] -= src_o[q];
                    }
                }
            }
        }
    }
}

// Adds the k = 0 term to centre c's row and the volume terms to its strain
// and cell rows (everything in the row so far scales as 1 / V), then turns
// its cell row from strain-like sums into cell derivatives.
void add_volume_terms(const KSum& sum, const lode::ComputeOutput& out, size_t c) {
    const size_t P = sum.P;
    const auto& hinv = sum.ks.inverse;
    double* row = out.values + c * P;
    for (size_t k = 0; k < sum.ks.zero.size(); ++k) row[k] += sum.ks.zero[k];
    if (out.strain) {
        double* srow = out.strain + c * 9 * P;
        for (int x = 0; x < 3; ++x)
            for (size_t p = 0; p < P; ++p) srow[(4 * x) * P + p] -= row[p];
    }
    if (out.cell) {
        // cell[a][b] = sum_x hinv[x][a] (S[x][b] + X[x][b]), S including -delta_xb v
        double* crow = out.cell + c * 9 * P;
        for (int x = 0; x < 3; ++x)
            for (size_t p = 0; p < P; ++p) crow[(4 * x) * P + p] -= row[p];
        double m[9];
        for (size_t p = 0; p < P; ++p) {
            for (int k = 0; k < 9; ++k) m[k] = crow[k * P + p];
            for (int a = 0; a < 3; ++a)
                for (int bb = 0; bb < 3; ++bb) {
                    double total = 0.0;
                    for (int x = 0; x < 3; ++x) total += hinv[3 * x + a] * m[3 * x + bb];
                    crow[(3 * a + bb) * P + p] = total;
                }
        }
    }
}

}  // namespace

void lode::Engine::compute_periodic(const System& system, const ExpansionRequest& request,
                                    const CenterLayout& layout, const ComputeOutput& out) const {
    const int T = static_cast<int>(request.neighbor_types.size());
    const bool derivatives = out.strain || out.cell;
    const std::shared_ptr<const KCache> cache = k_cache(system.cell, derivatives);
    const bool cached = cache->coef.size > 0;
    KSum sum(system, layout, hypers_, T, cache->kv, zero_term(system, layout.type_block, T));
    sum.shells = &cache->shells;
    sum.k_set = cache->id;
    const CoefficientInputs inputs{sum.kv, sum.ks.volume, sum.split, sum.L, sum.N, *potential_, *radial_, harmonics_};
    const size_t n_centers = layout.centers.size();
    const size_t n_chunks = (n_centers + kChunkCenters - 1) / kChunkCenters;
    zero_rows(sum, out);

    KBlock& blk = kept<KBlock>();
    KCoefficients local;  // of the current block when the cache has none
    KTimesH kh;
#pragma omp parallel
    {
        ChunkBuffers buf{kept<ChunkValues>(), {}};
        size_chunk_buffers(buf, sum, out);
        for (size_t begin = 0; begin < sum.kv.size(); begin += sum.block) {
            start_block(blk, sum, begin);
            if (!cached) fill_coefficients(local, inputs, blk.begin, blk.size, derivatives);
            const BlockCoefficients h = block_rows(cached ? cache->coef : local, blk.begin, derivatives);
            fill_block_phases(blk, sum, out.cell != nullptr);
            fill_block_columns(blk, sum);
            if (out.positions) fill_k_times_h(kh, sum, blk, h);
#pragma omp for schedule(dynamic, 1)
            for (int64_t chunk = 0; chunk < static_cast<int64_t>(n_chunks); ++chunk) {
                const Chunk ch = chunk_of(chunk, n_centers, T);
                chunk_factors(sum, blk, ch, out, buf);
                chunk_products(sum, blk, h, ch, out, buf);
                add_chunk_rows(sum, ch, out, buf);
                if (out.positions) add_chunk_positions(sum, blk, kh, ch, out, buf);
            }
        }
    }

#pragma omp parallel for schedule(static)
    for (int64_t cc = 0; cc < static_cast<int64_t>(n_centers); ++cc) {
        const size_t c = static_cast<size_t>(cc);
        add_volume_terms(sum, out, c);
        add_center_terms(out.values + c * sum.P, layout.type_block[static_cast<size_t>(layout.centers[c])], T);
    }
}

namespace {

// ---- backward_periodic's steps
//
// With A_ct(k) = e^{ik.r_c} S_t(k) and the adjoint rows g_c[t][q] split by
// parity, L = sum_k sum_{c,t} Re(gamma_ct(k) A_ct(k)), where
// gamma_ct = Gamma^e_ct - i Gamma^o_ct and Gamma_ct(k) = sum_q H_q(k) g_c[t][q].
// Forces need Gamma (one product as large as the values'); the strain
// needs Z_q(k) = sum_{c,t} g_c[t][q] (Re | Im) A_ct(k) (another), since
// dL/dstrain_xy = -sum_k k_y sum_q dH_q/dk_x Z_q(k) - delta_xy L.

void split_adjoint(const KSum& sum, const double* adjoint, AdjointByParity& g) {
    const int N = sum.N, T = sum.T;
    const size_t P = sum.P;
    const ParitySplit& split = sum.split;
    const int Qe = split.Qe, Qo = split.Qo, Qep = sum.Qep, Qop = sum.Qop;
    const size_t n_centers = sum.centers.size();
    const size_t rows = n_centers * static_cast<size_t>(T);
    g.even.assign(rows * Qep, 0.0);
    g.odd.assign(rows * Qop, 0.0);
    g.even_by_q.resize(static_cast<size_t>(Qe) * rows);
    g.odd_by_q.resize(static_cast<size_t>(Qo) * rows);
    for (size_t c = 0; c < n_centers; ++c)
        for (int t = 0; t < T; ++t) {
            const size_t r = c * T + t;
            for (int q = 0; q < Qe; ++q) g.even[r * Qep + q] = adjoint[c * P + split.even_column(q, t, T, N)];
            for (int q = 0; q < Qo; ++q) g.odd[r * Qop + q] = adjoint[c * P + split.odd_column(q, t, T, N)];
        }
    // transposed in tiles of 8 rows: column-by-column writes would touch a
    // new page per element
    for (size_t r0 = 0; r0 < rows; r0 += 8) {
        const size_t r1 = std::min(rows, r0 + 8);
        for (int q = 0; q < Qe; ++q)
            for (size_t r = r0; r < r1; ++r) g.even_by_q[q * rows + r] = g.even[r * Qep + q];
        for (int q = 0; q < Qo; ++q)
            for (size_t r = r0; r < r1; ++r) g.odd_by_q[q * rows + r] = g.odd[r * Qop + q];
    }
}

void size_backward_buffers(BackwardBuffers& buf, const KSum& sum, const lode::BackwardOutput& out) {
    const size_t T = static_cast<size_t>(sum.T);
    const size_t rows = sum.centers.size() * T;
    if (out.positions) {
        for (auto* v : {&buf.gamma_even, &buf.gamma_odd, &buf.rows_even, &buf.rows_odd}) v->resize(sum.block * kChunkCenters * T);
    }
    if (out.strain) {
        buf.factor_re.resize(kChunkKVectors * rows);
        buf.factor_im.resize(kChunkKVectors * rows);
        buf.z_even.resize(kChunkKVectors * static_cast<size_t>(sum.Qep));
        buf.z_odd.resize(kChunkKVectors * static_cast<size_t>(sum.Qop));
    }
}

// The block's part of dL/dstrain (all but the k = 0 term) into this
// thread's `my_strain`.
void add_block_strain(const AdjointSum& a, const KBlock& blk, const BlockCoefficients& h, BackwardBuffers& buf,
                      double* my_strain) {
    const KSum& sum = a.sum;
    const int T = sum.T, Qep = sum.Qep, Qop = sum.Qop;
    const size_t n_centers = sum.centers.size();
    const size_t rows = n_centers * static_cast<size_t>(T);
    const size_t nb = blk.size;
    const size_t n_row_chunks = (nb + kChunkKVectors - 1) / kChunkKVectors;
#pragma omp for schedule(static)
    for (int64_t chunk = 0; chunk < static_cast<int64_t>(n_row_chunks); ++chunk) {
        const size_t k0 = static_cast<size_t>(chunk) * kChunkKVectors;
        const size_t nr = std::min(kChunkKVectors, nb - k0);
        // A^T: [k][c][t], written row by row (the centres' phases of the
        // chunk stay in L1 across its rows)
        for (size_t kr = 0; kr < nr; ++kr) {
            const size_t kb = k0 + kr;
            double* a_r = &buf.factor_re[kr * rows];
            double* a_i = &buf.factor_im[kr * rows];
            for (int t = 0; t < T; ++t) {
                const double sr = blk.sr[kb * T + t], si = blk.si[kb * T + t];
                for (size_t c = 0; c < n_centers; ++c) {
                    const size_t i = static_cast<size_t>(sum.centers[c]);
                    const double pr = blk.pr[i * nb + kb], pi = blk.pi[i * nb + kb];
                    a_r[c * T + t] = pr * sr - pi * si;
                    a_i[c * T + t] = pr * si + pi * sr;
                }
            }
        }
        std::fill(buf.z_even.begin(), buf.z_even.begin() + nr * Qep, 0.0);
        std::fill(buf.z_odd.begin(), buf.z_odd.begin() + nr * Qop, 0.0);
        const int R = static_cast<int>(rows);
        const size_t qe = static_cast<size_t>(Qep), qo = static_cast<size_t>(Qop);
        lode::gemm_accumulate({static_cast<int>(nr), Qep, R}, {buf.factor_re.data(), rows}, {a.adjoint.even.data(), qe},
                              {buf.z_even.data(), qe});
        lode::gemm_accumulate({static_cast<int>(nr), Qop, R}, {buf.factor_im.data(), rows}, {a.adjoint.odd.data(), qo},
                              {buf.z_odd.data(), qo});
        for (size_t kr = 0; kr < nr; ++kr) {
            const size_t kb = k0 + kr;
            const double* kvec = &sum.kv.k[3 * (blk.begin + kb)];
            const double* z_e = &buf.z_even[kr * Qep];
            const double* z_o = &buf.z_odd[kr * Qop];
            const double loss = dot4(Qep, &h.he[kb * Qep], z_e) + dot4(Qop, &h.ho[kb * Qop], z_o);
            for (int x = 0; x < 3; ++x) {
                const double d = dot4(Qep, &h.dhe[(kb * 3 + x) * Qep], z_e) + dot4(Qop, &h.dho[(kb * 3 + x) * Qop], z_o);
                for (int y = 0; y < 3; ++y) my_strain[3 * x + y] -= kvec[y] * d;
                my_strain[4 * x] -= loss;
            }
        }
    }
}

// Centres' own terms, dL/dr_m = -sum_k k Im(e^{ik.r_m} sum_t S_t gamma_mt),
// and this thread's part of U_t(k).
void add_center_forces(const AdjointSum& a, const KBlock& blk, const BlockCoefficients& h, BackwardBuffers& buf) {
    const KSum& sum = a.sum;
    const int T = sum.T, Qep = sum.Qep, Qop = sum.Qop;
    const int Qe = sum.split.Qe, Qo = sum.split.Qo;
    const size_t n_centers = sum.centers.size();
    const size_t rows = n_centers * static_cast<size_t>(T);
    const size_t n_chunks = (n_centers + kChunkCenters - 1) / kChunkCenters;
    const size_t nb = blk.size;
    double* my_u = &a.u.thread_parts[static_cast<size_t>(omp_get_thread_num()) * nb * T * 2];
    const lode::KColumns k{nb, blk.columns.k.data()};
#pragma omp for schedule(static)
    for (int64_t chunk = 0; chunk < static_cast<int64_t>(n_chunks); ++chunk) {
        const Chunk ch = chunk_of(chunk, n_centers, T);
        const size_t c0 = ch.first, nc = ch.count;
        const size_t nr = static_cast<size_t>(ch.rows);
        // Gamma^T: [k][c][t] (every entry written), then by row for the loops over k
        if (sum.by_shell()) {
            const lode::ShellBlock sb{blk.begin, nb};
            const int n_rows = static_cast<int>(nr);
            lode::shell_gamma(*sum.shells, sum.shells->even, sb, {&a.adjoint.even_by_q[c0 * T], rows}, n_rows,
                              {buf.gamma_even.data(), nr});
            lode::shell_gamma(*sum.shells, sum.shells->odd, sb, {&a.adjoint.odd_by_q[c0 * T], rows}, n_rows,
                              {buf.gamma_odd.data(), nr});
        } else {
            lode::gemm_assign({static_cast<int>(nb), static_cast<int>(nr), Qe}, {h.he, static_cast<size_t>(Qep)},
                              {&a.adjoint.even_by_q[c0 * T], rows}, {buf.gamma_even.data(), nr});
            lode::gemm_assign({static_cast<int>(nb), static_cast<int>(nr), Qo}, {h.ho, static_cast<size_t>(Qop)},
                              {&a.adjoint.odd_by_q[c0 * T], rows}, {buf.gamma_odd.data(), nr});
        }
        for (size_t kb = 0; kb < nb; ++kb)
            for (size_t r = 0; r < nr; ++r) {
                buf.rows_even[r * nb + kb] = buf.gamma_even[kb * nr + r];
                buf.rows_odd[r * nb + kb] = buf.gamma_odd[kb * nr + r];
            }
        for (size_t cc = 0; cc < nc; ++cc) {
            const size_t m = static_cast<size_t>(sum.centers[c0 + cc]);
            for (int t = 0; t < T; ++t) {
                const size_t r = cc * T + static_cast<size_t>(t);
                const lode::CenterRow row{&buf.rows_even[r * nb], &buf.rows_odd[r * nb], &blk.columns.sr[t * nb],
                                    &blk.columns.si[t * nb],  &blk.pr[m * nb],       &blk.pi[m * nb],
                                    &my_u[2 * t * nb],      &my_u[(2 * t + 1) * nb]};
                lode::add_center_row(k, row, &a.force[3 * m]);
            }
        }
    }
}

// U summed in thread order (the same result for a given thread count).
void sum_u(UFactors& u, size_t nb, int T) {
    const int team = omp_get_num_threads();
#pragma omp for schedule(static)
    for (int64_t kk = 0; kk < static_cast<int64_t>(nb * T); ++kk) {
        const size_t t = static_cast<size_t>(kk) / nb, kb = static_cast<size_t>(kk) % nb;
        double sum_r = 0.0, sum_i = 0.0;
        for (int th = 0; th < team; ++th) {
            const double* part = &u.thread_parts[static_cast<size_t>(th) * nb * T * 2];
            sum_r += part[2 * t * nb + kb];
            sum_i += part[(2 * t + 1) * nb + kb];
        }
        u.re[t * nb + kb] = sum_r;
        u.im[t * nb + kb] = sum_i;
    }
}

// Every atom of a neighbour type: dL/dr_m = sum_k k Im(U_{t_m}(k) e^{-ik.r_m}).
void add_neighbor_forces(const AdjointSum& a, const KBlock& blk) {
    const KSum& sum = a.sum;
    const size_t nb = blk.size;
    const lode::KColumns k{nb, blk.columns.k.data()};
#pragma omp for schedule(static)
    for (int64_t mm = 0; mm < static_cast<int64_t>(sum.system.size()); ++mm) {
        const size_t m = static_cast<size_t>(mm);
        const int tm = sum.type_block[m];
        if (tm < 0) continue;
        const lode::NeighborRow row{&a.u.re[tm * nb], &a.u.im[tm * nb], &blk.pr[m * nb], &blk.pi[m * nb]};
        lode::add_neighbor_row(k, row, &a.force[3 * m]);
    }
}

}  // namespace

void lode::Engine::backward_periodic(const System& system, const ExpansionRequest& request,
                                     const CenterLayout& layout, const double* adjoint,
                                     const BackwardOutput& out) const {
    const int T = static_cast<int>(request.neighbor_types.size());
    const bool derivatives = out.strain != nullptr;
    const std::shared_ptr<const KCache> cache = k_cache(system.cell, derivatives);
    const bool cached = cache->coef.size > 0;
    KSum sum(system, layout, hypers_, T, cache->kv, zero_term(system, layout.type_block, T));
    sum.shells = &cache->shells;
    sum.k_set = cache->id;
    const CoefficientInputs inputs{sum.kv, sum.ks.volume, sum.split, sum.L, sum.N, *potential_, *radial_, harmonics_};
    const size_t n_atoms = system.size();

    AdjointByParity& g = kept<AdjointByParity>();
    split_adjoint(sum, adjoint, g);
    const int n_threads = omp_get_max_threads();
    std::vector<double> strain_partial(9 * static_cast<size_t>(n_threads), 0.0);
    std::vector<double> force(out.positions ? 3 * n_atoms : 0, 0.0);
    UFactors& u = kept<UFactors>();
    const AdjointSum a{sum, g, u, force.data()};

    KBlock& blk = kept<KBlock>();
    KCoefficients local;  // of the current block when the cache has none
#pragma omp parallel num_threads(n_threads)
    {
        double* my_strain = &strain_partial[9 * static_cast<size_t>(omp_get_thread_num())];
        BackwardBuffers& buf = kept<BackwardBuffers>();
        size_backward_buffers(buf, sum, out);
        for (size_t begin = 0; begin < sum.kv.size(); begin += sum.block) {
#pragma omp single
            {
                blk.begin = begin;
                blk.size = std::min(sum.block, sum.kv.size() - begin);
                if (out.positions) {
                    u.thread_parts.assign(static_cast<size_t>(omp_get_num_threads()) * blk.size * T * 2, 0.0);
                    u.re.resize(blk.size * T);
                    u.im.resize(blk.size * T);
                }
            }
            if (!cached) fill_coefficients(local, inputs, blk.begin, blk.size, derivatives);
            const BlockCoefficients h = block_rows(cached ? cache->coef : local, blk.begin, derivatives);
            fill_block_phases(blk, sum, false);
            if (out.strain) add_block_strain(a, blk, h, buf, my_strain);
            if (!out.positions) continue;
            fill_block_columns(blk, sum);
            add_center_forces(a, blk, h, buf);
            sum_u(u, blk.size, T);
            add_neighbor_forces(a, blk);
        }
    }
    if (out.positions)
        for (size_t k = 0; k < 3 * n_atoms; ++k) out.positions[k] += force[k];
    if (out.strain) {
        for (int th = 0; th < n_threads; ++th)
            for (int k = 0; k < 9; ++k) out.strain[k] += strain_partial[9 * static_cast<size_t>(th) + k];
        // k = 0 term scales as 1 / V
        double k0_loss = 0.0;
        for (size_t c = 0; c < layout.centers.size(); ++c)
            for (size_t k = 0; k < sum.ks.zero.size(); ++k) k0_loss += adjoint[c * sum.P + k] * sum.ks.zero[k];
        for (int x = 0; x < 3; ++x) out.strain[4 * x] -= k0_loss;
    }
}

}  // namespace lodestone
