#include "lodestone/longrange/ewald.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lodestone/error.hpp"
#include "lodestone/longrange/power_law.hpp"
#include "lodestone/math/kvectors.hpp"
#include "lodestone/neighbors.hpp"

namespace lodestone {
namespace {

// Plain complex arithmetic: std::complex multiplication goes through the
// NaN-checking library routine without -ffast-math.
struct Complex {
    double re, im;
};
inline Complex mul(Complex a, Complex b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }

void validate(const System& system, const std::vector<double>& weights, int exponent) {
    system.validate("system");
    if (weights.size() != system.size()) {
        throw Error("charges: expected " + std::to_string(system.size()) + " values (one per atom), got " +
                    std::to_string(weights.size()));
    }
    for (size_t i = 0; i < weights.size(); i++) {
        if (!std::isfinite(weights[i])) {
            throw Error("charges[" + std::to_string(i) + "]: expected a finite number, got " + format_number(weights[i]));
        }
    }
    if (exponent != 1 && exponent != 6) {
        throw Error("exponent: expected 1 (Coulomb) or 6 (dispersion), got " + std::to_string(exponent));
    }
    const auto& p = system.pbc;
    if (system.periodic() && !(p[0] && p[1] && p[2])) {
        throw Error(std::string("system.pbc: Ewald sums need periodic boundary conditions along all three axes, "
                                "or none for a molecule; got [") +
                    (p[0] ? "true" : "false") + ", " + (p[1] ? "true" : "false") + ", " + (p[2] ? "true" : "false") +
                    "] (slab and wire geometries are not supported)");
    }
}

LongRangeSums sums_of(const System& system, const std::vector<double>& weights, double prefactor) {
    LongRangeSums sums;
    sums.n_atoms = system.size();
    sums.volume = std::fabs(determinant3(system.cell));
    for (double c : weights) sums.sum_squares += c * c;
    sums.prefactor = prefactor;
    return sums;
}

// Per-atom tables e^(2 pi i m s_d) of the fractional coordinates s for
// -M_d <= m <= M_d, so that e^(i k.r) for k = m1 b1 + m2 b2 + m3 b3 costs
// two complex products instead of a sine and a cosine.
struct PhaseTables {
    std::array<int, 3> max_m{};
    std::array<size_t, 3> offset{};
    size_t width = 0;
    std::vector<Complex> values;

    const Complex* atom(size_t i) const { return values.data() + i * width; }
    Complex get(const Complex* row, int axis, int m) const { return row[offset[axis] + static_cast<size_t>(m + max_m[axis])]; }
};

PhaseTables phase_tables(const System& system, const KVectors& kv) {
    PhaseTables t;
    for (size_t k = 0; k < kv.size(); k++)
        for (int d = 0; d < 3; d++) t.max_m[d] = std::max(t.max_m[d], std::abs(kv.m[3 * k + d]));
    for (int d = 0; d < 3; d++) {
        t.offset[d] = t.width;
        t.width += static_cast<size_t>(2 * t.max_m[d] + 1);
    }
    const size_t n = system.size();
    t.values.resize(n * t.width);
    const std::array<double, 9> inv = inverse3(system.cell);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        const double* r = &system.positions[3 * i];
        Complex* row = t.values.data() + i * t.width;
        for (int d = 0; d < 3; d++) {
            double s = r[0] * inv[d] + r[1] * inv[3 + d] + r[2] * inv[6 + d];
            s -= std::floor(s);  // keeps 2 pi m s small, hence accurate
            Complex* axis = row + t.offset[d] + t.max_m[d];
            axis[0] = {1.0, 0.0};
            for (int m = 1; m <= t.max_m[d]; m++) {
                const double phase = 2.0 * M_PI * m * s;
                axis[m] = {std::cos(phase), std::sin(phase)};
                axis[-m] = {axis[m].re, -axis[m].im};
            }
        }
    }
    return t;
}

// k-vectors come ordered by (m1, m2) then m3; a line shares e^(i(m1 b1 + m2 b2).r).
struct Line {
    int m1, m2;
    size_t begin, end;
};

std::vector<Line> lines_of(const KVectors& kv) {
    std::vector<Line> lines;
    for (size_t k = 0; k < kv.size(); k++) {
        const int m1 = kv.m[3 * k], m2 = kv.m[3 * k + 1];
        if (lines.empty() || lines.back().m1 != m1 || lines.back().m2 != m2) lines.push_back({m1, m2, k, k});
        lines.back().end = k + 1;
    }
    return lines;
}

void add_real_space(const System& system, const std::vector<double>& q, const SmearedPowerLaw& potential,
                    double prefactor, double cutoff, const LongRangeRequest& request, LongRangeResult& out) {
    const NeighborList list = build_neighbor_list(system, cutoff);
    const size_t n = system.size();
    // Per-thread sums (energy, virial) over a static schedule, combined in
    // thread order: bit-identical results run to run (MD restarts rely on it).
    const int n_threads = omp_get_max_threads();
    std::vector<double> partial(static_cast<size_t>(n_threads) * 10, 0.0);
#pragma omp parallel num_threads(n_threads)
    {
        double* mine = &partial[static_cast<size_t>(omp_get_thread_num()) * 10];
        double* local = mine + 1;
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            if (q[i] == 0.0) continue;
            double e = 0.0, f[3] = {0.0, 0.0, 0.0};
            for (size_t a = list.offsets[i]; a < list.offsets[i + 1]; a++) {
                const Neighbor& nb = list.neighbors[a];
                const double qj = q[static_cast<size_t>(nb.j)];
                if (qj == 0.0) continue;
                double v, dv;
                potential.real_short_pair(nb.distance, v, dv);
                e += qj * v;
                // d/dr_i of phi(|r_j - r_i|) = -phi' d/|d|
                const double s = qj * dv / nb.distance;
                for (int c = 0; c < 3; c++) f[c] += s * nb.vector[c];
                if (request.virial) {
                    for (int x = 0; x < 3; x++)
                        for (int y = 0; y < 3; y++) local[3 * x + y] -= 0.5 * prefactor * q[i] * s * nb.vector[x] * nb.vector[y];
                }
            }
            const double ei = 0.5 * prefactor * q[i] * e;
            mine[0] += ei;
            if (request.per_atom) out.energies[i] += ei;
            if (request.forces)
                for (int c = 0; c < 3; c++) out.forces[3 * i + c] += prefactor * q[i] * f[c];
        }
    }
    for (int t = 0; t < n_threads; t++) {
        out.energy += partial[10 * static_cast<size_t>(t)];
        for (int x = 0; x < 9; x++) out.virial[x] += partial[10 * static_cast<size_t>(t) + 1 + x];
    }
}

void add_kspace(const System& system, const std::vector<double>& q, const SmearedPowerLaw& potential,
                double prefactor, double k_cutoff, const LongRangeRequest& request, LongRangeResult& out) {
    const KVectors kv = half_space_kvectors(system.cell, k_cutoff);
    const size_t nk = kv.size();
    if (nk == 0) return;
    const size_t n = system.size();
    const double volume = std::fabs(determinant3(system.cell));
    const PhaseTables tables = phase_tables(system, kv);
    const std::vector<Line> lines = lines_of(kv);

    std::vector<double> g(nk);
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < nk; k++) g[k] = potential.fourier(kv.norm[k]);

    // S(k) = sum_j q_j e^(i k.r_j): each thread sums its atoms into a private
    // copy that stays in cache, then the copies are added.
    const int n_threads = omp_get_max_threads();
    std::vector<Complex> partial(static_cast<size_t>(n_threads) * nk, Complex{0.0, 0.0});
    std::vector<Complex> structure(nk, Complex{0.0, 0.0});
#pragma omp parallel num_threads(n_threads)
    {
        Complex* mine = partial.data() + static_cast<size_t>(omp_get_thread_num()) * nk;
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            if (q[i] == 0.0) continue;
            const Complex* row = tables.atom(i);
            for (const Line& line : lines) {
                Complex z12 = mul(tables.get(row, 0, line.m1), tables.get(row, 1, line.m2));
                z12.re *= q[i];
                z12.im *= q[i];
                for (size_t k = line.begin; k < line.end; k++) {
                    const Complex z = mul(z12, tables.get(row, 2, kv.m[3 * k + 2]));
                    mine[k].re += z.re;
                    mine[k].im += z.im;
                }
            }
        }
#pragma omp for schedule(static)
        for (size_t k = 0; k < nk; k++) {
            Complex s{0.0, 0.0};
            for (int t = 0; t < n_threads; t++) {
                s.re += partial[static_cast<size_t>(t) * nk + k].re;
                s.im += partial[static_cast<size_t>(t) * nk + k].im;
            }
            structure[k] = s;
        }
    }

    // E_k = prefactor / V sum_{half space} G(k) |S(k)|^2 (the other half is the same)
    std::vector<double> sums(static_cast<size_t>(n_threads) * 10, 0.0);
#pragma omp parallel num_threads(n_threads)
    {
        double* mine = &sums[static_cast<size_t>(omp_get_thread_num()) * 10];
        double* local = mine + 1;
#pragma omp for schedule(static)
        for (size_t k = 0; k < nk; k++) {
            const double s2 = structure[k].re * structure[k].re + structure[k].im * structure[k].im;
            mine[0] += g[k] * s2;
            if (request.virial) {
                // k -> (1 - eps) k under strain: d|k|/d eps_ab = -k_a k_b / |k|
                const double w = potential.d_fourier(kv.norm[k]) / kv.norm[k] * s2;
                const double* kk = &kv.k[3 * k];
                for (int x = 0; x < 3; x++)
                    for (int y = 0; y < 3; y++) local[3 * x + y] += w * kk[x] * kk[y];
            }
        }
    }
    double energy = 0.0;
    std::array<double, 9> virial{};
    for (int t = 0; t < n_threads; t++) {
        energy += sums[10 * static_cast<size_t>(t)];
        for (int x = 0; x < 9; x++) virial[x] += sums[10 * static_cast<size_t>(t) + 1 + x];
    }
    energy *= prefactor / volume;
    out.energy += energy;
    if (request.virial) {
        // the 1/V prefactor gives the volume term delta_ab E_k
        for (int x = 0; x < 9; x++) out.virial[x] += prefactor / volume * virial[x];
        for (int x = 0; x < 3; x++) out.virial[4 * x] += energy;
    }

    if (!request.forces && !request.per_atom) return;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        if (q[i] == 0.0) continue;
        const Complex* row = tables.atom(i);
        double phi = 0.0, f[3] = {0.0, 0.0, 0.0};
        for (const Line& line : lines) {
            const Complex z12 = mul(tables.get(row, 0, line.m1), tables.get(row, 1, line.m2));
            for (size_t k = line.begin; k < line.end; k++) {
                const Complex z = mul(z12, tables.get(row, 2, kv.m[3 * k + 2]));
                const Complex s = structure[k];
                phi += g[k] * (s.re * z.re + s.im * z.im);
                const double w = g[k] * (s.re * z.im - s.im * z.re);
                f[0] += w * kv.k[3 * k];
                f[1] += w * kv.k[3 * k + 1];
                f[2] += w * kv.k[3 * k + 2];
            }
        }
        const double scale = prefactor * q[i] / volume;
        if (request.per_atom) out.energies[i] += scale * phi;
        if (request.forces)
            for (int c = 0; c < 3; c++) out.forces[3 * i + c] += 2.0 * scale * f[c];
    }
}

LongRangeResult empty_result(size_t n, const LongRangeRequest& request) {
    LongRangeResult out;
    if (request.forces) out.forces.assign(3 * n, 0.0);
    if (request.per_atom) out.energies.assign(n, 0.0);
    return out;
}

}  // namespace

LongRangeResult ewald_sum(const System& system, const std::vector<double>& q, int exponent, double prefactor,
                          double smearing, double cutoff, double k_cutoff, const LongRangeRequest& request) {
    validate(system, q, exponent);
    if (!(system.has_cell && system.periodic())) {
        throw Error("system: the Ewald method needs a periodic cell; use the direct sum for molecules");
    }
    for (auto [value, name] : {std::pair{cutoff, "cutoff"}, std::pair{k_cutoff, "kCutoff"}}) {
        if (!(value > 0.0) || !std::isfinite(value)) {
            throw Error(std::string(name) + ": expected a positive finite number, got " + format_number(value));
        }
    }
    const SmearedPowerLaw potential(exponent, smearing);
    const size_t n = system.size();
    LongRangeResult out = empty_result(n, request);
    out.parameters.method = "ewald";
    out.parameters.smearing = smearing;
    out.parameters.cutoff = cutoff;
    out.parameters.k_cutoff = k_cutoff;
    if (n == 0) return out;

    add_real_space(system, q, potential, prefactor, cutoff, request, out);
    add_kspace(system, q, potential, prefactor, k_cutoff, request, out);

    // each atom's interaction with its own smeared cloud is in the k sum
    const double self = potential.self_energy_term();
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = -0.5 * prefactor * self * q[i] * q[i];
        out.energy += e;
        if (request.per_atom) out.energies[i] += e;
        total += q[i];
    }
    // k = 0: exact term for p > 3, uniform neutralising background for p < 3;
    // both scale as 1/V, so their strain derivative is the volume term only.
    if (total != 0.0) {
        const double volume = std::fabs(determinant3(system.cell));
        const double g0 = potential.has_fourier_at_zero() ? potential.fourier_at_zero() : potential.background_correction();
        const double e0 = 0.5 * prefactor * g0 * total * total / volume;
        out.energy += e0;
        if (request.per_atom)
            for (size_t i = 0; i < n; i++) out.energies[i] += e0 * q[i] / total;
        if (request.virial)
            for (int x = 0; x < 3; x++) out.virial[4 * x] += e0;
    }
    return out;
}

LongRangeResult direct_sum(const System& system, const std::vector<double>& q, int exponent, double prefactor,
                           const LongRangeRequest& request) {
    validate(system, q, exponent);
    if (system.periodic()) throw Error("system: the direct sum is for molecules (no periodic boundary conditions)");
    const size_t n = system.size();
    LongRangeResult out = empty_result(n, request);
    out.parameters.method = "direct";
    const double* x = system.positions.data();
    // Deterministic per-thread sums, as in add_real_space.
    const int n_threads = omp_get_max_threads();
    std::vector<double> partial(static_cast<size_t>(n_threads) * 10, 0.0);
    bool overlap = false;
#pragma omp parallel num_threads(n_threads)
    {
        double* mine = &partial[static_cast<size_t>(omp_get_thread_num()) * 10];
        double* local = mine + 1;
#pragma omp for schedule(static) reduction(|| : overlap)
        for (size_t i = 0; i < n; i++) {
            if (q[i] == 0.0) continue;
            double e = 0.0, f[3] = {0.0, 0.0, 0.0};
            for (size_t j = 0; j < n; j++) {
                if (j == i || q[j] == 0.0) continue;
                const double d[3] = {x[3 * j] - x[3 * i], x[3 * j + 1] - x[3 * i + 1], x[3 * j + 2] - x[3 * i + 2]};
                const double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                if (r2 == 0.0) {
                    overlap = true;
                    continue;
                }
                const double inv_r2 = 1.0 / r2;
                const double inv_rp = exponent == 1 ? std::sqrt(inv_r2) : inv_r2 * inv_r2 * inv_r2;
                e += q[j] * inv_rp;
                // phi'(r) / r = -p / r^(p+2)
                const double s = -exponent * q[j] * inv_rp * inv_r2;
                for (int c = 0; c < 3; c++) f[c] += s * d[c];
                if (request.virial)
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++) local[3 * a + b] -= 0.5 * prefactor * q[i] * s * d[a] * d[b];
            }
            const double ei = 0.5 * prefactor * q[i] * e;
            mine[0] += ei;
            if (request.per_atom) out.energies[i] = ei;
            if (request.forces)
                for (int c = 0; c < 3; c++) out.forces[3 * i + c] = prefactor * q[i] * f[c];
        }
    }
    if (overlap) throw Error("system.positions: two atoms sit at the same position; the pair energy is infinite");
    out.energy = 0.0;
    out.virial = {};
    for (int t = 0; t < n_threads; t++) {
        out.energy += partial[10 * static_cast<size_t>(t)];
        for (int c = 0; c < 9; c++) out.virial[c] += partial[10 * static_cast<size_t>(t) + 1 + c];
    }
    return out;
}

Ewald::Ewald(const EwaldOptions& options) : options_(options) {
    if (options.exponent != 1 && options.exponent != 6) {
        throw Error("exponent: expected 1 (Coulomb) or 6 (dispersion), got " + std::to_string(options.exponent));
    }
    if (!std::isfinite(options.prefactor)) {
        throw Error("prefactor: expected a finite number, got " + format_number(options.prefactor));
    }
    // Validate the accuracy and overrides now rather than at the first compute.
    LongRangeSums probe;
    probe.n_atoms = 8;
    probe.volume = 1000.0;
    probe.sum_squares = 8.0;
    tune_ewald(options.exponent, probe, options.tuning);
}

LongRangeParameters Ewald::parameters(const System& system, const std::vector<double>& weights) const {
    validate(system, weights, options_.exponent);
    if (!(system.has_cell && system.periodic()) || system.size() == 0) {
        LongRangeParameters direct;
        direct.method = "direct";
        return direct;
    }
    return tune_ewald(options_.exponent, sums_of(system, weights, options_.prefactor), options_.tuning);
}

LongRangeResult Ewald::compute(const System& system, const std::vector<double>& weights,
                               const LongRangeRequest& request) const {
    const LongRangeParameters p = parameters(system, weights);
    if (p.method == "direct") {
        LongRangeResult out = direct_sum(system, weights, options_.exponent, options_.prefactor, request);
        out.parameters = p;
        return out;
    }
    LongRangeResult out = ewald_sum(system, weights, options_.exponent, options_.prefactor, p.smearing, p.cutoff,
                                    p.k_cutoff, request);
    out.parameters = p;
    return out;
}

}  // namespace lodestone
