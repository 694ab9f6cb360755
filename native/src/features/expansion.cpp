#include "lodestone/features/expansion.hpp"

#include <algorithm>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone {

void validate_systems(const std::vector<System>& systems) {
    for (size_t s = 0; s < systems.size(); ++s) {
        systems[s].validate(("systems[" + std::to_string(s) + "]").c_str());
    }
}

void validate_request(const std::vector<System>& systems, const ExpansionRequest& request) {
    if (request.sum_centers) {
        throw Error("sumCenters: the positions gradient summed over centres is offered by invariants and "
                    "equivariants, not by expansions");
    }
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

std::vector<int32_t> request_centers(const std::vector<System>& systems, const ExpansionRequest& request, size_t s) {
    if (!request.centers.empty()) return request.centers[s];
    std::vector<int32_t> all(systems[s].size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int32_t>(i);
    return all;
}

BackwardResult zero_backward(const std::vector<System>& systems, const ExpansionRequest& request) {
    BackwardResult result;
    size_t atoms = 0;
    for (const auto& s : systems) atoms += s.size();
    if (request.positions) result.positions.assign(3 * atoms, 0.0);
    if (request.strain) result.strain.assign(9 * systems.size(), 0.0);
    return result;
}

size_t count_samples(const std::vector<System>& systems, const ExpansionRequest& request) {
    size_t total = 0;
    for (size_t s = 0; s < systems.size(); ++s) {
        const bool all = request.centers.empty();
        total += all ? systems[s].size() : request.centers[s].size();
    }
    return total;
}

void check_adjoint_length(size_t length, size_t samples, size_t properties) {
    if (length != samples * properties) {
        throw Error("gradient of the loss: expected " + std::to_string(samples) + " x " + std::to_string(properties) +
                    " = " + std::to_string(samples * properties) + " numbers (samples x properties), got " +
                    std::to_string(length));
    }
}

std::vector<int> type_blocks(const System& system, const std::vector<int32_t>& neighbor_types) {
    std::vector<int> blocks(system.size(), -1);
    for (size_t i = 0; i < system.size(); ++i) {
        auto it = std::lower_bound(neighbor_types.begin(), neighbor_types.end(), system.types[i]);
        if (it != neighbor_types.end() && *it == system.types[i]) {
            blocks[i] = static_cast<int>(it - neighbor_types.begin());
        }
    }
    return blocks;
}

SampleLayout start_result(const std::vector<System>& systems, const ExpansionRequest& request, int max_angular,
                          int max_radial, ExpansionResult& result) {
    const int L = max_angular + 1, N = max_radial + 1;
    const int T = static_cast<int>(request.neighbor_types.size());
    const size_t P = static_cast<size_t>(L) * L * T * N;
    result.n_properties = P;
    result.properties.reserve(4 * P);
    for (int l = 0; l < L; ++l)
        for (int m = -l; m <= l; ++m)
            for (int t = 0; t < T; ++t)
                for (int n = 0; n < N; ++n) result.properties.insert(result.properties.end(), {l, m, request.neighbor_types[t], n});

    SampleLayout layout;
    layout.centers.resize(systems.size());
    layout.sample_start.assign(systems.size() + 1, 0);
    for (size_t s = 0; s < systems.size(); ++s) {
        layout.centers[s] = request_centers(systems, request, s);
        layout.sample_start[s + 1] = layout.sample_start[s] + layout.centers[s].size();
    }
    result.n_samples = layout.sample_start.back();
    // Rows are zeroed by the thread that fills them (see buffer.hpp).
    result.values.resize(result.n_samples * P);
    result.samples.resize(2 * result.n_samples);
    if (request.strain) result.strain_gradient.resize(result.n_samples * 9 * P);
    if (request.cell) result.cell_gradient.resize(result.n_samples * 9 * P);
    return layout;
}

}  // namespace lodestone
