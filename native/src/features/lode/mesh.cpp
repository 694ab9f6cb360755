// LODE expansion of periodic systems on a particle mesh: the same k sum as
// compute_periodic (docs/design.md, "LODE expansion"),
//   v[i][a][n,l,m] = sum_{0<|k|<k_cut} K_nlm(k) S_a(k) e^{ik.r_i},
//   K_nlm(k) = (4 pi / V) G_p(|k|) I_nl(|k|) Y_lm(k^) i^l,
// with S_a(k) and the centre's phase replaced by assignment with a window W
// (a B-spline or a Kaiser-Bessel window, longrange/mesh/mesh_grid.hpp;
// spreading gives S_a(m) times W^(m), the window's Fourier transform, plus
// aliases, and so does interpolation for the phase):
//   Q_a(x)    = sum_{j in a} W(x - u_j), Q^_a = FFT(Q_a)             (per type)
//   phi_ch(x) = IFFT[K_ch(k_m) D(m) Q^_a(m)]                        (per channel)
//   v_i[ch]   = sum_x W(x - u_i) phi_ch(x),
// D(m) = 1 / |W^(m)|^2 (mesh::window_inverse_power): the k-vector's own
// term is exact and aliasing is the only error. (Smooth PME's Euler-spline
// |b(m)|^2 instead divides by the aliased sum, which scales every term by a
// first-order error too: about twice the RMS error at equal cost here.)
// K_ch is set to zero outside the direct method's k-set (0 < |k| < k_cut;
// every mesh axis holds it, K_d > 2 max|m_d|), so mesh - direct is the
// B-spline aliasing error alone (estimate: lode_mesh_error, longrange/tuning/lode_mesh.hpp).
// K(-k) = conj(K(k)) (Y_lm(-k^) = (-1)^l Y_lm(k^)), so phi_ch is real: one
// c2r per channel. Memory is never channels x mesh: the densities are kept
// at the k-set's entries only, and each thread's FFT plan holds the band of
// its block of channels.
//
// Backward, L = sum_i sum_ch g_i[ch] v_i[ch] = sum_ch <G_ch, phi_ch> with
// G_ch(x) = sum_i g_i[ch] W(x - u_i):
//   centres: dL/du_i = sum_ch g_i[ch] sum_x dW(x - u_i)/du_i phi_ch(x);
//   sources: phi_ch = A_ch Q_a with A_ch^T = IFFT conj(K_ch D) FFT, so
//     Psi_a = IFFT[sum_ch conj(K_ch) D FFT(G_ch)] and
//     dL/du_j = sum_x dW(x - u_j)/du_j Psi_a(x), j in a;
//   strain: at fixed fractional coordinates the meshes do not change, only
//     K_ch through k -> (1 - eps^T) k and 1/V:
//     dK/deps_xy = -k_y dK/dk_x - delta_xy K, summed against Q^_a conj(FFT(G_ch)).
// Per channel: one FFT for values, one for backward (plus one per type):
// compute() keeps phi_ch and its gradient at the centres, so the backward of
// the same system (a force evaluation) needs no second inverse; otherwise
// it recomputes them. Channels go through the mesh mesh::kBlock (8) at a
// time on interleaved meshes, so each stencil pass serves eight of them (one
// AVX-512 vector per stencil point) and the FFT's axis passes fill their
// lane batches with the columns of all eight, and neither
// those meshes nor their spectra exist in full (Fft3dPlan::inverse_columns /
// forward_columns): the real meshes pass one plane at a time between the
// FFT and the stencils (mesh::PlaneStream keeps the few planes the
// centres' stencils still need), the spectra one row m_1 at a time between
// the FFT and the k-space kernels (entries sorted by row). The k = 0 term
// and the centre-weight correction are added as in compute_periodic.
// A contraction of the channels (ContractedExpansion, K per l) acts before
// the FFTs: channel (l, m, k) has the spectrum i^l Y_lm D sum_a K_lka Q^_a
// with K_lka = sum_n U_l[k][a n] K_nl (mix_columns), so the mesh works on
// L^2 K channels instead of L^2 T N.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <set>
#include <string>
#include <tuple>

#include "features/lode/potential.hpp"
#include "features/lode/engine.hpp"
#include "features/lode/mesh.hpp"
#include "lodestone/core/error.hpp"
#include "math/fft.hpp"
#include "math/kvectors.hpp"
#include "longrange/mesh/mesh_grid.hpp"

namespace lodestone {

namespace lode {

LodeMeshTuningRequest mesh_request(const LodeExpansionHypers& hypers, bool mesh_allowed) {
    LodeMeshTuningRequest request;
    request.method = hypers.method;
    request.accuracy = hypers.accuracy;
    request.mesh = hypers.mesh;
    request.mesh_spacing = hypers.mesh_spacing;
    request.mesh_order = hypers.mesh_order;
    request.mesh_allowed = mesh_allowed;
    return request;
}

}  // namespace lode

namespace {

mesh::Window window_of(const LodeMethodParameters& method) { return {method.mesh_order, method.mesh_beta}; }

// i^l = sign (even l) or i sign (odd l)
double parity_sign(int l) { return ((l / 2) % 2 == 0) ? 1.0 : -1.0; }

// The k-vectors of the direct sum on the mesh's half spectrum (last axis
// m_2 >= 0): k with m_2 > 0 or -k, and both when m_2 = 0. In the order the
// FFT exchanges rows of the spectrum (Fft3dPlan::inverse_columns): by mesh
// index m_1, then m_0, then m_2, so the entries of row m_1 are
// [row_start[m_1], row_start[m_1 + 1]) and entry i sits at `offset[i]` =
// (m_0 h_band + m_2) grids of that row's interleaved blocks (`grids` per
// block); row_last[m_1] is the largest m_2 of row m_1 (-1: none), so the FFT
// skips the columns of the sphere's corners.
struct MeshEntries {
    std::vector<size_t> index;   // into the half spectrum
    std::vector<size_t> offset;  // in its row's column block
    std::vector<size_t> row_start;
    Fft3dPlan::RowBands row_last;
    std::vector<double> k;       // [e][3]
    std::vector<double> norm;
    std::vector<double> weight;  // 1 on the m_2 = 0 plane, 2 elsewhere: sums over the full spectrum
    std::vector<double> moduli;  // D(m)
    size_t size() const { return norm.size(); }
};

MeshEntries mesh_entries(const KVectors& kv, const std::array<int64_t, 3>& mesh, const mesh::Window& window,
                         size_t h_band, size_t grids) {
    std::array<std::vector<double>, 3> moduli;
    for (int d = 0; d < 3; d++) moduli[static_cast<size_t>(d)] = mesh::window_inverse_power(mesh[static_cast<size_t>(d)], window);
    const int64_t n2c = mesh[2] / 2 + 1;
    struct Raw {
        int64_t idx[3];
        double k[3], sign;
        bool plane;  // m_2 = 0
    };
    std::vector<Raw> raw;
    auto add = [&](const int* m, const double* k, double sign) {
        Raw r{};
        for (int d = 0; d < 3; d++) {
            int64_t v = static_cast<int64_t>(sign) * m[d];
            if (v < 0) v += mesh[static_cast<size_t>(d)];
            r.idx[d] = v;
            r.k[d] = sign * k[d];
        }
        r.plane = m[2] == 0;
        raw.push_back(r);
    };
    for (size_t q = 0; q < kv.size(); q++) {
        const int* m = &kv.m[3 * q];
        const double* k = &kv.k[3 * q];
        if (m[2] > 0) {
            add(m, k, 1.0);
        } else if (m[2] < 0) {
            add(m, k, -1.0);
        } else {
            add(m, k, 1.0);
            add(m, k, -1.0);
        }
    }
    std::sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) {
        return std::make_tuple(a.idx[1], a.idx[0], a.idx[2]) < std::make_tuple(b.idx[1], b.idx[0], b.idx[2]);
    });
    MeshEntries e;
    e.row_start.assign(static_cast<size_t>(mesh[1]) + 1, 0);
    e.row_last.assign(static_cast<size_t>(mesh[1]), -1);
    for (const Raw& r : raw) {
        e.index.push_back(static_cast<size_t>((r.idx[0] * mesh[1] + r.idx[1]) * n2c + r.idx[2]));
        e.offset.push_back((static_cast<size_t>(r.idx[0]) * h_band + static_cast<size_t>(r.idx[2])) * grids);
        int64_t& last = e.row_last[static_cast<size_t>(r.idx[1])];
        last = std::max(last, r.idx[2]);
        e.row_start[static_cast<size_t>(r.idx[1]) + 1]++;
        for (int x = 0; x < 3; x++) e.k.push_back(r.k[x]);
        e.norm.push_back(std::sqrt(r.k[0] * r.k[0] + r.k[1] * r.k[1] + r.k[2] * r.k[2]));
        e.weight.push_back(r.plane ? 1.0 : 2.0);
        e.moduli.push_back(moduli[0][static_cast<size_t>(r.idx[0])] * moduli[1][static_cast<size_t>(r.idx[1])] *
                           moduli[2][static_cast<size_t>(r.idx[2])]);
    }
    for (size_t m = 0; m + 1 < e.row_start.size(); m++) e.row_start[m + 1] += e.row_start[m];
    return e;
}

int count_types(const System& system) {
    std::set<int32_t> types(system.types.begin(), system.types.end());
    return std::max<int>(1, static_cast<int>(types.size()));
}

}  // namespace

LodeMethodParameters lode::Engine::parameters(const System& system, bool gradients) const {
    const bool periodic = system.pbc[0] && system.pbc[1] && system.pbc[2];
    if (!periodic || system.size() == 0) return LodeMethodParameters{"direct"};
    // The choice depends on the cell, the atom and type counts only: MD at
    // fixed cell tunes once (tuning costs as much as a small direct sum).
    const MethodKey key{system.cell, system.size(), count_types(system), gradients};
    {
        std::lock_guard<std::mutex> lock(method_cache_mutex_);
        if (method_cache_ && method_cache_->first == key) return method_cache_->second;
    }
    LodeMethodParameters out = choose_method(system, key.n_types, gradients);
    std::lock_guard<std::mutex> lock(method_cache_mutex_);
    method_cache_ = std::make_pair(key, out);
    return out;
}

LodeMethodParameters lode::Engine::choose_method(const System& system, int T, bool gradients) const {
    if (hypers_.method == "split") return split_parameters(system, T);
    LodeMethodParameters out;
    out.method = "direct";
    const KVectors kv = half_space_kvectors(system.cell, hypers_.k_cutoff);
    out.n_kvectors = kv.size();
    if (kv.size() == 0) return out;  // compute_periodic reports it

    // w(k) = G^2 sum_{n,l} (2l+1) I_nl^2 (longrange/tuning/lode_mesh.hpp), and the value scale
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    std::vector<double> weight(kv.size());
#pragma omp parallel for schedule(static)
    for (int64_t q = 0; q < static_cast<int64_t>(kv.size()); q++) {
        thread_local std::vector<double> I;
        I.resize(static_cast<size_t>(L * N));
        const double k = kv.norm[static_cast<size_t>(q)];
        radial_->compute(k, I.data(), nullptr);
        double sum = 0.0;
        for (int l = 0; l < L; l++)
            for (int n = 0; n < N; n++) sum += (2 * l + 1) * I[static_cast<size_t>(l * N + n)] * I[static_cast<size_t>(l * N + n)];
        const double g = potential_->fourier(k);
        weight[static_cast<size_t>(q)] = g * g * sum;
    }
    const double volume = std::fabs(determinant3(system.cell));
    double total = 0.0;
    for (double w : weight) total += w;
    // mean over channels of (N_a) 2 sum_k (4 pi / V)^2 G^2 sum_nl (2l+1)/(4 pi) I^2
    const double per_type = static_cast<double>(system.size()) / T;
    out.value_scale = std::sqrt(per_type * 2.0 * 4.0 * M_PI / (volume * volume) * total / (L * L * N));

    const size_t channels = static_cast<size_t>(L * L) * T * N;
    const LodeMeshTuning tuning = tune_lode_mesh(system.cell, kv, weight, LodeMeshWork{system.size(), system.size(), channels},
                                                 lode::mesh_request(hypers_, !gradients));
    out.method = tuning.method;
    out.direct_cost = tuning.direct_cost;
    out.mesh_cost = tuning.mesh_cost;
    if (tuning.mesh_order != 0) {
        out.mesh = tuning.mesh;
        out.mesh_order = tuning.mesh_order;
        out.mesh_beta = tuning.mesh_beta;
        out.mesh_spacing = tuning.mesh_spacing;
        out.estimated_error = tuning.estimated_error;
    }
    if (hypers_.method == "auto" && split_agrees(system)) {
        // 'split' computes the field without the band limit: a candidate only
        // when the band limit of the others is itself within `accuracy`
        LodeMethodParameters split = split_parameters(system, T);
        if (split.split_cost < std::min(out.direct_cost, out.mesh_cost)) {
            split.direct_cost = out.direct_cost;
            split.mesh_cost = out.mesh_cost;
            return split;
        }
        out.split_cost = split.split_cost;
    }
    return out;
}

namespace {

// Everything of one system and mesh that all channels share: the cell's
// k-space part (lode::MeshKSpace, the same for every step of MD at fixed
// cell) and the densities of the atoms' types at its entries.
struct MeshSetup {
    std::shared_ptr<const lode::MeshKSpace> k;
    std::vector<std::vector<std::complex<double>>> density;  // Q^_t at the entries, [t][e]
    // With a contraction: the sum over types of kernel times density that the
    // channels (l, m, k) of every m share, [l][k][e]
    std::vector<std::complex<double>> mixed_density;

    size_t bytes() const;
};

}  // namespace

// Radial kernels per (l, n) [l][n][e] (coef or its derivative) mixed by a
// contraction into those of contracted channel k for type t, [l][k][t][e]:
// sum_n U_l[k][t n] columns[l][n][e]. A contracted channel's field is
// sum_t IFFT[mixed_lkt Y_lm D Q^_t]: the contraction acts before the FFT.
static std::vector<double> mix_columns(const std::vector<double>& columns, size_t n_e, int L, int N, int T,
                                       const ChannelContraction& u) {
    const int K = u.channels, W = u.width;
    std::vector<double> out(static_cast<size_t>(L * K * T) * n_e, 0.0);
#pragma omp parallel for schedule(static)
    for (int64_t lkt = 0; lkt < static_cast<int64_t>(L * K * T); lkt++) {
        const int l = static_cast<int>(lkt) / (K * T), k = static_cast<int>(lkt) / T % K, t = static_cast<int>(lkt) % T;
        double* o = &out[static_cast<size_t>(lkt) * n_e];
        for (int n = 0; n < N; n++) {
            const double w = u.matrices[static_cast<size_t>((l * K + k) * W + t * N + n)];
            if (w == 0.0) continue;
            const double* c = &columns[static_cast<size_t>(l * N + n) * n_e];
            for (size_t e = 0; e < n_e; e++) o[e] += w * c[e];
        }
    }
    return out;
}

// What a cell, mesh and contraction give every channel, whatever the
// positions: the k-vectors on the mesh and their radial kernels and
// harmonics.
struct lode::MeshKSpace {
    // what it was made for
    std::array<double, 9> cell{};
    std::array<int64_t, 3> mesh{};
    mesh::Window window;
    int types = 0;
    std::vector<double> contraction;  // its matrices; empty: none
    int contracted = 0;               // its channels

    KVectors kv;
    MeshEntries entries;
    // Column-major, so that a channel's loop over the entries streams:
    std::vector<double> coef;  // [l][n][e]: (4 pi / V) G I_nl
    // With a contraction: coef mixed into each contracted channel's kernel
    // for each type, [l][k][t][e] (mix_columns), and the scale of its
    // channels (ones, BlockChannels)
    std::vector<double> mixed;
    std::vector<double> ones;
    std::vector<double> Y;     // [lm][e]
    // Largest |m_d| of the k-set: the FFTs transform only the lines that can
    // hold it (fft.hpp's band-limited transforms).
    std::array<int64_t, 3> band{};
    size_t h_band = 0;

    bool matches(const System& system, const LodeMethodParameters& method, int T, const ChannelContraction* u) const {
        if (u ? contracted != u->channels || !std::equal(contraction.begin(), contraction.end(), u->matrices)
              : contracted != 0)
            return false;
        return cell == system.cell && mesh == method.mesh && window == window_of(method) && types == T;
    }
    size_t bytes() const {
        return (coef.size() + mixed.size() + ones.size() + Y.size() + kv.k.size() + kv.norm.size()) * sizeof(double) +
               kv.m.size() * sizeof(int) + entries.size() * (7 * sizeof(double) + 2 * sizeof(size_t));
    }
};

size_t MeshSetup::bytes() const {
    size_t total = k->bytes() + mixed_density.size() * sizeof(std::complex<double>);
    for (const auto& d : density) total += d.size() * sizeof(std::complex<double>);
    return total;
}

std::shared_ptr<const lode::MeshKSpace> lode::Engine::mesh_kspace(const System& system, int T,
                                                                  const LodeMethodParameters& method,
                                                                  const ChannelContraction* contraction) const {
    {
        std::lock_guard<std::mutex> lock(mesh_kspace_mutex_);
        if (mesh_kspace_ && mesh_kspace_->matches(system, method, T, contraction)) return mesh_kspace_;
    }
    const double k_cutoff = hypers_.k_cutoff;
    const LodeRadialIntegral& radial = *radial_;
    auto made = std::make_shared<MeshKSpace>();
    MeshKSpace& s = *made;
    s.kv = half_space_kvectors(system.cell, k_cutoff);
    if (s.kv.size() == 0) {
        throw Error("k_cutoff too small: no reciprocal lattice vector has 0 < |k| < k_cutoff = " +
                    format_number(k_cutoff) + " 1/A for this cell; increase k_cutoff");
    }
    const std::array<int, 3> bound = max_frequencies(s.kv);
    s.band = {bound[0], bound[1], bound[2]};
    s.h_band = std::min(static_cast<size_t>(method.mesh[2] / 2 + 1), static_cast<size_t>(s.band[2]) + 1);
    s.entries = mesh_entries(s.kv, method.mesh, window_of(method), s.h_band, mesh::kBlock);
    const int L = radial.max_angular() + 1;
    const int N = radial.max_radial() + 1;
    const int LM = L * L;
    const size_t n_e = s.entries.size();
    const double volume = std::fabs(determinant3(system.cell));
    s.coef.resize(n_e * static_cast<size_t>(L * N));
    s.Y.resize(n_e * static_cast<size_t>(LM));
#pragma omp parallel for schedule(static)
    for (int64_t ee = 0; ee < static_cast<int64_t>(n_e); ee++) {
        thread_local std::vector<double> c, Y;
        c.resize(static_cast<size_t>(L * N));
        Y.resize(static_cast<size_t>(LM));
        const size_t e = static_cast<size_t>(ee);
        const double kn = s.entries.norm[e];
        const double* k = &s.entries.k[3 * e];
        const double u[3] = {k[0] / kn, k[1] / kn, k[2] / kn};
        radial.compute(kn, c.data(), nullptr);
        const double g = 4.0 * M_PI / volume * potential_->fourier(kn);
        for (size_t q = 0; q < c.size(); q++) s.coef[q * n_e + e] = g * c[q];
        harmonics_.compute(u, Y.data(), nullptr);
        for (size_t lm = 0; lm < Y.size(); lm++) s.Y[lm * n_e + e] = Y[lm];
    }
    if (contraction) {
        s.mixed = mix_columns(s.coef, n_e, L, N, T, *contraction);
        s.ones.assign(n_e, 1.0);
        s.contracted = contraction->channels;
        s.contraction.assign(contraction->matrices,
                             contraction->matrices + static_cast<size_t>(L * contraction->channels) * contraction->width);
    }
    s.cell = system.cell;
    s.mesh = method.mesh;
    s.window = window_of(method);
    s.types = T;
    std::lock_guard<std::mutex> lock(mesh_kspace_mutex_);
    mesh_kspace_ = made;
    return made;
}

// The densities of the atoms' types at the k-space entries (and their
// mixtures with a contraction's kernels).
static MeshSetup make_mesh_setup(const System& system, const lode::CenterLayout& layout, int T,
                                 std::shared_ptr<const lode::MeshKSpace> kspace, const mesh::Assignment& assignment) {
    const std::vector<int>& type_block = layout.type_block;
    MeshSetup s;
    s.k = std::move(kspace);
    const lode::MeshKSpace& k = *s.k;
    const size_t n_e = k.entries.size();
    Fft3dPlan plan(k.mesh[0], k.mesh[1], k.mesh[2]);
    std::vector<double> grid(plan.real_size());
    std::vector<std::complex<double>> spectrum(plan.complex_size());
    std::vector<double> weight(system.size());
    s.density.resize(static_cast<size_t>(T));
    for (int t = 0; t < T; t++) {
        for (size_t j = 0; j < system.size(); j++) weight[j] = type_block[j] == t ? 1.0 : 0.0;
        assignment.spread(weight.data(), grid.data());
        plan.forward(grid.data(), spectrum.data(), k.band);
        auto& q = s.density[static_cast<size_t>(t)];
        q.resize(n_e);
        for (size_t i = 0; i < n_e; i++) q[i] = spectrum[k.entries.index[i]];
    }
    if (k.contracted != 0) {
        const size_t LK = k.mixed.size() / (static_cast<size_t>(T) * n_e);
        s.mixed_density.assign(LK * n_e, std::complex<double>(0.0, 0.0));
#pragma omp parallel for schedule(static)
        for (int64_t lk = 0; lk < static_cast<int64_t>(LK); lk++) {
            std::complex<double>* out = &s.mixed_density[static_cast<size_t>(lk) * n_e];
            for (int t = 0; t < T; t++) {
                const double* kernel = &k.mixed[(static_cast<size_t>(lk) * T + static_cast<size_t>(t)) * n_e];
                const std::complex<double>* q = s.density[static_cast<size_t>(t)].data();
                for (size_t i = 0; i < n_e; i++) out[i] += kernel[i] * q[i];
            }
        }
    }
    return s;
}

// A plain channel (t, l, m, n) has the spectrum i^l Y_lm D K_ln Q^_t
// (K_ln: column `kernel` = l N + n of MeshSetup::coef); a contracted
// channel (l, m, k) has i^l Y_lm D sum_t K_lkt Q^_t, whose sum over types
// is row `kernel` = l K + k of MeshSetup::mixed_density and whose kernel of
// type t is row kernel T + t of MeshSetup::mixed.
struct Channel {
    int l, lm;
    size_t col;     // in a centre's row
    int t;          // plain only
    size_t kernel;
};
static std::vector<Channel> channel_list(int L, int N, int T, const ChannelContraction* contraction) {
    std::vector<Channel> out;
    if (!contraction) {
        for (int t = 0; t < T; t++)
            for (int l = 0; l < L; l++)
                for (int lm = l * l; lm < (l + 1) * (l + 1); lm++)
                    for (int n = 0; n < N; n++)
                        out.push_back({l, lm, (static_cast<size_t>(lm) * T + t) * N + n, t, static_cast<size_t>(l * N + n)});
        return out;
    }
    const int K = contraction->channels;
    for (int l = 0; l < L; l++)
        for (int lm = l * l; lm < (l + 1) * (l + 1); lm++)
            for (int k = 0; k < K; k++) out.push_back({l, lm, static_cast<size_t>(lm) * K + k, 0, static_cast<size_t>(l * K + k)});
    return out;
}

// Channels go through the mesh mesh::kBlock at a time, their meshes
// interleaved (one stencil pass interpolates or spreads all of them).
constexpr size_t kBlock = mesh::kBlock;
// Kept per centre and block: the kBlock values, then their gradients along u.
constexpr size_t kCentreBlock = 4 * kBlock;

// Threads that work on channel blocks at once: each holds the band of its
// block's spectra in its FFT plan (at most half the points, complex, per
// channel), so very large meshes run on fewer threads rather than exhaust
// memory. (The real meshes go through the FFT plane by plane and the
// spectra row by row: a few planes and rows per thread.)
constexpr double kMeshWorkBytes = 4.0 * (1 << 30);
static int block_threads(const std::array<int64_t, 3>& mesh) {
    const double points = static_cast<double>(mesh[0]) * static_cast<double>(mesh[1]) * static_cast<double>(mesh[2]);
    const double per_thread = points * 8.0 * kBlock;
    const int fit = static_cast<int>(kMeshWorkBytes / per_thread);
    return std::max(1, std::min(omp_get_max_threads(), fit));
}

// What the k-space loops need of a block's channels: i^l = sign (i if
// odd), the lm column of Y, and per lane what its spectrum is made of:
// scale x source, a radial kernel (MeshSetup::coef) times its type's
// density for the plain expansion, ones times the contracted channel's
// MeshSetup::mixed_density. The backward pass also needs the kernels of
// each type (Channel::kernel).
struct BlockChannels {
    size_t count = 0;
    bool plain = true;
    std::array<size_t, kBlock> lm{}, kernel{};
    std::array<double, kBlock> sign{};
    std::array<bool, kBlock> odd{};
    std::array<const double*, kBlock> scale{};
    std::array<const std::complex<double>*, kBlock> source{};
    std::array<int, kBlock> t{};  // plain: the type
    BlockChannels(const MeshSetup& s, const std::vector<Channel>& channels, size_t first)
        : count(std::min(kBlock, channels.size() - first)), plain(s.k->mixed.empty()) {
        const size_t n_e = s.k->entries.size();
        for (size_t b = 0; b < count; b++) {
            const Channel& ch = channels[first + b];
            lm[b] = static_cast<size_t>(ch.lm);
            kernel[b] = ch.kernel;
            sign[b] = parity_sign(ch.l);
            odd[b] = ch.l % 2 == 1;
            t[b] = ch.t;
            if (plain) {
                scale[b] = &s.k->coef[ch.kernel * n_e];
                source[b] = s.density[static_cast<size_t>(ch.t)].data();
            } else {
                scale[b] = s.k->ones.data();
                source[b] = &s.mixed_density[ch.kernel * n_e];
            }
        }
    }
};

// Row m1 of the block's spectra, i^l Y_lm D scale source on the entries
// (the FFT cleared the blocks; a lane past the last channel stays zero).
static void fill_row(const MeshSetup& s, const BlockChannels& block, size_t m1, std::complex<double>* const* blocks) {
    const MeshEntries& e = s.k->entries;
    const size_t n_e = e.size();
    for (size_t i = e.row_start[m1]; i < e.row_start[m1 + 1]; i++) {
        for (size_t b = 0; b < block.count; b++) {
            const double c = block.sign[b] * block.scale[b][i] * s.k->Y[block.lm[b] * n_e + i] * e.moduli[i];
            const std::complex<double> z = block.source[b][i];
            blocks[b][e.offset[i]] = block.odd[b] ? std::complex<double>(-c * z.imag(), c * z.real()) : c * z;
        }
    }
}

// Inverse-transforms a block's spectra (filled row by row) plane by plane
// and calls use(k) for every rank k of the centres' visit order once the
// planes of its stencil exist (stream.interpolate reads them).
template <class Use>
static void stream_block(Fft3dPlan& plan, const MeshSetup& s, const BlockChannels& block, mesh::PlaneStream& stream,
                         Use&& use) {
    auto run = [&](std::pair<size_t, size_t> ranks) {
        for (size_t k = ranks.first; k < ranks.second; k++) use(k);
    };
    plan.inverse_columns(
        kBlock, s.k->band, [&](size_t m1, std::complex<double>* const* blocks) { fill_row(s, block, m1, blocks); },
        [&](size_t x) { return stream.plane(x); }, [&](size_t x) { run(stream.ready(x)); }, &s.k->entries.row_last);
    run(stream.wrapped());
}

// What compute_mesh keeps for a backward pass of the same system: the
// stencils, the shared k-space setup and, per centre and channel, the
// interpolated value and its gradient along the mesh axes (the centres' part
// of the forces without a second inverse FFT per channel).
struct lode::Engine::MeshCache {
    std::vector<double> positions;
    std::vector<int> type_block;
    std::vector<int32_t> centers;

    std::unique_ptr<mesh::Assignment> assignment;  // with derivatives
    MeshSetup setup;
    std::vector<size_t> visit;  // indices into centers in Assignment::locality_order
    // [block][k][kCentreBlock], k-th centre of `visit`: v[b], then dv[b]/du_d at 3 b + d.
    // Not value-initialised: the interpolation writes every entry, and
    // zeroing 17 MB (1728 ions) took ~2 ms of each step on the calling thread.
    std::unique_ptr<double[]> centre;

    bool matches(const System& system, const std::vector<int32_t>& centers_, const std::vector<int>& type_block_,
                 const LodeMethodParameters& method, int T, const ChannelContraction* u) const {
        return setup.k->matches(system, method, T, u) && centers == centers_ && type_block == type_block_ &&
               positions == system.positions;
    }
};

// The block's share of the backward pass from row m1 of its adjoint
// spectra G^_b (blocks as fill_row's), per type t and kernel of a channel:
//   acc[t] += conj(i^l) Y D kernel G^_b (sources, per entry, when acc is not null);
//   with dcoef (the kernels' derivatives, laid out as the table), per lm and
//   entry: Z1 += z kernel', Z2 += z kernel, where
//   z = w Re[i^l D Q^_t conj(G^_b)] (strain). Z1 and Z2 are column-major as
//   MeshSetup::Y.
struct AdjointRowSums {
    const double* dcoef;              // null: no strain
    std::complex<double>* const* acc;  // [t]; null: no forces
    double* Z1;
    double* Z2;
};
static void adjoint_row(const MeshSetup& s, const BlockChannels& block, size_t m1,
                        const std::complex<double>* const* blocks, const AdjointRowSums& sums) {
    const double* dcoef = sums.dcoef;
    std::complex<double>* const* acc = sums.acc;
    double* Z1 = sums.Z1;
    double* Z2 = sums.Z2;
    const MeshEntries& e = s.k->entries;
    const size_t n_e = e.size();
    for (size_t i = e.row_start[m1]; i < e.row_start[m1 + 1]; i++) {
        for (size_t b = 0; b < block.count; b++) {
            const std::complex<double> gh = blocks[b][e.offset[i]];
            const double sign = block.sign[b];
            const size_t lm = block.lm[b] * n_e + i;
            if (block.plain) {
                const double base = block.scale[b][i];
                if (acc) {
                    const double c = sign * base * s.k->Y[lm] * e.moduli[i];
                    acc[block.t[b]][i] += block.odd[b] ? std::complex<double>(c * gh.imag(), -c * gh.real()) : c * gh;
                }
                if (dcoef) {
                    const std::complex<double> prod = block.source[b][i] * std::conj(gh);
                    const double z = e.weight[i] * sign * e.moduli[i] * (block.odd[b] ? -prod.imag() : prod.real());
                    Z1[lm] += z * dcoef[block.kernel[b] * n_e + i];
                    Z2[lm] += z * base;
                }
                continue;
            }
            // conj(i^l) G^ = sign (-i if odd) G^
            const std::complex<double> g = block.odd[b] ? std::complex<double>(gh.imag(), -gh.real()) : gh;
            const double c = sign * s.k->Y[lm] * e.moduli[i];
            for (size_t t = 0; t < s.density.size(); t++) {
                const size_t column = (block.kernel[b] * s.density.size() + t) * n_e + i;
                const double kernel = s.k->mixed[column];
                if (acc) acc[t][i] += (c * kernel) * g;
                if (dcoef) {
                    const std::complex<double> prod = s.density[t][i] * std::conj(gh);
                    const double z = e.weight[i] * sign * e.moduli[i] * (block.odd[b] ? -prod.imag() : prod.real());
                    Z1[lm] += z * dcoef[column];
                    Z2[lm] += z * kernel;
                }
            }
        }
    }
}

// row[l = 0 columns] += l0 ([t][n], the plain expansion's l = 0 block), or
// its contraction U_0 l0.
static void add_l0(const std::vector<double>& l0, const ChannelContraction* u, double* row) {
    if (!u) {
        for (size_t k = 0; k < l0.size(); ++k) row[k] += l0[k];
        return;
    }
    for (int k = 0; k < u->channels; ++k)
        for (int w = 0; w < u->width; ++w) row[k] += u->matrices[static_cast<size_t>(k * u->width + w)] * l0[static_cast<size_t>(w)];
}

std::shared_ptr<const lode::Engine::MeshCache> lode::Engine::compute_mesh(
    const System& system, const ExpansionRequest& request, const CenterLayout& layout,
    const LodeMethodParameters& method, const ChannelContraction* contraction, double* values,
    size_t& cache_budget) const {
    const std::vector<int32_t>& centers = layout.centers;
    const std::vector<int>& type_block = layout.type_block;
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const std::vector<Channel> channels = channel_list(L, N, T, contraction);
    const size_t P = channels.size();
    const size_t n_centers = centers.size();
    std::fill(values, values + n_centers * P, 0.0);

    const size_t n_blocks = (channels.size() + kBlock - 1) / kBlock;
    auto cache = std::make_shared<MeshCache>();
    const size_t centre_bytes = n_blocks * n_centers * kCentreBlock * sizeof(double);
    // Only once this object has run a backward pass (it drives forces):
    // the gradients cost values-only callers about a quarter more time.
    bool keep = backward_seen_.load() && centre_bytes <= cache_budget;
    cache->assignment = std::make_unique<mesh::Assignment>(system, method.mesh, window_of(method), keep);
    const mesh::Assignment& assignment = *cache->assignment;
    cache->setup = make_mesh_setup(system, layout, T, mesh_kspace(system, T, method, contraction), assignment);
    const MeshSetup& s = cache->setup;
    const size_t kept = centre_bytes + s.bytes();
    keep = keep && kept <= cache_budget;
    if (keep) cache->centre.reset(new double[n_blocks * n_centers * kCentreBlock]);
    double* centre = cache->centre.get();
    cache->visit = assignment.locality_order(centers);
    const std::vector<size_t>& visit = cache->visit;
    // Blocks are shared among threads, each with its own plan and meshes:
    // one parallel region and no barrier per block (small per-channel
    // parallel loops stall when the machine is oversubscribed).
#pragma omp parallel num_threads(block_threads(method.mesh))
    {
        Fft3dPlan plan(method.mesh[0], method.mesh[1], method.mesh[2]);
        mesh::PlaneStream stream(assignment, centers, visit);
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < static_cast<int64_t>(n_blocks); blk++) {
            const size_t first = static_cast<size_t>(blk) * kBlock;
            const size_t count = std::min(kBlock, channels.size() - first);
            stream_block(plan, s, BlockChannels(s, channels, first), stream, [&](size_t k) {
                const size_t c = visit[k];
                double local[kCentreBlock];
                double* d = keep ? centre + (static_cast<size_t>(blk) * n_centers + k) * kCentreBlock : local;
                stream.interpolate(static_cast<size_t>(centers[c]), d, keep ? d + kBlock : nullptr);
                for (size_t b = 0; b < count; b++) values[c * P + channels[first + b].col] = d[b];
            });
        }
    }

    // the k = 0 term and the centre-weight correction: l = 0 columns [t][n]
    // of the plain expansion, contracted by U_0
    const std::vector<double> zero = zero_term(system, type_block, T);
    std::vector<double> l0(zero.size());
    for (size_t c = 0; c < n_centers; ++c) {
        l0 = zero;
        add_center_terms(l0.data(), type_block[static_cast<size_t>(centers[c])], T);
        add_l0(l0, contraction, values + c * P);
    }
    if (!keep) return nullptr;
    cache_budget -= kept;
    cache->positions = system.positions;
    cache->type_block = type_block;
    cache->centers = centers;
    return cache;
}

namespace {

// What the steps of backward_mesh share.
struct MeshBackward {
    const mesh::Assignment& assignment;
    const MeshSetup& setup;
    const std::vector<Channel>& channels;
    const std::vector<int32_t>& centers;
    const std::vector<int>& type_block;
    const std::vector<size_t>& visit;  // indices into centers in Assignment::locality_order
    const std::array<int64_t, 3>& mesh;
    int L, N, T;
    bool positions, strain;
};

// Sums of the backward pass over channel blocks: one per thread, then their
// total.
struct MeshAdjointSums {
    std::vector<std::vector<std::complex<double>>> psi;  // [t][entry]
    std::vector<double> centre_force, Z1, Z2;
    double loss = 0.0;
};

// d(coef)/dk per entry, column-major as MeshSetup::coef (the strain's
// dK/dk_x needs it).
std::vector<double> coefficient_derivatives(const MeshEntries& e, double volume, int LN,
                                            const LodeRadialIntegral& radial, const lode::Potential& potential) {
    const size_t n_e = e.size();
    std::vector<double> dcoef(n_e * static_cast<size_t>(LN));
#pragma omp parallel for schedule(static)
    for (int64_t ee = 0; ee < static_cast<int64_t>(n_e); ee++) {
        thread_local std::vector<double> I, dI;
        const size_t i = static_cast<size_t>(ee);
        I.resize(static_cast<size_t>(LN));
        dI.resize(static_cast<size_t>(LN));
        const double kn = e.norm[i];
        radial.compute(kn, I.data(), dI.data());
        const double g = potential.fourier(kn), dg = potential.d_fourier(kn);
        for (size_t q = 0; q < I.size(); q++) dcoef[q * n_e + i] = 4.0 * M_PI / volume * (dg * I[q] + g * dI[q]);
    }
    return dcoef;
}

// dL/dv by block, centre (visit rank) and channel: the block loop then
// reads it in sequence instead of one scattered value per centre row.
std::vector<double> adjoint_by_block(const MeshBackward& mb, const double* adjoint, size_t P) {
    const size_t n_centers = mb.centers.size();
    const std::vector<Channel>& channels = mb.channels;
    const size_t n_blocks = (channels.size() + kBlock - 1) / kBlock;
    std::vector<double> grad(n_blocks * n_centers * kBlock, 0.0);
#pragma omp parallel for schedule(static)
    for (int64_t kk = 0; kk < static_cast<int64_t>(n_centers); kk++) {
        const size_t k = static_cast<size_t>(kk);
        const double* row = adjoint + mb.visit[k] * P;
        for (size_t ch = 0; ch < channels.size(); ch++)
            grad[((ch / kBlock) * n_centers + k) * kBlock + ch % kBlock] = row[channels[ch].col];
    }
    return grad;
}

// Channel blocks shared among threads (static: sums are reproducible for a
// given thread count), each with its own plan, meshes and sums. `kept_centre`
// holds phi_ch and its gradient at the centres as compute_mesh kept them
// (MeshCache::centre), or is null: they are recomputed.
std::vector<MeshAdjointSums> block_sums(const MeshBackward& mb, const std::vector<double>& grad,
                                        const std::vector<double>& dcoef, const double* kept_centre, int n_threads) {
    const mesh::Assignment& assignment = mb.assignment;
    const MeshSetup& s = mb.setup;
    const std::vector<Channel>& channels = mb.channels;
    const std::vector<int32_t>& centers = mb.centers;
    const std::vector<size_t>& visit = mb.visit;
    const bool positions = mb.positions, strain = mb.strain;
    const size_t n_centers = centers.size();
    const size_t n_atoms = assignment.size();
    const size_t n_e = s.k->entries.size();
    const size_t n_blocks = (channels.size() + kBlock - 1) / kBlock;
    std::vector<MeshAdjointSums> partials(static_cast<size_t>(n_threads));
#pragma omp parallel num_threads(n_threads)
    {
        MeshAdjointSums& mine = partials[static_cast<size_t>(omp_get_thread_num())];
        mine.centre_force.assign(positions ? 3 * n_centers : 0, 0.0);
        if (positions) mine.psi.resize(static_cast<size_t>(mb.T));
        if (strain) {
            mine.Z1.assign(n_e * static_cast<size_t>(mb.L * mb.L), 0.0);
            mine.Z2.assign(n_e * static_cast<size_t>(mb.L * mb.L), 0.0);
        }
        Fft3dPlan plan(mb.mesh[0], mb.mesh[1], mb.mesh[2]);
        std::unique_ptr<mesh::PlaneStream> stream;
        if (!kept_centre) stream = std::make_unique<mesh::PlaneStream>(assignment, centers, visit);
        std::vector<double> weight(kBlock * n_atoms, 0.0);
        std::vector<std::complex<double>*> acc(static_cast<size_t>(mb.T), nullptr);  // mine.psi[t]
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < static_cast<int64_t>(n_blocks); blk++) {
            const size_t first = static_cast<size_t>(blk) * kBlock;
            const size_t count = std::min(kBlock, channels.size() - first);
            const double* g_block = grad.data() + static_cast<size_t>(blk) * n_centers * kBlock;
            if (std::all_of(g_block, g_block + n_centers * kBlock, [](double g) { return g == 0.0; })) continue;
            // the centres: loss and centre forces from phi_ch at the centres,
            // kept by compute_mesh or recomputed
            const BlockChannels block(s, channels, first);
            auto centre = [&](size_t k, const double* d) {
                const size_t c = visit[k];
                double du[3] = {0.0, 0.0, 0.0};
                for (size_t b = 0; b < count; b++) {
                    const double g = g_block[k * kBlock + b];
                    mine.loss += g * d[b];
                    if (positions)
                        for (size_t x = 0; x < 3; x++) du[x] += g * d[kBlock + 3 * b + x];
                }
                if (positions) assignment.add_cartesian(du, 1.0, &mine.centre_force[3 * c]);
            };
            if (kept_centre) {
                for (size_t k = 0; k < n_centers; k++)
                    centre(k, kept_centre + (static_cast<size_t>(blk) * n_centers + k) * kCentreBlock);
            } else {
                stream_block(plan, s, block, *stream, [&](size_t k) {
                    double local[kCentreBlock];
                    stream->interpolate(static_cast<size_t>(centers[visit[k]]), local, positions ? local + kBlock : nullptr);
                    centre(k, local);
                });
            }
            // sources and strain: G^_ch, spread and transformed plane by plane
            for (size_t k = 0; k < n_centers; k++)
                for (size_t b = 0; b < count; b++)
                    weight[kBlock * static_cast<size_t>(centers[visit[k]]) + b] += g_block[k * kBlock + b];
            const mesh::Assignment::PlaneAtoms sources = assignment.plane_atoms(weight.data());
            if (positions) {
                // the types this block adds to: its lanes' (plain) or all of them
                auto use = [&](size_t t) {
                    if (mine.psi[t].empty()) mine.psi[t].assign(n_e, std::complex<double>(0.0, 0.0));
                    acc[t] = mine.psi[t].data();
                };
                if (block.plain) {
                    for (size_t b = 0; b < count; b++) use(static_cast<size_t>(block.t[b]));
                } else {
                    for (size_t t = 0; t < static_cast<size_t>(mb.T); t++) use(t);
                }
            }
            const AdjointRowSums sums{strain ? dcoef.data() : nullptr, positions ? acc.data() : nullptr,
                                      mine.Z1.data(), mine.Z2.data()};
            plan.forward_columns(
                [&](size_t x, double* plane) {
                    assignment.spread_block_plane(sources, weight.data(), static_cast<int64_t>(x), plane);
                },
                kBlock, s.k->band,
                [&](size_t m1, const std::complex<double>* const* blocks) { adjoint_row(s, block, m1, blocks, sums); },
                &s.k->entries.row_last);
            for (size_t k = 0; k < n_centers; k++)
                for (size_t b = 0; b < count; b++) weight[kBlock * static_cast<size_t>(centers[visit[k]]) + b] = 0.0;
        }
    }
    return partials;
}

// The threads' sums added in thread order (their buffers are released on the way).
MeshAdjointSums total_of(std::vector<MeshAdjointSums>& partials, const MeshBackward& mb) {
    const size_t n_e = mb.setup.k->entries.size();
    MeshAdjointSums total;
    total.centre_force.assign(mb.positions ? 3 * mb.centers.size() : 0, 0.0);
    total.psi.resize(mb.positions ? static_cast<size_t>(mb.T) : 0);
    for (MeshAdjointSums& part : partials) {
        total.loss += part.loss;
        for (size_t k = 0; k < total.centre_force.size(); k++) total.centre_force[k] += part.centre_force[k];
        for (size_t t = 0; t < total.psi.size(); t++) {
            if (part.psi[t].empty()) continue;
            if (total.psi[t].empty()) {
                total.psi[t] = std::move(part.psi[t]);
            } else {
                for (size_t k = 0; k < n_e; k++) total.psi[t][k] += part.psi[t][k];
            }
            part.psi[t] = {};
        }
        if (mb.strain) {
            if (total.Z1.empty()) {
                total.Z1 = std::move(part.Z1);
                total.Z2 = std::move(part.Z2);
            } else {
                for (size_t k = 0; k < total.Z1.size(); k++) {
                    total.Z1[k] += part.Z1[k];
                    total.Z2[k] += part.Z2[k];
                }
            }
            part.Z1 = {};
            part.Z2 = {};
        }
    }
    return total;
}

// dL/dr: the centres' terms, then the sources' of each type, Psi_t
// interpolated at its atoms (one inverse FFT per type).
void add_mesh_forces(const MeshBackward& mb, const MeshAdjointSums& total, double* positions) {
    const MeshSetup& s = mb.setup;
    const MeshEntries& e = s.k->entries;
    const size_t n_e = e.size();
    const size_t n_atoms = mb.assignment.size();
    Fft3dPlan plan(mb.mesh[0], mb.mesh[1], mb.mesh[2]);
    std::vector<double> grid(plan.real_size());
    for (size_t c = 0; c < mb.centers.size(); c++)
        for (int x = 0; x < 3; x++)
            positions[3 * static_cast<size_t>(mb.centers[c]) + static_cast<size_t>(x)] +=
                total.centre_force[3 * c + static_cast<size_t>(x)];
    for (int t = 0; t < mb.T; t++) {
        if (total.psi[static_cast<size_t>(t)].empty()) continue;
        std::vector<std::complex<double>> spectrum(plan.complex_size(), std::complex<double>(0.0, 0.0));
        for (size_t i = 0; i < n_e; i++) spectrum[e.index[i]] = total.psi[static_cast<size_t>(t)][i];
        plan.inverse(spectrum.data(), grid.data(), s.k->band);
        std::vector<double> force(3 * n_atoms, 0.0);
#pragma omp parallel for schedule(static)
        for (int64_t jj = 0; jj < static_cast<int64_t>(n_atoms); jj++) {
            const size_t j = static_cast<size_t>(jj);
            if (mb.type_block[j] != t) continue;
            double du[3];
            mb.assignment.interpolate_gradient(grid.data(), j, du);
            mb.assignment.add_cartesian(du, 1.0, &force[3 * j]);
        }
        for (size_t k = 0; k < 3 * n_atoms; k++) positions[k] += force[k];
    }
}

// dL/dstrain of the k sum but its 1/V terms: -k_y dK/dk_x,
// dK/dk_x = coef' u_x Y + coef dY_x / |k|, against Z1 and Z2.
void add_mesh_strain(const MeshBackward& mb, const MeshAdjointSums& total, const SphericalHarmonics& harmonics,
                     int n_threads, double* strain) {
    const MeshEntries& e = mb.setup.k->entries;
    const size_t n_e = e.size();
    const int LM = mb.L * mb.L;
    const std::vector<double>& Z1 = total.Z1;
    const std::vector<double>& Z2 = total.Z2;
    std::vector<double> partial(9 * static_cast<size_t>(n_threads), 0.0);
#pragma omp parallel num_threads(n_threads)
    {
        double* mine = &partial[9 * static_cast<size_t>(omp_get_thread_num())];
        std::vector<double> Y(static_cast<size_t>(LM)), dY(static_cast<size_t>(3 * LM));
#pragma omp for schedule(static)
        for (int64_t ee = 0; ee < static_cast<int64_t>(n_e); ee++) {
            const size_t i = static_cast<size_t>(ee);
            const double kn = e.norm[i];
            const double* k = &e.k[3 * i];
            const double u[3] = {k[0] / kn, k[1] / kn, k[2] / kn};
            harmonics.compute(u, Y.data(), dY.data());
            for (int x = 0; x < 3; x++) {
                double dk = 0.0;
                for (size_t lm = 0; lm < static_cast<size_t>(LM); lm++)
                    dk += Z1[lm * n_e + i] * u[x] * Y[lm] + Z2[lm * n_e + i] * dY[static_cast<size_t>(x * LM) + lm] / kn;
                for (int y = 0; y < 3; y++) mine[3 * x + y] -= k[y] * dk;
            }
        }
    }
    for (int th = 0; th < n_threads; th++)
        for (int k = 0; k < 9; k++) strain[k] += partial[9 * static_cast<size_t>(th) + static_cast<size_t>(k)];
}

}  // namespace

void lode::Engine::backward_mesh(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                                 const LodeMethodParameters& method, const ChannelContraction* contraction,
                                 const double* adjoint, const BackwardOutput& out) const {
    const std::vector<int32_t>& centers = layout.centers;
    const std::vector<int>& type_block = layout.type_block;
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const std::vector<Channel> channels = channel_list(L, N, T, contraction);
    const size_t P = channels.size();

    backward_seen_.store(true);
    std::shared_ptr<const MeshCache> cached;
    {
        std::lock_guard<std::mutex> lock(mesh_cache_mutex_);
        for (const auto& c : mesh_cache_)
            if (c->matches(system, centers, type_block, method, T, contraction)) cached = c;
    }
    std::unique_ptr<mesh::Assignment> own_assignment;
    MeshSetup own_setup;
    if (!cached) {
        own_assignment = std::make_unique<mesh::Assignment>(system, method.mesh, window_of(method), true);
        own_setup = make_mesh_setup(system, layout, T, mesh_kspace(system, T, method, contraction), *own_assignment);
    }
    const mesh::Assignment& assignment = cached ? *cached->assignment : *own_assignment;
    const std::vector<size_t> visit = cached ? cached->visit : assignment.locality_order(centers);
    const MeshBackward mb{assignment, cached ? cached->setup : own_setup, channels, centers, type_block, visit,
                          method.mesh, L, N, T, out.positions != nullptr, out.strain != nullptr};

    std::vector<double> dcoef;
    if (out.strain) {
        dcoef = coefficient_derivatives(mb.setup.k->entries, std::fabs(determinant3(system.cell)), L * N, *radial_,
                                        *potential_);
        if (contraction) dcoef = mix_columns(dcoef, mb.setup.k->entries.size(), L, N, T, *contraction);
    }
    const int n_threads = block_threads(method.mesh);
    std::vector<MeshAdjointSums> partials = block_sums(mb, adjoint_by_block(mb, adjoint, P), dcoef,
                                                       cached ? cached->centre.get() : nullptr, n_threads);
    const MeshAdjointSums total = total_of(partials, mb);
    if (out.positions) add_mesh_forces(mb, total, out.positions);
    if (out.strain) {
        add_mesh_strain(mb, total, harmonics_, n_threads, out.strain);
        // 1/V of the k sum and of the k = 0 term
        std::vector<double> zero(P, 0.0);  // each centre's k = 0 term, as compute_mesh adds it
        add_l0(zero_term(system, type_block, T), contraction, zero.data());
        double k0_loss = 0.0;
        for (size_t c = 0; c < centers.size(); ++c)
            for (size_t k = 0; k < P; ++k) k0_loss += adjoint[c * P + k] * zero[k];
        for (int x = 0; x < 3; ++x) out.strain[4 * x] -= total.loss + k0_loss;
    }
}

}  // namespace lodestone
