#include "lodestone/longrange/tuning.hpp"

#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lodestone/error.hpp"
#include "lodestone/longrange/power_law.hpp"

namespace lodestone {
namespace {

// Dimensionless error integrals at sigma = 1, tabulated on [kLow, kHigh]:
// below kLow the split is meaningless, above kHigh the integrals are below
// 1e-100 of their scale.
constexpr double kLow = 0.5;
constexpr double kHigh = 16.0;
constexpr double kStep = 0.01;

// Relative cost of one atom-k-vector product (two passes of complex
// multiply-adds) against one neighbour-list entry (list build + erfc/exp);
// measured with bench/ewald.ts.
constexpr double kKspaceCostWeight = 0.05;

double simpson(double (*f)(const SmearedPowerLaw&, double), const SmearedPowerLaw& v, double a, double b, int n) {
    const double h = (b - a) / n;
    double sum = f(v, a) + f(v, b);
    for (int i = 1; i < n; i++) sum += (i % 2 ? 4.0 : 2.0) * f(v, a + i * h);
    return sum * h / 3.0;
}

double real_integrand(const SmearedPowerLaw& v, double u) {
    const double f = v.d_real_short(u);
    return 4.0 * M_PI * u * u * f * f;
}

double kspace_integrand(const SmearedPowerLaw& v, double kappa) {
    const double g = v.fourier(kappa);
    return kappa * kappa * kappa * kappa * g * g / (2.0 * M_PI * M_PI);
}

// sqrt of the tail integral from x to infinity, tabulated as a logarithm.
class ErrorTable {
public:
    ErrorTable(int exponent, double (*integrand)(const SmearedPowerLaw&, double))
        : potential_(exponent, 1.0), integrand_(integrand) {
        const size_t n = static_cast<size_t>(std::lround((kHigh - kLow) / kStep)) + 1;
        log_value_.resize(n);
        double tail = 0.0;
        for (size_t j = n; j-- > 0;) {
            if (j + 1 < n) tail += simpson(integrand_, potential_, grid(j), grid(j + 1), 8);
            log_value_[j] = 0.5 * std::log(std::max(tail, 1e-300));
        }
    }

    double grid(size_t j) const { return kLow + kStep * static_cast<double>(j); }

    double operator()(double x) const {
        if (x >= kHigh) return 0.0;
        if (x < kLow) {
            const double head = simpson(integrand_, potential_, x, kLow, 64);
            return std::sqrt(head + std::exp(2.0 * log_value_[0]));
        }
        const double t = (x - kLow) / kStep;
        const size_t j = std::min(static_cast<size_t>(t), log_value_.size() - 2);
        const double w = t - static_cast<double>(j);
        return std::exp((1.0 - w) * log_value_[j] + w * log_value_[j + 1]);
    }

    // Smallest x in [kLow, kHigh] with value(x) <= target.
    double inverse(double target) const {
        const double log_target = std::log(target);
        if (log_target >= log_value_[0]) return kLow;
        if (log_target < log_value_.back() + 1e-12 || !(target > 0.0)) {
            throw Error("accuracy: the requested accuracy is below what double precision can resolve");
        }
        size_t lo = 0, hi = log_value_.size() - 1;  // value(lo) > target >= value(hi)
        while (hi - lo > 1) {
            const size_t mid = (lo + hi) / 2;
            (log_value_[mid] > log_target ? lo : hi) = mid;
        }
        const double w = (log_value_[lo] - log_target) / (log_value_[lo] - log_value_[hi]);
        return grid(lo) + w * kStep;
    }

private:
    SmearedPowerLaw potential_;
    double (*integrand_)(const SmearedPowerLaw&, double);
    std::vector<double> log_value_;
};

struct Tables {
    ErrorTable real;
    ErrorTable kspace;
    explicit Tables(int p) : real(p, real_integrand), kspace(p, kspace_integrand) {}
};

const Tables& tables(int exponent) {
    if (exponent < 1 || exponent > 6) {
        throw Error("exponent: expected an integer between 1 and 6, got " + std::to_string(exponent));
    }
    static std::array<std::unique_ptr<Tables>, 7> cache;
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[static_cast<size_t>(exponent)];
    if (!slot) slot = std::make_unique<Tables>(exponent);
    return *slot;
}

// Common factor of both estimates: |prefactor| sum c^2 / sqrt(N V) sigma^(1/2 - p).
double error_scale(int exponent, const LongRangeSums& sums, double smearing) {
    const double n = static_cast<double>(sums.n_atoms);
    return std::fabs(sums.prefactor) * sums.sum_squares / std::sqrt(n * sums.volume) *
           std::pow(smearing, 0.5 - exponent);
}

void check_sums(const LongRangeSums& sums) {
    if (sums.n_atoms == 0 || !(sums.volume > 0.0) || !std::isfinite(sums.volume) || !(sums.sum_squares >= 0.0)) {
        throw Error("internal: error estimates need atoms, a positive volume and finite weights");
    }
}

void check_positive(double value, const char* name) {
    if (!(value >= 0.0) || !std::isfinite(value)) {
        throw Error(std::string(name) + ": expected a positive finite number, got " + format_number(value));
    }
}

}  // namespace

double real_space_error(int exponent, const LongRangeSums& sums, double smearing, double cutoff) {
    check_sums(sums);
    return error_scale(exponent, sums, smearing) * tables(exponent).real(cutoff / smearing);
}

double ewald_kspace_error(int exponent, const LongRangeSums& sums, double smearing, double k_cutoff) {
    check_sums(sums);
    return error_scale(exponent, sums, smearing) * tables(exponent).kspace(k_cutoff * smearing);
}

double reference_force(int exponent, const LongRangeSums& sums) {
    check_sums(sums);
    const double n = static_cast<double>(sums.n_atoms);
    const double d = std::cbrt(sums.volume / n);
    return std::fabs(sums.prefactor) * (sums.sum_squares / n) / std::pow(d, exponent + 1);
}

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

    auto cutoff_for = [&](double sigma) { return sigma * t.real.inverse(target / error_scale(exponent, sums, sigma)); };
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
    return out;
}

}  // namespace lodestone
