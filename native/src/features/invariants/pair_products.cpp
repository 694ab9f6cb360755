#include "features/invariants/pair_products.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone::pair_products {

size_t channel_count(const Expansion& a, const Expansion& b, const ExpansionRequest& request, const char* who) {
    const size_t T = a.channel_count(request);
    if (b.channel_count(request) != T) {
        throw Error(std::string(who) + ": the two expansions have " + std::to_string(T) + " and " +
                    std::to_string(b.channel_count(request)) +
                    " type channels; contract both or neither to the same number of channels");
    }
    return T;
}

Pair compute(const Expansion& a, const Expansion& b, const std::vector<System>& systems,
             const ExpansionRequest& request) {
    Pair pair;
    pair.symmetric = &a == &b;
    // Summing over centres happens in the product (fill_positions_gradient).
    ExpansionRequest per_center = request;
    per_center.sum_centers = false;
    pair.a = a.compute(systems, per_center);
    if (!pair.symmetric) pair.b_storage = b.compute(systems, per_center);
    return pair;
}

ExpansionResult start_output(const Pair& pair, size_t n_properties) {
    ExpansionResult out;
    out.n_samples = pair.a.n_samples;
    out.n_properties = n_properties;
    out.samples = pair.a.samples;
    return out;
}

namespace {

// First gradient row of every sample (rows are grouped by sample, ascending).
std::vector<size_t> rows_by_sample(const std::vector<int32_t>& gradient_samples, size_t n_samples) {
    std::vector<size_t> start(n_samples + 1, 0);
    const size_t rows = gradient_samples.size() / 3;
    for (size_t r = 0; r < rows; ++r) start[static_cast<size_t>(gradient_samples[3 * r]) + 1]++;
    for (size_t s = 0; s < n_samples; ++s) start[s + 1] += start[s];
    return start;
}

}  // namespace

std::vector<GradientRow> merged_gradient_rows(const ExpansionResult& a, const ExpansionResult& b) {
    const auto start_a = rows_by_sample(a.positions_gradient_samples, a.n_samples);
    const auto start_b = rows_by_sample(b.positions_gradient_samples, a.n_samples);
    std::vector<GradientRow> rows;
    for (size_t s = 0; s < a.n_samples; ++s) {
        size_t i = start_a[s], j = start_b[s];
        while (i < start_a[s + 1] || j < start_b[s + 1]) {
            const int32_t atom_a = i < start_a[s + 1] ? a.positions_gradient_samples[3 * i + 2] : INT32_MAX;
            const int32_t atom_b = j < start_b[s + 1] ? b.positions_gradient_samples[3 * j + 2] : INT32_MAX;
            const int32_t atom = std::min(atom_a, atom_b);
            const int32_t system = atom == atom_a ? a.positions_gradient_samples[3 * i + 1]
                                                  : b.positions_gradient_samples[3 * j + 1];
            rows.push_back({s, system, atom, atom == atom_a ? static_cast<int64_t>(i++) : -1,
                            atom == atom_b ? static_cast<int64_t>(j++) : -1});
        }
    }
    return rows;
}

std::vector<SummedRow> summed_gradient_rows(const std::vector<GradientRow>& rows, const ExpansionResult& a,
                                            const std::vector<System>& systems) {
    std::vector<std::pair<std::array<int32_t, 3>, size_t>> keyed(rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
        const int32_t system = a.samples[2 * rows[r].sample], center = a.samples[2 * rows[r].sample + 1];
        const int32_t type = systems[static_cast<size_t>(system)].types[static_cast<size_t>(center)];
        keyed[r] = {{system, type, rows[r].atom}, r};
    }
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<SummedRow> out;
    for (size_t k = 0; k < keyed.size(); ++k) {
        const auto& key = keyed[k].first;
        if (k == 0 || key != keyed[k - 1].first) out.push_back({key[1], key[0], key[2], {}});
        out.back().rows.push_back(keyed[k].second);
    }
    return out;
}

namespace {

// dL/dr, dL/dstrain of one expansion from a LocalAdjoint: its fused pass
// over pairs when it has one, else its values, the adjoint, its backward.
BackwardResult backward_through(const Expansion& e, const std::vector<System>& systems,
                                const ExpansionRequest& request, const ExpansionRequest& values_only,
                                const LocalAdjoint& local) {
    BackwardResult result;
    if (e.backward_local(systems, request, local, result)) return result;
    const ExpansionResult values = e.compute(systems, values_only);
    const size_t P = values.n_properties;
    std::vector<double> grad(values.n_samples * P, 0.0);
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < static_cast<int64_t>(values.n_samples); ++s) {
        const size_t i = static_cast<size_t>(s);
        local(i, &values.values[i * P], &grad[i * P]);
    }
    return e.backward(systems, request, grad.data());
}

}  // namespace

BackwardResult backward(const std::vector<ProductAdjoint>& products, const std::vector<System>& systems,
                        const ExpansionRequest& request) {
    ExpansionRequest values_only = request;
    values_only.positions = values_only.strain = values_only.cell = false;
    values_only.sum_centers = false;  // summing over centres happens in the gradients, not here
    const size_t K = products.size();
    // b's values first (rho x V: the LODE's): dL/da of a centre then depends
    // on its own coefficients only, and the first expansion can evaluate
    // each pair once for values and forces, collecting dL/db on the way.
    std::vector<ExpansionResult> b_values(K);
    std::vector<std::vector<double>> grad_b(K);
    std::vector<LocalAdjoint> locals(K);
    for (size_t k = 0; k < K; ++k) {
        const ProductAdjoint& p = products[k];
        const bool symmetric = p.a == p.b;
        if (!symmetric) {
            b_values[k] = p.b->compute(systems, values_only);
            grad_b[k].assign(b_values[k].n_samples * b_values[k].n_properties, 0.0);
        }
        const size_t Pa = p.a->n_properties(request);
        // called once per centre: no allocation (and zero-fill) each time
        LocalAdjoint own = [&, k, symmetric, Pa](size_t s, const double* c, double* dl_dc) {
            thread_local std::vector<double> work;
            const ProductAdjoint& q = products[k];
            if (work.size() < q.work_size) work.resize(q.work_size);
            std::fill(dl_dc, dl_dc + Pa, 0.0);
            const size_t Pb = b_values[k].n_properties;
            const double* bv = symmetric ? c : &b_values[k].values[s * Pb];
            double* gb = symmetric ? dl_dc : &grad_b[k][s * Pb];
            q.adjoint(s, c, bv, work.data(), dl_dc, gb);
        };
        locals[k] = p.a->to_base(std::move(own), request);
    }

    BackwardResult result;
    bool started = false;
    auto add = [&](BackwardResult&& part) {
        if (started) {
            add_backward(result, part);
        } else {
            result = std::move(part);
            started = true;
        }
    };
    // One pass per base expansion, over the sum of its products' adjoints.
    std::vector<bool> done(K, false);
    for (size_t k = 0; k < K; ++k) {
        if (done[k]) continue;
        const Expansion& base = products[k].a->base();
        std::vector<size_t> group;
        for (size_t j = k; j < K; ++j) {
            if (!done[j] && &products[j].a->base() == &base) {
                group.push_back(j);
                done[j] = true;
            }
        }
        if (group.size() == 1) {
            add(backward_through(base, systems, request, values_only, locals[k]));
            continue;
        }
        const size_t P = base.n_properties(request);
        const LocalAdjoint joint = [&locals, group, P](size_t s, const double* c, double* dl_dc) {
            thread_local std::vector<double> part;
            part.resize(P);
            locals[group[0]](s, c, dl_dc);
            for (size_t g = 1; g < group.size(); ++g) {
                locals[group[g]](s, c, part.data());
                for (size_t q = 0; q < P; ++q) dl_dc[q] += part[q];
            }
        };
        add(backward_through(base, systems, request, values_only, joint));
    }
    for (size_t k = 0; k < K; ++k) {
        if (products[k].a != products[k].b) add(products[k].b->backward(systems, request, grad_b[k].data()));
    }
    return result;
}

}  // namespace lodestone::pair_products
