#include "lodestone/features/soap/spherical_expansion.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "features/soap/pair_kernels.hpp"
#include "features/soap/radial_integral.hpp"
#include "lodestone/core/error.hpp"
#include "math/spherical_harmonics.hpp"

namespace lodestone {

namespace {

// The pair kernels' view of pair k of a block from evaluate_block (type block
// t of T).
kernels::PairTerms block_terms(int L, int N, const double* block, int k, int T, int t) {
    const int LN = L * N, LM = L * L;
    const double* f = block;
    const double* df = f + 4 * LN;
    const double* ylm = df + 4 * LN;
    const double* dylm = ylm + 4 * LM;
    const double* u = dylm + 12 * LM;
    return kernels::PairTerms{L, N, T, t, f + k * LN, df + k * LN, ylm + k, dylm + k, u + 3 * k, 4};
}

// Gradient rows of one system: each centre with itself and every atom within
// the cutoff (any image), ascending atom index.
struct GradientPartners {
    std::vector<std::vector<int32_t>> partners;  // [centre]
    std::vector<size_t> start;                   // [centre]: first row, after the `base` rows of earlier systems
    size_t base = 0;
};

GradientPartners gradient_partners(const NeighborList& list, const std::vector<int32_t>& centers,
                                   const std::vector<int>& type_block, size_t base) {
    GradientPartners g;
    g.partners.resize(centers.size());
    g.start.assign(centers.size() + 1, 0);
    g.base = base;
    for (size_t c = 0; c < centers.size(); ++c) {
        size_t i = static_cast<size_t>(centers[c]);
        auto& p = g.partners[c];
        p.push_back(centers[c]);
        for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
            if (type_block[static_cast<size_t>(list.neighbors[k].j)] >= 0) p.push_back(list.neighbors[k].j);
        }
        std::sort(p.begin(), p.end());
        p.erase(std::unique(p.begin(), p.end()), p.end());
        g.start[c + 1] = g.start[c] + p.size();
    }
    return g;
}

// Appends the system's gradient rows to the result: (sample, system, atom)
// and room for their values.
void add_gradient_samples(const GradientPartners& g, size_t system_index, size_t first_sample, size_t P,
                          ExpansionResult& result) {
    size_t total = g.base + g.start.back();
    result.positions_gradient_samples.resize(3 * total);
    result.positions_gradient.resize(total * 3 * P);
    for (size_t c = 0; c < g.partners.size(); ++c)
        for (size_t k = 0; k < g.partners[c].size(); ++k) {
            int32_t* row = &result.positions_gradient_samples[3 * (g.base + g.start[c] + k)];
            row[0] = static_cast<int32_t>(first_sample + c);
            row[1] = static_cast<int32_t>(system_index);
            row[2] = g.partners[c][k];
        }
}

// Where one centre's gradients go (null for what was not requested).
struct CenterGradients {
    double* rows = nullptr;  // positions gradient rows of the centre's partners
    const std::vector<int32_t>* partners = nullptr;
    size_t self_row = 0;
    double* strain = nullptr;
    double* cell = nullptr;
};

// A thread's scratch of the pair loop. The centre's own gradient row is the
// sum of all others: built in self_grad, then written once like every other
// row.
struct PairScratch {
    std::vector<double> grad, self_grad;
    std::vector<char> written;  // [partner]: its row has been written
};

// One pair's terms of the centre's gradients.
void add_pair_gradient(const kernels::PairTerms& terms, const Neighbor& nb, const CenterGradients& out, size_t P,
                       PairScratch& w) {
    size_t row = out.self_row;
    if (out.rows) {
        row = static_cast<size_t>(std::lower_bound(out.partners->begin(), out.partners->end(), nb.j) -
                                  out.partners->begin());
    }
    // self images move with the centre: no net gradient
    const bool new_row = out.rows && row != out.self_row && !w.written[row];
    if (new_row && !out.strain && !out.cell) {
        kernels::write_pair_gradient(terms, P, out.rows + row * 3 * P, w.self_grad.data());
        w.written[row] = 1;
        return;
    }
    kernels::pair_gradient(terms, w.grad.data());
    if (out.rows && row != out.self_row) {
        kernels::write_gradient(terms, w.grad.data(), P, new_row, out.rows + row * 3 * P, w.self_grad.data());
        w.written[row] = 1;
    }
    if (out.strain) kernels::outer_gradient(terms, w.grad.data(), nb.vector.data(), P, out.strain);
    if (out.cell) {
        const double shift[3] = {static_cast<double>(nb.shift[0]), static_cast<double>(nb.shift[1]),
                                 static_cast<double>(nb.shift[2])};
        kernels::outer_gradient(terms, w.grad.data(), shift, P, out.cell);
    }
}

}  // namespace

SphericalExpansion::SphericalExpansion(const SphericalExpansionHypers& hypers)
    : hypers_(hypers), harmonics_(std::make_unique<SphericalHarmonics>(hypers.max_angular)) {
    hypers_.cutoff.validate();
    if (hypers_.radial_radius <= 0.0) hypers_.radial_radius = hypers_.cutoff.radius;
    if (!std::isfinite(hypers_.center_atom_weight)) {
        throw Error("density.center_atom_weight must be a finite number, got " +
                    format_number(hypers_.center_atom_weight));
    }
    radial_ = std::make_unique<GaussianRadialIntegral>(hypers_.max_radial, hypers_.radial_radius,
                                                       hypers_.max_angular, hypers_.density_width,
                                                       hypers_.cutoff.radius, hypers_.spline_accuracy);
    std::vector<double> at_zero(static_cast<size_t>((hypers_.max_angular + 1) * (hypers_.max_radial + 1)));
    radial_->compute(0.0, at_zero.data(), nullptr);
    self_radial_.assign(at_zero.begin(), at_zero.begin() + hypers_.max_radial + 1);
}

SphericalExpansion::~SphericalExpansion() = default;

size_t SphericalExpansion::block_size() const {
    const size_t L = static_cast<size_t>(hypers_.max_angular + 1), N = static_cast<size_t>(hypers_.max_radial + 1);
    return 8 * L * N + 16 * L * L + 12;
}

void SphericalExpansion::evaluate_block(const Neighbor* const* pairs, int count, bool gradients, double* block) const {
    const int LN = (hypers_.max_angular + 1) * (hypers_.max_radial + 1);
    const int LM = (hypers_.max_angular + 1) * (hypers_.max_angular + 1);
    double* f = block;
    double* df = f + 4 * LN;
    double* ylm = df + 4 * LN;
    double* dylm = ylm + 4 * LM;
    double* u = dylm + 12 * LM;
    double inv_r[4];
    for (int k = 0; k < 4; ++k) {
        const Neighbor& nb = *pairs[k < count ? k : count - 1];  // unused lanes repeat a pair
        const double d = nb.distance;
        for (int x = 0; x < 3; ++x) u[3 * k + x] = nb.vector[static_cast<size_t>(x)] / d;
        inv_r[k] = 1.0 / d;
    }
    harmonics_->compute4(u, inv_r, ylm, gradients ? dylm : nullptr);
    for (int k = 0; k < count; ++k) {
        const double d = pairs[k]->distance;
        double fc, dfc;
        hypers_.cutoff.evaluate(d, fc, dfc);
        double* fk = f + k * LN;
        double* dfk = gradients ? df + k * LN : nullptr;
        radial_->compute(d, fk, dfk);
        kernels::apply_cutoff(LN, fc, dfc, fk, dfk);
    }
}

ExpansionResult SphericalExpansion::compute(const std::vector<System>& systems,
                                            const ExpansionRequest& request) const {
    validate_systems(systems);
    validate_request(systems, request);

    const int L = hypers_.max_angular + 1;
    const int LM = L * L;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(LM) * T * N;

    ExpansionResult result;
    SampleLayout layout = start_result(systems, request, hypers_.max_angular, hypers_.max_radial, result);
    const std::vector<std::vector<int32_t>>& all_centers = layout.centers;
    const std::vector<size_t>& sample_start = layout.sample_start;

    const bool any_gradient = request.positions || request.strain || request.cell;

    for (size_t s = 0; s < systems.size(); ++s) {
        const System& system = systems[s];
        const std::vector<int32_t>& centers = all_centers[s];
        NeighborList list = build_neighbor_list(system, hypers_.cutoff.radius);
        std::vector<int> type_block = type_blocks(system, request.neighbor_types);
        GradientPartners partners;
        if (request.positions) {
            partners = gradient_partners(list, centers, type_block, result.positions_gradient_samples.size() / 3);
            add_gradient_samples(partners, s, sample_start[s], P, result);
        }

#pragma omp parallel
        {
            std::vector<double> block(block_size());
            std::vector<const Neighbor*> pairs;
            PairScratch scratch;
            scratch.grad.resize(3 * static_cast<size_t>(LM) * N);
            scratch.self_grad.resize(request.positions ? 3 * P : 0);
#pragma omp for schedule(dynamic, 16)
            for (int64_t cc = 0; cc < static_cast<int64_t>(centers.size()); ++cc) {
                const size_t c = static_cast<size_t>(cc);
                const size_t i = static_cast<size_t>(centers[c]);
                const size_t sample = sample_start[s] + c;
                double* values = &result.values[sample * P];
                std::fill(values, values + P, 0.0);
                result.samples[2 * sample] = static_cast<int32_t>(s);
                result.samples[2 * sample + 1] = centers[c];

                // The centre's own density: only l = 0 survives at r = 0.
                if (type_block[i] >= 0 && hypers_.center_atom_weight != 0.0) {
                    const double y00 = 0.5 / std::sqrt(M_PI);
                    double* block = values + static_cast<size_t>(type_block[i]) * N;
                    for (int n = 0; n < N; ++n) block[n] += hypers_.center_atom_weight * self_radial_[n] * y00;
                }

                CenterGradients out;
                if (request.positions) {
                    out.rows = &result.positions_gradient[(partners.base + partners.start[c]) * 3 * P];
                    out.partners = &partners.partners[c];
                    out.self_row = static_cast<size_t>(
                        std::lower_bound(out.partners->begin(), out.partners->end(), centers[c]) -
                        out.partners->begin());
                    std::fill(scratch.self_grad.begin(), scratch.self_grad.end(), 0.0);
                    scratch.written.assign(out.partners->size(), 0);
                }
                out.strain = request.strain ? &result.strain_gradient[sample * 9 * P] : nullptr;
                out.cell = request.cell ? &result.cell_gradient[sample * 9 * P] : nullptr;
                if (out.strain) std::fill(out.strain, out.strain + 9 * P, 0.0);
                if (out.cell) std::fill(out.cell, out.cell + 9 * P, 0.0);

                pairs.clear();
                for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                    if (type_block[static_cast<size_t>(list.neighbors[k].j)] >= 0) pairs.push_back(&list.neighbors[k]);
                }
                for (size_t p = 0; p < pairs.size(); ++p) {
                    const Neighbor& nb = *pairs[p];
                    const int t = type_block[static_cast<size_t>(nb.j)];
                    if (p % 4 == 0) {
                        const int count = static_cast<int>(std::min<size_t>(4, pairs.size() - p));
                        evaluate_block(&pairs[p], count, any_gradient, block.data());
                    }
                    const kernels::PairTerms terms = block_terms(L, N, block.data(), static_cast<int>(p % 4), T, t);
                    kernels::add_values(terms, values);
                    if (any_gradient) add_pair_gradient(terms, nb, out, P, scratch);
                }
                if (out.rows) {
                    kernels::stream_rows(out.rows + out.self_row * 3 * P, scratch.self_grad.data(),
                                         scratch.self_grad.size());
                    kernels::stream_fence();
                }
            }
        }
    }
    return result;
}

BackwardResult SphericalExpansion::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                            const double* dl_dvalues) const {
    return backward_pairs(systems, request, nullptr, dl_dvalues);
}

bool SphericalExpansion::backward_local(const std::vector<System>& systems, const ExpansionRequest& request,
                                        const LocalAdjoint& adjoint, BackwardResult& result) const {
    result = backward_pairs(systems, request, &adjoint, nullptr);
    return true;
}

BackwardResult SphericalExpansion::backward_pairs(const std::vector<System>& systems, const ExpansionRequest& request,
                                                  const LocalAdjoint* adjoint, const double* dl_dvalues) const {
    validate_systems(systems);
    validate_request(systems, request);
    const int L = hypers_.max_angular + 1;
    const int LM = L * L;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(LM) * T * N;

    BackwardResult result = zero_backward(systems, request);

    const int n_threads = omp_get_max_threads();
    size_t atom_base = 0, sample_base = 0;
    for (size_t s = 0; s < systems.size(); ++s) {
        const System& system = systems[s];
        const std::vector<int32_t> centers = request_centers(systems, request, s);
        NeighborList list = build_neighbor_list(system, hypers_.cutoff.radius);
        std::vector<int> type_block = type_blocks(system, request.neighbor_types);
        const size_t n_atoms = system.size();
        // Per-thread accumulators, reduced in thread order; with the static
        // schedule below each thread always gets the same centres, so results
        // are bit-identical run to run for a given thread count.
        std::vector<double> forces(static_cast<size_t>(n_threads) * 3 * n_atoms, 0.0);
        std::vector<double> strains(static_cast<size_t>(n_threads) * 9, 0.0);

#pragma omp parallel num_threads(n_threads)
        {
            const int tid = omp_get_thread_num();
            double* force = forces.data() + static_cast<size_t>(tid) * 3 * n_atoms;
            double* strain = strains.data() + static_cast<size_t>(tid) * 9;
            // Every pair of a centre is evaluated once and kept (a few kB per
            // pair, cache-resident) until the centre's adjoint is known.
            const size_t B = block_size();
            std::vector<double> blocks, scratch(4 * static_cast<size_t>(N));
            std::vector<double> values(adjoint ? P : 0), own_adjoint(adjoint ? P : 0);
            std::vector<const Neighbor*> pairs;
#pragma omp for schedule(static, 16)
            for (int64_t cc = 0; cc < static_cast<int64_t>(centers.size()); ++cc) {
                const size_t c = static_cast<size_t>(cc);
                const size_t i = static_cast<size_t>(centers[c]);
                pairs.clear();
                for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                    if (type_block[static_cast<size_t>(list.neighbors[k].j)] >= 0) pairs.push_back(&list.neighbors[k]);
                }
                const size_t n_pairs = pairs.size();
                if (blocks.size() < (n_pairs + 3) / 4 * B) blocks.resize((n_pairs + 3) / 4 * B);
                auto terms_of = [&](size_t p) {
                    const int t = type_block[static_cast<size_t>(pairs[p]->j)];
                    return block_terms(L, N, &blocks[p / 4 * B], static_cast<int>(p % 4), T, t);
                };
                if (adjoint) {
                    std::fill(values.begin(), values.end(), 0.0);
                    if (type_block[i] >= 0 && hypers_.center_atom_weight != 0.0) {
                        const double y00 = 0.5 / std::sqrt(M_PI);
                        double* block = values.data() + static_cast<size_t>(type_block[i]) * N;
                        for (int n = 0; n < N; ++n) block[n] += hypers_.center_atom_weight * self_radial_[n] * y00;
                    }
                }
                for (size_t p = 0; p < n_pairs; p += 4) {
                    const size_t count = std::min<size_t>(4, n_pairs - p);
                    evaluate_block(&pairs[p], static_cast<int>(count), true, &blocks[p / 4 * B]);
                    // the values while the block is still in L1
                    if (adjoint) {
                        for (size_t k = p; k < p + count; ++k) kernels::add_values(terms_of(k), values.data());
                    }
                }
                const double* adj = nullptr;
                if (adjoint) {
                    (*adjoint)(sample_base + c, values.data(), own_adjoint.data());
                    adj = own_adjoint.data();
                } else {
                    adj = dl_dvalues + (sample_base + c) * P;
                }
                for (size_t p = 0; p < n_pairs; ++p) {
                    const Neighbor& nb = *pairs[p];
                    double grad[3];
                    kernels::pair_backward(terms_of(p), adj, scratch.data(), grad);
                    if (request.positions && static_cast<size_t>(nb.j) != i) {
                        for (int x = 0; x < 3; ++x) {
                            force[3 * static_cast<size_t>(nb.j) + x] += grad[x];
                            force[3 * i + x] -= grad[x];
                        }
                    }
                    if (request.strain) {
                        for (int x = 0; x < 3; ++x)
                            for (int y = 0; y < 3; ++y) strain[3 * x + y] += nb.vector[x] * grad[y];
                    }
                }
            }
        }
        for (int t = 0; t < n_threads; ++t) {
            if (request.positions)
                for (size_t k = 0; k < 3 * n_atoms; ++k)
                    result.positions[3 * atom_base + k] += forces[static_cast<size_t>(t) * 3 * n_atoms + k];
            if (request.strain)
                for (int k = 0; k < 9; ++k) result.strain[9 * s + k] += strains[static_cast<size_t>(t) * 9 + k];
        }
        atom_base += n_atoms;
        sample_base += centers.size();
    }
    return result;
}

}  // namespace lodestone
