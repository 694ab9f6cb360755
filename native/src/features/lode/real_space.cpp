// LODE of molecules: the field band-limited to |k| < k_cut, projected in real
// space by direct pair sums.
//
// With e^{ik.x} = 4 pi sum_l i^l j_l(kx) sum_m Y_lm(k^) Y_lm(x^), the k-space
// integral (1/(2 pi)^3) int d^3k 4 pi G(k) I_nl(k) i^l Y_lm(k^) e^{ik.(r_i - r_j)}
// (the limit of the periodic sum as V -> infinity) becomes F_nl(d) Y_lm(r_ij^)
// with r_ij = r_j - r_i, d = |r_ij| and
//   F_nl(d) = (2 / pi) int_0^k_cut k^2 G(k) I_nl(k) j_l(k d) dk.
// F is a Gauss-Legendre sum over k, tabulated once per distance range by a
// Hermite spline unless exact evaluation was asked for (real_space_kernel.cpp). Pairs then cost one
// spline lookup and one set of harmonics, like the local density expansion.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "features/soap/pair_kernels.hpp"
#include "features/lode/potential.hpp"
#include "math/bessel.hpp"
#include "math/quadrature.hpp"
#include "lodestone/core/error.hpp"
#include "features/lode/engine.hpp"
#include "features/lode/real_space_kernel.hpp"
#include "math/hermite_spline.hpp"

namespace lodestone {


std::shared_ptr<const lode::RealSpaceKernel> lode::Engine::real_space_kernel(double max_distance) const {
    std::lock_guard<std::mutex> lock(kernel_mutex_);
    if (kernel_ && kernel_->max_distance >= max_distance) return kernel_;
    const lode::Potential& potential = *potential_;
    kernel_ = lode::make_real_space_kernel(
        *radial_, [&potential](double k) { return potential.fourier(k); }, hypers_.k_cutoff,
        std::max(1.25 * max_distance, 8.0), hypers_.spline_accuracy);
    return kernel_;
}

namespace {

double bounding_diagonal(const System& system) {
    if (system.size() == 0) return 0.0;
    double lo[3], hi[3];
    for (int x = 0; x < 3; ++x) lo[x] = hi[x] = system.positions[x];
    for (size_t i = 0; i < system.size(); ++i)
        for (int x = 0; x < 3; ++x) {
            lo[x] = std::min(lo[x], system.positions[3 * i + x]);
            hi[x] = std::max(hi[x], system.positions[3 * i + x]);
        }
    return std::sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) +
                     (hi[2] - lo[2]) * (hi[2] - lo[2]));
}

struct PairWork {
    std::vector<double> f, df, ylm, dylm, grad;
    double u[3];
    double vec[3];
    double d;
};

// Separation r_j - r_i, its length and direction into `w`; false when the
// atoms coincide, recording the first such pair (threads cannot throw).
bool pair_geometry(const System& system, size_t i, size_t j, PairWork& w, std::atomic<int64_t>& bad_pair) {
    const double* ri = &system.positions[3 * i];
    const double* rj = &system.positions[3 * j];
    for (int x = 0; x < 3; ++x) w.vec[x] = rj[x] - ri[x];
    w.d = std::sqrt(w.vec[0] * w.vec[0] + w.vec[1] * w.vec[1] + w.vec[2] * w.vec[2]);
    if (!(w.d > 0.0)) {
        int64_t expected = -1;
        bad_pair.compare_exchange_strong(expected, static_cast<int64_t>(i * system.size() + j));
        return false;
    }
    for (int x = 0; x < 3; ++x) w.u[x] = w.vec[x] / w.d;
    return true;
}

void throw_if_coincident(const std::atomic<int64_t>& bad_pair, size_t n_atoms) {
    const int64_t k = bad_pair.load();
    if (k < 0) return;
    throw Error("atoms " + std::to_string(static_cast<size_t>(k) / n_atoms) + " and " +
                std::to_string(static_cast<size_t>(k) % n_atoms) +
                " are at the same position: the LODE pair terms are undefined");
}

}  // namespace

void lode::Engine::compute_molecule(const System& system, const ExpansionRequest& request,
                                    const CenterLayout& layout, const ComputeOutput& out) const {
    const std::vector<int32_t>& centers = layout.centers;
    const std::vector<int>& type_block = layout.type_block;
    double* values = out.values;
    double* positions_gradient = out.positions;
    const std::vector<size_t>& partner_start = *out.partner_start;
    const std::vector<int32_t>& partners = *out.partners;
    double* strain = out.strain;
    const int L = hypers_.max_angular + 1;
    const int LM = L * L;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(LM) * T * N;
    const size_t n_centers = centers.size();
    const size_t n_atoms = system.size();
    const bool gradients = positions_gradient || strain;

    const auto kernel = real_space_kernel(bounding_diagonal(system));
    std::vector<double> at_zero(static_cast<size_t>(L * N));
    kernel->evaluate(0.0, at_zero.data(), nullptr);

    std::atomic<int64_t> bad_pair{-1};
#pragma omp parallel
    {
        PairWork w;
        w.f.resize(static_cast<size_t>(L * N));
        w.df.resize(static_cast<size_t>(L * N));
        w.ylm.resize(static_cast<size_t>(LM));
        w.dylm.resize(static_cast<size_t>(3 * LM));
        w.grad.resize(static_cast<size_t>(3 * LM * N));
#pragma omp for schedule(dynamic, 4)
        for (int64_t cc = 0; cc < static_cast<int64_t>(n_centers); ++cc) {
            const size_t c = static_cast<size_t>(cc);
            const size_t i = static_cast<size_t>(centers[c]);
            double* row = values + c * P;
            std::fill(row, row + P, 0.0);
            double* srow = strain ? strain + c * 9 * P : nullptr;
            if (srow) std::fill(srow, srow + 9 * P, 0.0);
            double* grows = nullptr;
            const int32_t* plist = nullptr;
            size_t n_partners = 0, self_row = 0;
            if (positions_gradient) {
                grows = positions_gradient + partner_start[c] * 3 * P;
                plist = &partners[partner_start[c]];
                n_partners = partner_start[c + 1] - partner_start[c];
                std::fill(grows, grows + n_partners * 3 * P, 0.0);
                self_row = static_cast<size_t>(std::lower_bound(plist, plist + n_partners, centers[c]) - plist);
            }
            // the centre's own field: only l = 0 survives at d = 0
            if (type_block[i] >= 0) {
                double* block = row + static_cast<size_t>(type_block[i]) * N;
                for (int n = 0; n < N; ++n) block[n] += at_zero[static_cast<size_t>(n)] * 0.28209479177387814;
            }
            for (size_t j = 0; j < n_atoms; ++j) {
                const int t = type_block[j];
                if (t < 0 || j == i) continue;
                if (!pair_geometry(system, i, j, w, bad_pair)) continue;
                kernel->evaluate(w.d, w.f.data(), gradients ? w.df.data() : nullptr);
                harmonics_.compute(w.u, w.ylm.data(), gradients ? w.dylm.data() : nullptr);
                const kernels::PairTerms terms{L, N, T, t, w.f.data(), w.df.data(), w.ylm.data(), w.dylm.data(), w.u};
                kernels::add_values(terms, row);
                if (!gradients) continue;
                const double inv = 1.0 / w.d;
                for (double& v : w.dylm) v *= inv;
                kernels::pair_gradient(terms, w.grad.data());
                if (grows) {
                    const size_t r = static_cast<size_t>(
                        std::lower_bound(plist, plist + n_partners, static_cast<int32_t>(j)) - plist);
                    kernels::scatter_gradient(terms, w.grad.data(), P, grows + r * 3 * P, grows + self_row * 3 * P);
                }
                if (srow) kernels::outer_gradient(terms, w.grad.data(), w.vec, P, srow);
            }
            add_center_terms(row, type_block[i], T);
        }
    }
    throw_if_coincident(bad_pair, n_atoms);
}

void lode::Engine::backward_molecule(const System& system, const ExpansionRequest& request,
                                     const CenterLayout& layout, const double* adjoint,
                                     const BackwardOutput& out) const {
    const std::vector<int32_t>& centers = layout.centers;
    const std::vector<int>& type_block = layout.type_block;
    double* positions = out.positions;
    double* strain = out.strain;
    const int L = hypers_.max_angular + 1;
    const int LM = L * L;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(LM) * T * N;
    const size_t n_centers = centers.size();
    const size_t n_atoms = system.size();

    const auto kernel = real_space_kernel(bounding_diagonal(system));
    const int n_threads = omp_get_max_threads();
    PairBackwardSums sums(n_threads, n_atoms, positions != nullptr);
    std::atomic<int64_t> bad_pair{-1};

#pragma omp parallel num_threads(n_threads)
    {
        const int tid = omp_get_thread_num();
        PairWork w;
        w.f.resize(static_cast<size_t>(L * N));
        w.df.resize(static_cast<size_t>(L * N));
        w.ylm.resize(static_cast<size_t>(LM));
        w.dylm.resize(static_cast<size_t>(3 * LM));
        std::vector<double> a(static_cast<size_t>(L * N)), b(static_cast<size_t>(3 * L * N));
        // static: per-thread force sums must see the same centres every run (bit-identical MD restarts)
#pragma omp for schedule(static, 4)
        for (int64_t cc = 0; cc < static_cast<int64_t>(n_centers); ++cc) {
            const size_t c = static_cast<size_t>(cc);
            const size_t i = static_cast<size_t>(centers[c]);
            const double* adj = adjoint + c * P;
            for (size_t j = 0; j < n_atoms; ++j) {
                const int t = type_block[j];
                if (t < 0 || j == i) continue;
                if (!pair_geometry(system, i, j, w, bad_pair)) continue;
                kernel->evaluate(w.d, w.f.data(), w.df.data());
                harmonics_.compute(w.u, w.ylm.data(), w.dylm.data());
                const double inv = 1.0 / w.d;
                // dL/dr_ij = sum_ln [df_ln u sum_m A Y + f_ln sum_m A dY / d]
                std::fill(a.begin(), a.end(), 0.0);
                std::fill(b.begin(), b.end(), 0.0);
                for (int l = 0; l < L; ++l) {
                    for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                        const double* g = adj + (static_cast<size_t>(lm) * T + t) * N;
                        const double y = w.ylm[lm];
                        const double dx = w.dylm[lm] * inv, dy = w.dylm[LM + lm] * inv, dz = w.dylm[2 * LM + lm] * inv;
                        for (int n = 0; n < N; ++n) {
                            a[l * N + n] += g[n] * y;
                            b[l * N + n] += g[n] * dx;
                            b[(L + l) * N + n] += g[n] * dy;
                            b[(2 * L + l) * N + n] += g[n] * dz;
                        }
                    }
                }
                double radial_part = 0.0, grad[3] = {0.0, 0.0, 0.0};
                for (int q = 0; q < L * N; ++q) {
                    radial_part += w.df[q] * a[q];
                    grad[0] += w.f[q] * b[q];
                    grad[1] += w.f[q] * b[L * N + q];
                    grad[2] += w.f[q] * b[2 * L * N + q];
                }
                for (int x = 0; x < 3; ++x) grad[x] += radial_part * w.u[x];
                sums.add(tid, i, j, w.vec, grad);
            }
        }
    }
    throw_if_coincident(bad_pair, n_atoms);
    sums.add_to(positions, strain);
}

}  // namespace lodestone
