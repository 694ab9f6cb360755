#include "math/gamma.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone {
namespace {

constexpr double EULER_GAMMA = 0.57721566490153286060651209;
constexpr double EPS = std::numeric_limits<double>::epsilon();

// Only multiples of 1/2 are needed (p/2, (3-p)/2, (5-p)/2 for integer p):
// they all reduce to erfc or exp/E1 by exact recursions.
void check_order(double s, double lowest, const char* function) {
    const double twice = 2.0 * s;
    if (!std::isfinite(s) || twice != std::round(twice) || s < lowest || s > 40.0) {
        throw Error(std::string(function) + ": order s = " + format_number(s) +
                    " is not supported (multiples of 1/2 between " + format_number(lowest) + " and 40)");
    }
}

void check_argument(double x, bool allow_zero, const char* function) {
    if (!(allow_zero ? x >= 0.0 : x > 0.0) || std::isnan(x)) {
        throw Error(std::string(function) + ": argument x = " + format_number(x) +
                    (allow_zero ? " must be >= 0" : " must be > 0"));
    }
}

// Gamma(s, x) = e^-x x^s / (x + 1 - s - 1(1-s) / (x + 3 - s - 2(2-s) / ...)),
// for x > 1, evaluated bottom-up from a fixed depth: the backward recurrence
// of this Stieltjes fraction is stable (2e-16 relative, where forward Lentz
// iteration accumulated 6e-15 near x = 1), and 30 + 130/x levels converge
// for every x > 1 and -3 <= s <= 0. Unlike the downward recursion in s it
// never subtracts nearly equal numbers.
double upper_gamma_continued_fraction(double s, double x) {
    const int depth = 30 + static_cast<int>(130.0 / x);
    double tail = 0.0;
    for (int n = depth; n >= 1; n--) {
        tail = -n * (n - s) / (x + 2 * n + 1 - s + tail);
    }
    // e^-x and x^s separately: exp(s ln x - x) would round its argument
    const double scale = x < 700.0 ? std::exp(-x) * std::pow(x, s) : std::exp(s * std::log(x) - x);
    return scale / (x + 1.0 - s + tail);
}

}  // namespace

double exp_integral_e1(double x) {
    check_argument(x, false, "exp_integral_e1");
    if (x > 1.0) return upper_gamma_continued_fraction(0.0, x);
    // E1(x) = -gamma - ln x + Ein(x), Ein(x) = e^-x sum_{n>=1} H_n x^n / n!
    // (H_n harmonic numbers): positive terms, so only the final sum of three
    // numbers of similar size can lose a little accuracy.
    double sum = 0.0;
    double power = 1.0;  // x^n / n!
    double harmonic = 0.0;
    for (int n = 1; n < 100; n++) {
        power *= x / n;
        harmonic += 1.0 / n;
        const double term = power * harmonic;
        sum += term;
        if (term < EPS * 0.1 * sum) break;
    }
    return (-EULER_GAMMA - std::log(x)) + std::exp(-x) * sum;
}

double regularized_upper_gamma(double s, double x) {
    check_order(s, 0.5, "regularized_upper_gamma");
    check_argument(x, true, "regularized_upper_gamma");
    if (x == 0.0) return 1.0;
    // Upward recursion Q(s+1, x) = Q(s, x) + x^s e^-x / Gamma(s+1) adds
    // positive terms only, hence is stable for every x.
    double q, term, order;
    if (2.0 * s != 2.0 * std::floor(s)) {  // half-integer
        q = std::erfc(std::sqrt(x));
        term = std::exp(0.5 * std::log(x) - x) / std::tgamma(1.5);
        order = 0.5;
    } else {
        q = std::exp(-x);
        term = x * q;
        order = 1.0;
    }
    while (order < s) {
        q += term;
        order += 1.0;
        term *= x / order;
    }
    return q;
}

double scaled_lower_gamma(double s, double x) {
    check_order(s, 0.5, "scaled_lower_gamma");
    check_argument(x, true, "scaled_lower_gamma");
    if (x < s + 8.0) {
        // x^-s P(s, x) = e^-x sum_n x^n / Gamma(s + n + 1): positive terms only.
        double term = 1.0 / std::tgamma(s + 1.0);
        double sum = term;
        for (int n = 1; n < 500; n++) {
            term *= x / (s + n);
            sum += term;
            if (term < EPS * 0.1 * sum) break;
        }
        return std::exp(-x) * sum;
    }
    // here P >= 0.9, so 1 - Q loses nothing
    return (1.0 - regularized_upper_gamma(s, x)) * std::exp(-s * std::log(x));
}

double upper_incomplete_gamma(double s, double x) {
    check_order(s, -3.0, "upper_incomplete_gamma");
    if (s > 0.0) {
        check_argument(x, true, "upper_incomplete_gamma");
        return regularized_upper_gamma(s, x) * std::tgamma(s);
    }
    check_argument(x, false, "upper_incomplete_gamma");
    if (x > 1.0) return upper_gamma_continued_fraction(s, x);
    // Downward recursion Gamma(s, x) = (Gamma(s+1, x) - x^s e^-x) / s. For
    // x <= 1 and s <= 0 the power term dominates, so the difference is benign.
    const bool half = 2.0 * s != 2.0 * std::floor(s);
    double order = half ? 0.5 : 0.0;
    double value = half ? std::sqrt(M_PI) * std::erfc(std::sqrt(x)) : exp_integral_e1(x);
    while (order > s) {
        order -= 1.0;
        value = (value - std::exp(order * std::log(x) - x)) / order;
    }
    return value;
}

}  // namespace lodestone
