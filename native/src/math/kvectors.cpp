#include "math/kvectors.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <cstdlib>

#include "lodestone/core/error.hpp"
#include "lodestone/core/system.hpp"

namespace lodestone {

std::array<double, 9> reciprocal_cell(const std::array<double, 9>& cell) {
    // rows of 2 pi (A^-1)^T
    const std::array<double, 9> inv = inverse3(cell);
    std::array<double, 9> b{};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) b[3 * i + j] = 2.0 * M_PI * inv[3 * j + i];
    return b;
}

KVectors half_space_kvectors(const std::array<double, 9>& cell, double k_cutoff) {
    if (!(k_cutoff > 0.0) || !std::isfinite(k_cutoff)) {
        throw Error("k_cutoff: expected a positive finite number, got " + std::to_string(k_cutoff));
    }
    const std::array<double, 9> b = reciprocal_cell(cell);
    // m_i = k . a_i / 2 pi, so |m_i| <= k_cutoff |a_i| / 2 pi.
    int bound[3];
    for (int i = 0; i < 3; i++) {
        const double a = std::sqrt(cell[3 * i] * cell[3 * i] + cell[3 * i + 1] * cell[3 * i + 1] +
                                   cell[3 * i + 2] * cell[3 * i + 2]);
        const double limit = std::floor(k_cutoff * a / (2.0 * M_PI));
        if (limit > 2000.0) {
            throw Error("k_cutoff: " + std::to_string(k_cutoff) +
                        " needs more than 2000 reciprocal vectors along one cell axis; use a larger smearing or the mesh method");
        }
        bound[i] = static_cast<int>(limit);
    }
    KVectors out;
    const double kc2 = k_cutoff * k_cutoff;
    for (int m1 = 0; m1 <= bound[0]; m1++) {
        for (int m2 = (m1 == 0 ? 0 : -bound[1]); m2 <= bound[1]; m2++) {
            for (int m3 = (m1 == 0 && m2 == 0 ? 1 : -bound[2]); m3 <= bound[2]; m3++) {
                double k[3];
                for (int c = 0; c < 3; c++) k[c] = m1 * b[c] + m2 * b[3 + c] + m3 * b[6 + c];
                const double k2 = k[0] * k[0] + k[1] * k[1] + k[2] * k[2];
                if (k2 >= kc2) continue;
                out.k.insert(out.k.end(), k, k + 3);
                out.norm.push_back(std::sqrt(k2));
                out.m.insert(out.m.end(), {m1, m2, m3});
            }
        }
    }
    return out;
}

std::array<int, 3> max_frequencies(const KVectors& kv) {
    std::array<int, 3> bound{0, 0, 0};
    for (size_t k = 0; k < kv.size(); k++)
        for (size_t d = 0; d < 3; d++) bound[d] = std::max(bound[d], std::abs(kv.m[3 * k + d]));
    return bound;
}

namespace {
bool longer(double a, double b) { return a - b > 1e-12 * a; }
}  // namespace

void sort_by_length(KVectors& kv) {
    std::vector<size_t> order(kv.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return kv.norm[a] < kv.norm[b]; });
    KVectors sorted;
    sorted.k.resize(kv.k.size());
    sorted.m.resize(kv.m.size());
    sorted.norm.resize(kv.size());
    for (size_t i = 0; i < order.size(); ++i) {
        sorted.norm[i] = kv.norm[order[i]];
        for (int x = 0; x < 3; ++x) {
            sorted.k[3 * i + x] = kv.k[3 * order[i] + x];
            sorted.m[3 * i + x] = kv.m[3 * order[i] + x];
        }
    }
    kv = std::move(sorted);
}

std::vector<size_t> length_shells(const std::vector<double>& sorted_norms) {
    std::vector<size_t> start;
    for (size_t k = 0; k < sorted_norms.size(); ++k)
        if (start.empty() || longer(sorted_norms[k], sorted_norms[start.back()])) start.push_back(k);
    start.push_back(sorted_norms.size());
    return start;
}

size_t count_lengths(const KVectors& kv) {
    std::vector<double> norm = kv.norm;
    std::sort(norm.begin(), norm.end());
    return length_shells(norm).size() - 1;
}

}  // namespace lodestone
