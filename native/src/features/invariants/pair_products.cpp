#include "features/invariants/pair_products.hpp"

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
    pair.a = a.compute(systems, request);
    if (!pair.symmetric) pair.b_storage = b.compute(systems, request);
    return pair;
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

}  // namespace lodestone::pair_products
