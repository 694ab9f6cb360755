// LODE expansion of periodic systems on a particle mesh: the same k sum as
// compute_periodic (DESIGN.md "LODE in k-space"),
//   v[i][a][n,l,m] = sum_{0<|k|<k_cut} K_nlm(k) S_a(k) e^{ik.r_i},
//   K_nlm(k) = (4 pi / V) G_p(|k|) I_nl(|k|) Y_lm(k^) i^l,
// with S_a(k) and the centre's phase replaced by smooth-PME B-splines
// (mesh_grid.hpp: S_a(m) ~ conj(b(m)) Q^_a(m), interpolation gives the
// phase times 1/b(m)):
//   Q_a(x)    = sum_{j in a} W(x - u_j), Q^_a = FFT(Q_a)             (per type)
//   phi_ch(x) = IFFT[K_ch(k_m) |b(m)|^2 Q^_a(m)]                    (per channel)
//   v_i[ch]   = sum_x W(x - u_i) phi_ch(x).
// K_ch is set to zero outside the direct method's k-set (0 < |k| < k_cut;
// every mesh axis holds it, K_d > 2 max|m_d|), so mesh - direct is the
// B-spline aliasing error alone (estimate: lode_mesh_error, tuning.hpp).
// K(-k) = conj(K(k)) (Y_lm(-k^) = (-1)^l Y_lm(k^)), so phi_ch is real: one
// c2r per channel, and channels go one at a time (memory: T spectra of the
// densities plus a few work meshes, never channels x mesh).
//
// Backward, L = sum_i sum_ch g_i[ch] v_i[ch] = sum_ch <G_ch, phi_ch> with
// G_ch(x) = sum_i g_i[ch] W(x - u_i):
//   centres: dL/du_i = sum_ch g_i[ch] sum_x dW(x - u_i)/du_i phi_ch(x);
//   sources: phi_ch = A_ch Q_a with A_ch^T = IFFT conj(K_ch |b|^2) FFT, so
//     Psi_a = IFFT[sum_ch conj(K_ch) |b|^2 FFT(G_ch)] and
//     dL/du_j = sum_x dW(x - u_j)/du_j Psi_a(x), j in a;
//   strain: at fixed fractional coordinates the meshes do not change, only
//     K_ch through k -> (1 - eps^T) k and 1/V:
//     dK/deps_xy = -k_y dK/dk_x - delta_xy K, summed against Q^_a conj(FFT(G_ch)).
// Per channel: one FFT for values, two for backward (plus one per type).
// The k = 0 term and the centre-weight correction are added as in
// compute_periodic.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <set>
#include <string>

#include "lode_internal.hpp"
#include "lode_mesh.hpp"
#include "lodestone/error.hpp"
#include "lodestone/math/fft.hpp"
#include "lodestone/math/kvectors.hpp"
#include "mesh_grid.hpp"

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

// i^l = sign (even l) or i sign (odd l)
double parity_sign(int l) { return ((l / 2) % 2 == 0) ? 1.0 : -1.0; }

// The k-vectors of the direct sum on the mesh's half spectrum (last axis
// m_2 >= 0): k with m_2 > 0 or -k, and both when m_2 = 0.
struct MeshEntries {
    std::vector<size_t> index;   // into the half spectrum
    std::vector<double> k;       // [e][3]
    std::vector<double> norm;
    std::vector<double> weight;  // 1 on the m_2 = 0 plane, 2 elsewhere: sums over the full spectrum
    std::vector<double> moduli;  // |b(m)|^2
    size_t size() const { return norm.size(); }
};

MeshEntries mesh_entries(const KVectors& kv, const std::array<int64_t, 3>& mesh, int order) {
    std::array<std::vector<double>, 3> moduli;
    for (int d = 0; d < 3; d++) moduli[static_cast<size_t>(d)] = lodestone::mesh::bspline_moduli(mesh[static_cast<size_t>(d)], order);
    const int64_t n2c = mesh[2] / 2 + 1;
    MeshEntries e;
    auto add = [&](const int* m, const double* k, double sign) {
        int64_t idx[3];
        for (int d = 0; d < 3; d++) {
            int64_t v = static_cast<int64_t>(sign) * m[d];
            if (v < 0) v += mesh[static_cast<size_t>(d)];
            idx[d] = v;
        }
        e.index.push_back(static_cast<size_t>((idx[0] * mesh[1] + idx[1]) * n2c + idx[2]));
        for (int x = 0; x < 3; x++) e.k.push_back(sign * k[x]);
        e.norm.push_back(std::sqrt(k[0] * k[0] + k[1] * k[1] + k[2] * k[2]));
        e.weight.push_back(m[2] == 0 ? 1.0 : 2.0);
        e.moduli.push_back(moduli[0][static_cast<size_t>(idx[0])] * moduli[1][static_cast<size_t>(idx[1])] *
                           moduli[2][static_cast<size_t>(idx[2])]);
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
    return e;
}

int count_types(const System& system) {
    std::set<int32_t> types(system.types.begin(), system.types.end());
    return std::max<int>(1, static_cast<int>(types.size()));
}

}  // namespace

LodeMethodParameters LodeSphericalExpansion::parameters(const System& system, bool gradients) const {
    LodeMethodParameters out;
    out.method = "direct";
    const bool periodic = system.pbc[0] && system.pbc[1] && system.pbc[2];
    if (!periodic || system.size() == 0) return out;
    const KVectors kv = half_space_kvectors(system.cell, hypers_.k_cutoff);
    out.n_kvectors = kv.size();
    if (kv.size() == 0) return out;  // compute_periodic reports it

    // w(k) = G^2 sum_{n,l} (2l+1) I_nl^2 (tuning.hpp), and the value scale
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
    const int T = count_types(system);
    double total = 0.0;
    for (double w : weight) total += w;
    // mean over channels of (N_a) 2 sum_k (4 pi / V)^2 G^2 sum_nl (2l+1)/(4 pi) I^2
    const double per_type = static_cast<double>(system.size()) / T;
    out.value_scale = std::sqrt(per_type * 2.0 * 4.0 * M_PI / (volume * volume) * total / (L * L * N));

    const size_t channels = static_cast<size_t>(L * L) * T * N;
    const LodeMeshTuning tuning = tune_lode_mesh(system.cell, kv, weight, system.size(), system.size(), channels,
                                                 lode::mesh_request(hypers_, !gradients));
    out.method = tuning.method;
    out.direct_cost = tuning.direct_cost;
    out.mesh_cost = tuning.mesh_cost;
    if (tuning.mesh_order != 0) {
        out.mesh = tuning.mesh;
        out.mesh_order = tuning.mesh_order;
        out.mesh_spacing = tuning.mesh_spacing;
        out.estimated_error = tuning.estimated_error;
    }
    return out;
}

namespace {

// Everything of one system and mesh that all channels share.
struct MeshSetup {
    KVectors kv;
    MeshEntries entries;
    std::vector<double> coef;  // [e][l][n]: (4 pi / V) G I_nl
    std::vector<double> Y;     // [e][lm]
    size_t plan_size = 0;  // complex points of the half spectrum
    // Largest |m_d| of the k-set: the FFTs transform only the lines that can
    // hold it (fft.hpp's band-limited transforms); `rows` x `h_band` is the
    // part of the half spectrum such an inverse overwrites.
    std::array<int64_t, 3> band{};
    size_t rows = 0, h_band = 0, h = 0;
    std::vector<std::vector<std::complex<double>>> density;  // Q^_t, [t][half spectrum]
};

}  // namespace

static MeshSetup make_mesh_setup(const System& system, const std::vector<int>& type_block, int T, double k_cutoff,
                                 const lode::Potential& potential, const LodeRadialIntegral& radial,
                                 const SphericalHarmonics& harmonics, const LodeMethodParameters& method,
                                 const mesh::Assignment& assignment) {
    MeshSetup s;
    s.kv = half_space_kvectors(system.cell, k_cutoff);
    if (s.kv.size() == 0) {
        throw Error("k_cutoff too small: no reciprocal lattice vector has 0 < |k| < k_cutoff = " +
                    format_number(k_cutoff) + " 1/A for this cell; increase k_cutoff");
    }
    s.entries = mesh_entries(s.kv, method.mesh, method.mesh_order);
    for (size_t q = 0; q < s.kv.size(); q++)
        for (int d = 0; d < 3; d++) s.band[static_cast<size_t>(d)] = std::max<int64_t>(s.band[static_cast<size_t>(d)], std::abs(s.kv.m[3 * q + static_cast<size_t>(d)]));
    const int L = radial.max_angular() + 1;
    const int N = radial.max_radial() + 1;
    const int LM = L * L;
    const size_t n_e = s.entries.size();
    const double volume = std::fabs(determinant3(system.cell));
    s.coef.resize(n_e * static_cast<size_t>(L * N));
    s.Y.resize(n_e * static_cast<size_t>(LM));
#pragma omp parallel for schedule(static)
    for (int64_t ee = 0; ee < static_cast<int64_t>(n_e); ee++) {
        thread_local std::vector<double> work;
        const size_t e = static_cast<size_t>(ee);
        const double kn = s.entries.norm[e];
        const double* k = &s.entries.k[3 * e];
        const double u[3] = {k[0] / kn, k[1] / kn, k[2] / kn};
        double* c = &s.coef[e * static_cast<size_t>(L * N)];
        radial.compute(kn, c, nullptr);
        const double g = 4.0 * M_PI / volume * potential.fourier(kn);
        for (int q = 0; q < L * N; q++) c[q] *= g;
        harmonics.compute(u, &s.Y[e * static_cast<size_t>(LM)], nullptr, work);
    }
    Fft3dPlan plan(method.mesh[0], method.mesh[1], method.mesh[2]);
    s.plan_size = plan.complex_size();
    s.rows = plan.n0() * plan.n1();
    s.h = plan.n2_complex();
    s.h_band = std::min(s.h, static_cast<size_t>(s.band[2]) + 1);
    std::vector<double> grid(plan.real_size());
    std::vector<double> weight(system.size());
    s.density.resize(static_cast<size_t>(T));
    for (int t = 0; t < T; t++) {
        for (size_t j = 0; j < system.size(); j++) weight[j] = type_block[j] == t ? 1.0 : 0.0;
        assignment.spread(weight.data(), grid.data());
        s.density[static_cast<size_t>(t)].resize(plan.complex_size());
        plan.forward(grid.data(), s.density[static_cast<size_t>(t)].data(), s.band);
    }
    return s;
}

// spectrum = K_ch |b|^2 Q^_t on the entries, zero elsewhere
static void fill_channel(const MeshSetup& s, int l, int lm, int n, int L, int N, int t, std::complex<double>* spectrum) {
    // zero where the previous band-limited inverse left its work (the rest
    // of the spectrum is zero from the start)
    for (size_t r = 0; r < s.rows; r++) std::fill_n(spectrum + r * s.h, s.h_band, std::complex<double>(0.0, 0.0));
    const MeshEntries& e = s.entries;
    const std::complex<double>* q = s.density[static_cast<size_t>(t)].data();
    const double sign = parity_sign(l);
    const bool odd = l % 2 == 1;
    const int LM = L * L;
    const size_t ln = static_cast<size_t>(l * N + n);
    for (int64_t ee = 0; ee < static_cast<int64_t>(e.size()); ee++) {
        const size_t i = static_cast<size_t>(ee);
        const double c = sign * s.coef[i * static_cast<size_t>(L * N) + ln] * s.Y[i * static_cast<size_t>(LM) + static_cast<size_t>(lm)] *
                         e.moduli[i];
        const std::complex<double> z = q[e.index[i]];
        spectrum[e.index[i]] = odd ? std::complex<double>(-c * z.imag(), c * z.real()) : c * z;
    }
}

// (t, l, lm, n) of every channel
static std::vector<std::array<int, 4>> channel_list(int L, int N, int T) {
    std::vector<std::array<int, 4>> out;
    for (int t = 0; t < T; t++)
        for (int l = 0; l < L; l++)
            for (int lm = l * l; lm < (l + 1) * (l + 1); lm++)
                for (int n = 0; n < N; n++) out.push_back({t, l, lm, n});
    return out;
}

void LodeSphericalExpansion::compute_mesh(const System& system, const ExpansionRequest& request,
                                          const std::vector<int32_t>& centers, const std::vector<int>& type_block,
                                          const LodeMethodParameters& method, double* values) const {
    const int L = hypers_.max_angular + 1;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;
    const size_t n_centers = centers.size();
    std::fill(values, values + n_centers * P, 0.0);

    const mesh::Assignment assignment(system, method.mesh, method.mesh_order, false);
    MeshSetup s = make_mesh_setup(system, type_block, T, hypers_.k_cutoff, *potential_, *radial_, harmonics_, method,
                                  assignment);
    // Channels are shared among threads, each with its own plan and meshes:
    // one parallel region and no barrier per channel (small per-channel
    // parallel loops stall when the machine is oversubscribed).
    const std::vector<std::array<int, 4>> channels = channel_list(L, N, T);
#pragma omp parallel
    {
        Fft3dPlan plan(method.mesh[0], method.mesh[1], method.mesh[2]);
        std::vector<std::complex<double>> spectrum(plan.complex_size(), std::complex<double>(0.0, 0.0));
        std::vector<double> phi(plan.real_size());
#pragma omp for schedule(static)
        for (int64_t q = 0; q < static_cast<int64_t>(channels.size()); q++) {
            const auto [t, l, lm, n] = channels[static_cast<size_t>(q)];
            fill_channel(s, l, lm, n, L, N, t, spectrum.data());
            plan.inverse(spectrum.data(), phi.data(), s.band);
            const size_t col = (static_cast<size_t>(lm) * T + t) * N + n;
            for (size_t c = 0; c < n_centers; c++)
                values[c * P + col] = assignment.interpolate(phi.data(), static_cast<size_t>(centers[c]));
        }
    }

    const std::vector<double> zero = zero_term(system, type_block, T);
    for (size_t c = 0; c < n_centers; ++c) {
        double* row = values + c * P;
        for (size_t k = 0; k < zero.size(); ++k) row[k] += zero[k];
        add_center_terms(row, type_block[static_cast<size_t>(centers[c])], T);
    }
}

void LodeSphericalExpansion::backward_mesh(const System& system, const ExpansionRequest& request,
                                           const std::vector<int32_t>& centers, const std::vector<int>& type_block,
                                           const LodeMethodParameters& method, const double* adjoint,
                                           double* positions, double* strain) const {
    const int L = hypers_.max_angular + 1;
    const int LM = L * L;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(LM) * T * N;
    const size_t n_centers = centers.size();
    const size_t n_atoms = system.size();

    const mesh::Assignment assignment(system, method.mesh, method.mesh_order, true);
    MeshSetup s = make_mesh_setup(system, type_block, T, hypers_.k_cutoff, *potential_, *radial_, harmonics_, method,
                                  assignment);
    const MeshEntries& e = s.entries;
    const size_t n_e = e.size();
    const size_t csize = s.plan_size;

    // strain: d(coef)/dk per entry, and per entry/lm sums over channels of
    // z = w Re[i^l |b|^2 Q^ conj(G^)] times coef' (Z1) and coef (Z2)
    std::vector<double> dcoef;
    if (strain) {
        const double volume = std::fabs(determinant3(system.cell));
        dcoef.resize(n_e * static_cast<size_t>(L * N));
#pragma omp parallel for schedule(static)
        for (int64_t ee = 0; ee < static_cast<int64_t>(n_e); ee++) {
            thread_local std::vector<double> I, dI;
            const size_t i = static_cast<size_t>(ee);
            I.resize(static_cast<size_t>(L * N));
            dI.resize(static_cast<size_t>(L * N));
            const double kn = e.norm[i];
            radial_->compute(kn, I.data(), dI.data());
            const double g = potential_->fourier(kn), dg = potential_->d_fourier(kn);
            for (int q = 0; q < L * N; q++)
                dcoef[i * static_cast<size_t>(L * N) + static_cast<size_t>(q)] =
                    4.0 * M_PI / volume * (dg * I[static_cast<size_t>(q)] + g * dI[static_cast<size_t>(q)]);
        }
    }

    // Channels shared among threads (static: sums are reproducible for a
    // given thread count), each with its own plan, meshes and partial sums,
    // reduced in thread order.
    const std::vector<std::array<int, 4>> channels = channel_list(L, N, T);
    const int n_threads = omp_get_max_threads();
    struct Partial {
        std::vector<std::vector<std::complex<double>>> psi;  // [t][half spectrum]
        std::vector<double> centre_force, Z1, Z2;
        double loss = 0.0;
    };
    std::vector<Partial> partials(static_cast<size_t>(n_threads));
#pragma omp parallel num_threads(n_threads)
    {
        Partial& mine = partials[static_cast<size_t>(omp_get_thread_num())];
        if (positions) {
            mine.psi.resize(static_cast<size_t>(T));
            mine.centre_force.assign(3 * n_centers, 0.0);
        }
        if (strain) {
            mine.Z1.assign(n_e * static_cast<size_t>(LM), 0.0);
            mine.Z2.assign(n_e * static_cast<size_t>(LM), 0.0);
        }
        Fft3dPlan plan(method.mesh[0], method.mesh[1], method.mesh[2]);
        std::vector<std::complex<double>> spectrum(csize, std::complex<double>(0.0, 0.0)), adjoint_spectrum(csize);
        std::vector<double> grid(plan.real_size());
        std::vector<double> weight(n_atoms, 0.0);
#pragma omp for schedule(static)
        for (int64_t qq = 0; qq < static_cast<int64_t>(channels.size()); qq++) {
            const auto [t, l, lm, n] = channels[static_cast<size_t>(qq)];
            const size_t col = (static_cast<size_t>(lm) * T + t) * N + n;
            bool any = false;
            for (size_t c = 0; c < n_centers && !any; c++) any = adjoint[c * P + col] != 0.0;
            if (!any) continue;
            // values: phi_ch, the loss and the centre term
            fill_channel(s, l, lm, n, L, N, t, spectrum.data());
            plan.inverse(spectrum.data(), grid.data(), s.band);
            for (size_t c = 0; c < n_centers; c++) {
                const double g = adjoint[c * P + col];
                if (g == 0.0) continue;
                const size_t atom = static_cast<size_t>(centers[c]);
                if (positions) {
                    double du[3];
                    mine.loss += g * assignment.interpolate_gradient(grid.data(), atom, du);
                    assignment.add_cartesian(du, g, &mine.centre_force[3 * c]);
                } else {
                    mine.loss += g * assignment.interpolate(grid.data(), atom);
                }
            }
            // sources and strain: G^_ch
            for (size_t c = 0; c < n_centers; c++) weight[static_cast<size_t>(centers[c])] += adjoint[c * P + col];
            assignment.spread(weight.data(), grid.data());
            for (size_t c = 0; c < n_centers; c++) weight[static_cast<size_t>(centers[c])] = 0.0;
            plan.forward(grid.data(), adjoint_spectrum.data(), s.band);
            const std::complex<double>* q = s.density[static_cast<size_t>(t)].data();
            std::complex<double>* acc = nullptr;
            if (positions) {
                auto& target = mine.psi[static_cast<size_t>(t)];
                if (target.empty()) target.assign(csize, std::complex<double>(0.0, 0.0));
                acc = target.data();
            }
            const double sign = parity_sign(l);
            const bool odd = l % 2 == 1;
            const size_t ln = static_cast<size_t>(l * N + n);
            for (size_t i = 0; i < n_e; i++) {
                const size_t idx = e.index[i];
                const double y = s.Y[i * static_cast<size_t>(LM) + static_cast<size_t>(lm)];
                const double base = s.coef[i * static_cast<size_t>(L * N) + ln];
                const std::complex<double> gh = adjoint_spectrum[idx];
                if (acc) {
                    // conj(i^l) c G^
                    const double c = sign * base * y * e.moduli[i];
                    acc[idx] += odd ? std::complex<double>(c * gh.imag(), -c * gh.real()) : c * gh;
                }
                if (strain) {
                    const std::complex<double> prod = q[idx] * std::conj(gh);
                    const double re = odd ? -prod.imag() : prod.real();
                    const double z = e.weight[i] * sign * e.moduli[i] * re;
                    mine.Z1[i * static_cast<size_t>(LM) + static_cast<size_t>(lm)] += z * dcoef[i * static_cast<size_t>(L * N) + ln];
                    mine.Z2[i * static_cast<size_t>(LM) + static_cast<size_t>(lm)] += z * base;
                }
            }
        }
    }
    double loss = 0.0;
    std::vector<double> centre_force(positions ? 3 * n_centers : 0, 0.0);
    std::vector<std::vector<std::complex<double>>> psi(positions ? static_cast<size_t>(T) : 0);
    std::vector<double> Z1, Z2;
    for (Partial& part : partials) {
        loss += part.loss;
        for (size_t k = 0; k < centre_force.size(); k++) centre_force[k] += part.centre_force[k];
        for (size_t t = 0; t < psi.size(); t++) {
            if (part.psi[t].empty()) continue;
            if (psi[t].empty()) {
                psi[t] = std::move(part.psi[t]);
            } else {
                for (size_t k = 0; k < csize; k++) psi[t][k] += part.psi[t][k];
            }
            part.psi[t] = {};
        }
        if (strain) {
            if (Z1.empty()) {
                Z1 = std::move(part.Z1);
                Z2 = std::move(part.Z2);
            } else {
                for (size_t k = 0; k < Z1.size(); k++) {
                    Z1[k] += part.Z1[k];
                    Z2[k] += part.Z2[k];
                }
            }
            part.Z1 = {};
            part.Z2 = {};
        }
    }
    Fft3dPlan plan(method.mesh[0], method.mesh[1], method.mesh[2]);
    std::vector<double> grid(plan.real_size());

    if (positions) {
        for (size_t c = 0; c < n_centers; c++)
            for (int x = 0; x < 3; x++) positions[3 * static_cast<size_t>(centers[c]) + static_cast<size_t>(x)] += centre_force[3 * c + static_cast<size_t>(x)];
        for (int t = 0; t < T; t++) {
            if (psi[static_cast<size_t>(t)].empty()) continue;
            plan.inverse(psi[static_cast<size_t>(t)].data(), grid.data(), s.band);
            std::vector<double> force(3 * n_atoms, 0.0);
#pragma omp parallel for schedule(static)
            for (int64_t jj = 0; jj < static_cast<int64_t>(n_atoms); jj++) {
                const size_t j = static_cast<size_t>(jj);
                if (type_block[j] != t) continue;
                double du[3];
                assignment.interpolate_gradient(grid.data(), j, du);
                assignment.add_cartesian(du, 1.0, &force[3 * j]);
            }
            for (size_t k = 0; k < 3 * n_atoms; k++) positions[k] += force[k];
        }
    }
    if (strain) {
        // -k_y dK/dk_x, dK/dk_x = coef' u_x Y + coef dY_x / |k|
        std::vector<double> partial(9 * static_cast<size_t>(n_threads), 0.0);
#pragma omp parallel num_threads(n_threads)
        {
            double* mine = &partial[9 * static_cast<size_t>(omp_get_thread_num())];
            std::vector<double> Y(static_cast<size_t>(LM)), dY(static_cast<size_t>(3 * LM)), work;
#pragma omp for schedule(static)
            for (int64_t ee = 0; ee < static_cast<int64_t>(n_e); ee++) {
                const size_t i = static_cast<size_t>(ee);
                const double kn = e.norm[i];
                const double* k = &e.k[3 * i];
                const double u[3] = {k[0] / kn, k[1] / kn, k[2] / kn};
                harmonics_.compute(u, Y.data(), dY.data(), work);
                const double* z1 = &Z1[i * static_cast<size_t>(LM)];
                const double* z2 = &Z2[i * static_cast<size_t>(LM)];
                for (int x = 0; x < 3; x++) {
                    double dk = 0.0;
                    for (int lm = 0; lm < LM; lm++)
                        dk += z1[lm] * u[x] * Y[static_cast<size_t>(lm)] + z2[lm] * dY[static_cast<size_t>(x * LM + lm)] / kn;
                    for (int y = 0; y < 3; y++) mine[3 * x + y] -= k[y] * dk;
                }
            }
        }
        for (int th = 0; th < n_threads; th++)
            for (int k = 0; k < 9; k++) strain[k] += partial[9 * static_cast<size_t>(th) + static_cast<size_t>(k)];
        // 1/V of the k sum and of the k = 0 term
        const std::vector<double> zero = zero_term(system, type_block, T);
        double k0_loss = 0.0;
        for (size_t c = 0; c < n_centers; ++c)
            for (size_t k = 0; k < zero.size(); ++k) k0_loss += adjoint[c * P + k] * zero[k];
        for (int x = 0; x < 3; ++x) strain[4 * x] -= loss + k0_loss;
    }
}

}  // namespace lodestone
