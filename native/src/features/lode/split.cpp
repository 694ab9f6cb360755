// Range-separated LODE (method 'split'): Ewald's splitting applied to the
// projected field. With G and G_big the fields of smearings sigma and
// sigma_big > sigma,
//   V = V_big + (V - V_big):
// V_big is smooth, so its k sum (an inner engine, lode_expansion.cpp) needs
// |k| < k_big only, and the count of k-vectors falls as (sigma / sigma_big)^3;
// V - V_big decays like a Gaussian of width sigma_big, so its projection is
// a sum over the neighbours within a real-space cutoff of the pair kernel
// F_nl(d) Y_lm (real_space_kernel.hpp, of G - G_big; pair_field.cpp).
//
// The direct and mesh sums are band-limited (|k| < k_cutoff); this method
// converges to the field without that limit, as 'direct' does when k_cutoff
// grows. The k = 0 term: for p <= 3 the k sums leave it out (a neutralising
// background), but the lattice sum of V - V_big holds it, finite,
// (4 pi / V) lim_{k->0} (G - G_big) I_n0(0) Y_00 N_a, so it is taken out again.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "features/lode/engine.hpp"
#include "features/lode/pair_field.hpp"
#include "features/lode/potential.hpp"
#include "features/lode/real_space_kernel.hpp"
#include "features/lode/split_tuning.hpp"
#include "lodestone/core/error.hpp"
#include "lodestone/longrange/power_law.hpp"

namespace lodestone {

namespace {

constexpr double kY00 = 0.28209479177387814;  // 1 / sqrt(4 pi)
// A tuning is reused while the volume stays within this fraction of the one
// it was made for (NPT MD): the error estimates move by half as much.
constexpr double kRetuneVolume = 0.05;

// lim_{k->0} [G_sigma(k) - G_big(k)] for p = 1..3, where each diverges (the
// background corrections of the smeared power law differ by exactly this);
// 0 when the k sums keep their finite k = 0 terms (p = 0, p > 3).
double zero_difference(int p, double sigma, double big) {
    if (p == 3) return 4.0 * M_PI * std::log(big / sigma);
    if (p == 1 || p == 2) {
        return SmearedPowerLaw(p, sigma).background_correction() - SmearedPowerLaw(p, big).background_correction();
    }
    return 0.0;
}

// Largest distance between opposite faces of the cell: 2 pi over it is at
// least the shortest reciprocal lattice vector.
double largest_height(const std::array<double, 9>& cell) {
    const double volume = std::abs(determinant3(cell));
    double height = 0.0;
    for (int d = 0; d < 3; ++d) {
        const double* a = &cell[3 * ((d + 1) % 3)];
        const double* b = &cell[3 * ((d + 2) % 3)];
        const double c[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
        height = std::max(height, volume / std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]));
    }
    return height;
}

int distinct_types(const System& system) {
    std::set<int32_t> types(system.types.begin(), system.types.end());
    return std::max<int>(1, static_cast<int>(types.size()));
}

}  // namespace

struct lode::Engine::SplitPlan {
    size_t n_atoms = 0;
    int n_types = 0;
    double volume = 0.0;
    SplitTuning tuning;
    std::unique_ptr<Engine> smooth;                  // the k-space part
    std::unique_ptr<const RealSpaceKernel> kernel;  // null without a real-space part
    double zero_difference = 0.0;
};

std::shared_ptr<const lode::Engine::SplitPlan> lode::Engine::split_plan(const System& system, int n_types) const {
    const double volume = std::abs(determinant3(system.cell));
    {
        std::lock_guard<std::mutex> lock(split_mutex_);
        const auto& p = split_plan_;
        if (p && p->n_atoms == system.size() && p->n_types == n_types &&
            std::abs(volume / p->volume - 1.0) < kRetuneVolume)
            return p;
    }
    auto plan = std::make_shared<SplitPlan>();
    plan->n_atoms = system.size();
    plan->n_types = n_types;
    plan->volume = volume;
    const int p = hypers_.exponent;
    const auto fourier = [p](double k, double smearing) { return Potential(p, smearing).fourier(k); };
    const SplitTuningInputs inputs{*radial_, fourier, hypers_.smearing, volume, system.size(), system.size(),
                                   n_types, hypers_.accuracy, hypers_.split_smearing};
    plan->tuning = tune_lode_split(inputs);
    const SplitTuning& t = plan->tuning;

    LodeExpansionHypers smooth = hypers_;
    smooth.smearing = t.smearing;
    // at least the shortest reciprocal vector (with a margin for the cells
    // this plan is reused for): a cell smaller than the smooth part's
    // wavelengths still has a k sum, which its tail estimate may not ask for
    smooth.k_cutoff = std::max(t.k_cutoff, 1.2 * 2.0 * M_PI / largest_height(system.cell));
    smooth.center_atom_weight = 1.0;  // the centre's weight is applied once, to the whole field
    smooth.exclusion_radius = 0.0;
    smooth.exclusion_width = 0.0;
    smooth.method = "direct";
    smooth.split_smearing = 0.0;
    smooth.mesh = {};
    smooth.mesh_spacing = 0.0;
    smooth.mesh_order = 0;
    plan->smooth = std::make_unique<Engine>(smooth);
    if (t.cutoff > 0.0) {
        const Potential own(p, hypers_.smearing), big(p, t.smearing);
        plan->kernel = make_real_space_kernel(
            *radial_, [&own, &big](double k) { return own.fourier(k) - big.fourier(k); }, hypers_.k_cutoff,
            std::max(1.25 * t.cutoff, 8.0), hypers_.spline_accuracy);
    }
    plan->zero_difference = zero_difference(p, hypers_.smearing, t.smearing);
    std::lock_guard<std::mutex> lock(split_mutex_);
    split_plan_ = plan;
    return plan;
}

LodeMethodParameters lode::Engine::split_parameters(const System& system, int n_types) const {
    const auto plan = split_plan(system, n_types);
    const SplitTuning& t = plan->tuning;
    LodeMethodParameters out;
    out.method = "split";
    out.direct_cost = INFINITY;  // not considered; 'auto' fills them in
    out.mesh_cost = INFINITY;
    out.estimated_error = t.estimated_error;
    out.value_scale = t.value_scale;
    out.split_cost = t.cost;
    out.n_kvectors = t.n_kvectors;
    out.split_smearing = t.smearing;
    out.split_k_cutoff = t.k_cutoff;
    out.split_cutoff = t.cutoff;
    return out;
}

bool lode::Engine::split_agrees(const System& system) const {
    const int p = hypers_.exponent;
    const auto fourier = [p](double k, double smearing) { return Potential(p, smearing).fourier(k); };
    const SplitTuningInputs inputs{*radial_, fourier, hypers_.smearing, std::abs(determinant3(system.cell)),
                                   system.size(), system.size(), distinct_types(system), hypers_.accuracy};
    return lode_band_limit_error(inputs, hypers_.k_cutoff) <= hypers_.accuracy;
}

namespace {

// The k = 0 term that the pair sum adds and the k sums leave out, [t][n]
// (the l = m = 0 columns), negated: what to add to every centre's row.
std::vector<double> zero_correction(const System& system, const std::vector<int>& type_block, int T, int N,
                                    const LodeRadialIntegral& radial, double difference) {
    std::vector<double> correction(static_cast<size_t>(T) * N, 0.0);
    if (difference == 0.0) return correction;
    std::vector<double> at_zero(static_cast<size_t>((radial.max_angular() + 1) * N));
    radial.compute(0.0, at_zero.data(), nullptr);
    const double factor = -4.0 * M_PI / std::abs(determinant3(system.cell)) * difference * kY00;
    for (int b : type_block)
        if (b >= 0)
            for (int n = 0; n < N; ++n) correction[static_cast<size_t>(b) * N + n] += factor * at_zero[static_cast<size_t>(n)];
    return correction;
}

}  // namespace

void lode::Engine::compute_split(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                                 const ComputeOutput& out) const {
    const auto plan = split_plan(system, distinct_types(system));
    const int T = static_cast<int>(request.neighbor_types.size());
    const int L = hypers_.max_angular + 1, N = hypers_.max_radial + 1;
    const size_t P = static_cast<size_t>(L * L) * T * N;
    plan->smooth->compute_periodic(system, request, layout, out);
    if (plan->kernel) {
        PairField field;
        field.kernel = plan->kernel.get();
        field.harmonics = &harmonics_;
        field.radius = plan->tuning.cutoff;
        field.switch_width = plan->tuning.switch_width;
        add_pair_field(field, system, request, layout, out);
    }
    const std::vector<double> zero =
        zero_correction(system, layout.type_block, T, N, *radial_, plan->zero_difference);
    const std::array<double, 9> hinv = inverse3(system.cell);
    for (size_t c = 0; c < layout.centers.size(); ++c) {
        // the correction scales as 1 / V: d/dstrain_xy = -delta_xy, d/dcell_ab = -hinv_ba
        for (size_t k = 0; k < zero.size(); ++k) {
            out.values[c * P + k] += zero[k];
            for (int x = 0; x < 3; ++x)
                if (out.strain) out.strain[(c * 9 + 4 * x) * P + k] -= zero[k];
            if (out.cell)
                for (int a = 0; a < 3; ++a)
                    for (int b = 0; b < 3; ++b) out.cell[(c * 9 + 3 * a + b) * P + k] -= hinv[3 * b + a] * zero[k];
        }
        add_center_terms(out.values + c * P, layout.type_block[static_cast<size_t>(layout.centers[c])], T);
    }
}

void lode::Engine::backward_split(const System& system, const ExpansionRequest& request, const CenterLayout& layout,
                                  const double* adjoint, const BackwardOutput& out) const {
    const auto plan = split_plan(system, distinct_types(system));
    const int T = static_cast<int>(request.neighbor_types.size());
    const int L = hypers_.max_angular + 1, N = hypers_.max_radial + 1;
    const size_t P = static_cast<size_t>(L * L) * T * N;
    plan->smooth->backward_periodic(system, request, layout, adjoint, out);
    if (plan->kernel) {
        PairField field;
        field.kernel = plan->kernel.get();
        field.harmonics = &harmonics_;
        field.radius = plan->tuning.cutoff;
        field.switch_width = plan->tuning.switch_width;
        backward_pair_field(field, system, request, layout, adjoint, out);
    }
    if (!out.strain) return;
    const std::vector<double> zero =
        zero_correction(system, layout.type_block, T, N, *radial_, plan->zero_difference);
    double loss = 0.0;
    for (size_t c = 0; c < layout.centers.size(); ++c)
        for (size_t k = 0; k < zero.size(); ++k) loss += adjoint[c * P + k] * zero[k];
    for (int x = 0; x < 3; ++x) out.strain[4 * x] -= loss;
}

}  // namespace lodestone
