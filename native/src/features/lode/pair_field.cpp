// Real-space pair sums of a short-ranged part of the LODE field (see
// pair_field.hpp): values, positions / strain / cell gradients and backward.
#include "features/lode/pair_field.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "features/lode/real_space_kernel.hpp"
#include "features/soap/pair_kernels.hpp"
#include "lodestone/core/neighbors.hpp"

namespace lodestone::lode {

namespace {

constexpr double kY00 = 0.28209479177387814;  // 1 / sqrt(4 pi)

// Scratch of one pair, one per thread.
struct PairWork {
    std::vector<double> f, df, ylm, dylm, grad, scratch;
    double u[3] = {0.0, 0.0, 0.0};
    PairWork(int L, int N)
        : f(static_cast<size_t>(L * N)), df(static_cast<size_t>(L * N)), ylm(static_cast<size_t>(L * L)),
          dylm(static_cast<size_t>(3 * L * L)), grad(static_cast<size_t>(3 * L * L * N)),
          scratch(static_cast<size_t>(4 * N)) {}
};

// Pair weight and its derivative in the distance.
void pair_weight(const PairField& field, double d, double& weight, double& dweight) {
    dweight = 0.0;
    weight = field.sign;
    if (field.switch_width <= 0.0) return;
    const double start = field.radius - field.switch_width;
    if (d <= start) return;
    if (d >= field.radius) {
        weight = 0.0;
        return;
    }
    const double x = M_PI * (d - start) / field.switch_width;
    weight = field.sign * 0.5 * (1.0 + std::cos(x));
    dweight = -field.sign * 0.5 * M_PI / field.switch_width * std::sin(x);
}

// Loads weight(d) x the kernel of one neighbour into `w` (radial parts,
// harmonics and, with gradients, their derivatives at distance d).
kernels::PairTerms load_pair(const PairField& field, const SphericalHarmonics& harmonics, const Neighbor& nb, int t,
                             int T, bool gradients, PairWork& w) {
    const int L = field.kernel->L, N = field.kernel->N;
    double weight, dweight;
    pair_weight(field, nb.distance, weight, dweight);
    field.kernel->evaluate(nb.distance, w.f.data(), gradients ? w.df.data() : nullptr);
    for (int x = 0; x < 3; ++x) w.u[x] = nb.vector[static_cast<size_t>(x)] / nb.distance;
    harmonics.compute(w.u, w.ylm.data(), gradients ? w.dylm.data() : nullptr);
    kernels::apply_cutoff(L * N, 3 * L * L, weight, dweight, 1.0 / nb.distance, w.f.data(),
                          gradients ? w.df.data() : nullptr, w.dylm.data());
    return kernels::PairTerms{L, N, T, t, w.f.data(), w.df.data(), w.ylm.data(), w.dylm.data(), w.u};
}

}  // namespace

void add_pair_field(const PairField& field, const SphericalHarmonics& harmonics, const System& system,
                    const ExpansionRequest& request, const CenterLayout& layout, const ComputeOutput& out) {
    const std::vector<int32_t>& centers = layout.centers;
    const std::vector<int>& type_block = layout.type_block;
    const int L = field.kernel->L, N = field.kernel->N;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;
    const bool gradients = out.positions || out.strain || out.cell;
    const NeighborList list = build_neighbor_list(system, field.radius);
    // the centre's own field: only l = 0 survives at d = 0
    std::vector<double> own(static_cast<size_t>(L * N));
    field.kernel->evaluate(0.0, own.data(), nullptr);

#pragma omp parallel
    {
        PairWork w(L, N);
#pragma omp for schedule(dynamic, 8)
        for (int64_t cc = 0; cc < static_cast<int64_t>(centers.size()); ++cc) {
            const size_t c = static_cast<size_t>(cc);
            const size_t i = static_cast<size_t>(centers[c]);
            double* row = out.values + c * P;
            const int32_t* plist = nullptr;
            size_t n_partners = 0, self_row = 0;
            double* grows = nullptr;
            if (out.positions) {
                grows = out.positions + (*out.partner_start)[c] * 3 * P;
                plist = &(*out.partners)[(*out.partner_start)[c]];
                n_partners = (*out.partner_start)[c + 1] - (*out.partner_start)[c];
                self_row = static_cast<size_t>(std::lower_bound(plist, plist + n_partners, centers[c]) - plist);
            }
            if (type_block[i] >= 0) {
                double* block = row + static_cast<size_t>(type_block[i]) * N;
                for (int n = 0; n < N; ++n) block[n] += field.sign * own[static_cast<size_t>(n)] * kY00;
            }
            for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                const Neighbor& nb = list.neighbors[k];
                const int t = type_block[static_cast<size_t>(nb.j)];
                if (t < 0) continue;
                const kernels::PairTerms terms = load_pair(field, harmonics, nb, t, T, gradients, w);
                kernels::add_values(terms, row);
                if (!gradients) continue;
                kernels::pair_gradient(terms, w.grad.data());
                if (grows) {
                    const size_t r = static_cast<size_t>(std::lower_bound(plist, plist + n_partners, nb.j) - plist);
                    // an image of the centre moves with it: no net gradient
                    if (r != self_row) {
                        kernels::scatter_gradient(terms, w.grad.data(), P, grows + r * 3 * P, grows + self_row * 3 * P);
                    }
                }
                if (out.strain) kernels::outer_gradient(terms, w.grad.data(), nb.vector.data(), P, out.strain + c * 9 * P);
                if (out.cell) {
                    const double shift[3] = {static_cast<double>(nb.shift[0]), static_cast<double>(nb.shift[1]),
                                             static_cast<double>(nb.shift[2])};
                    kernels::outer_gradient(terms, w.grad.data(), shift, P, out.cell + c * 9 * P);
                }
            }
        }
    }
}

void backward_pair_field(const PairField& field, const SphericalHarmonics& harmonics, const System& system,
                         const ExpansionRequest& request, const CenterLayout& layout, const double* adjoint,
                         const BackwardOutput& out) {
    const std::vector<int32_t>& centers = layout.centers;
    const std::vector<int>& type_block = layout.type_block;
    const int L = field.kernel->L, N = field.kernel->N;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;
    const NeighborList list = build_neighbor_list(system, field.radius);
    const int n_threads = omp_get_max_threads();
    PairBackwardSums sums(n_threads, system.size(), out.positions != nullptr);

#pragma omp parallel num_threads(n_threads)
    {
        const int tid = omp_get_thread_num();
        PairWork w(L, N);
        // static: per-thread sums must see the same centres every run (bit-identical MD restarts)
#pragma omp for schedule(static, 8)
        for (int64_t cc = 0; cc < static_cast<int64_t>(centers.size()); ++cc) {
            const size_t c = static_cast<size_t>(cc);
            const size_t i = static_cast<size_t>(centers[c]);
            const double* adj = adjoint + c * P;
            for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                const Neighbor& nb = list.neighbors[k];
                const int t = type_block[static_cast<size_t>(nb.j)];
                if (t < 0) continue;
                const kernels::PairTerms terms = load_pair(field, harmonics, nb, t, T, true, w);
                double grad[3];
                kernels::pair_backward(terms, adj, w.scratch.data(), grad);
                // an image of the centre moves with it: no net force, but strain
                sums.add(tid, i, static_cast<size_t>(nb.j), nb.vector.data(), grad);
            }
        }
    }
    sums.add_to(out.positions, out.strain);
}

}  // namespace lodestone::lode
