#include "lodestone/expansions/spherical_expansion.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lodestone/error.hpp"
#include "pair_kernels.hpp"

namespace lodestone {

SphericalExpansion::SphericalExpansion(const SphericalExpansionHypers& hypers)
    : hypers_(hypers), harmonics_(hypers.max_angular) {
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

SphericalExpansion::PairWork SphericalExpansion::make_work() const {
    const size_t L = static_cast<size_t>(hypers_.max_angular + 1), N = static_cast<size_t>(hypers_.max_radial + 1);
    PairWork w;
    w.f.resize(L * N);
    w.df.resize(L * N);
    w.ylm.resize(L * L);
    w.dylm.resize(3 * L * L);
    w.grad.resize(3 * L * L * N);
    return w;
}

void SphericalExpansion::evaluate_pair(const Neighbor& nb, PairWork& w, bool gradients) const {
    const int LN = (hypers_.max_angular + 1) * (hypers_.max_radial + 1);
    const double d = nb.distance;
    w.u[0] = nb.vector[0] / d;
    w.u[1] = nb.vector[1] / d;
    w.u[2] = nb.vector[2] / d;
    double fc, dfc;
    hypers_.cutoff.evaluate(d, fc, dfc);
    radial_->compute(d, w.f.data(), gradients ? w.df.data() : nullptr);
    harmonics_.compute(w.u, w.ylm.data(), gradients ? w.dylm.data() : nullptr, w.sh_work);
    if (gradients) {
        for (int q = 0; q < LN; ++q) w.df[q] = dfc * w.f[q] + fc * w.df[q];
        const double inv = 1.0 / d;
        for (double& v : w.dylm) v *= inv;
    }
    for (int q = 0; q < LN; ++q) w.f[q] *= fc;
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

        // Gradient samples: each centre with itself and every atom within the
        // cutoff (any image), ascending atom index.
        std::vector<std::vector<int32_t>> partners(centers.size());
        std::vector<size_t> grad_start(centers.size() + 1, 0);
        size_t grad_base = result.positions_gradient_samples.size() / 3;
        if (request.positions) {
            for (size_t c = 0; c < centers.size(); ++c) {
                size_t i = static_cast<size_t>(centers[c]);
                auto& p = partners[c];
                p.push_back(centers[c]);
                for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                    if (type_block[static_cast<size_t>(list.neighbors[k].j)] >= 0) p.push_back(list.neighbors[k].j);
                }
                std::sort(p.begin(), p.end());
                p.erase(std::unique(p.begin(), p.end()), p.end());
                grad_start[c + 1] = grad_start[c] + p.size();
            }
            size_t total = grad_base + grad_start.back();
            result.positions_gradient_samples.resize(3 * total);
            result.positions_gradient.resize(total * 3 * P);
            for (size_t c = 0; c < centers.size(); ++c)
                for (size_t k = 0; k < partners[c].size(); ++k) {
                    int32_t* row = &result.positions_gradient_samples[3 * (grad_base + grad_start[c] + k)];
                    row[0] = static_cast<int32_t>(sample_start[s] + c);
                    row[1] = static_cast<int32_t>(s);
                    row[2] = partners[c][k];
                }
        }

#pragma omp parallel
        {
            PairWork w = make_work();
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

                double* grad_rows = nullptr;
                const std::vector<int32_t>* partner = nullptr;
                size_t self_row = 0;
                if (request.positions) {
                    grad_rows = &result.positions_gradient[(grad_base + grad_start[c]) * 3 * P];
                    partner = &partners[c];
                    self_row = static_cast<size_t>(std::lower_bound(partner->begin(), partner->end(), centers[c]) -
                                                   partner->begin());
                }
                if (grad_rows) std::fill(grad_rows, grad_rows + partner->size() * 3 * P, 0.0);
                double* strain = request.strain ? &result.strain_gradient[sample * 9 * P] : nullptr;
                double* cellg = request.cell ? &result.cell_gradient[sample * 9 * P] : nullptr;
                if (strain) std::fill(strain, strain + 9 * P, 0.0);
                if (cellg) std::fill(cellg, cellg + 9 * P, 0.0);

                for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                    const Neighbor& nb = list.neighbors[k];
                    const int t = type_block[static_cast<size_t>(nb.j)];
                    if (t < 0) continue;
                    evaluate_pair(nb, w, any_gradient);
                    const kernels::PairTerms terms{L, N, T, t, w.f.data(), w.df.data(), w.ylm.data(), w.dylm.data(), w.u};
                    kernels::add_values(terms, values);
                    if (!any_gradient) continue;
                    kernels::pair_gradient(terms, w.grad.data());
                    if (grad_rows) {
                        size_t row = static_cast<size_t>(std::lower_bound(partner->begin(), partner->end(), nb.j) -
                                                         partner->begin());
                        if (row != self_row) {  // self images move with the centre: no net gradient
                            kernels::scatter_gradient(terms, w.grad.data(), P, grad_rows + row * 3 * P,
                                                      grad_rows + self_row * 3 * P);
                        }
                    }
                    if (strain) kernels::outer_gradient(terms, w.grad.data(), nb.vector.data(), P, strain);
                    if (cellg) {
                        const double shift[3] = {static_cast<double>(nb.shift[0]), static_cast<double>(nb.shift[1]),
                                                 static_cast<double>(nb.shift[2])};
                        kernels::outer_gradient(terms, w.grad.data(), shift, P, cellg);
                    }
                }
            }
        }
    }
    return result;
}

BackwardResult SphericalExpansion::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                            const double* dl_dvalues) const {
    validate_systems(systems);
    validate_request(systems, request);
    const int L = hypers_.max_angular + 1;
    const int LM = L * L;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(LM) * T * N;

    BackwardResult result;
    size_t total_atoms = 0;
    for (const auto& s : systems) total_atoms += s.size();
    if (request.positions) result.positions.assign(3 * total_atoms, 0.0);
    if (request.strain) result.strain.assign(9 * systems.size(), 0.0);

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
            PairWork w = make_work();
            const int tid = omp_get_thread_num();
            double* force = forces.data() + static_cast<size_t>(tid) * 3 * n_atoms;
            double* strain = strains.data() + static_cast<size_t>(tid) * 9;
            std::vector<double> a(static_cast<size_t>(L * N)), b(static_cast<size_t>(3 * L * N));
#pragma omp for schedule(static, 16)
            for (int64_t cc = 0; cc < static_cast<int64_t>(centers.size()); ++cc) {
                const size_t c = static_cast<size_t>(cc);
                const size_t i = static_cast<size_t>(centers[c]);
                const double* adj = dl_dvalues + (sample_base + c) * P;
                for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                    const Neighbor& nb = list.neighbors[k];
                    const int t = type_block[static_cast<size_t>(nb.j)];
                    if (t < 0) continue;
                    evaluate_pair(nb, w, true);
                    // dL/dr_ij = sum_ln [df_ln u sum_m A_lmn Y_lm + f_ln sum_m A_lmn dY_lm]
                    std::fill(a.begin(), a.end(), 0.0);
                    std::fill(b.begin(), b.end(), 0.0);
                    for (int l = 0; l < L; ++l) {
                        double* al = &a[l * N];
                        for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                            const double* g = adj + (static_cast<size_t>(lm) * T + t) * N;
                            const double y = w.ylm[lm];
                            const double dx = w.dylm[lm], dy = w.dylm[LM + lm], dz = w.dylm[2 * LM + lm];
                            double* bx = &b[l * N];
                            double* by = &b[(L + l) * N];
                            double* bz = &b[(2 * L + l) * N];
                            for (int n = 0; n < N; ++n) {
                                al[n] += g[n] * y;
                                bx[n] += g[n] * dx;
                                by[n] += g[n] * dy;
                                bz[n] += g[n] * dz;
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
