#pragma once
// Tuning of the range-separated LODE method (split.cpp): the larger smearing
// of the k-space part, its k cutoff and the real-space cutoff of the
// difference, from an accuracy target and a cost model, as Ewald's tuning.
#include <cstddef>
#include <functional>

namespace lodestone {

class LodeRadialIntegral;

namespace lode {

// k cutoff (times the smearing) beyond which G_p(k) I_nl(k) k^2 is below
// ~1e-17 of its peak for every p: the methods that sum the field to
// convergence ('split', and the kernels it shares) stop there.
constexpr double kConvergedKSmearing = 9.0;

// Errors, all relative to `value_scale` and in the units of `accuracy`
// (the RMS over centres and (n, l, m) channels for uncorrelated positions at
// density rho_a per neighbour type, as the mesh's estimate):
//   k-space part truncated at k_b:
//     e_k^2 = rho_a (2/pi) int_{k_b}^{k_conv} k^2 G_big(k)^2 S(k) dk / channels,
//   real-space pairs beyond r_c:
//     e_r^2 = rho_a int_{r_c}^inf d^2 sum_nl (2l+1) F_nl(d)^2 dd / channels,
// with S(k) = sum_nl (2l+1) I_nl(k)^2 and F the pair kernel of G - G_big
// (Parseval makes the two forms agree), each held below accuracy / sqrt 2
// divided by a safety margin; the real-space pairs are switched off smoothly
// beyond the r_c so found.
struct SplitTuning {
    double smearing = 0.0;   // of the k-space part (A)
    double k_cutoff = 0.0;   // of the k-space part (1/A)
    double cutoff = 0.0;     // of the real-space pairs (A)
    double switch_width = 0.0;  // A: the pairs fade out over [cutoff - width, cutoff]
    double estimated_error = 0.0;
    double value_scale = 0.0;
    // Modelled cost in the unit of the direct sum's centre x k-vector x
    // channel multiply-adds (n_centers x K x channels for 'direct').
    double cost = 0.0;
    size_t n_kvectors = 0;   // modelled half-space count of the k-space part
};

struct SplitTuningInputs {
    const LodeRadialIntegral& radial;
    // G_p(k) of a smearing (the expansion's field for `smearing`)
    std::function<double(double k, double smearing)> fourier;
    double smearing = 0.0;
    double volume = 0.0;
    size_t n_atoms = 0;       // of the requested neighbour types
    size_t n_centers = 0;
    int n_types = 1;
    double accuracy = 1e-6;
    double split_smearing = 0.0;  // given smearing of the k-space part, 0 = choose
};

// The split of the lowest modelled cost meeting `accuracy`.
SplitTuning tune_lode_split(const SplitTuningInputs& in);

// Relative RMS error (as above) of the band limit |k| < k_cutoff of the
// direct sum against the converged field: what 'direct' and 'mesh' leave out.
double lode_band_limit_error(const SplitTuningInputs& in, double k_cutoff);

}  // namespace lode

}  // namespace lodestone
