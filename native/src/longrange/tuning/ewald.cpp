// Parameters of the direct k-space Ewald sum, and the choice between it and PME.
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lodestone/core/error.hpp"
#include "longrange/tuning/common.hpp"

namespace lodestone {

using namespace tuning;

LongRangeParameters tune_ewald(int exponent, const LongRangeSums& sums_in, const EwaldTuningRequest& request) {
    if (!(request.accuracy >= 1e-15 && request.accuracy < 1.0)) {
        throw Error("accuracy: expected a relative RMS force error between 1e-15 and 1, got " +
                    format_number(request.accuracy));
    }
    check_positive(request.smearing, "smearing");
    check_positive(request.cutoff, "cutoff");
    check_positive(request.k_cutoff, "kCutoff");
    check_sums(sums_in);
    LongRangeSums sums = sums_in;
    // Without any weight every parameter is exact; tune as for unit weights
    // so the choice stays sensible.
    if (sums.sum_squares == 0.0) sums.sum_squares = static_cast<double>(sums.n_atoms);
    if (sums.prefactor == 0.0) sums.prefactor = 1.0;

    const Tables& t = tables(exponent);
    const double force = reference_force(exponent, sums);
    const double target = 0.5 * request.accuracy * force;
    const double n = static_cast<double>(sums.n_atoms);
    const double d = std::cbrt(sums.volume / n);

    auto cutoff_for = [&](double sigma) {
        return sigma * t.real.inverse(target / (kRealSafety * error_scale(exponent, sums, sigma)));
    };
    auto k_cutoff_for = [&](double sigma) { return t.kspace.inverse(target / error_scale(exponent, sums, sigma)) / sigma; };
    auto cost = [&](double rc, double kc) {
        const double pairs = n * n * (4.0 * M_PI / 3.0) * rc * rc * rc / sums.volume;
        const double products = n * sums.volume * kc * kc * kc / (12.0 * M_PI * M_PI);
        return pairs + kKspaceCostWeight * products;
    };
    // log-spaced scan: the cost and error curves are smooth and unimodal in
    // log sigma, a scan is robust and costs microseconds.
    auto scan = [](double lo, double hi, auto&& score) {
        constexpr int steps = 400;
        double best = lo, best_score = INFINITY;
        for (int i = 0; i <= steps; i++) {
            const double sigma = lo * std::pow(hi / lo, static_cast<double>(i) / steps);
            const double s = score(sigma);
            if (s < best_score) best_score = s, best = sigma;
        }
        return best;
    };
    // largest sigma in [lo, hi] with error(sigma) <= target (error increasing)
    auto largest_below = [&](double lo, double hi, auto&& error) {
        if (error(hi) <= target) return hi;
        if (error(lo) > target) return lo;
        for (int i = 0; i < 100; i++) {
            const double mid = std::sqrt(lo * hi);
            (error(mid) <= target ? lo : hi) = mid;
        }
        return lo;
    };

    LongRangeParameters out;
    out.method = "ewald";
    double sigma = request.smearing, rc = request.cutoff, kc = request.k_cutoff;
    if (sigma == 0.0) {
        if (rc > 0.0 && kc > 0.0) {
            sigma = scan(rc / kHigh, rc / kLow, [&](double s) {
                return std::hypot(real_space_error(exponent, sums, s, rc), ewald_kspace_error(exponent, sums, s, kc));
            });
        } else if (rc > 0.0) {
            sigma = largest_below(rc / kHigh, rc / kLow, [&](double s) { return real_space_error(exponent, sums, s, rc); });
        } else if (kc > 0.0) {
            // the k-space error decreases with sigma: the smallest admissible
            // sigma keeps the real-space cutoff short
            double lo = kLow / kc, hi = kHigh / kc;
            auto error = [&](double s) { return ewald_kspace_error(exponent, sums, s, kc); };
            if (error(lo) <= target) {
                sigma = lo;
            } else if (error(hi) > target) {
                sigma = hi;
            } else {
                for (int i = 0; i < 100; i++) {
                    const double mid = std::sqrt(lo * hi);
                    (error(mid) <= target ? hi : lo) = mid;
                }
                sigma = hi;
            }
        } else {
            sigma = scan(0.02 * d, 20.0 * d, [&](double s) { return cost(cutoff_for(s), k_cutoff_for(s)); });
        }
    }
    if (rc == 0.0) rc = cutoff_for(sigma);
    if (kc == 0.0) kc = k_cutoff_for(sigma);

    out.smearing = sigma;
    out.cutoff = rc;
    out.k_cutoff = kc;
    out.real_error = real_space_error(exponent, sums_in.sum_squares > 0 ? sums_in : sums, sigma, rc);
    out.kspace_error = ewald_kspace_error(exponent, sums_in.sum_squares > 0 ? sums_in : sums, sigma, kc);
    out.estimated_error = std::hypot(out.real_error, out.kspace_error);
    out.reference_force = force;
    out.cost = cost(rc, kc);
    return out;
}

LongRangeParameters tune_long_range(int exponent, const LongRangeSums& sums, const std::array<double, 9>& cell,
                                    const EwaldTuningRequest& request) {
    validate_pme_request(request);
    LongRangeMethod method = request.method;
    if (method == LongRangeMethod::Auto) {
        if (request.k_cutoff != 0.0) method = LongRangeMethod::Ewald;
        if (request.mesh_order != 0 || request.mesh_spacing != 0.0) method = LongRangeMethod::Pme;
    }
    if (method == LongRangeMethod::Ewald) return tune_ewald(exponent, sums, request);
    if (method == LongRangeMethod::Pme) return tune_pme(exponent, sums, cell, request);
    LongRangeParameters ewald = tune_ewald(exponent, sums, request);
    LongRangeParameters pme;
    try {
        pme = tune_pme(exponent, sums, cell, request);
    } catch (const Error&) {
        return ewald;
    }
    return pme.cost < ewald.cost ? pme : ewald;
}

}  // namespace lodestone
