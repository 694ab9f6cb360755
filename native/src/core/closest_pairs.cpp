#include "lodestone/core/closest_pairs.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "lodestone/core/error.hpp"
#include "lodestone/core/neighbors.hpp"

namespace lodestone {

std::vector<ClosestPair> closest_pairs(const System& system, double cutoff) {
    if (!(cutoff > 0.0) || !std::isfinite(cutoff)) {
        throw Error("closest pairs: cutoff: expected a positive finite distance (A), got " + format_number(cutoff));
    }
    system.validate("system");
    const NeighborList list = build_neighbor_list(system, cutoff);
    std::map<std::pair<int32_t, int32_t>, ClosestPair> best;
    for (size_t i = 0; i < list.n_centers(); i++) {
        for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; k++) {
            const Neighbor& n = list.neighbors[k];
            int32_t a = system.types[i], b = system.types[static_cast<size_t>(n.j)];
            int32_t ia = static_cast<int32_t>(i), ib = n.j;
            if (a > b) {
                std::swap(a, b);
                std::swap(ia, ib);
            }
            auto found = best.find({a, b});
            if (found == best.end() || n.distance < found->second.distance) best[{a, b}] = ClosestPair{a, b, n.distance, ia, ib};
        }
    }
    std::vector<ClosestPair> out;
    out.reserve(best.size());
    for (const auto& entry : best) out.push_back(entry.second);
    return out;
}

}  // namespace lodestone
