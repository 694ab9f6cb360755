#pragma once
// What the tuning of every long-range method shares: the dimensionless
// real-space and Ewald k-space error integrals of each exponent, tabulated
// once, the cost weights of the cost model, and argument checks.
#include <algorithm>
#include <cmath>
#include <vector>

#include "lodestone/core/error.hpp"
#include "lodestone/longrange/power_law.hpp"
#include "lodestone/longrange/tuning.hpp"

namespace lodestone::tuning {

// Dimensionless error integrals at sigma = 1, tabulated on [kLow, kHigh]:
// below kLow the split is meaningless, above kHigh the integrals are below
// 1e-100 of their scale.
constexpr double kLow = 0.5;
constexpr double kHigh = 16.0;
constexpr double kStep = 0.01;

// Costs in units of one neighbour entry within the real-space cutoff (its
// distance test plus half an erfc/exp, the pair being evaluated once for
// both atoms), ~30 ns on one core; measured with bench/mesh.ts and
// bench/ewald.ts (single thread, NaCl melts of 1728 and 8000 atoms).
// One atom-k-vector product of the direct k sum (two passes of complex
// multiply-adds):
constexpr double kKspaceCostWeight = 0.2;

// PME: per atom and mesh point of the spline support (spreading plus
// interpolation with derivatives), and per M log2 M of the two FFTs plus the
// kernel product.
constexpr double kPmeSplineCostWeight = 0.06;
constexpr double kPmeFftCostWeight = 0.03;
// 2^27 points: 1 GiB for the mesh and its spectrum, the memory budget.
constexpr double kMaxPmeMeshPoints = 134217728.0;

// Kolafa-Perram treats positions as uncorrelated; on random systems with a
// minimum distance the measured real-space error reached 1.1x the bare
// estimate (test/longrange/pme.test.ts), hence this margin.
constexpr double kRealSafety = 1.25;

double simpson(double (*f)(const SmearedPowerLaw&, double), const SmearedPowerLaw& v, double a, double b, int n);
double real_integrand(const SmearedPowerLaw& v, double u);
double kspace_integrand(const SmearedPowerLaw& v, double kappa);

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

// Tables of one exponent (1..6), built on first use.
const Tables& tables(int exponent);

// Common factor of both estimates: |prefactor| sum c^2 / sqrt(N V) sigma^(1/2 - p).
double error_scale(int exponent, const LongRangeSums& sums, double smearing);
void check_sums(const LongRangeSums& sums);
void check_positive(double value, const char* name);

}  // namespace lodestone::tuning
