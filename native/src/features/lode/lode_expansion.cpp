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
#include <cmath>
#include <string>

#include "features/lode/potential.hpp"
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
    if (hypers_.k_cutoff == 0.0) hypers_.k_cutoff = 1.2 * M_PI / hypers_.smearing;
    if (!(hypers_.k_cutoff > 0.0) || !std::isfinite(hypers_.k_cutoff)) {
        throw Error("k_cutoff: expected a positive finite number (1/A), got " + format_number(hypers_.k_cutoff));
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

}  // namespace

ExpansionResult lode::Engine::compute(const std::vector<System>& systems,
                                                const ExpansionRequest& request) const {
    validate_systems(systems);
    validate_request(systems, request);
    for (size_t s = 0; s < systems.size(); ++s) geometry_of(systems[s], s);
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
        if (method.method == "mesh") {
            if (auto cache = compute_mesh(system, request, centers, block, method, values, cache_budget)) mesh_caches.push_back(cache);
        } else if (geometry_of(system, s) == Geometry::Periodic) {
            compute_periodic(system, request, centers, block, values, pos, partner_starts[s], partner_lists[s], strain,
                             cell);
        } else {
            compute_molecule(system, request, centers, block, values, pos, partner_starts[s], partner_lists[s],
                             strain);
            // no cell: the cell gradient of a molecule is zero
            if (cell) std::fill(cell, cell + centers.size() * 9 * P, 0.0);
        }
        if (hypers_.exclusion_radius > 0.0) {
            const bool periodic = geometry_of(system, s) == Geometry::Periodic;
            subtract_near_field(system, request, centers, block,
                                {values, pos, &partner_starts[s], &partner_lists[s], strain, periodic ? cell : nullptr});
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
    for (size_t s = 0; s < systems.size(); ++s) geometry_of(systems[s], s);
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;

    BackwardResult result;
    size_t total_atoms = 0;
    for (const auto& s : systems) total_atoms += s.size();
    if (request.positions) result.positions.assign(3 * total_atoms, 0.0);
    if (request.strain) result.strain.assign(9 * systems.size(), 0.0);
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
        if (method.method == "mesh") {
            backward_mesh(system, request, centers, block, method, adjoint, positions, strain);
        } else if (geometry_of(system, s) == Geometry::Periodic) {
            backward_periodic(system, request, centers, block, adjoint, positions, strain);
        } else {
            backward_molecule(system, request, centers, block, adjoint, positions, strain);
        }
        if (hypers_.exclusion_radius > 0.0) backward_near_field(system, request, centers, block, adjoint, positions, strain);
        atom_base += system.size();
        sample_base += centers.size();
    }
    return result;
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

// Phases and structure factors of one block of k-vectors.
struct KBlock {
    size_t begin = 0, size = 0;
    std::vector<double> pr, pi;    // phases [atom][kb]
    std::vector<double> sr, si;    // S_t(k) = sum_{j in t} e^{-ik.r_j}: [kb][t]
    std::vector<double> rr, ri;    // R_t(k) = sum_{j in t} r_j e^{-ik.r_j}: [kb][t][xyz]
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

// Buffers kept by each thread between calls, by slot: fresh multi-megabyte
// vectors in every call cost page faults comparable to the arithmetic, and
// a thread of a team waits for the one that takes them at every barrier.
// Each slot holds one live buffer at a time (compute and backward do not nest).
template <int Slot>
std::vector<double>& kept() {
    thread_local std::vector<double> v;
    return v;
}
KBlock& kept_block() {
    thread_local KBlock blk;
    return blk;
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

}  // namespace

struct lode::Engine::KCache {
    std::array<double, 9> cell{};
    KVectors kv;
    KCoefficients coef;  // every k-vector, or none (size 0) when over kCoefficientCacheBytes
};

namespace {

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

}  // namespace

// Fills H (and dH when `derivatives`) for k-vectors [begin, begin + size);
// inside a parallel region (or alone, serially).
static void fill_coefficients(KCoefficients& co, const KVectors& kv, size_t begin, size_t size, double volume,
                              const ParitySplit& split, int L, int N, const lode::Potential& potential,
                              const LodeRadialIntegral& radial, const SphericalHarmonics& harmonics,
                              bool derivatives) {
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
    const double volume_factor = 4.0 * M_PI / volume;
    double parity[32];
    for (int l = 0; l < L; ++l) {
        const double sign = (l % 2 == 0) ? ((l / 2) % 2 == 0 ? 1.0 : -1.0) : (((l + 1) / 2) % 2 == 0 ? 1.0 : -1.0);
        parity[l] = 2.0 * sign * volume_factor;
    }
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
        radial.compute(knorm, I.data(), derivatives ? dI.data() : nullptr);
        harmonics.compute(u, Y.data(), derivatives ? dY.data() : nullptr);
        const double G = potential.fourier(knorm);
        const double dG = derivatives ? potential.d_fourier(knorm) : 0.0;
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

std::shared_ptr<const lode::Engine::KCache> lode::Engine::k_cache(
    const std::array<double, 9>& cell, bool derivatives) const {
    {
        std::lock_guard<std::mutex> lock(k_cache_mutex_);
        const std::shared_ptr<const KCache>& c = k_cache_;
        if (c && c->cell == cell && (!derivatives || c->coef.derivatives || c->coef.size == 0)) return c;
    }
    // built outside the lock: concurrent callers with other cells are not held up
    auto made = std::make_shared<KCache>();
    made->cell = cell;
    made->kv = half_space_kvectors(cell, hypers_.k_cutoff);
    if (made->kv.size() == 0) {
        throw Error("k_cutoff too small: no reciprocal lattice vector has 0 < |k| < k_cutoff = " +
                    format_number(hypers_.k_cutoff) +
                    " 1/A for this cell (the shortest is 2 pi / the longest cell height); increase k_cutoff");
    }
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    const ParitySplit split(L, N);
    const size_t row = static_cast<size_t>(padded(split.Qe) + padded(split.Qo));
    const size_t bytes = made->kv.size() * row * (derivatives ? 4 : 1) * sizeof(double);
    if (bytes <= kCoefficientCacheBytes) {
        const double volume = std::abs(determinant3(cell));
        KCoefficients& co = made->coef;
        const KVectors& kv = made->kv;
#pragma omp parallel
        fill_coefficients(co, kv, 0, kv.size(), volume, split, L, N, *potential_, *radial_, harmonics_, derivatives);
    }
    std::lock_guard<std::mutex> lock(k_cache_mutex_);
    k_cache_ = made;
    return made;
}

// Phases of every atom and the per-type structure factors of one block
// (inside a parallel region; per-thread partial sums reduced in thread order).
static void fill_block_phases(KBlock& blk, const KSpace& ks, const System& system, const std::vector<int>& type_block,
                              int T, bool weighted, std::vector<double>& partial) {
    const size_t n_atoms = system.size();
    const size_t KB = blk.size;
#pragma omp single
    {
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
}

void lode::Engine::compute_periodic(const System& system, const ExpansionRequest& request,
                                              const std::vector<int32_t>& centers, const std::vector<int>& type_block,
                                              double* values, double* positions_gradient,
                                              const std::vector<size_t>& partner_start,
                                              const std::vector<int32_t>& partners, double* strain,
                                              double* cell) const {
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;
    const ParitySplit split(L, N);
    const int Qe = split.Qe, Qo = split.Qo;
    const size_t n_centers = centers.size();

    const int Qep = padded(Qe), Qop = padded(Qo);
    const bool derivatives = strain || cell;
    const std::shared_ptr<const KCache> cache = k_cache(system.cell, derivatives);
    const bool cached = cache->coef.size > 0;
    const KSpace ks = make_kspace(system, cache->kv, zero_term(system, type_block, T));
    const KVectors& kv = cache->kv;
    const size_t n_k = kv.size();
    const size_t KB = block_size(n_k, system.size(), P);

    // Rows are zeroed here and accumulated block by block.
    std::fill(values, values + n_centers * P, 0.0);
    if (strain) std::fill(strain, strain + n_centers * 9 * P, 0.0);
    if (cell) std::fill(cell, cell + n_centers * 9 * P, 0.0);
    if (positions_gradient) std::fill(positions_gradient, positions_gradient + partners.size() * 3 * P, 0.0);

    // Centres go in chunks of CB: the structure factors of a chunk (rows) times
    // the coefficients of a block (columns) is one dense product per output.
    constexpr size_t CB = 8;   // centres per chunk
    constexpr size_t JB = 32;  // partner atoms per chunk of the full positions gradient
    const size_t n_chunks = (n_centers + CB - 1) / CB;
    const size_t rows = CB * static_cast<size_t>(T);

    KBlock& blk = kept_block();
    KCoefficients local;  // of the current block when the cache has none
    std::vector<double>& partial = kept<10>();
    std::vector<double> khe, kho;
#pragma omp parallel
    {
        std::vector<double>& are = kept<0>();
        std::vector<double>& aim = kept<1>();
        std::vector<double>& ve = kept<2>();
        std::vector<double>& vo = kept<3>();
        are.resize(rows * KB);
        aim.resize(rows * KB);
        ve.resize(rows * Qep);
        vo.resize(rows * Qop);
        std::vector<double> ase, aso, se, so, axe, axo, xe, xo, as, ac, ge, go;
        if (derivatives) {
            ase.resize(3 * rows * KB);
            aso.resize(3 * rows * KB);
            se.resize(3 * rows * 3 * Qep);
            so.resize(3 * rows * 3 * Qop);
        }
        if (cell) {
            axe.resize(9 * rows * KB);
            axo.resize(9 * rows * KB);
            xe.resize(9 * rows * Qep);
            xo.resize(9 * rows * Qop);
        }
        if (positions_gradient) {
            as.resize(JB * KB);
            ac.resize(JB * KB);
            ge.resize(JB * 3 * Qep);
            go.resize(JB * 3 * Qop);
        }

        for (size_t begin = 0; begin < n_k; begin += KB) {
#pragma omp single
            {
                blk.begin = begin;
                blk.size = std::min(KB, n_k - begin);
            }
            if (!cached)
                fill_coefficients(local, kv, blk.begin, blk.size, ks.volume, split, L, N, *potential_, *radial_,
                                  harmonics_, derivatives);
            const KCoefficients& co = cached ? cache->coef : local;
            const size_t off = blk.begin - co.begin;
            const double* he = co.he.data() + off * Qep;
            const double* ho = co.ho.data() + off * Qop;
            const double* dhe = derivatives ? co.dhe.data() + off * 3 * Qep : nullptr;
            const double* dho = derivatives ? co.dho.data() + off * 3 * Qop : nullptr;
            fill_block_phases(blk, ks, system, type_block, T, cell != nullptr, partial);
            const size_t nb = blk.size;
            if (positions_gradient) {
                // k_x H: the positions gradient is sum_k (trig) k_x H
#pragma omp single
                {
                    khe.resize(nb * 3 * Qep);
                    kho.resize(nb * 3 * Qop);
                }
#pragma omp for schedule(static)
                for (int64_t kk = 0; kk < static_cast<int64_t>(nb); ++kk) {
                    const size_t kb = static_cast<size_t>(kk);
                    const double* kvec = &kv.k[3 * (blk.begin + kb)];
                    for (int x = 0; x < 3; ++x) {
                        for (int q = 0; q < Qep; ++q) khe[(kb * 3 + x) * Qep + q] = kvec[x] * he[kb * Qep + q];
                        for (int q = 0; q < Qop; ++q) kho[(kb * 3 + x) * Qop + q] = kvec[x] * ho[kb * Qop + q];
                    }
                }
            }

#pragma omp for schedule(dynamic, 1)
            for (int64_t chunk = 0; chunk < static_cast<int64_t>(n_chunks); ++chunk) {
                const size_t c0 = static_cast<size_t>(chunk) * CB;
                const size_t nc = std::min(CB, n_centers - c0);
                const int nr = static_cast<int>(nc) * T;
                // structure factors of the chunk: re/im of e^{ik.r_i} S_t(k)
                for (size_t cc = 0; cc < nc; ++cc) {
                    const size_t i = static_cast<size_t>(centers[c0 + cc]);
                    const double* pri = &blk.pr[i * nb];
                    const double* pii = &blk.pi[i * nb];
                    const double* ri = &system.positions[3 * i];
                    for (int t = 0; t < T; ++t) {
                        const size_t r = cc * T + static_cast<size_t>(t);
                        double* re = &are[r * nb];
                        double* im = &aim[r * nb];
                        for (size_t kb = 0; kb < nb; ++kb) {
                            const double sr = blk.sr[kb * T + t], si = blk.si[kb * T + t];
                            re[kb] = pri[kb] * sr - pii[kb] * si;
                            im[kb] = pri[kb] * si + pii[kb] * sr;
                        }
                        if (derivatives) {
                            // strain: -k_y (dH/dk_x) times the structure factor
                            for (int y = 0; y < 3; ++y) {
                                double* e = &ase[(r * 3 + y) * nb];
                                double* o = &aso[(r * 3 + y) * nb];
                                for (size_t kb = 0; kb < nb; ++kb) {
                                    const double ky = kv.k[3 * (blk.begin + kb) + y];
                                    e[kb] = -ky * re[kb];
                                    o[kb] = -ky * im[kb];
                                }
                            }
                        }
                        if (cell) {
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
                                        axe[(r * 9 + 3 * x + y) * nb + kb] = kvec[y] * zi;
                                        axo[(r * 9 + 3 * x + y) * nb + kb] = -kvec[y] * zr;
                                    }
                                }
                            }
                        }
                    }
                }
                const int K = static_cast<int>(nb);
                std::fill(ve.begin(), ve.begin() + nr * Qep, 0.0);
                std::fill(vo.begin(), vo.begin() + nr * Qop, 0.0);
                lode::gemm_accumulate(nr, Qep, K, are.data(), nb, he, Qep, ve.data(), Qep);
                lode::gemm_accumulate(nr, Qop, K, aim.data(), nb, ho, Qop, vo.data(), Qop);
                if (derivatives) {
                    std::fill(se.begin(), se.begin() + 3 * nr * 3 * Qep, 0.0);
                    std::fill(so.begin(), so.begin() + 3 * nr * 3 * Qop, 0.0);
                    lode::gemm_accumulate(3 * nr, 3 * Qep, K, ase.data(), nb, dhe, 3 * Qep, se.data(), 3 * Qep);
                    lode::gemm_accumulate(3 * nr, 3 * Qop, K, aso.data(), nb, dho, 3 * Qop, so.data(), 3 * Qop);
                }
                if (cell) {
                    std::fill(xe.begin(), xe.begin() + 9 * nr * Qep, 0.0);
                    std::fill(xo.begin(), xo.begin() + 9 * nr * Qop, 0.0);
                    lode::gemm_accumulate(9 * nr, Qep, K, axe.data(), nb, he, Qep, xe.data(), Qep);
                    lode::gemm_accumulate(9 * nr, Qop, K, axo.data(), nb, ho, Qop, xo.data(), Qop);
                }
                for (size_t cc = 0; cc < nc; ++cc) {
                    const size_t c = c0 + cc;
                    double* row = values + c * P;
                    double* srow = strain ? strain + c * 9 * P : nullptr;
                    double* crow = cell ? cell + c * 9 * P : nullptr;
                    for (int t = 0; t < T; ++t) {
                        const size_t r = cc * T + static_cast<size_t>(t);
                        for (int q = 0; q < Qe; ++q) row[split.even_column(q, t, T, N)] += ve[r * Qep + q];
                        for (int q = 0; q < Qo; ++q) row[split.odd_column(q, t, T, N)] += vo[r * Qop + q];
                        if (!derivatives) continue;
                        for (int x = 0; x < 3; ++x)
                            for (int y = 0; y < 3; ++y) {
                                const size_t xy = static_cast<size_t>(3 * x + y);
                                const double* s_e = &se[(r * 3 + y) * 3 * Qep + static_cast<size_t>(x) * Qep];
                                const double* s_o = &so[(r * 3 + y) * 3 * Qop + static_cast<size_t>(x) * Qop];
                                for (int q = 0; q < Qe; ++q) {
                                    const size_t col = xy * P + split.even_column(q, t, T, N);
                                    if (srow) srow[col] += s_e[q];
                                    if (crow) crow[col] += s_e[q] + xe[(r * 9 + xy) * Qep + q];
                                }
                                for (int q = 0; q < Qo; ++q) {
                                    const size_t col = xy * P + split.odd_column(q, t, T, N);
                                    if (srow) srow[col] += s_o[q];
                                    if (crow) crow[col] += s_o[q] + xo[(r * 9 + xy) * Qop + q];
                                }
                            }
                    }
                }
                if (!positions_gradient) continue;
                // d v_i / d r_j = sum_k k H (even: sin(k.r_ij), odd: -cos(k.r_ij)), r_ij = r_i - r_j
                for (size_t cc = 0; cc < nc; ++cc) {
                    const size_t c = c0 + cc;
                    const size_t i = static_cast<size_t>(centers[c]);
                    const double* pri = &blk.pr[i * nb];
                    const double* pii = &blk.pi[i * nb];
                    double* grow = positions_gradient + partner_start[c] * 3 * P;
                    const size_t n_partners = partner_start[c + 1] - partner_start[c];
                    const int32_t* plist = &partners[partner_start[c]];
                    const size_t self_row =
                        static_cast<size_t>(std::lower_bound(plist, plist + n_partners, centers[c]) - plist);
                    for (size_t j0 = 0; j0 < n_partners; j0 += JB) {
                        const size_t nj = std::min(JB, n_partners - j0);
                        for (size_t jj = 0; jj < nj; ++jj) {
                            const size_t j = static_cast<size_t>(plist[j0 + jj]);
                            const double* prj = &blk.pr[j * nb];
                            const double* pij = &blk.pi[j * nb];
                            double* s = &as[jj * nb];
                            double* co = &ac[jj * nb];
                            for (size_t kb = 0; kb < nb; ++kb) {
                                co[kb] = -(pri[kb] * prj[kb] + pii[kb] * pij[kb]);
                                s[kb] = pii[kb] * prj[kb] - pri[kb] * pij[kb];
                            }
                        }
                        std::fill(ge.begin(), ge.begin() + nj * 3 * Qep, 0.0);
                        std::fill(go.begin(), go.begin() + nj * 3 * Qop, 0.0);
                        lode::gemm_accumulate(static_cast<int>(nj), 3 * Qep, K, as.data(), nb, khe.data(), 3 * Qep,
                                              ge.data(), 3 * Qep);
                        lode::gemm_accumulate(static_cast<int>(nj), 3 * Qop, K, ac.data(), nb, kho.data(), 3 * Qop,
                                              go.data(), 3 * Qop);
                        for (size_t jj = 0; jj < nj; ++jj) {
                            const size_t j = static_cast<size_t>(plist[j0 + jj]);
                            const int t = type_block[j];
                            if (j == i || t < 0) continue;
                            double* gj = grow + (j0 + jj) * 3 * P;
                            double* gi = grow + self_row * 3 * P;
                            for (int x = 0; x < 3; ++x) {
                                const double* src_e = &ge[(jj * 3 + x) * Qep];
                                const double* src_o = &go[(jj * 3 + x) * Qop];
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
        }
    }

    // k = 0 term, volume terms of strain and cell, centre-weight correction.
    const auto& hinv = ks.inverse;
#pragma omp parallel for schedule(static)
    for (int64_t cc = 0; cc < static_cast<int64_t>(n_centers); ++cc) {
        const size_t c = static_cast<size_t>(cc);
        double* row = values + c * P;
        for (size_t k = 0; k < ks.zero.size(); ++k) row[k] += ks.zero[k];
        // everything in `row` so far scales as 1 / V
        if (strain) {
            double* srow = strain + c * 9 * P;
            for (int x = 0; x < 3; ++x)
                for (size_t p = 0; p < P; ++p) srow[(4 * x) * P + p] -= row[p];
        }
        if (cell) {
            // cell[a][b] = sum_x hinv[x][a] (S[x][b] + X[x][b]), S including -delta_xb v
            double* crow = cell + c * 9 * P;
            for (int x = 0; x < 3; ++x)
                for (size_t p = 0; p < P; ++p) crow[(4 * x) * P + p] -= row[p];
            double m[9];
            for (size_t p = 0; p < P; ++p) {
                for (int k = 0; k < 9; ++k) m[k] = crow[k * P + p];
                for (int a = 0; a < 3; ++a)
                    for (int bb = 0; bb < 3; ++bb) {
                        double sum = 0.0;
                        for (int x = 0; x < 3; ++x) sum += hinv[3 * x + a] * m[3 * x + bb];
                        crow[(3 * a + bb) * P + p] = sum;
                    }
            }
        }
        add_center_terms(row, type_block[static_cast<size_t>(centers[c])], T);
    }
}

void lode::Engine::backward_periodic(const System& system, const ExpansionRequest& request,
                                               const std::vector<int32_t>& centers,
                                               const std::vector<int>& type_block, const double* adjoint,
                                               double* positions, double* strain) const {
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;
    const ParitySplit split(L, N);
    const int Qe = split.Qe, Qo = split.Qo;
    const int Qep = padded(Qe), Qop = padded(Qo);
    const size_t n_centers = centers.size();
    const size_t n_atoms = system.size();
    const size_t rows = n_centers * static_cast<size_t>(T);  // (c, t) pairs

    const std::shared_ptr<const KCache> cache = k_cache(system.cell, strain != nullptr);
    const bool cached = cache->coef.size > 0;
    const KSpace ks = make_kspace(system, cache->kv, zero_term(system, type_block, T));
    const KVectors& kv = cache->kv;
    const size_t n_k = kv.size();
    const size_t KB = block_size(n_k, n_atoms, P);

    // With A_ct(k) = e^{ik.r_c} S_t(k) and the adjoint rows g_c[t][q] split by
    // parity, L = sum_k sum_{c,t} Re(gamma_ct(k) A_ct(k)), where
    // gamma_ct = Gamma^e_ct - i Gamma^o_ct and Gamma_ct(k) = sum_q H_q(k) g_c[t][q].
    // Forces need Gamma (one product as large as the values'); the strain
    // needs Z_q(k) = sum_{c,t} g_c[t][q] (Re | Im) A_ct(k) (another), since
    // dL/dstrain_xy = -sum_k k_y sum_q dH_q/dk_x Z_q(k) - delta_xy L.
    // g as [c][t][q] (rows padded with zeros) and transposed, [q][c][t].
    std::vector<double>& gse = kept<11>();
    std::vector<double>& gso = kept<12>();
    std::vector<double>& gte = kept<13>();
    std::vector<double>& gto = kept<14>();
    gse.assign(rows * Qep, 0.0);
    gso.assign(rows * Qop, 0.0);
    gte.resize(static_cast<size_t>(Qe) * rows);
    gto.resize(static_cast<size_t>(Qo) * rows);
    for (size_t c = 0; c < n_centers; ++c)
        for (int t = 0; t < T; ++t) {
            const size_t r = c * T + t;
            for (int q = 0; q < Qe; ++q) gse[r * Qep + q] = adjoint[c * P + split.even_column(q, t, T, N)];
            for (int q = 0; q < Qo; ++q) gso[r * Qop + q] = adjoint[c * P + split.odd_column(q, t, T, N)];
        }
    // transposed in tiles of 8 rows: column-by-column writes would touch a
    // new page per element
    for (size_t r0 = 0; r0 < rows; r0 += 8) {
        const size_t r1 = std::min(rows, r0 + 8);
        for (int q = 0; q < Qe; ++q)
            for (size_t r = r0; r < r1; ++r) gte[q * rows + r] = gse[r * Qep + q];
        for (int q = 0; q < Qo; ++q)
            for (size_t r = r0; r < r1; ++r) gto[q * rows + r] = gso[r * Qop + q];
    }

    const int n_threads = omp_get_max_threads();
    std::vector<double> strain_partial(9 * static_cast<size_t>(n_threads), 0.0);
    std::vector<double> force(positions ? 3 * n_atoms : 0, 0.0);
    constexpr size_t CB = 8;   // centres per chunk of the force pass
    constexpr size_t RB = 16;  // k-vectors per chunk of the strain pass
    const size_t n_chunks = (n_centers + CB - 1) / CB;

    KBlock& blk = kept_block();
    KCoefficients local;  // of the current block when the cache has none
    std::vector<double>& partial = kept<10>();
    std::vector<double>& u_partial = kept<15>();
    std::vector<double>& ur = kept<16>();
    std::vector<double>& ui = kept<17>();
#pragma omp parallel num_threads(n_threads)
    {
        const int tid = omp_get_thread_num();
        const int team = omp_get_num_threads();
        double* my_strain = &strain_partial[9 * static_cast<size_t>(tid)];
        std::vector<double>& gamma_e = kept<0>();
        std::vector<double>& gamma_o = kept<1>();
        std::vector<double>& ar = kept<2>();
        std::vector<double>& ai = kept<3>();
        std::vector<double>& ze = kept<4>();
        std::vector<double>& zo = kept<5>();
        if (positions) {
            gamma_e.resize(KB * CB * T);
            gamma_o.resize(KB * CB * T);
        }
        if (strain) {
            ar.resize(RB * rows);
            ai.resize(RB * rows);
            ze.resize(RB * Qep);
            zo.resize(RB * Qop);
        }
        for (size_t begin = 0; begin < n_k; begin += KB) {
#pragma omp single
            {
                blk.begin = begin;
                blk.size = std::min(KB, n_k - begin);
                if (positions) {
                    u_partial.assign(static_cast<size_t>(team) * blk.size * T * 2, 0.0);
                    ur.resize(blk.size * T);
                    ui.resize(blk.size * T);
                }
            }
            if (!cached)
                fill_coefficients(local, kv, blk.begin, blk.size, ks.volume, split, L, N, *potential_, *radial_,
                                  harmonics_, strain != nullptr);
            const KCoefficients& co = cached ? cache->coef : local;
            const size_t off = blk.begin - co.begin;
            fill_block_phases(blk, ks, system, type_block, T, false, partial);
            const size_t nb = blk.size;

            if (strain) {
                const size_t n_row_chunks = (nb + RB - 1) / RB;
#pragma omp for schedule(static)
                for (int64_t chunk = 0; chunk < static_cast<int64_t>(n_row_chunks); ++chunk) {
                    const size_t k0 = static_cast<size_t>(chunk) * RB;
                    const size_t nr = std::min(RB, nb - k0);
                    // A^T: [k][c][t], written row by row (the centres' phases of
                    // the chunk stay in L1 across its rows)
                    for (size_t kr = 0; kr < nr; ++kr) {
                        const size_t kb = k0 + kr;
                        double* a_r = &ar[kr * rows];
                        double* a_i = &ai[kr * rows];
                        for (int t = 0; t < T; ++t) {
                            const double sr = blk.sr[kb * T + t], si = blk.si[kb * T + t];
                            for (size_t c = 0; c < n_centers; ++c) {
                                const size_t i = static_cast<size_t>(centers[c]);
                                const double pr = blk.pr[i * nb + kb], pi = blk.pi[i * nb + kb];
                                a_r[c * T + t] = pr * sr - pi * si;
                                a_i[c * T + t] = pr * si + pi * sr;
                            }
                        }
                    }
                    std::fill(ze.begin(), ze.begin() + nr * Qep, 0.0);
                    std::fill(zo.begin(), zo.begin() + nr * Qop, 0.0);
                    const int R = static_cast<int>(rows);
                    lode::gemm_accumulate(static_cast<int>(nr), Qep, R, ar.data(), rows, gse.data(), Qep, ze.data(), Qep);
                    lode::gemm_accumulate(static_cast<int>(nr), Qop, R, ai.data(), rows, gso.data(), Qop, zo.data(), Qop);
                    for (size_t kr = 0; kr < nr; ++kr) {
                        const size_t kb = k0 + kr;
                        const size_t kc = off + kb;  // row in the coefficients
                        const double* kvec = &kv.k[3 * (blk.begin + kb)];
                        const double* z_e = &ze[kr * Qep];
                        const double* z_o = &zo[kr * Qop];
                        const double loss = dot4(Qep, &co.he[kc * Qep], z_e) + dot4(Qop, &co.ho[kc * Qop], z_o);
                        for (int x = 0; x < 3; ++x) {
                            const double d = dot4(Qep, &co.dhe[(kc * 3 + x) * Qep], z_e) +
                                             dot4(Qop, &co.dho[(kc * 3 + x) * Qop], z_o);
                            for (int y = 0; y < 3; ++y) my_strain[3 * x + y] -= kvec[y] * d;
                            my_strain[4 * x] -= loss;
                        }
                    }
                }
            }
            if (!positions) continue;

            // Centres' own terms, dL/dr_m = -sum_k k Im(e^{ik.r_m} sum_t S_t gamma_mt),
            // and per-thread parts of U_t(k) = sum_c gamma_ct(k) e^{ik.r_c}.
            double* my_u = &u_partial[static_cast<size_t>(tid) * nb * T * 2];
            const double* he = co.he.data() + off * Qep;
            const double* ho = co.ho.data() + off * Qop;
#pragma omp for schedule(static)
            for (int64_t chunk = 0; chunk < static_cast<int64_t>(n_chunks); ++chunk) {
                const size_t c0 = static_cast<size_t>(chunk) * CB;
                const size_t nc = std::min(CB, n_centers - c0);
                const size_t nr = nc * T;
                // Gamma^T: [k][c][t]
                std::fill(gamma_e.begin(), gamma_e.begin() + nb * nr, 0.0);
                std::fill(gamma_o.begin(), gamma_o.begin() + nb * nr, 0.0);
                lode::gemm_accumulate(static_cast<int>(nb), static_cast<int>(nr), Qe, he, Qep, &gte[c0 * T], rows,
                                      gamma_e.data(), nr);
                lode::gemm_accumulate(static_cast<int>(nb), static_cast<int>(nr), Qo, ho, Qop, &gto[c0 * T], rows,
                                      gamma_o.data(), nr);
                double f[CB][3] = {};
                for (size_t kb = 0; kb < nb; ++kb) {
                    const double* kvec = &kv.k[3 * (blk.begin + kb)];
                    const double* g_e = &gamma_e[kb * nr];
                    const double* g_o = &gamma_o[kb * nr];
                    for (int t = 0; t < T; ++t) {
                        const double sr = blk.sr[kb * T + t], si = blk.si[kb * T + t];
                        double u_r = 0.0, u_i = 0.0;
                        for (size_t cc = 0; cc < nc; ++cc) {
                            const size_t m = static_cast<size_t>(centers[c0 + cc]);
                            const double pr = blk.pr[m * nb + kb], pi = blk.pi[m * nb + kb];
                            const double ge = g_e[cc * T + t], go = g_o[cc * T + t];
                            // Im(e^{ik.r_m} S_t gamma_mt)
                            const double a_r = sr * ge + si * go, a_i = si * ge - sr * go;
                            const double im = pr * a_i + pi * a_r;
                            for (int x = 0; x < 3; ++x) f[cc][x] -= kvec[x] * im;
                            u_r += ge * pr + go * pi;
                            u_i += ge * pi - go * pr;
                        }
                        my_u[(kb * T + t) * 2] += u_r;
                        my_u[(kb * T + t) * 2 + 1] += u_i;
                    }
                }
                for (size_t cc = 0; cc < nc; ++cc) {
                    const size_t m = static_cast<size_t>(centers[c0 + cc]);
                    for (int x = 0; x < 3; ++x) force[3 * m + x] += f[cc][x];
                }
            }
            // U summed in thread order (the same result for a given thread count)
#pragma omp for schedule(static)
            for (int64_t kk = 0; kk < static_cast<int64_t>(nb * T); ++kk) {
                const size_t kt = static_cast<size_t>(kk);
                double sum_r = 0.0, sum_i = 0.0;
                for (int th = 0; th < team; ++th) {
                    sum_r += u_partial[(static_cast<size_t>(th) * nb * T + kt) * 2];
                    sum_i += u_partial[(static_cast<size_t>(th) * nb * T + kt) * 2 + 1];
                }
                ur[kt] = sum_r;
                ui[kt] = sum_i;
            }
            // every atom of a neighbour type: dL/dr_m = sum_k k Im(U_{t_m}(k) e^{-ik.r_m})
#pragma omp for schedule(static)
            for (int64_t mm = 0; mm < static_cast<int64_t>(n_atoms); ++mm) {
                const size_t m = static_cast<size_t>(mm);
                const int tm = type_block[m];
                if (tm < 0) continue;
                const double* prm = &blk.pr[m * nb];
                const double* pim = &blk.pi[m * nb];
                double f[3] = {0.0, 0.0, 0.0};
                for (size_t kb = 0; kb < nb; ++kb) {
                    const double im = ui[kb * T + tm] * prm[kb] - ur[kb * T + tm] * pim[kb];
                    const double* kvec = &kv.k[3 * (blk.begin + kb)];
                    for (int x = 0; x < 3; ++x) f[x] += kvec[x] * im;
                }
                for (int x = 0; x < 3; ++x) force[3 * m + x] += f[x];
            }
        }
    }
    if (positions)
        for (size_t k = 0; k < 3 * n_atoms; ++k) positions[k] += force[k];
    if (strain) {
        for (int th = 0; th < n_threads; ++th)
            for (int k = 0; k < 9; ++k) strain[k] += strain_partial[9 * static_cast<size_t>(th) + k];
        // k = 0 term scales as 1 / V
        double k0_loss = 0.0;
        for (size_t c = 0; c < n_centers; ++c)
            for (size_t k = 0; k < ks.zero.size(); ++k) k0_loss += adjoint[c * P + k] * ks.zero[k];
        for (int x = 0; x < 3; ++x) strain[4 * x] -= k0_loss;
    }
}

}  // namespace lodestone
