#include "lodestone/longrange/tuning.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lodestone/error.hpp"
#include "lodestone/math/fft.hpp"
#include "lodestone/longrange/pme.hpp"
#include "lodestone/longrange/power_law.hpp"

namespace lodestone {
namespace {

// The B-spline orders both particle-mesh methods accept (`name`: the option).
void check_mesh_order(int order, const char* name) {
    if (order < kMinPmeOrder || order > kMaxPmeOrder) {
        throw Error(std::string(name) + ": expected a B-spline order between " + std::to_string(kMinPmeOrder) +
                    " and " + std::to_string(kMaxPmeOrder) + ", got " + std::to_string(order));
    }
}

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

// ---- PME aliasing tables (formula in tuning.hpp) ----

constexpr int kPmeOrders = kMaxPmeOrder - kMinPmeOrder + 1;
constexpr double kAliasXMax = 5.5;  // k h beyond which every direction is past the mesh (pi sqrt 3 = 5.44)
constexpr size_t kAliasPoints = 1101;
constexpr double kRhoMin = 1e-3, kRhoMax = 20.0;  // h / sigma
constexpr size_t kRhoPoints = 400;
constexpr double kKappaMax = kHigh;  // k sigma
constexpr size_t kKappaSteps = 1600;  // even (Simpson)
// Without it the estimate was 0.4 to 1.4 times the measured k-space RMS force
// error on random triclinic and cubic systems (orders 3..7, spacings 0.3 to
// 0.8 sigma); x2.5 makes it an upper bound there, with a margin for
// correlated real-space and mesh errors at coarse settings.
constexpr double kPmeSafety = 2.5;

// eps^2(x = k h): spreading + interpolation aliasing, averaged over directions.
std::vector<double> alias_table(int order) {
    // directions: a Fibonacci lattice on the sphere (only |u_d| matters)
    constexpr int kDirections = 200;
    std::vector<std::array<double, 3>> directions(kDirections);
    for (int i = 0; i < kDirections; i++) {
        const double z = 1.0 - (2.0 * i + 1.0) / kDirections;
        const double rho = std::sqrt(std::max(0.0, 1.0 - z * z));
        const double phi = M_PI * (3.0 - std::sqrt(5.0)) * i;
        directions[static_cast<size_t>(i)] = {std::fabs(rho * std::cos(phi)), std::fabs(rho * std::sin(phi)), std::fabs(z)};
    }
    // spreading aliases with (theta / (theta + j))^n; the analytic derivative
    // used for forces multiplies each alias by (theta + j) / theta, one power less
    auto f = [order](double theta) {
        double sum = 0.0;
        for (int j = 1; j <= 4; j++) {  // j = 5 adds < 2e-4 of j = 1
            for (double a : {theta / (theta + j), theta / (j - theta)}) {
                const double a2 = a * a;
                double power = 1.0;  // a^(2n - 2) by multiplication: std::pow would dominate the table build
                for (int k = 1; k < order; k++) power *= a2;
                sum += power * (1.0 + a2);
            }
        }
        return sum;
    };
    std::vector<double> out(kAliasPoints);
    for (size_t k = 0; k < kAliasPoints; k++) {
        const double x = kAliasXMax * static_cast<double>(k) / static_cast<double>(kAliasPoints - 1);
        double total = 0.0;
        for (const auto& u : directions) {
            double e = 0.0;
            bool lost = false;
            for (int d = 0; d < 3; d++) {
                const double theta = x * u[static_cast<size_t>(d)] / (2.0 * M_PI);
                if (theta >= 0.5) lost = true;
                e += f(theta);
            }
            total += lost ? std::max(1.0, e) : e;
        }
        out[k] = total / kDirections;
    }
    return out;
}

class PmeErrorTable {
public:
    PmeErrorTable(int exponent, int order) {
        const std::vector<double> alias = alias_table(order);
        auto eps2 = [&](double x) {
            if (x >= kAliasXMax) return std::max(1.0, alias.back());
            const double t = x / kAliasXMax * static_cast<double>(kAliasPoints - 1);
            const size_t j = std::min(static_cast<size_t>(t), kAliasPoints - 2);
            const double w = t - static_cast<double>(j);
            return (1.0 - w) * alias[j] + w * alias[j + 1];
        };
        const SmearedPowerLaw potential(exponent, 1.0);
        const double step = kKappaMax / kKappaSteps;
        std::vector<double> weight(kKappaSteps + 1);
        for (size_t i = 1; i <= kKappaSteps; i++) {  // the integrand vanishes at kappa = 0
            const double kappa = step * static_cast<double>(i);
            const double g = potential.fourier(kappa);
            const double simpson = (i == kKappaSteps) ? 1.0 : (i % 2 ? 4.0 : 2.0);
            weight[i] = simpson * step / 3.0 * kappa * kappa * kappa * kappa * g * g / (2.0 * M_PI * M_PI);
        }
        log_value_.resize(kRhoPoints);
        for (size_t r = 0; r < kRhoPoints; r++) {
            const double rho = rho_at(r);
            double sum = 0.0;
            for (size_t i = 1; i <= kKappaSteps; i++) sum += weight[i] * eps2(step * static_cast<double>(i) * rho);
            log_value_[r] = 0.5 * std::log(std::max(kPmeSafety * kPmeSafety * sum, 1e-300));
        }
    }

    static double rho_at(size_t r) {
        return kRhoMin * std::pow(kRhoMax / kRhoMin, static_cast<double>(r) / static_cast<double>(kRhoPoints - 1));
    }

    // sqrt of the error integral at rho = h / sigma
    double operator()(double rho) const {
        if (rho <= kRhoMin) return std::exp(log_value_[0]);
        if (rho >= kRhoMax) return std::exp(log_value_.back());
        const double t = std::log(rho / kRhoMin) / std::log(kRhoMax / kRhoMin) * static_cast<double>(kRhoPoints - 1);
        const size_t j = std::min(static_cast<size_t>(t), kRhoPoints - 2);
        const double w = t - static_cast<double>(j);
        return std::exp((1.0 - w) * log_value_[j] + w * log_value_[j + 1]);
    }

    // Largest rho with value(rho) <= target (0 when even kRhoMin is too coarse).
    double inverse(double target) const {
        const double log_target = std::log(target);
        if (!(target > 0.0) || log_target < log_value_[0]) return 0.0;
        if (log_target >= log_value_.back()) return kRhoMax;
        size_t lo = 0, hi = kRhoPoints - 1;  // value(lo) <= target < value(hi)
        while (hi - lo > 1) {
            const size_t mid = (lo + hi) / 2;
            (log_value_[mid] <= log_target ? lo : hi) = mid;
        }
        const double w = (log_target - log_value_[lo]) / (log_value_[hi] - log_value_[lo]);
        return rho_at(lo) * std::pow(rho_at(hi) / rho_at(lo), w);
    }

private:
    std::vector<double> log_value_;
};

const PmeErrorTable& pme_table(int exponent, int order) {
    if (exponent < 1 || exponent > 6) {
        throw Error("exponent: expected an integer between 1 and 6, got " + std::to_string(exponent));
    }
    check_mesh_order(order, "meshOrder");
    static std::array<std::unique_ptr<PmeErrorTable>, 7 * kPmeOrders> cache;
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[static_cast<size_t>(exponent * kPmeOrders + order - kMinPmeOrder)];
    if (!slot) slot = std::make_unique<PmeErrorTable>(exponent, order);
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

// Kolafa-Perram treats positions as uncorrelated; on random systems with a
// minimum distance the measured real-space error reached 1.1x the bare
// estimate (test/pme.test.ts), hence this margin.
constexpr double kRealSafety = 1.25;

double real_space_error(int exponent, const LongRangeSums& sums, double smearing, double cutoff) {
    check_sums(sums);
    return kRealSafety * error_scale(exponent, sums, smearing) * tables(exponent).real(cutoff / smearing);
}

double ewald_kspace_error(int exponent, const LongRangeSums& sums, double smearing, double k_cutoff) {
    check_sums(sums);
    return error_scale(exponent, sums, smearing) * tables(exponent).kspace(k_cutoff * smearing);
}

double pme_kspace_error(int exponent, const LongRangeSums& sums, double smearing, double spacing, int order) {
    check_sums(sums);
    return error_scale(exponent, sums, smearing) * pme_table(exponent, order)(spacing / smearing);
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

void validate_pme_request(const EwaldTuningRequest& request) {
    if (request.mesh_order != 0) check_mesh_order(request.mesh_order, "meshOrder");
    check_positive(request.mesh_spacing, "meshSpacing");
    if (request.method == LongRangeMethod::Ewald && (request.mesh_order != 0 || request.mesh_spacing != 0.0)) {
        throw Error("method: meshOrder and meshSpacing only apply to method 'pme' (or 'auto'), not 'ewald'");
    }
    if (request.method == LongRangeMethod::Pme && request.k_cutoff != 0.0) {
        throw Error("method: kCutoff only applies to method 'ewald' (or 'auto'), not 'pme'");
    }
    if (request.mesh_order != 0 || request.mesh_spacing != 0.0) {
        if (request.k_cutoff != 0.0) throw Error("kCutoff (Ewald) and meshOrder/meshSpacing (PME) exclude each other");
    }
}

LongRangeParameters tune_pme(int exponent, const LongRangeSums& sums_in, const std::array<double, 9>& cell,
                             const EwaldTuningRequest& request) {
    if (!(request.accuracy >= 1e-15 && request.accuracy < 1.0)) {
        throw Error("accuracy: expected a relative RMS force error between 1e-15 and 1, got " +
                    format_number(request.accuracy));
    }
    check_positive(request.smearing, "smearing");
    check_positive(request.cutoff, "cutoff");
    validate_pme_request(request);
    check_sums(sums_in);
    LongRangeSums sums = sums_in;
    if (sums.sum_squares == 0.0) sums.sum_squares = static_cast<double>(sums.n_atoms);
    if (sums.prefactor == 0.0) sums.prefactor = 1.0;

    const Tables& t = tables(exponent);
    const double force = reference_force(exponent, sums);
    const double target = 0.5 * request.accuracy * force;
    const double n = static_cast<double>(sums.n_atoms);
    const double d = std::cbrt(sums.volume / n);
    std::array<double, 3> lengths;
    for (int a = 0; a < 3; a++) lengths[a] = std::sqrt(cell[3 * a] * cell[3 * a] + cell[3 * a + 1] * cell[3 * a + 1] + cell[3 * a + 2] * cell[3 * a + 2]);

    struct Candidate {
        bool feasible = false;
        double score = INFINITY;  // cost when feasible, error otherwise
        double sigma = 0.0, rc = 0.0;
        std::array<int64_t, 3> mesh{};
        int order = 0;
    };
    Candidate best;
    auto consider = [&](double sigma, int order) {
        Candidate c;
        c.sigma = sigma;
        c.order = order;
        const double scale = error_scale(exponent, sums, sigma);
        if (request.cutoff > 0.0) {
            c.rc = request.cutoff;
        } else {
            const double x = target / (kRealSafety * scale);
            try {
                c.rc = sigma * t.real.inverse(x);
            } catch (const Error&) {
                return;
            }
        }
        double h = request.mesh_spacing;
        if (h == 0.0) {
            const double rho = pme_table(exponent, order).inverse(target / scale);
            if (rho == 0.0) return;
            h = rho * sigma;
        }
        double m_total = 1.0;
        double spacing = 0.0;
        for (int a = 0; a < 3; a++) {
            const double points = std::max<double>(order, std::ceil(lengths[static_cast<size_t>(a)] / h - 1e-9));
            if (points > static_cast<double>(kMaxFftAxis)) return;
            c.mesh[static_cast<size_t>(a)] = good_fft_size(static_cast<int64_t>(points));
            m_total *= static_cast<double>(c.mesh[static_cast<size_t>(a)]);
            spacing = std::max(spacing, lengths[static_cast<size_t>(a)] / static_cast<double>(c.mesh[static_cast<size_t>(a)]));
        }
        if (m_total > kMaxPmeMeshPoints) return;
        const double real = real_space_error(exponent, sums, sigma, c.rc);
        const double kspace = pme_kspace_error(exponent, sums, sigma, spacing, order);
        c.feasible = real <= target * (1.0 + 1e-9) && kspace <= target * (1.0 + 1e-9);
        if (c.feasible) {
            const double pairs = n * n * (4.0 * M_PI / 3.0) * c.rc * c.rc * c.rc / sums.volume;
            c.score = pairs + kPmeSplineCostWeight * n * std::pow(order, 3) +
                      kPmeFftCostWeight * m_total * std::log2(std::max(2.0, m_total));
        } else {
            c.score = std::hypot(real, kspace);
        }
        if ((c.feasible && !best.feasible) || (c.feasible == best.feasible && c.score < best.score)) best = c;
    };

    std::vector<int> orders;
    if (request.mesh_order != 0) orders.push_back(request.mesh_order);
    else for (int o = 3; o <= 7; o++) orders.push_back(o);
    if (request.mesh_spacing > 0.0) {
        for (int a = 0; a < 3; a++) {
            const double points = std::ceil(lengths[static_cast<size_t>(a)] / request.mesh_spacing - 1e-9);
            if (points < orders.front()) {
                throw Error("meshSpacing: " + format_number(request.mesh_spacing) + " A gives " +
                            format_number(points) + " mesh points along lattice vector " + std::to_string(a) +
                            " (length " + format_number(lengths[static_cast<size_t>(a)]) +
                            " A), fewer than the B-spline order " + std::to_string(orders.front()) +
                            "; the mesh is too small");
            }
        }
    }
    for (int order : orders) {
        if (request.smearing > 0.0) {
            consider(request.smearing, order);
            continue;
        }
        // log-spaced scan, as in tune_ewald; the real-space estimate table
        // bounds the meaningful range of rc / sigma
        double lo = 0.02 * d, hi = 20.0 * d;
        if (request.cutoff > 0.0) lo = request.cutoff / kHigh, hi = request.cutoff / kLow;
        constexpr int steps = 240;
        for (int i = 0; i <= steps; i++) consider(lo * std::pow(hi / lo, static_cast<double>(i) / steps), order);
    }
    if (best.order == 0) {
        throw Error("accuracy: no PME mesh of at most " + format_number(kMaxPmeMeshPoints) +
                    " points reaches the requested accuracy " + format_number(request.accuracy) +
                    " for this system; use method 'ewald' or a looser accuracy");
    }

    LongRangeParameters out;
    out.method = "pme";
    out.smearing = best.sigma;
    out.cutoff = best.rc;
    out.mesh = best.mesh;
    out.mesh_order = best.order;
    double spacing = 0.0;
    for (int a = 0; a < 3; a++) spacing = std::max(spacing, lengths[static_cast<size_t>(a)] / static_cast<double>(best.mesh[static_cast<size_t>(a)]));
    out.mesh_spacing = spacing;
    const LongRangeSums& report = sums_in.sum_squares > 0 ? sums_in : sums;
    out.real_error = real_space_error(exponent, report, best.sigma, best.rc);
    out.kspace_error = pme_kspace_error(exponent, report, best.sigma, spacing, best.order);
    out.estimated_error = std::hypot(out.real_error, out.kspace_error);
    out.reference_force = force;
    out.cost = best.feasible ? best.score : INFINITY;
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

// ---- LODE expansion on a mesh (formulas in tuning.hpp) ----

namespace {

// Margin of the LODE mesh estimate over the measured error (random
// triclinic systems, test/lode-mesh.test.ts), as kPmeSafety for PME.
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
// accumulators and one thread's work meshes (lode_mesh.cpp runs fewer
// threads on meshes this large) take ~5 GiB.
constexpr double kMaxLodeMeshPoints = 33554432.0;  // 2^25

// Per axis and |m| <= bound: sum_p a_p^2 (tuning.hpp).
std::vector<double> alias_sums(int64_t size, int order, int bound) {
    std::vector<double> out(static_cast<size_t>(bound) + 1, 0.0);
    for (int m = 1; m <= bound; m++) {
        const double theta = static_cast<double>(m) / static_cast<double>(size);
        double sum = 0.0;
        for (int p = 1; p <= 8; p++) {
            for (double q : {static_cast<double>(p), -static_cast<double>(p)}) {
                const double a = std::pow(theta / (theta + q), order);
                sum += a * a;
            }
        }
        out[static_cast<size_t>(m)] = sum;
    }
    return out;
}

double lode_mesh_cost(const std::array<int64_t, 3>& mesh, int order, size_t n_atoms, size_t n_centers, size_t channels) {
    const double m = static_cast<double>(mesh[0]) * static_cast<double>(mesh[1]) * static_cast<double>(mesh[2]);
    const double per_channel = kLodeFftCost * m * std::log2(std::max(2.0, m)) +
                               kLodeStencilCost * static_cast<double>(n_centers) * std::pow(order, 3);
    // plus the densities (one spread and FFT per type, bounded by the atoms)
    return static_cast<double>(channels) * per_channel +
           kLodeStencilCost * static_cast<double>(n_atoms) * std::pow(order, 3);
}

}  // namespace

double lode_mesh_error(const KVectors& kv, const std::vector<double>& weight, const std::array<int64_t, 3>& mesh,
                       int order) {
    if (weight.size() != kv.size()) throw Error("internal: one LODE error weight per k-vector expected");
    const std::array<int, 3> bound = max_frequencies(kv);
    std::array<std::vector<double>, 3> sums;
    for (int d = 0; d < 3; d++) {
        if (2 * static_cast<int64_t>(bound[static_cast<size_t>(d)]) >= mesh[static_cast<size_t>(d)]) return INFINITY;
        sums[static_cast<size_t>(d)] = alias_sums(mesh[static_cast<size_t>(d)], order, bound[static_cast<size_t>(d)]);
    }
    double total = 0.0, error = 0.0;
    for (size_t k = 0; k < kv.size(); k++) {
        double alias = 0.0;
        for (int d = 0; d < 3; d++)
            alias += 2.0 * sums[static_cast<size_t>(d)][static_cast<size_t>(std::abs(kv.m[3 * k + d]))];
        total += weight[k];
        error += weight[k] * alias;
    }
    if (!(total > 0.0)) return 0.0;
    return kLodeMeshSafety * std::sqrt(error / total);
}

void validate_lode_mesh_request(const LodeMeshTuningRequest& request) {
    if (request.method != "direct" && request.method != "mesh" && request.method != "auto") {
        throw Error("method: expected 'direct', 'mesh' or 'auto', got '" + request.method + "'");
    }
    if (!(request.accuracy > 0.0) || !std::isfinite(request.accuracy) || request.accuracy >= 1.0) {
        throw Error("accuracy: expected a finite number in (0, 1) (relative RMS error), got " +
                    format_number(request.accuracy));
    }
    if (request.mesh_order != 0) check_mesh_order(request.mesh_order, "mesh_order");
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
    if (request.method == "direct" && (explicit_mesh || request.mesh_spacing != 0.0 || request.mesh_order != 0)) {
        throw Error("method: mesh and mesh_order only apply to method 'mesh' (or 'auto'), not 'direct'");
    }
}

LodeMeshTuning tune_lode_mesh(const std::array<double, 9>& cell, const KVectors& kv, const std::vector<double>& weight,
                              size_t n_atoms, size_t n_centers, size_t channels, const LodeMeshTuningRequest& request) {
    validate_lode_mesh_request(request);
    LodeMeshTuning out;
    out.direct_cost = static_cast<double>(n_centers) * static_cast<double>(kv.size()) * static_cast<double>(channels);
    out.mesh_cost = INFINITY;
    std::string method = request.method;
    if (method == "direct" || (method == "auto" && !request.mesh_allowed)) {
        out.method = "direct";
        return out;
    }
    if (!request.mesh_allowed) {
        throw Error("method 'mesh': compute() gives values only (use backward() for forces and stress); "
                    "positions, strain or cell gradients need method 'direct'");
    }
    const std::array<int, 3> bound = max_frequencies(kv);
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
        int order = 0;
        double error = INFINITY, cost = INFINITY;
    } best, closest;
    auto consider = [&](const std::array<int64_t, 3>& mesh, int order) -> bool {
        const double error = lode_mesh_error(kv, weight, mesh, order);
        const double cost = lode_mesh_cost(mesh, order, n_atoms, n_centers, channels);
        if (error <= request.accuracy) {
            if (cost < best.cost) best = {mesh, order, error, cost};
            return true;
        }
        if (error < closest.error) closest = {mesh, order, error, cost};
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
        if (best.order == 0) {
            // the explicit mesh is used as given; report its estimate
            const int order = closest.order != 0 ? closest.order : std::min<int64_t>(last_order, std::min({fixed[0], fixed[1], fixed[2]}));
            if (order < 3) throw Error("mesh: expected at least 3 points along each lattice vector");
            best = {fixed, order, lode_mesh_error(kv, weight, fixed, order),
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
    if (best.order == 0) {
        if (method == "auto") {
            out.method = "direct";
            return out;
        }
        throw Error("accuracy: no LODE mesh of at most " + format_number(kMaxLodeMeshPoints) +
                    " points reaches the requested accuracy " + format_number(request.accuracy) +
                    " (best estimate " + format_number(closest.error) + "); use method 'direct' or a lower accuracy");
    }
    out.mesh = best.mesh;
    out.mesh_order = best.order;
    out.mesh_spacing = spacing_of(best.mesh);
    out.estimated_error = best.error;
    out.mesh_cost = best.cost;
    out.method = (method == "auto" && out.direct_cost <= out.mesh_cost) ? "direct" : "mesh";
    return out;
}

}  // namespace lodestone

