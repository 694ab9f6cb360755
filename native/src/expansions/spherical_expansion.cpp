#include "lodestone/expansions/spherical_expansion.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lodestone/error.hpp"

namespace lodestone {

void validate_request(const std::vector<System>& systems, const ExpansionRequest& request) {
    if (!request.centers.empty() && request.centers.size() != systems.size()) {
        throw Error("centers: expected one list per system (" + std::to_string(systems.size()) + "), got " +
                    std::to_string(request.centers.size()));
    }
    for (size_t s = 0; s < request.centers.size(); ++s) {
        const auto& list = request.centers[s];
        for (size_t k = 0; k < list.size(); ++k) {
            if (list[k] < 0 || static_cast<size_t>(list[k]) >= systems[s].size()) {
                throw Error("centers[" + std::to_string(s) + "][" + std::to_string(k) + "]: atom index " +
                            std::to_string(list[k]) + " is out of range for a system of " +
                            std::to_string(systems[s].size()) + " atoms");
            }
            if (k > 0 && list[k] <= list[k - 1]) {
                throw Error("centers[" + std::to_string(s) + "]: expected unique atom indices in increasing order");
            }
        }
    }
    for (size_t k = 1; k < request.neighbor_types.size(); ++k) {
        if (request.neighbor_types[k] <= request.neighbor_types[k - 1]) {
            throw Error("neighborTypes: expected unique types in increasing order");
        }
    }
}

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
}

namespace {

// Scratch buffers owned by one thread.
struct PairWork {
    std::vector<double> radial, dradial, ylm, dylm, sh_work, grad;
};

}  // namespace

ExpansionResult SphericalExpansion::compute(const std::vector<System>& systems,
                                            const ExpansionRequest& request) const {
    for (size_t s = 0; s < systems.size(); ++s) {
        systems[s].validate(("systems[" + std::to_string(s) + "]").c_str());
    }
    validate_request(systems, request);

    const int L = hypers_.max_angular + 1;
    const int LM = L * L;
    const int N = hypers_.max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(LM) * T * N;

    ExpansionResult result;
    result.n_properties = P;
    result.properties.reserve(4 * P);
    for (int l = 0; l < L; ++l)
        for (int m = -l; m <= l; ++m)
            for (int t = 0; t < T; ++t)
                for (int n = 0; n < N; ++n) {
                    result.properties.insert(result.properties.end(), {l, m, request.neighbor_types[t], n});
                }

    // Samples of all systems.
    std::vector<size_t> sample_start(systems.size() + 1, 0);
    for (size_t s = 0; s < systems.size(); ++s) {
        size_t count = request.centers.empty() || request.centers[s].empty() ? systems[s].size()
                                                                              : request.centers[s].size();
        sample_start[s + 1] = sample_start[s] + count;
    }
    result.n_samples = sample_start.back();
    result.values.assign(result.n_samples * P, 0.0);
    result.samples.resize(2 * result.n_samples);
    if (request.strain) result.strain_gradient.assign(result.n_samples * 9 * P, 0.0);
    if (request.cell) result.cell_gradient.assign(result.n_samples * 9 * P, 0.0);

    const bool any_gradient = request.positions || request.strain || request.cell;
    const int n_threads = omp_get_max_threads();
    std::vector<PairWork> work(static_cast<size_t>(n_threads));

    for (size_t s = 0; s < systems.size(); ++s) {
        const System& system = systems[s];
        NeighborList list = build_neighbor_list(system, hypers_.cutoff.radius);
        std::vector<int32_t> centers;
        if (request.centers.empty() || request.centers[s].empty()) {
            centers.resize(system.size());
            for (size_t i = 0; i < system.size(); ++i) centers[i] = static_cast<int32_t>(i);
        } else {
            centers = request.centers[s];
        }
        // Column block of each atom's type (-1: not an expanded neighbour type).
        std::vector<int> type_block(system.size(), -1);
        for (size_t i = 0; i < system.size(); ++i) {
            auto it = std::lower_bound(request.neighbor_types.begin(), request.neighbor_types.end(), system.types[i]);
            if (it != request.neighbor_types.end() && *it == system.types[i]) {
                type_block[i] = static_cast<int>(it - request.neighbor_types.begin());
            }
        }

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
            result.positions_gradient.resize(total * 3 * P, 0.0);
            for (size_t c = 0; c < centers.size(); ++c)
                for (size_t k = 0; k < partners[c].size(); ++k) {
                    int32_t* row = &result.positions_gradient_samples[3 * (grad_base + grad_start[c] + k)];
                    row[0] = static_cast<int32_t>(sample_start[s] + c);
                    row[1] = static_cast<int32_t>(s);
                    row[2] = partners[c][k];
                }
        }

#pragma omp parallel num_threads(n_threads)
        {
            PairWork& w = work[static_cast<size_t>(omp_get_thread_num())];
            w.radial.resize(static_cast<size_t>(L * N));
            w.dradial.resize(static_cast<size_t>(L * N));
            w.ylm.resize(static_cast<size_t>(LM));
            w.dylm.resize(static_cast<size_t>(3 * LM));
            w.grad.resize(static_cast<size_t>(3 * LM * N));

#pragma omp for schedule(dynamic, 16)
            for (int64_t cc = 0; cc < static_cast<int64_t>(centers.size()); ++cc) {
                const size_t c = static_cast<size_t>(cc);
                const size_t i = static_cast<size_t>(centers[c]);
                const size_t sample = sample_start[s] + c;
                double* values = &result.values[sample * P];
                result.samples[2 * sample] = static_cast<int32_t>(s);
                result.samples[2 * sample + 1] = centers[c];

                // The centre's own density: only l = 0 survives at r = 0.
                if (type_block[i] >= 0 && hypers_.center_atom_weight != 0.0) {
                    radial_->compute(0.0, w.radial.data(), nullptr);
                    const double y00 = 0.5 / std::sqrt(M_PI);
                    double* block = values + static_cast<size_t>(type_block[i]) * N;
                    for (int n = 0; n < N; ++n) block[n] += hypers_.center_atom_weight * w.radial[n] * y00;
                }

                double* grad_rows = nullptr;
                const std::vector<int32_t>* partner = nullptr;
                if (request.positions) {
                    grad_rows = &result.positions_gradient[(grad_base + grad_start[c]) * 3 * P];
                    partner = &partners[c];
                }
                double* strain = request.strain ? &result.strain_gradient[sample * 9 * P] : nullptr;
                double* cellg = request.cell ? &result.cell_gradient[sample * 9 * P] : nullptr;
                const size_t self_row = partner ? static_cast<size_t>(std::lower_bound(partner->begin(), partner->end(),
                                                                                   centers[c]) - partner->begin())
                                                : 0;

                for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
                    const Neighbor& nb = list.neighbors[k];
                    const int t = type_block[static_cast<size_t>(nb.j)];
                    if (t < 0) continue;
                    const double d = nb.distance;
                    const double u[3] = {nb.vector[0] / d, nb.vector[1] / d, nb.vector[2] / d};
                    double fc, dfc;
                    hypers_.cutoff.evaluate(d, fc, dfc);
                    radial_->compute(d, w.radial.data(), any_gradient ? w.dradial.data() : nullptr);
                    harmonics_.compute(u, w.ylm.data(), any_gradient ? w.dylm.data() : nullptr, w.sh_work);
                    if (any_gradient) {
                        for (int q = 0; q < L * N; ++q) w.dradial[q] = dfc * w.radial[q] + fc * w.dradial[q];
                    }
                    for (int q = 0; q < L * N; ++q) w.radial[q] *= fc;

                    // values[(lm, t, n)] += f_ln Y_lm; gradient g[x][lm, n]
                    for (int l = 0; l < L; ++l) {
                        const double* f = &w.radial[l * N];
                        const double* df = &w.dradial[l * N];
                        for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                            double* v = values + (static_cast<size_t>(lm) * T + t) * N;
                            const double y = w.ylm[lm];
                            for (int n = 0; n < N; ++n) v[n] += f[n] * y;
                            if (!any_gradient) continue;
                            for (int x = 0; x < 3; ++x) {
                                const double ydir = y * u[x];
                                const double dy = w.dylm[x * LM + lm] / d;
                                double* g = &w.grad[(static_cast<size_t>(x) * LM + lm) * N];
                                for (int n = 0; n < N; ++n) g[n] = df[n] * ydir + f[n] * dy;
                            }
                        }
                    }
                    if (!any_gradient) continue;

                    if (grad_rows) {
                        size_t row = static_cast<size_t>(std::lower_bound(partner->begin(), partner->end(), nb.j) -
                                                         partner->begin());
                        if (row != self_row) {  // self images move with the centre: no net gradient
                            double* gj = grad_rows + row * 3 * P;
                            double* gi = grad_rows + self_row * 3 * P;
                            for (int x = 0; x < 3; ++x)
                                for (int lm = 0; lm < LM; ++lm) {
                                    const double* g = &w.grad[(static_cast<size_t>(x) * LM + lm) * N];
                                    const size_t off = static_cast<size_t>(x) * P + (static_cast<size_t>(lm) * T + t) * N;
                                    for (int n = 0; n < N; ++n) {
                                        gj[off + n] += g[n];
                                        gi[off + n] -= g[n];
                                    }
                                }
                        }
                    }
                    for (int a = 0; a < 3; ++a) {
                        const double ra = nb.vector[a];
                        const double sa = nb.shift[a];
                        for (int b = 0; b < 3; ++b)
                            for (int lm = 0; lm < LM; ++lm) {
                                const double* g = &w.grad[(static_cast<size_t>(b) * LM + lm) * N];
                                const size_t off = static_cast<size_t>(3 * a + b) * P + (static_cast<size_t>(lm) * T + t) * N;
                                if (strain)
                                    for (int n = 0; n < N; ++n) strain[off + n] += ra * g[n];
                                if (cellg && sa != 0.0)
                                    for (int n = 0; n < N; ++n) cellg[off + n] += sa * g[n];
                            }
                    }
                }
            }
        }
    }
    return result;
}

}  // namespace lodestone
