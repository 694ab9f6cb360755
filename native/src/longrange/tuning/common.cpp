// Error estimates shared by the Ewald and PME tunings (formulas in
// native/include/lodestone/longrange/tuning.hpp).
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
namespace tuning {

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

}  // namespace tuning

using namespace tuning;


double real_space_error(int exponent, const LongRangeSums& sums, double smearing, double cutoff) {
    check_sums(sums);
    return kRealSafety * error_scale(exponent, sums, smearing) * tables(exponent).real(cutoff / smearing);
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

}  // namespace lodestone
