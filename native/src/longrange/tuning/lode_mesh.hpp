#pragma once
// Tuning of the mesh LODE expansion (native/src/features/lode/mesh.cpp):
// its error estimate, cost model and the choice between mesh and direct sum.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "longrange/mesh/mesh_grid.hpp"
#include "math/kvectors.hpp"

namespace lodestone {

// Relative RMS error of the mesh LODE coefficients against the direct k sum
// over the same k-vectors. With a window W (mesh::Window: B-spline or
// Kaiser-Bessel) and theta_d = m_d / K_d for the integer coordinates m of a
// k-vector, the window's Fourier transform gives, per axis, aliases of
// relative amplitude a_p = W^(theta + p) / W^(theta), p != 0 (for the
// B-spline of order n, ((-1)^p theta / (theta + p))^n), both when spreading
// and when interpolating. Dividing by |W^|^2 (mesh::window_inverse_power)
// keeps the main term exact. For uncorrelated positions, S(k) and its aliases are
// independent with |S|^2 ~ N_a, so each k-vector's contribution is off by
// the relative
//   eps^2(m) = 2 sum_d sum_p a_p^2(theta_d),
// and averaging |error|^2 over centres and all (n, l, m) channels (sum_m Y_lm^2 =
// (2l+1)/4 pi) gives
//   error / scale = S sqrt(sum_k w(k) eps^2(m_k) / sum_k w(k)),
//   w(k) = G(k)^2 sum_{n,l} (2l+1) I_nl(k)^2,
// where scale^2 = (N_a / V)(2/pi) int_0^kc k^2 w(k) dk / (n_max l_max^2) is the RMS of v's
// k-space part for uncorrelated positions: `accuracy` is relative to it. S =
// kLodeMeshSafety (lode_mesh.cpp). eps^2 is a sum over axes of a function of
// |m_d| alone, so the sum over k-vectors needs only each axis's weight per
// |m_d| (LodeAxisWeights), summed once per cell for every mesh and window
// the tuner tries.
struct LodeAxisWeights {
    std::array<std::vector<double>, 3> by_frequency;  // [d][|m_d|]: sum of w(k) over the k-vectors with that |m_d|
    double total = 0.0;                                // sum of w(k)
};
// `weight` holds w(k) for each k-vector of kv.
LodeAxisWeights lode_axis_weights(const KVectors& kv, const std::vector<double>& weight);
double lode_mesh_error(const LodeAxisWeights& weights, const std::array<int64_t, 3>& mesh, const mesh::Window& window);

struct LodeMeshTuningRequest {
    std::string method = "direct";  // "direct", "mesh" or "auto"
    double accuracy = 1e-6;
    std::array<int64_t, 3> mesh{};  // explicit points, 0 = choose
    double mesh_spacing = 0.0;      // explicit spacing (A), 0 = choose
    int mesh_order = 0;             // 0 = choose
    bool mesh_allowed = true;       // false: only 'direct' can do what is asked
};

struct LodeMeshTuning {
    std::string method;  // "direct" or "mesh"
    std::array<int64_t, 3> mesh{};
    int mesh_order = 0;
    double mesh_beta = 0.0;  // the window's shape (mesh::Window): 0 for the B-spline
    double mesh_spacing = 0.0;
    double estimated_error = 0.0;  // relative (lode_mesh_error), mesh only
    double direct_cost = 0.0;
    double mesh_cost = 0.0;
};

// Chooses between the direct k sum and the mesh, and the mesh (sizes from
// good_fft_size, every axis holding all k-vectors of kv: K_d > 2 max|m_d|),
// order and window meeting `accuracy` at the lowest modelled cost (at equal
// mesh and order the B-spline when it meets it, for its smoothness; else
// the Kaiser-Bessel window of the best shape): direct
// ~ centres x k-vectors x channels, mesh ~ channels x (M log2 M + centres n^3).
// Throws for invalid options, an explicit mesh too coarse for k_cutoff, or
// an accuracy no mesh within the memory budget reaches (method 'mesh').
// The size of the work that the cost model weighs.
struct LodeMeshWork {
    size_t n_atoms = 0;    // spread on the mesh
    size_t n_centers = 0;  // interpolated
    size_t channels = 0;   // (l, m, type, n) columns
};

LodeMeshTuning tune_lode_mesh(const std::array<double, 9>& cell, const KVectors& kv, const std::vector<double>& weight,
                              const LodeMeshWork& work, const LodeMeshTuningRequest& request);

// Checks the method options alone, for constructors.
void validate_lode_mesh_request(const LodeMeshTuningRequest& request);

}  // namespace lodestone
