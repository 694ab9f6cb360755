// Choice of the range separation of the LODE field (formulas in
// split_tuning.hpp): for each candidate smearing of the k-space part, the
// smallest k cutoff and real-space cutoff that meet the accuracy, then the
// cheapest candidate by the cost model.
#include "features/lode/split_tuning.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "features/lode/radial_integral.hpp"
#include "features/lode/real_space_kernel.hpp"
#include "lodestone/core/error.hpp"

namespace lodestone::lode {

namespace {

// Cost of one real-space pair relative to one multiply-add of the direct
// sum's products, per (l, m, n) column of its type block: the pair scatters
// into one block with scalar loads and evaluates a spline and harmonics,
// where the direct sum runs dense products. Measured on values + backward
// of the multiscale preset's LODE on NaCl boxes of 216 and 1728 ions (one
// thread, split_smearing 1.25 sigma against sigma): 10 and 15.
constexpr double kPairCost = 12.0;
// Margin of the estimates over the measured errors (random melts,
// test/features/lode-split.test.ts), as kLodeMeshSafety for the mesh.
constexpr double kSplitSafety = 2.0;
// Width of the switch of the real-space pairs, in units of the larger
// smearing (the decay length of their kernel): the pairs fade out over it,
// so values are continuously differentiable as atoms cross the cutoff (MD,
// finite differences) instead of jumping by the truncated term.
constexpr double kSwitchWidth = 0.5;
// Ratios of the k-space part's smearing to the expansion's; 1 is the
// converged direct sum alone (no real-space part).
constexpr double kRatios[] = {1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0};
// Points of the k grid of the error integrals (Simpson-like accuracy is not
// needed: the errors are estimates, the integrands smooth on this scale).
constexpr int kGridPoints = 600;
// Step of the real-space grid of the tail integral (A).
constexpr double kDistanceStep = 0.2;

struct KGrid {
    double step = 0.0;
    std::vector<double> k, spectrum;  // S(k) = sum_nl (2l+1) I_nl(k)^2
};

KGrid make_k_grid(const LodeRadialIntegral& radial, double k_max) {
    const int L = radial.max_angular() + 1, N = radial.max_radial() + 1;
    KGrid g;
    g.step = k_max / kGridPoints;
    std::vector<double> I(static_cast<size_t>(L * N));
    for (int i = 0; i <= kGridPoints; ++i) {
        const double k = i * g.step;
        radial.compute(k, I.data(), nullptr);
        double s = 0.0;
        for (int l = 0; l < L; ++l)
            for (int n = 0; n < N; ++n) s += (2 * l + 1) * I[static_cast<size_t>(l * N + n)] * I[static_cast<size_t>(l * N + n)];
        g.k.push_back(k);
        g.spectrum.push_back(s);
    }
    return g;
}

// int_{k_i}^{k_max} k^2 G^2 S dk for every grid point i (trapezoids), with
// the integrand 0 below k_min (the longest wavelength of the cell).
std::vector<double> k_tails(const KGrid& g, const std::function<double(double)>& fourier, double k_min) {
    std::vector<double> f(g.k.size(), 0.0), tail(g.k.size(), 0.0);
    for (size_t i = 0; i < g.k.size(); ++i) {
        const double k = g.k[i];
        if (k < k_min || k == 0.0) continue;
        const double G = fourier(k);
        f[i] = k * k * G * G * g.spectrum[i];
    }
    for (size_t i = g.k.size() - 1; i-- > 0;) tail[i] = tail[i + 1] + 0.5 * g.step * (f[i] + f[i + 1]);
    return tail;
}

// The converged k cutoff of a smearing.
double converged_k(double smearing) { return kConvergedKSmearing / smearing; }

// Smallest distance (on the grid) past which the kernel's tail integral
// int d^2 sum_nl (2l+1) F^2 is at most `limit`; doubles the range until the
// tail at the range is negligible.
double real_space_cutoff(const SplitTuningInputs& in, double big, double limit) {
    const LodeRadialIntegral& radial = in.radial;
    const int L = radial.max_angular() + 1, N = radial.max_radial() + 1;
    const double sigma = in.smearing;
    const auto difference = [&in, sigma, big](double k) { return in.fourier(k, sigma) - in.fourier(k, big); };
    double range = 2.0 * radial.basis().radius + 8.0 * big;
    std::vector<double> f(static_cast<size_t>(L * N));
    for (int attempt = 0; attempt < 4; ++attempt, range *= 1.5) {
        // splined radial integrals: an estimate needs no more
        const auto kernel = make_real_space_kernel(radial, difference, converged_k(sigma), range, 0.0, false);
        const int points = static_cast<int>(std::ceil(range / kDistanceStep));
        const auto density = [&](int i) {
            const double d = i * kDistanceStep;
            kernel->exact(d, f.data(), nullptr);
            double s = 0.0;
            for (int l = 0; l < L; ++l)
                for (int n = 0; n < N; ++n) s += (2 * l + 1) * f[static_cast<size_t>(l * N + n)] * f[static_cast<size_t>(l * N + n)];
            return d * d * s;
        };
        // inwards from the range, whose integrand must already be far below
        // the limit, or at the rounding floor of the k quadrature (~1e-12 of
        // the kernel at d = 0, constant in d) for accuracies that ask for
        // less: below it the integrand is noise, counted as 0
        kernel->exact(0.0, f.data(), nullptr);
        double peak = 0.0;
        for (double v : f) peak = std::max(peak, std::abs(v));
        const double noise = L * L * N * (1e-12 * peak) * (1e-12 * peak);
        const auto signal = [&](int i) {
            const double d = i * kDistanceStep, v = density(i);
            return v > d * d * noise ? v : 0.0;
        };
        const double noise_floor = range * range * noise;
        double upper = signal(points);
        if (upper * 4.0 * big > std::max(1e-3 * limit, noise_floor)) continue;
        double tail = 0.0;
        for (int i = points; i > 0; --i) {
            const double lower = signal(i - 1);
            const double next = tail + 0.5 * kDistanceStep * (upper + lower);
            if (next > limit) return i * kDistanceStep;
            tail = next;
            upper = lower;
        }
        return 0.0;
    }
    throw Error("method 'split': the real-space part does not decay within " + format_number(range) +
                " A; use method 'direct'");
}

}  // namespace

double lode_band_limit_error(const SplitTuningInputs& in, double k_cutoff) {
    const double k_conv = converged_k(in.smearing);
    if (k_cutoff >= k_conv) return 0.0;
    const KGrid g = make_k_grid(in.radial, k_conv);
    const double k_min = 2.0 * M_PI / std::cbrt(in.volume);
    const auto tail = k_tails(g, [&in](double k) { return in.fourier(k, in.smearing); }, k_min);
    const size_t i = std::min(g.k.size() - 1, static_cast<size_t>(std::floor(k_cutoff / g.step)));
    return tail[0] > 0.0 ? std::sqrt(tail[i] / tail[0]) : 0.0;
}

SplitTuning tune_lode_split(const SplitTuningInputs& in) {
    const LodeRadialIntegral& radial = in.radial;
    const int L = radial.max_angular() + 1, N = radial.max_radial() + 1;
    const double channels = static_cast<double>(L * L * N);
    const double rho = static_cast<double>(in.n_atoms) / in.n_types / in.volume;  // per neighbour type
    const double k_conv = converged_k(in.smearing);
    const double k_min = 2.0 * M_PI / std::cbrt(in.volume);
    const KGrid g = make_k_grid(radial, k_conv);
    const auto own = k_tails(g, [&in](double k) { return in.fourier(k, in.smearing); }, k_min);
    const double scale2 = rho * (2.0 / M_PI) * own[0] / channels;
    // each part gets half the error budget (squared)
    const double target = in.accuracy / kSplitSafety;
    const double budget = 0.5 * target * target * scale2;

    SplitTuning best;
    best.cost = INFINITY;
    best.value_scale = std::sqrt(scale2);
    std::vector<double> ratios(std::begin(kRatios), std::end(kRatios));
    if (in.split_smearing > 0.0) ratios.assign(1, in.split_smearing / in.smearing);
    for (double ratio : ratios) {
        const double big = ratio * in.smearing;
        const auto tail = k_tails(g, [&in, big](double k) { return in.fourier(k, big); }, k_min);
        size_t i = 0;
        while (i + 1 < g.k.size() && rho * (2.0 / M_PI) * tail[i + 1] / channels > budget) ++i;
        const double k_b = g.k[std::min(i + 1, g.k.size() - 1)];
        const double e_k2 = rho * (2.0 / M_PI) * tail[std::min(i + 1, g.k.size() - 1)] / channels;
        const double n_k = in.volume * k_b * k_b * k_b / (12.0 * M_PI * M_PI);
        const double k_cost = static_cast<double>(in.n_centers) * n_k * channels * in.n_types;
        if (k_cost >= best.cost) continue;  // the real-space part only adds
        double r_c = 0.0;
        // the switch starts where the tail is within budget
        if (big > in.smearing) r_c = real_space_cutoff(in, big, budget * channels / rho) + kSwitchWidth * big;
        const double pairs = static_cast<double>(in.n_atoms) / in.volume * 4.0 / 3.0 * M_PI * r_c * r_c * r_c;
        const double cost = k_cost + kPairCost * static_cast<double>(in.n_centers) * pairs * channels;
        if (cost < best.cost) {
            best.smearing = big;
            best.k_cutoff = k_b;
            best.cutoff = r_c;
            best.switch_width = r_c > 0.0 ? kSwitchWidth * big : 0.0;
            best.cost = cost;
            best.n_kvectors = static_cast<size_t>(n_k);
            best.estimated_error = kSplitSafety * std::sqrt(e_k2 + (r_c > 0.0 ? budget : 0.0)) / best.value_scale;
        }
    }
    return best;
}

}  // namespace lodestone::lode
