// Parameters of smooth PME: the aliasing error tables and the mesh choice.
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lodestone/core/error.hpp"
#include "longrange/tuning/common.hpp"
#include "lodestone/longrange/pme.hpp"
#include "longrange/mesh/mesh_grid.hpp"
#include "math/fft.hpp"

namespace lodestone {

using namespace tuning;

namespace {

// ---- PME aliasing tables (formula in lodestone/longrange/tuning.hpp) ----

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
    mesh::check_order(order, "meshOrder");
    static std::array<std::unique_ptr<PmeErrorTable>, 7 * kPmeOrders> cache;
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[static_cast<size_t>(exponent * kPmeOrders + order - kMinPmeOrder)];
    if (!slot) slot = std::make_unique<PmeErrorTable>(exponent, order);
    return *slot;
}

}  // namespace

double pme_kspace_error(int exponent, const LongRangeSums& sums, double smearing, double spacing, int order) {
    check_sums(sums);
    return error_scale(exponent, sums, smearing) * pme_table(exponent, order)(spacing / smearing);
}

void validate_pme_request(const EwaldTuningRequest& request) {
    if (request.mesh_order != 0) mesh::check_order(request.mesh_order, "meshOrder");
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

namespace {

// What every candidate (smearing, B-spline order) of one tuning shares.
struct PmeSearch {
    int exponent;
    const LongRangeSums& sums;  // with the defaults filled in
    const EwaldTuningRequest& request;
    const Tables& tables;
    double target;  // each part's RMS force error
    std::array<double, 3> lengths;  // of the lattice vectors
};

struct PmeCandidate {
    bool feasible = false;
    double score = INFINITY;  // cost when feasible, error otherwise
    double sigma = 0.0, rc = 0.0;
    std::array<int64_t, 3> mesh{};
    int order = 0;
};

void check_tuning_request(const EwaldTuningRequest& request) {
    if (!(request.accuracy >= 1e-15 && request.accuracy < 1.0)) {
        throw Error("accuracy: expected a relative RMS force error between 1e-15 and 1, got " +
                    format_number(request.accuracy));
    }
    check_positive(request.smearing, "smearing");
    check_positive(request.cutoff, "cutoff");
    validate_pme_request(request);
}

double max_spacing(const std::array<double, 3>& lengths, const std::array<int64_t, 3>& mesh) {
    double spacing = 0.0;
    for (int a = 0; a < 3; a++) spacing = std::max(spacing, lengths[static_cast<size_t>(a)] / static_cast<double>(mesh[static_cast<size_t>(a)]));
    return spacing;
}

// The cutoff and mesh that reach the target with smearing sigma and this
// order; order 0 when none does within the mesh limits.
PmeCandidate pme_candidate(const PmeSearch& search, double sigma, int order) {
    const int exponent = search.exponent;
    const LongRangeSums& sums = search.sums;
    const EwaldTuningRequest& request = search.request;
    const double target = search.target;
    const std::array<double, 3>& lengths = search.lengths;
    const double n = static_cast<double>(sums.n_atoms);
    PmeCandidate c;
    c.sigma = sigma;
    c.order = order;
    const double scale = error_scale(exponent, sums, sigma);
    if (request.cutoff > 0.0) {
        c.rc = request.cutoff;
    } else {
        const double x = target / (kRealSafety * scale);
        try {
            c.rc = sigma * search.tables.real.inverse(x);
        } catch (const Error&) {
            return PmeCandidate{};
        }
    }
    double h = request.mesh_spacing;
    if (h == 0.0) {
        const double rho = pme_table(exponent, order).inverse(target / scale);
        if (rho == 0.0) return PmeCandidate{};
        h = rho * sigma;
    }
    double m_total = 1.0;
    double spacing = 0.0;
    for (int a = 0; a < 3; a++) {
        const double points = std::max<double>(order, std::ceil(lengths[static_cast<size_t>(a)] / h - 1e-9));
        if (points > static_cast<double>(kMaxFftAxis)) return PmeCandidate{};
        c.mesh[static_cast<size_t>(a)] = good_fft_size(static_cast<int64_t>(points));
        m_total *= static_cast<double>(c.mesh[static_cast<size_t>(a)]);
        spacing = std::max(spacing, lengths[static_cast<size_t>(a)] / static_cast<double>(c.mesh[static_cast<size_t>(a)]));
    }
    if (m_total > kMaxPmeMeshPoints) return PmeCandidate{};
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
    return c;
}

// The B-spline orders to try; a given spacing must leave at least `order`
// points on every axis.
std::vector<int> candidate_orders(const EwaldTuningRequest& request, const std::array<double, 3>& lengths) {
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
    return orders;
}

// The cheapest feasible candidate, else the one of smallest error.
PmeCandidate best_candidate(const PmeSearch& search) {
    const EwaldTuningRequest& request = search.request;
    const double d = std::cbrt(search.sums.volume / static_cast<double>(search.sums.n_atoms));
    PmeCandidate best;
    auto consider = [&](double sigma, int order) {
        const PmeCandidate c = pme_candidate(search, sigma, order);
        if (c.order == 0) return;
        if ((c.feasible && !best.feasible) || (c.feasible == best.feasible && c.score < best.score)) best = c;
    };
    for (int order : candidate_orders(request, search.lengths)) {
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
    return best;
}

}  // namespace

LongRangeParameters tune_pme(int exponent, const LongRangeSums& sums_in, const std::array<double, 9>& cell,
                             const EwaldTuningRequest& request) {
    check_tuning_request(request);
    check_sums(sums_in);
    LongRangeSums sums = sums_in;
    if (sums.sum_squares == 0.0) sums.sum_squares = static_cast<double>(sums.n_atoms);
    if (sums.prefactor == 0.0) sums.prefactor = 1.0;

    const double force = reference_force(exponent, sums);
    std::array<double, 3> lengths;
    for (int a = 0; a < 3; a++) lengths[a] = std::sqrt(cell[3 * a] * cell[3 * a] + cell[3 * a + 1] * cell[3 * a + 1] + cell[3 * a + 2] * cell[3 * a + 2]);
    const PmeSearch search{exponent, sums, request, tables(exponent), 0.5 * request.accuracy * force, lengths};
    const PmeCandidate best = best_candidate(search);
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
    const double spacing = max_spacing(lengths, best.mesh);
    out.mesh_spacing = spacing;
    const LongRangeSums& report = sums_in.sum_squares > 0 ? sums_in : sums;
    out.real_error = real_space_error(exponent, report, best.sigma, best.rc);
    out.kspace_error = pme_kspace_error(exponent, report, best.sigma, spacing, best.order);
    out.estimated_error = std::hypot(out.real_error, out.kspace_error);
    out.reference_force = force;
    out.cost = best.feasible ? best.score : INFINITY;
    return out;
}

}  // namespace lodestone
