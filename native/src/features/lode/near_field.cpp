// The far field of a LODE expansion: the field of every atom within
// `exclusion_radius` of the centre (its images included, the centre itself
// always) is removed, switched off smoothly over the last `exclusion_width`
// A so values and gradients stay continuous as atoms cross the sphere.
//
// Why: in rho x V with the full field, the field of a molecule's own atoms
// dominates V, so the weights that couple a centre to distant molecules are
// the same ones that fit the molecule's own (intramolecular) energy; a
// molecule never seen in training then gets eV-size errors in its energy and
// in its interaction with everything around it. The local features already
// describe all that lies within the cutoff; removing it from V leaves rho x V
// with only what they cannot see (it vanishes for a molecule smaller than the
// cutoff, and the interaction of two distant molecules is carried by it
// alone). The removed part is the real-space pair kernel of the molecular
// path (real_space.cpp), so for molecules the subtraction is exact pair by
// pair.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "features/lode/engine.hpp"
#include "features/lode/real_space_kernel.hpp"
#include "features/soap/pair_kernels.hpp"
#include "lodestone/core/neighbors.hpp"

namespace lodestone {

namespace {

// Weight of the removed pair term: 1 inside radius - width, a shifted cosine
// down to 0 at the radius; `dweight` is its derivative in the distance.
void exclusion_weight(double d, double radius, double width, double& weight, double& dweight) {
    const double start = radius - width;
    if (d <= start) {
        weight = 1.0;
        dweight = 0.0;
    } else if (d >= radius) {
        weight = 0.0;
        dweight = 0.0;
    } else {
        const double x = M_PI * (d - start) / width;
        weight = 0.5 * (1.0 + std::cos(x));
        dweight = -0.5 * M_PI / width * std::sin(x);
    }
}


}  // namespace

// Loads -weight(d) x the pair kernel of one neighbour into `w` (radial parts,
// harmonics and, with gradients, their derivatives at distance d).
kernels::PairTerms lode::Engine::near_pair(const RealSpaceKernel& kernel, const Neighbor& nb, int t, int T,
                                           bool gradients, NearPairWork& w) const {
    const int L = hypers_.max_angular + 1, N = hypers_.max_radial + 1;
    double weight, dweight;
    exclusion_weight(nb.distance, hypers_.exclusion_radius, hypers_.exclusion_width, weight, dweight);
    kernel.evaluate(nb.distance, w.f.data(), gradients ? w.df.data() : nullptr);
    for (int x = 0; x < 3; ++x) w.u[x] = nb.vector[static_cast<size_t>(x)] / nb.distance;
    harmonics_.compute(w.u, w.ylm.data(), gradients ? w.dylm.data() : nullptr);
    kernels::apply_cutoff(L * N, 3 * L * L, -weight, -dweight, 1.0 / nb.distance, w.f.data(),
                          gradients ? w.df.data() : nullptr, w.dylm.data());
    return kernels::PairTerms{L, N, T, t, w.f.data(), w.df.data(), w.ylm.data(), w.dylm.data(), w.u};
}

void lode::Engine::subtract_near_field(const System& system, const ExpansionRequest& request,
                                       const CenterLayout& layout, const ComputeOutput& out) const {
    const std::vector<int32_t>& centers = layout.centers;
    const std::vector<int>& type_block = layout.type_block;
    const int L = hypers_.max_angular + 1, N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;
    const bool gradients = out.positions || out.strain || out.cell;
    const NeighborList list = build_neighbor_list(system, hypers_.exclusion_radius);
    const auto kernel = real_space_kernel(hypers_.exclusion_radius);
    // the centre's own field: only l = 0 survives at d = 0
    std::vector<double> own(static_cast<size_t>(L * N));
    kernel->evaluate(0.0, own.data(), nullptr);
    constexpr double y00 = 0.28209479177387814;

#pragma omp parallel
    {
        NearPairWork w(L, N);
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
                for (int n = 0; n < N; ++n) block[n] -= own[static_cast<size_t>(n)] * y00;
            }
            for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                const Neighbor& nb = list.neighbors[k];
                const int t = type_block[static_cast<size_t>(nb.j)];
                if (t < 0) continue;
                const kernels::PairTerms terms = near_pair(*kernel, nb, t, T, gradients, w);
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

void lode::Engine::backward_near_field(const System& system, const ExpansionRequest& request,
                                       const CenterLayout& layout, const double* adjoint,
                                       const BackwardOutput& out) const {
    const std::vector<int32_t>& centers = layout.centers;
    const std::vector<int>& type_block = layout.type_block;
    double* positions = out.positions;
    double* strain = out.strain;
    const int L = hypers_.max_angular + 1, N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L * L) * T * N;
    const size_t n_atoms = system.size();
    const NeighborList list = build_neighbor_list(system, hypers_.exclusion_radius);
    const auto kernel = real_space_kernel(hypers_.exclusion_radius);
    const int n_threads = omp_get_max_threads();
    PairBackwardSums sums(n_threads, n_atoms, positions != nullptr);

#pragma omp parallel num_threads(n_threads)
    {
        const int tid = omp_get_thread_num();
        NearPairWork w(L, N);
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
                const kernels::PairTerms terms = near_pair(*kernel, nb, t, T, true, w);
                double grad[3];
                kernels::pair_backward(terms, adj, w.scratch.data(), grad);
                // an image of the centre moves with it: no net force, but strain
                sums.add(tid, i, static_cast<size_t>(nb.j), nb.vector.data(), grad);
            }
        }
    }
    sums.add_to(positions, strain);
}

}  // namespace lodestone
