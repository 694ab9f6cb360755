#include "lodestone/core/neighbors.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone {
namespace {

// Minimum distance between atoms: below it directions are undefined.
constexpr double kOverlapDistance = 1e-8;

int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

// Binning of atoms in fractional coordinates. A Cartesian displacement of
// length <= cutoff changes fractional coordinate a by at most cutoff / d_a,
// with d_a the distance between lattice planes a, so scanning `reach[a]` bins
// on each side finds every neighbour, whatever the skew of the cell.
struct Grid {
    std::array<double, 9> cell;  // rows: lattice vectors (identity without a cell)
    std::array<bool, 3> periodic;
    std::array<int64_t, 3> bins;
    std::array<int64_t, 3> reach;
    std::array<double, 3> origin;  // fractional coordinate of bin 0 (non-periodic axes)
    std::array<double, 3> width;   // fractional width of a bin
    std::vector<double> wrapped;   // Cartesian positions folded into the cell
    std::vector<std::array<int32_t, 3>> folds;  // lattice translations removed by folding
    std::vector<size_t> bin_start;              // atoms of bin b: order[bin_start[b] ..]
    std::vector<int32_t> order;

    size_t bin_index(int64_t a, int64_t b, int64_t c) const {
        return static_cast<size_t>((a * bins[1] + b) * bins[2] + c);
    }
};

Grid make_grid(const System& system, double cutoff) {
    Grid grid;
    size_t n = system.size();
    if (system.has_cell) {
        grid.cell = system.cell;
        grid.periodic = system.pbc;
    } else {
        grid.cell = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        grid.periodic = {false, false, false};
    }
    const auto& h = grid.cell;
    auto inv = inverse3(h);
    double volume = std::abs(determinant3(h));
    std::array<double, 3> plane_distance;
    for (int a = 0; a < 3; ++a) {
        const double* u = &h[3 * ((a + 1) % 3)];
        const double* v = &h[3 * ((a + 2) % 3)];
        double cx = u[1] * v[2] - u[2] * v[1];
        double cy = u[2] * v[0] - u[0] * v[2];
        double cz = u[0] * v[1] - u[1] * v[0];
        plane_distance[a] = volume / std::sqrt(cx * cx + cy * cy + cz * cz);
    }

    std::vector<double> fractional(3 * n);
    grid.wrapped.assign(system.positions.begin(), system.positions.end());
    grid.folds.assign(n, {0, 0, 0});
    for (size_t i = 0; i < n; ++i) {
        const double* r = &system.positions[3 * i];
        for (int a = 0; a < 3; ++a) {
            double s = r[0] * inv[a] + r[1] * inv[3 + a] + r[2] * inv[6 + a];
            if (grid.periodic[a]) {
                double f = std::floor(s);
                s -= f;
                if (s >= 1.0) {  // rounding of tiny negative s
                    s -= 1.0;
                    f += 1.0;
                }
                grid.folds[i][a] = static_cast<int32_t>(f);
            }
            fractional[3 * i + a] = s;
        }
        for (int a = 0; a < 3; ++a) {
            double f = grid.folds[i][a];
            if (f != 0.0) {
                for (int x = 0; x < 3; ++x) grid.wrapped[3 * i + x] -= f * h[3 * a + x];
            }
        }
    }

    // Bins at least one cutoff wide, capped so sparse molecules do not ask for
    // huge empty grids.
    const double max_bins_per_axis = std::max(1.0, std::cbrt(8.0 * static_cast<double>(n) + 64.0));
    for (int a = 0; a < 3; ++a) {
        double lo = 0.0, extent = 1.0;
        if (!grid.periodic[a]) {
            lo = n ? fractional[a] : 0.0;
            double hi = lo;
            for (size_t i = 0; i < n; ++i) {
                lo = std::min(lo, fractional[3 * i + a]);
                hi = std::max(hi, fractional[3 * i + a]);
            }
            extent = std::max(hi - lo, 1e-12);
        }
        double bins = std::floor(extent * plane_distance[a] / cutoff);
        bins = std::min(std::max(bins, 1.0), max_bins_per_axis);
        grid.bins[a] = static_cast<int64_t>(bins);
        grid.origin[a] = lo;
        grid.width[a] = extent / bins;
        grid.reach[a] = static_cast<int64_t>(std::floor(cutoff / (grid.width[a] * plane_distance[a]))) + 1;
        if (!grid.periodic[a]) grid.reach[a] = std::min(grid.reach[a], grid.bins[a]);
    }

    size_t n_bins = static_cast<size_t>(grid.bins[0] * grid.bins[1] * grid.bins[2]);
    std::vector<size_t> atom_bin(n);
    std::vector<size_t> counts(n_bins + 1, 0);
    for (size_t i = 0; i < n; ++i) {
        int64_t idx[3];
        for (int a = 0; a < 3; ++a) {
            double t = (fractional[3 * i + a] - grid.origin[a]) / grid.width[a];
            idx[a] = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(std::floor(t)), 0), grid.bins[a] - 1);
        }
        atom_bin[i] = grid.bin_index(idx[0], idx[1], idx[2]);
        counts[atom_bin[i] + 1]++;
    }
    for (size_t b = 0; b < n_bins; ++b) counts[b + 1] += counts[b];
    grid.bin_start = counts;
    grid.order.resize(n);
    std::vector<size_t> fill(counts.begin(), counts.end() - 1);
    for (size_t i = 0; i < n; ++i) grid.order[fill[atom_bin[i]]++] = static_cast<int32_t>(i);
    return grid;
}

}  // namespace

NeighborList build_neighbor_list(const System& system, double cutoff) {
    if (!(cutoff > 0.0) || !std::isfinite(cutoff)) {
        throw Error("neighbour list: cutoff must be a positive finite number, got " + format_number(cutoff));
    }
    size_t n = system.size();
    NeighborList list;
    list.cutoff = cutoff;
    list.offsets.assign(n + 1, 0);
    if (n == 0) return list;

    Grid grid = make_grid(system, cutoff);
    const auto& h = grid.cell;
    const double cutoff2 = cutoff * cutoff;

    // Bin of each atom, recomputed from the sorted order.
    std::vector<std::array<int64_t, 3>> bin_of(n);
    for (int64_t a = 0; a < grid.bins[0]; ++a)
        for (int64_t b = 0; b < grid.bins[1]; ++b)
            for (int64_t c = 0; c < grid.bins[2]; ++c) {
                size_t idx = grid.bin_index(a, b, c);
                for (size_t k = grid.bin_start[idx]; k < grid.bin_start[idx + 1]; ++k)
                    bin_of[static_cast<size_t>(grid.order[k])] = {a, b, c};
            }

    int n_threads = omp_get_max_threads();
    std::vector<std::vector<Neighbor>> per_thread(static_cast<size_t>(n_threads));
    std::vector<size_t> counts(n, 0);
    bool overlap = false;
    int32_t overlap_i = 0, overlap_j = 0;

#pragma omp parallel num_threads(n_threads)
    {
        auto& found = per_thread[static_cast<size_t>(omp_get_thread_num())];
#pragma omp for schedule(static)
        for (int64_t ii = 0; ii < static_cast<int64_t>(n); ++ii) {
            size_t i = static_cast<size_t>(ii);
            const double* ri = &grid.wrapped[3 * i];
            size_t before = found.size();
            const auto& bi = bin_of[i];
            for (int64_t oa = -grid.reach[0]; oa <= grid.reach[0]; ++oa) {
                int64_t ta = bi[0] + oa;
                int64_t sa = 0;
                if (grid.periodic[0]) {
                    sa = floor_div(ta, grid.bins[0]);
                    ta -= sa * grid.bins[0];
                } else if (ta < 0 || ta >= grid.bins[0]) {
                    continue;
                }
                for (int64_t ob = -grid.reach[1]; ob <= grid.reach[1]; ++ob) {
                    int64_t tb = bi[1] + ob;
                    int64_t sb = 0;
                    if (grid.periodic[1]) {
                        sb = floor_div(tb, grid.bins[1]);
                        tb -= sb * grid.bins[1];
                    } else if (tb < 0 || tb >= grid.bins[1]) {
                        continue;
                    }
                    for (int64_t oc = -grid.reach[2]; oc <= grid.reach[2]; ++oc) {
                        int64_t tc = bi[2] + oc;
                        int64_t sc = 0;
                        if (grid.periodic[2]) {
                            sc = floor_div(tc, grid.bins[2]);
                            tc -= sc * grid.bins[2];
                        } else if (tc < 0 || tc >= grid.bins[2]) {
                            continue;
                        }
                        double tx = sa * h[0] + sb * h[3] + sc * h[6] - ri[0];
                        double ty = sa * h[1] + sb * h[4] + sc * h[7] - ri[1];
                        double tz = sa * h[2] + sb * h[5] + sc * h[8] - ri[2];
                        size_t idx = grid.bin_index(ta, tb, tc);
                        for (size_t k = grid.bin_start[idx]; k < grid.bin_start[idx + 1]; ++k) {
                            size_t j = static_cast<size_t>(grid.order[k]);
                            const double* rj = &grid.wrapped[3 * j];
                            double dx = rj[0] + tx, dy = rj[1] + ty, dz = rj[2] + tz;
                            double d2 = dx * dx + dy * dy + dz * dz;
                            if (d2 >= cutoff2) continue;
                            std::array<int32_t, 3> shift = {
                                static_cast<int32_t>(sa) - grid.folds[j][0] + grid.folds[i][0],
                                static_cast<int32_t>(sb) - grid.folds[j][1] + grid.folds[i][1],
                                static_cast<int32_t>(sc) - grid.folds[j][2] + grid.folds[i][2]};
                            if (j == i && shift[0] == 0 && shift[1] == 0 && shift[2] == 0) continue;
                            double d = std::sqrt(d2);
                            if (d < kOverlapDistance) {
#pragma omp critical(lodestone_overlap)
                                {
                                    overlap = true;
                                    overlap_i = static_cast<int32_t>(i);
                                    overlap_j = static_cast<int32_t>(j);
                                }
                                continue;
                            }
                            found.push_back(Neighbor{static_cast<int32_t>(j), shift, {dx, dy, dz}, d});
                        }
                    }
                }
            }
            counts[i] = found.size() - before;
        }
    }
    if (overlap) {
        throw Error("atoms " + std::to_string(overlap_i) + " and " + std::to_string(overlap_j) +
                    " are at the same position (or at the same periodic image); expected distinct positions");
    }
    for (size_t i = 0; i < n; ++i) list.offsets[i + 1] = list.offsets[i] + counts[i];
    list.neighbors.reserve(list.offsets[n]);
    // Static schedule: thread t owns a contiguous, increasing range of centres.
    for (auto& found : per_thread) list.neighbors.insert(list.neighbors.end(), found.begin(), found.end());
    return list;
}

std::vector<Pair> half_list(const NeighborList& list) {
    std::vector<Pair> pairs;
    pairs.reserve(list.neighbors.size() / 2);
    for (size_t i = 0; i < list.n_centers(); ++i) {
        for (size_t k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
            const Neighbor& nb = list.neighbors[k];
            size_t j = static_cast<size_t>(nb.j);
            bool keep = i < j;
            if (i == j) {
                const auto& s = nb.shift;
                keep = s[0] > 0 || (s[0] == 0 && (s[1] > 0 || (s[1] == 0 && s[2] > 0)));
            }
            if (keep) pairs.push_back(Pair{static_cast<int32_t>(i), nb.j, nb.shift, nb.vector, nb.distance});
        }
    }
    return pairs;
}

}  // namespace lodestone
