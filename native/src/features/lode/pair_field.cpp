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

// Four pairs at a time, as the density expansion does: the harmonics of the
// four directions in one vectorised pass (the largest cost per pair when
// taken one by one), then weight(d) x the kernel of each. Layout: f [4][LN],
// df [4][LN], ylm [LM][4], dylm [xyz][LM][4] (divided by d), u [4][3].
class PairBlock {
public:
    explicit PairBlock(const PairField& field)
        : field_(field), harmonics_(*field.harmonics), L_(field.kernel->L), N_(field.kernel->N),
          data_(static_cast<size_t>(8 * L_ * N_ + 16 * L_ * L_ + 12)) {}

    // Pairs [0, count) of `pairs`, count <= 4.
    void evaluate(const Neighbor* const* pairs, int count, bool gradients) {
        const int LN = L_ * N_;
        double* f = data_.data();
        double* df = f + 4 * LN;
        double* ylm = df + 4 * LN;
        double* dylm = ylm + 4 * L_ * L_;
        double* u = dylm + 12 * L_ * L_;
        double inv_r[4];
        for (int k = 0; k < 4; ++k) {
            const Neighbor& nb = *pairs[k < count ? k : count - 1];  // unused lanes repeat a pair
            for (int x = 0; x < 3; ++x) u[3 * k + x] = nb.vector[static_cast<size_t>(x)] / nb.distance;
            inv_r[k] = 1.0 / nb.distance;
        }
        harmonics_.compute4(u, inv_r, ylm, gradients ? dylm : nullptr);
        for (int k = 0; k < count; ++k) {
            const double d = pairs[k]->distance;
            double weight, dweight;
            pair_weight(field_, d, weight, dweight);
            double* fk = f + k * LN;
            double* dfk = gradients ? df + k * LN : nullptr;
            field_.kernel->evaluate(d, fk, dfk);
            kernels::apply_cutoff(LN, weight, dweight, fk, dfk);
        }
    }

    kernels::PairTerms terms(int k, int T, int t) const {
        const int LN = L_ * N_, LM = L_ * L_;
        const double* f = data_.data();
        const double* df = f + 4 * LN;
        const double* ylm = df + 4 * LN;
        const double* dylm = ylm + 4 * LM;
        const double* u = dylm + 12 * LM;
        return kernels::PairTerms{L_, N_, T, t, f + k * LN, df + k * LN, ylm + k, dylm + k, u + 3 * k, 4};
    }

private:
    const PairField& field_;
    const SphericalHarmonics& harmonics_;
    int L_, N_;
    std::vector<double> data_;
};

// The neighbours of centre i of a requested type.
void requested_pairs(const NeighborList& list, const std::vector<int>& type_block, size_t i,
                     std::vector<const Neighbor*>& pairs) {
    pairs.clear();
    for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k)
        if (type_block[static_cast<size_t>(list.neighbors[k].j)] >= 0) pairs.push_back(&list.neighbors[k]);
}

}  // namespace

void add_pair_field(const PairField& field, const System& system, const ExpansionRequest& request,
                    const CenterLayout& layout, const ComputeOutput& out) {
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
        PairBlock block(field);
        std::vector<const Neighbor*> pairs;
        std::vector<double> grad(static_cast<size_t>(3 * L * L * N));
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
                double* own_block = row + static_cast<size_t>(type_block[i]) * N;
                for (int n = 0; n < N; ++n) own_block[n] += field.sign * own[static_cast<size_t>(n)] * kY00;
            }
            requested_pairs(list, type_block, i, pairs);
            for (size_t p = 0; p < pairs.size(); ++p) {
                if (p % 4 == 0) block.evaluate(&pairs[p], static_cast<int>(std::min<size_t>(4, pairs.size() - p)), gradients);
                const Neighbor& nb = *pairs[p];
                const kernels::PairTerms terms = block.terms(static_cast<int>(p % 4), T, type_block[static_cast<size_t>(nb.j)]);
                kernels::add_values(terms, row);
                if (!gradients) continue;
                kernels::pair_gradient(terms, grad.data());
                if (grows) {
                    const size_t r = static_cast<size_t>(std::lower_bound(plist, plist + n_partners, nb.j) - plist);
                    // an image of the centre moves with it: no net gradient
                    if (r != self_row) {
                        kernels::scatter_gradient(terms, grad.data(), P, grows + r * 3 * P, grows + self_row * 3 * P);
                    }
                }
                if (out.strain) kernels::outer_gradient(terms, grad.data(), nb.vector.data(), P, out.strain + c * 9 * P);
                if (out.cell) {
                    const double shift[3] = {static_cast<double>(nb.shift[0]), static_cast<double>(nb.shift[1]),
                                             static_cast<double>(nb.shift[2])};
                    kernels::outer_gradient(terms, grad.data(), shift, P, out.cell + c * 9 * P);
                }
            }
        }
    }
}

void backward_pair_field(const PairField& field, const System& system, const ExpansionRequest& request,
                         const CenterLayout& layout, const double* adjoint, const BackwardOutput& out) {
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
        PairBlock block(field);
        std::vector<const Neighbor*> pairs;
        std::vector<double> scratch(static_cast<size_t>(4 * N));
        // static: per-thread sums must see the same centres every run (bit-identical MD restarts)
#pragma omp for schedule(static, 8)
        for (int64_t cc = 0; cc < static_cast<int64_t>(centers.size()); ++cc) {
            const size_t c = static_cast<size_t>(cc);
            const size_t i = static_cast<size_t>(centers[c]);
            const double* adj = adjoint + c * P;
            requested_pairs(list, type_block, i, pairs);
            for (size_t p = 0; p < pairs.size(); ++p) {
                if (p % 4 == 0) block.evaluate(&pairs[p], static_cast<int>(std::min<size_t>(4, pairs.size() - p)), true);
                const Neighbor& nb = *pairs[p];
                const kernels::PairTerms terms = block.terms(static_cast<int>(p % 4), T, type_block[static_cast<size_t>(nb.j)]);
                double grad[3];
                kernels::pair_backward(terms, adj, scratch.data(), grad);
                // an image of the centre moves with it: no net force, but strain
                sums.add(tid, i, static_cast<size_t>(nb.j), nb.vector.data(), grad);
            }
        }
    }
    sums.add_to(out.positions, out.strain);
}

}  // namespace lodestone::lode
