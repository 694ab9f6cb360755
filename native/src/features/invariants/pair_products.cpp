#include "features/invariants/pair_products.hpp"

#include <algorithm>
#include <array>
#include <climits>
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

}  // namespace lodestone::pair_products
