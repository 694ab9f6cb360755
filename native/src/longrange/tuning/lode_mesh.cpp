// Choice between the direct k sum and the mesh for the LODE expansion, and
// the mesh's parameters (formulas in lode_mesh.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lodestone/core/error.hpp"
#include "longrange/tuning/common.hpp"
#include "longrange/mesh/mesh_grid.hpp"
#include "longrange/tuning/lode_mesh.hpp"
#include "math/fft.hpp"

namespace lodestone {

using namespace tuning;

namespace {

// Margin of the LODE mesh estimate over the measured error (random
// triclinic systems, test/features/lode-mesh.test.ts), as kPmeSafety for PME.
constexpr double kLodeMeshSafety = 2.0;
// Costs relative to one multiply-add of the direct sum's centre x k-vector x
// channel products: one M log2 M of a band-limited FFT, one mesh point of an
// interpolation stencil (scattered loads, slower than the direct sum's dense
// products). Their ratio was fitted to the values of a 1728-ion NaCl melt on
// meshes 48^3..80^3 and orders 4..7, their scale to values + backward of NaCl
// melts of 64 to 1728 ions against the direct sum (2 threads: mesh time over
// modelled cost is 0.39-0.52 of the direct sum's; the crossover is near 500
// ions).
constexpr double kLodeFftCost = 0.9;
constexpr double kLodeStencilCost = 3.8;
// Largest mesh: with two neighbour types its density spectra, adjoint
// accumulators and one thread's work meshes (features/lode/mesh.cpp runs fewer
// threads on meshes this large) take ~5 GiB.
constexpr double kMaxLodeMeshPoints = 33554432.0;  // 2^25

// Per axis and |m| <= bound: sum_p a_p^2 (lode_mesh.hpp).
std::vector<double> alias_sums(int64_t size, const mesh::Window& window, int bound) {
    std::vector<double> out(static_cast<size_t>(bound) + 1, 0.0);
    for (int m = 1; m <= bound; m++) {
        const double theta = static_cast<double>(m) / static_cast<double>(size);
        const double main = window_fourier(window, theta);
        double sum = 0.0;
        for (int p = 1; p <= 8; p++) {
            for (double q : {static_cast<double>(p), -static_cast<double>(p)}) {
                const double a = window_fourier(window, theta + q) / main;
                sum += a * a;
            }
        }
        out[static_cast<size_t>(m)] = sum;
    }
    return out;
}

// Shapes of the Kaiser-Bessel window the tuner tries, as beta / order: the
// best one for the LODE weights sits near 2.3-2.7 (sharper windows alias
// less at low frequencies, wider main lobes less near the band edge).
constexpr double kFirstBetaPerOrder = 1.8, kLastBetaPerOrder = 3.2, kBetaStep = 0.1;

double lode_mesh_cost(const std::array<int64_t, 3>& mesh, int order, size_t n_atoms, size_t n_centers, size_t channels) {
    const double m = static_cast<double>(mesh[0]) * static_cast<double>(mesh[1]) * static_cast<double>(mesh[2]);
    const double per_channel = kLodeFftCost * m * std::log2(std::max(2.0, m)) +
                               kLodeStencilCost * static_cast<double>(n_centers) * std::pow(order, 3);
    // plus the densities (one spread and FFT per type, bounded by the atoms)
    return static_cast<double>(channels) * per_channel +
           kLodeStencilCost * static_cast<double>(n_atoms) * std::pow(order, 3);
}

}  // namespace

LodeAxisWeights lode_axis_weights(const KVectors& kv, const std::vector<double>& weight) {
    if (weight.size() != kv.size()) throw Error("internal: one LODE error weight per k-vector expected");
    const std::array<int, 3> bound = max_frequencies(kv);
    LodeAxisWeights out;
    for (int d = 0; d < 3; d++) out.by_frequency[static_cast<size_t>(d)].assign(static_cast<size_t>(bound[static_cast<size_t>(d)]) + 1, 0.0);
    for (size_t k = 0; k < kv.size(); k++) {
        for (int d = 0; d < 3; d++) out.by_frequency[static_cast<size_t>(d)][static_cast<size_t>(std::abs(kv.m[3 * k + d]))] += weight[k];
        out.total += weight[k];
    }
    return out;
}

double lode_mesh_error(const LodeAxisWeights& weights, const std::array<int64_t, 3>& mesh, const mesh::Window& window) {
    double error = 0.0;
    for (int d = 0; d < 3; d++) {
        const std::vector<double>& by = weights.by_frequency[static_cast<size_t>(d)];
        const int bound = static_cast<int>(by.size()) - 1;
        if (2 * static_cast<int64_t>(bound) >= mesh[static_cast<size_t>(d)]) return INFINITY;
        const std::vector<double> sums = alias_sums(mesh[static_cast<size_t>(d)], window, bound);
        for (size_t m = 0; m < by.size(); m++) error += 2.0 * sums[m] * by[m];
    }
    if (!(weights.total > 0.0)) return 0.0;
    return kLodeMeshSafety * std::sqrt(error / weights.total);
}

void validate_lode_mesh_request(const LodeMeshTuningRequest& request) {
    if (request.method != "direct" && request.method != "mesh" && request.method != "split" && request.method != "auto") {
        throw Error("method: expected 'direct', 'mesh', 'split' or 'auto', got '" + request.method + "'");
    }
    if (!(request.accuracy > 0.0) || !std::isfinite(request.accuracy) || request.accuracy >= 1.0) {
        throw Error("accuracy: expected a finite number in (0, 1) (relative RMS error), got " +
                    format_number(request.accuracy));
    }
    if (request.mesh_order != 0) mesh::check_order(request.mesh_order, "mesh_order");
    if (!(request.mesh_spacing >= 0.0) || !std::isfinite(request.mesh_spacing)) {
        throw Error("mesh: expected a positive finite spacing (A), got " + format_number(request.mesh_spacing));
    }
    const bool explicit_mesh = request.mesh[0] != 0 || request.mesh[1] != 0 || request.mesh[2] != 0;
    if (explicit_mesh) {
        for (int d = 0; d < 3; d++) {
            const int64_t k = request.mesh[static_cast<size_t>(d)];
            if (k < 3 || k > kMaxFftAxis) {
                throw Error("mesh: expected between 3 and " + std::to_string(kMaxFftAxis) +
                            " points along each lattice vector, got " + std::to_string(k) + " along axis " +
                            std::to_string(d));
            }
            if (request.mesh_order != 0 && k < request.mesh_order) {
                throw Error("mesh: expected at least the order (" + std::to_string(request.mesh_order) +
                            ") points along each lattice vector, got " + std::to_string(k) + " along axis " +
                            std::to_string(d));
            }
        }
        if (request.mesh_spacing != 0.0) throw Error("mesh: give either points per axis or a spacing, not both");
    }
    if ((request.method == "direct" || request.method == "split") &&
        (explicit_mesh || request.mesh_spacing != 0.0 || request.mesh_order != 0)) {
        throw Error("method: mesh and mesh_order only apply to method 'mesh' (or 'auto'), not '" + request.method + "'");
    }
}

LodeMeshTuning tune_lode_mesh(const std::array<double, 9>& cell, const KVectors& kv, const std::vector<double>& weight,
                              const LodeMeshWork& work, const LodeMeshTuningRequest& request) {
    const size_t n_atoms = work.n_atoms, n_centers = work.n_centers, channels = work.channels;
    validate_lode_mesh_request(request);
    LodeMeshTuning out;
    // With at least two k-vectors per shell of equal |k| the direct sum runs
    // its products by shell (features/lode/kshells.hpp): measured at 0.44-0.53
    // of the plain sum's time per (centre, k-vector, channel) on NaCl cells
    // of 512-1152 ions, against the mesh that this cost is weighed with.
    const double by_shell = kv.size() >= 2 * count_lengths(kv) ? 0.5 : 1.0;
    out.direct_cost =
        by_shell * static_cast<double>(n_centers) * static_cast<double>(kv.size()) * static_cast<double>(channels);
    out.mesh_cost = INFINITY;
    std::string method = request.method;
    if (method == "direct" || method == "split" || (method == "auto" && !request.mesh_allowed)) {
        out.method = "direct";
        return out;
    }
    if (!request.mesh_allowed) {
        throw Error("method 'mesh': compute() gives values only (use backward() for forces and stress); "
                    "positions, strain or cell gradients need method 'direct'");
    }
    const std::array<int, 3> bound = max_frequencies(kv);
    const LodeAxisWeights axis_weights = lode_axis_weights(kv, weight);
    double length[3];
    for (int d = 0; d < 3; d++)
        length[d] = std::sqrt(cell[3 * d] * cell[3 * d] + cell[3 * d + 1] * cell[3 * d + 1] + cell[3 * d + 2] * cell[3 * d + 2]);
    const bool explicit_mesh = request.mesh[0] != 0;
    auto spacing_of = [&](const std::array<int64_t, 3>& mesh) {
        double h = 0.0;
        for (int d = 0; d < 3; d++) h = std::max(h, length[d] / static_cast<double>(mesh[static_cast<size_t>(d)]));
        return h;
    };
    auto check_holds = [&](const std::array<int64_t, 3>& mesh, const char* what) {
        for (int d = 0; d < 3; d++) {
            const int64_t need = 2 * static_cast<int64_t>(bound[static_cast<size_t>(d)]) + 1;
            if (mesh[static_cast<size_t>(d)] < need) {
                throw Error(std::string(what) + ": too coarse to hold k_cutoff: axis " + std::to_string(d) + " has " +
                            std::to_string(mesh[static_cast<size_t>(d)]) + " points, the k-vectors need at least " +
                            std::to_string(need));
            }
        }
    };
    struct Best {
        std::array<int64_t, 3> mesh{};
        mesh::Window window;
        double error = INFINITY, cost = INFINITY;
    } best, closest;
    // The B-spline if it meets the accuracy, else the Kaiser-Bessel shape of
    // least estimated error (the same cost).
    auto consider = [&](const std::array<int64_t, 3>& mesh, int order) -> bool {
        const double cost = lode_mesh_cost(mesh, order, n_atoms, n_centers, channels);
        mesh::Window window{order, 0.0};
        double error = lode_mesh_error(axis_weights, mesh, window);
        if (error > request.accuracy) {
            for (double ratio = kFirstBetaPerOrder; ratio <= kLastBetaPerOrder + 1e-9; ratio += kBetaStep) {
                const mesh::Window kb{order, ratio * order};
                const double e = lode_mesh_error(axis_weights, mesh, kb);
                if (e < error) {
                    error = e;
                    window = kb;
                }
            }
        }
        if (error <= request.accuracy) {
            if (cost < best.cost) best = {mesh, window, error, cost};
            return true;
        }
        if (error < closest.error) closest = {mesh, window, error, cost};
        return false;
    };
    const int first_order = request.mesh_order != 0 ? request.mesh_order : kMinPmeOrder;
    const int last_order = request.mesh_order != 0 ? request.mesh_order : kMaxPmeOrder;
    std::array<int64_t, 3> fixed{};
    if (explicit_mesh) {
        fixed = request.mesh;
        check_holds(fixed, "mesh");
    } else if (request.mesh_spacing != 0.0) {
        for (int d = 0; d < 3; d++)
            fixed[static_cast<size_t>(d)] = good_fft_size(std::max<int64_t>(
                static_cast<int64_t>(std::ceil(length[d] / request.mesh_spacing - 1e-9)), last_order));
        check_holds(fixed, "mesh (spacing)");
    }
    if (fixed[0] != 0) {
        for (int order = first_order; order <= last_order; order++) {
            if (fixed[0] < order || fixed[1] < order || fixed[2] < order) continue;
            if (consider(fixed, order)) break;  // the lowest order that meets the accuracy
        }
        if (best.window.order == 0) {
            // the explicit mesh is used as given; report its estimate
            const int order = closest.window.order != 0 ? closest.window.order
                                                        : std::min<int64_t>(last_order, std::min({fixed[0], fixed[1], fixed[2]}));
            if (order < 3) throw Error("mesh: expected at least 3 points along each lattice vector");
            const mesh::Window window = closest.window.order != 0 ? closest.window : mesh::Window{order, 0.0};
            best = {fixed, window, lode_mesh_error(axis_weights, fixed, window),
                    lode_mesh_cost(fixed, order, n_atoms, n_centers, channels)};
        }
    } else {
        for (int order = first_order; order <= last_order; order++) {
            // from the coarsest mesh holding every k-vector, finer until the estimate is met
            std::array<int64_t, 3> previous{};
            for (double factor = 1.0; factor < 16.0; factor *= 1.05) {
                std::array<int64_t, 3> mesh{};
                for (int d = 0; d < 3; d++) {
                    const double need = (2.0 * bound[static_cast<size_t>(d)] + 1.0) * factor;
                    mesh[static_cast<size_t>(d)] =
                        good_fft_size(std::max<int64_t>(static_cast<int64_t>(std::ceil(need)), order));
                }
                if (mesh == previous) continue;
                previous = mesh;
                if (static_cast<double>(mesh[0]) * static_cast<double>(mesh[1]) * static_cast<double>(mesh[2]) >
                    kMaxLodeMeshPoints)
                    break;
                if (consider(mesh, order)) break;
            }
        }
    }
    if (best.window.order == 0) {
        if (method == "auto") {
            out.method = "direct";
            return out;
        }
        throw Error("accuracy: no LODE mesh of at most " + format_number(kMaxLodeMeshPoints) +
                    " points reaches the requested accuracy " + format_number(request.accuracy) +
                    " (best estimate " + format_number(closest.error) + "); use method 'direct' or a lower accuracy");
    }
    out.mesh = best.mesh;
    out.mesh_order = best.window.order;
    out.mesh_beta = best.window.beta;
    out.mesh_spacing = spacing_of(best.mesh);
    out.estimated_error = best.error;
    out.mesh_cost = best.cost;
    out.method = (method == "auto" && out.direct_cost <= out.mesh_cost) ? "direct" : "mesh";
    return out;
}

}  // namespace lodestone
