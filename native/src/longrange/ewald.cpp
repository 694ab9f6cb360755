#include "lodestone/longrange/ewald.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>

#include "lodestone/core/error.hpp"
#include "lodestone/longrange/pme.hpp"
#include "lodestone/longrange/power_law.hpp"
#include "longrange/ewald_internal.hpp"
#include "math/kvectors.hpp"
#include "math/phases.hpp"
#include "lodestone/core/neighbors.hpp"

namespace lodestone {
namespace detail {

void validate_long_range(const System& system, const std::vector<double>& weights, int exponent) {
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

void validate_periodic_parameters(const System& system, double cutoff) {
    if (!(system.has_cell && system.periodic())) {
        throw Error("system: the Ewald and PME methods need a periodic cell; use the direct sum for molecules");
    }
    if (!(cutoff > 0.0) || !std::isfinite(cutoff)) {
        throw Error("cutoff: expected a positive finite number, got " + format_number(cutoff));
    }
    // A cutoff spanning hundreds of cells means billions of image pairs: an
    // input mistake, refused rather than run for hours.
    const auto& h = system.cell;
    const double volume = std::fabs(determinant3(h));
    for (int a = 0; a < 3; a++) {
        const double* u = &h[3 * ((a + 1) % 3)];
        const double* v = &h[3 * ((a + 2) % 3)];
        const double cx = u[1] * v[2] - u[2] * v[1], cy = u[2] * v[0] - u[0] * v[2], cz = u[0] * v[1] - u[1] * v[0];
        const double spacing = volume / std::sqrt(cx * cx + cy * cy + cz * cz);
        if (cutoff / spacing > 100.0) {
            throw Error("cutoff: " + format_number(cutoff) + " A spans more than 100 cells along lattice vector " +
                        std::to_string(a) + " (" + format_number(spacing) +
                        " A between planes); use a smaller cutoff or let the accuracy choose it");
        }
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

LongRangeResult empty_result(size_t n, const LongRangeRequest& request) {
    LongRangeResult out;
    if (request.forces) out.forces.assign(3 * n, 0.0);
    if (request.per_atom) out.energies.assign(n, 0.0);
    return out;
}

namespace {

// Atoms of a periodic cell binned in fractional coordinates, sorted by bin,
// with positions folded into the cell. Bins are at least rc/2 thick (plane
// distance / bins), so `reach` bins on each side (with periodic images when
// the cutoff exceeds the cell) contain every neighbour: pairs are visited
// straight from the bins, without materialising a neighbour list (whose
// construction and memory traffic cost more than the erfc it feeds).
struct PairBins {
    std::array<int64_t, 3> bins{}, reach{};
    std::vector<size_t> start;   // atoms of bin b: sorted[start[b] .. start[b + 1])
    std::vector<size_t> atom;    // sorted slot -> atom index
    std::vector<double> folded;  // [slot][3] Cartesian, inside the cell
};

PairBins bin_atoms(const System& system, double cutoff) {
    PairBins out;
    const auto& h = system.cell;
    const std::array<double, 9> inv = inverse3(h);
    const double volume = std::fabs(determinant3(h));
    double total = 1.0;
    for (int a = 0; a < 3; a++) {
        const double* u = &h[3 * ((a + 1) % 3)];
        const double* v = &h[3 * ((a + 2) % 3)];
        const double cx = u[1] * v[2] - u[2] * v[1], cy = u[2] * v[0] - u[0] * v[2], cz = u[0] * v[1] - u[1] * v[0];
        const double plane = volume / std::sqrt(cx * cx + cy * cy + cz * cz);
        int64_t bins = static_cast<int64_t>(std::floor(2.0 * plane / cutoff));
        bins = std::clamp<int64_t>(bins, 1, 256);
        out.bins[a] = bins;
        out.reach[a] = static_cast<int64_t>(std::ceil(cutoff * static_cast<double>(bins) / plane));
        total *= static_cast<double>(bins);
    }
    const double visits = static_cast<double>(2 * out.reach[0] + 1) * static_cast<double>(2 * out.reach[1] + 1) *
                          static_cast<double>(2 * out.reach[2] + 1);
    if (visits > 1e6) {
        throw Error("cutoff: a real-space cutoff of " + format_number(cutoff) +
                    " A spans more than 1e6 periodic images of this cell around each atom; use a cutoff of at most "
                    "a few cell heights");
    }
    const size_t n = system.size();
    const size_t n_bins = static_cast<size_t>(total);
    std::vector<size_t> bin_of(n);
    std::vector<double> folded(3 * n);
    for (size_t i = 0; i < n; i++) {
        const double* r = &system.positions[3 * i];
        int64_t b[3];
        double s[3];
        for (int d = 0; d < 3; d++) {
            s[d] = r[0] * inv[d] + r[1] * inv[3 + d] + r[2] * inv[6 + d];
            s[d] -= std::floor(s[d]);
            if (s[d] >= 1.0) s[d] = 0.0;
            b[d] = std::min<int64_t>(static_cast<int64_t>(s[d] * static_cast<double>(out.bins[d])), out.bins[d] - 1);
        }
        for (int x = 0; x < 3; x++) folded[3 * i + x] = s[0] * h[x] + s[1] * h[3 + x] + s[2] * h[6 + x];
        bin_of[i] = static_cast<size_t>((b[0] * out.bins[1] + b[1]) * out.bins[2] + b[2]);
    }
    out.start.assign(n_bins + 1, 0);
    for (size_t i = 0; i < n; i++) out.start[bin_of[i] + 1]++;
    for (size_t b = 0; b < n_bins; b++) out.start[b + 1] += out.start[b];
    out.atom.resize(n);
    out.folded.resize(3 * n);
    std::vector<size_t> fill(out.start.begin(), out.start.end() - 1);
    for (size_t i = 0; i < n; i++) {
        const size_t slot = fill[bin_of[i]]++;
        out.atom[slot] = i;
        for (int x = 0; x < 3; x++) out.folded[3 * slot + x] = folded[3 * i + x];
    }
    return out;
}

// What the pair loop of add_real_space reads.
struct RealSpacePairs {
    const PairBins& grid;
    const std::vector<double>& qs;  // weights in slot order
    const SmearedPowerLaw& potential;
    const std::array<double, 9>& cell;
    double prefactor, cutoff2;
    const LongRangeRequest& request;
    size_t width;  // columns of the per-atom buffers: forces (3), then the energy (1)
};

// Two atoms at the same position (or image): the smallest pair found, whatever
// the thread that finds it.
struct Overlap {
    bool found = false;
    std::pair<size_t, size_t> pair{0, 0};
};

// One thread's sums: per-atom buffer, virial, energy.
struct PairSums {
    double* buffer;  // [slot][width]
    double* virial;  // 3 x 3
    double energy;
};

// Every pair of slot k's atom within the cutoff that this atom's side keeps
// (see add_real_space): its own share into its buffer row at the end, the
// partner's into the partner's row.
void add_slot_pairs(const RealSpacePairs& rs, size_t k, PairSums& sums, Overlap& overlap) {
    const PairBins& grid = rs.grid;
    const std::vector<double>& qs = rs.qs;
    const auto& h = rs.cell;
    const LongRangeRequest& request = rs.request;
    const size_t width = rs.width;
    const double cutoff2 = rs.cutoff2;
    double* buffer = sums.buffer;
    double* local = sums.virial;
    double energy = sums.energy;
    const int64_t nb0 = grid.bins[0], nb1 = grid.bins[1], nb2 = grid.bins[2];
    const double qi = qs[k];
    if (qi == 0.0) return;
    const size_t i = grid.atom[k];
    const double* ri = &grid.folded[3 * k];
    // the bin of slot k, from the bin boundaries
    const size_t bin = static_cast<size_t>(std::upper_bound(grid.start.begin(), grid.start.end(), k) - grid.start.begin()) - 1;
    const int64_t b0 = static_cast<int64_t>(bin) / (nb1 * nb2), b1 = (static_cast<int64_t>(bin) / nb2) % nb1,
                  b2 = static_cast<int64_t>(bin) % nb2;
    double ei = 0.0, f[3] = {0.0, 0.0, 0.0};
    for (int64_t d0 = -grid.reach[0]; d0 <= grid.reach[0]; d0++) {
        const int64_t c0 = b0 + d0, w0 = ((c0 % nb0) + nb0) % nb0, t0 = (c0 - w0) / nb0;
        for (int64_t d1 = -grid.reach[1]; d1 <= grid.reach[1]; d1++) {
            const int64_t c1 = b1 + d1, w1 = ((c1 % nb1) + nb1) % nb1, t1 = (c1 - w1) / nb1;
            for (int64_t d2 = -grid.reach[2]; d2 <= grid.reach[2]; d2++) {
                const int64_t c2 = b2 + d2, w2 = ((c2 % nb2) + nb2) % nb2, t2 = (c2 - w2) / nb2;
                const bool zero_shift = t0 == 0 && t1 == 0 && t2 == 0;
                const bool positive_shift = t0 > 0 || (t0 == 0 && (t1 > 0 || (t1 == 0 && t2 > 0)));
                double shift[3];
                for (int x = 0; x < 3; x++)
                    shift[x] = static_cast<double>(t0) * h[x] + static_cast<double>(t1) * h[3 + x] +
                               static_cast<double>(t2) * h[6 + x] - ri[x];
                const size_t other = static_cast<size_t>((w0 * nb1 + w1) * nb2 + w2);
                for (size_t m = grid.start[other]; m < grid.start[other + 1]; m++) {
                    const size_t j = grid.atom[m];
                    if (j == i) {
                        if (!positive_shift) continue;
                    } else if ((i < j) != ((i + j) % 2 == 0)) {
                        continue;
                    }
                    const double* rj = &grid.folded[3 * m];
                    const double v0 = rj[0] + shift[0], v1 = rj[1] + shift[1], v2 = rj[2] + shift[2];
                    const double r2 = v0 * v0 + v1 * v1 + v2 * v2;
                    if (r2 >= cutoff2) continue;
                    if (r2 < 1e-16) {  // 1e-8 A, the neighbour list's overlap distance
                        if (!(j == i && zero_shift)) {
#pragma omp critical(lodestone_real_space_overlap)
                            {
                                const std::pair<size_t, size_t> pair{std::min(i, j), std::max(i, j)};
                                if (!overlap.found || pair < overlap.pair) overlap.pair = pair;
                                overlap.found = true;
                            }
                        }
                        continue;
                    }
                    const double qq = rs.prefactor * qi * qs[m];
                    if (qq == 0.0) continue;
                    const double r = std::sqrt(r2);
                    double v, dv;
                    rs.potential.real_short_pair(r, v, dv);
                    const double e = qq * v;
                    ei += 0.5 * e;
                    energy += e;
                    // -d/dr_i of phi(|r_j - r_i|) = phi' d / |d|; the opposite on j
                    const double s = qq * dv / r;
                    const double fx = s * v0, fy = s * v1, fz = s * v2;
                    f[0] += fx;
                    f[1] += fy;
                    f[2] += fz;
                    if (request.forces) {
                        double* fj = buffer + m * width;
                        fj[0] -= fx;
                        fj[1] -= fy;
                        fj[2] -= fz;
                    }
                    if (request.per_atom) buffer[m * width + width - 1] += 0.5 * e;
                    if (request.virial) {
                        const double vec[3] = {v0, v1, v2};
                        for (int x = 0; x < 3; x++)
                            for (int y = 0; y < 3; y++) local[3 * x + y] -= s * vec[x] * vec[y];
                    }
                }
            }
        }
    }
    double* own = buffer + k * width;
    if (request.forces)
        for (int c = 0; c < 3; c++) own[c] += f[c];
    if (request.per_atom) own[width - 1] += ei;
    sums.energy = energy;
}

}  // namespace

void add_real_space(const ChargeSum& sum, double cutoff, const LongRangeRequest& request, LongRangeResult& out) {
    const System& system = sum.system;
    const size_t n = system.size();
    const PairBins grid = bin_atoms(system, cutoff);
    std::vector<double> qs(n);
    for (size_t k = 0; k < n; k++) qs[k] = sum.q[grid.atom[k]];
    // Each pair (i, j, image) is evaluated once (erfc and exp dominate), on
    // the side picked by the parity of i + j so that every centre keeps
    // about half of its pairs whatever the atom order (with "i < j" the
    // first atoms would keep almost all of theirs and one thread would do
    // most of the work); an atom and its own image, once for the positive
    // shift. The partner's share goes to a per-thread buffer; buffers and
    // per-thread sums (energy, virial) are combined in thread order, so
    // results are bit-identical run to run for a given thread count (MD
    // restarts rely on it).
    const int n_threads = omp_get_max_threads();
    const size_t width = (request.forces ? 3 : 0) + (request.per_atom ? 1 : 0);
    const RealSpacePairs rs{grid, qs, sum.potential, system.cell, sum.prefactor, cutoff * cutoff, request, width};
    std::vector<double> buffers(static_cast<size_t>(n_threads) * n * width, 0.0);
    std::vector<double> partial(static_cast<size_t>(n_threads) * 10, 0.0);
    Overlap overlap;
#pragma omp parallel num_threads(n_threads)
    {
        const size_t thread = static_cast<size_t>(omp_get_thread_num());
        double* mine = &partial[thread * 10];
        PairSums sums{buffers.data() + thread * n * width, mine + 1, 0.0};
#pragma omp for schedule(static)
        for (size_t k = 0; k < n; k++) add_slot_pairs(rs, k, sums, overlap);
        mine[0] = sums.energy;
        if (width > 0) {
#pragma omp for schedule(static)
            for (size_t k = 0; k < n; k++) {
                double total[4] = {0.0, 0.0, 0.0, 0.0};
                for (size_t t = 0; t < static_cast<size_t>(n_threads); t++) {
                    const double* b = buffers.data() + (t * n + k) * width;
                    for (size_t c = 0; c < width; c++) total[c] += b[c];
                }
                const size_t i = grid.atom[k];
                if (request.forces)
                    for (int c = 0; c < 3; c++) out.forces[3 * i + static_cast<size_t>(c)] += total[c];
                if (request.per_atom) out.energies[i] += total[width - 1];
            }
        }
    }
    if (overlap.found) {
        throw Error("atoms " + std::to_string(overlap.pair.first) + " and " + std::to_string(overlap.pair.second) +
                    " are at the same position (or at the same periodic image); expected distinct positions");
    }
    for (int t = 0; t < n_threads; t++) {
        out.energy += partial[10 * static_cast<size_t>(t)];
        for (int x = 0; x < 9; x++) out.virial[x] += partial[10 * static_cast<size_t>(t) + 1 + x];
    }
}

void add_self_and_background(const ChargeSum& sum, const LongRangeRequest& request, LongRangeResult& out) {
    const System& system = sum.system;
    const std::vector<double>& q = sum.q;
    const SmearedPowerLaw& potential = sum.potential;
    const double prefactor = sum.prefactor;
    const size_t n = system.size();
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
}

}  // namespace detail

namespace {
using namespace detail;

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

void add_kspace(const ChargeSum& sum, double k_cutoff, const LongRangeRequest& request, LongRangeResult& out) {
    const System& system = sum.system;
    const std::vector<double>& q = sum.q;
    const SmearedPowerLaw& potential = sum.potential;
    const double prefactor = sum.prefactor;
    const KVectors kv = half_space_kvectors(system.cell, k_cutoff);
    const size_t nk = kv.size();
    if (nk == 0) return;
    const size_t n = system.size();
    const double volume = std::fabs(determinant3(system.cell));
    const PhaseTables tables(system, kv);
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

}  // namespace

LongRangeResult ewald_sum(const System& system, const std::vector<double>& q, const PowerLawPair& pair,
                          const LongRangeParameters& parameters, const LongRangeRequest& request) {
    const int exponent = pair.exponent;
    const double prefactor = pair.prefactor, smearing = parameters.smearing, cutoff = parameters.cutoff,
                 k_cutoff = parameters.k_cutoff;
    validate_long_range(system, q, exponent);
    validate_periodic_parameters(system, cutoff);
    if (!(k_cutoff > 0.0) || !std::isfinite(k_cutoff)) {
        throw Error("kCutoff: expected a positive finite number, got " + format_number(k_cutoff));
    }
    const SmearedPowerLaw potential(exponent, smearing);
    const size_t n = system.size();
    LongRangeResult out = empty_result(n, request);
    out.parameters.method = "ewald";
    out.parameters.smearing = smearing;
    out.parameters.cutoff = cutoff;
    out.parameters.k_cutoff = k_cutoff;
    if (n == 0) return out;

    const ChargeSum sum{system, q, potential, prefactor};
    add_real_space(sum, cutoff, request, out);
    add_kspace(sum, k_cutoff, request, out);
    add_self_and_background(sum, request, out);
    return out;
}

LongRangeResult direct_sum(const System& system, const std::vector<double>& q, const PowerLawPair& pair,
                           const LongRangeRequest& request) {
    const int exponent = pair.exponent;
    const double prefactor = pair.prefactor;
    validate_long_range(system, q, exponent);
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

// The PME workspace (FFT plan, kernel) of the last grid shape, reused by the
// next compute(); a mutex because one calculator may serve several async
// computations at once.
struct Ewald::PmeCache {
    std::mutex mutex;
    PmeWorkspace workspace;
};

Ewald::Ewald(const EwaldOptions& options) : options_(options), pme_cache_(std::make_shared<PmeCache>()) {
    if (options.exponent != 1 && options.exponent != 6) {
        throw Error("exponent: expected 1 (Coulomb) or 6 (dispersion), got " + std::to_string(options.exponent));
    }
    if (!std::isfinite(options.prefactor)) {
        throw Error("prefactor: expected a finite number, got " + format_number(options.prefactor));
    }
    // Validate the accuracy and overrides now rather than at the first compute.
    validate_pme_request(options.tuning);
    LongRangeSums probe;
    probe.n_atoms = 8;
    probe.volume = 1000.0;
    probe.sum_squares = 8.0;
    EwaldTuningRequest ewald_only = options.tuning;
    ewald_only.method = LongRangeMethod::Ewald;
    ewald_only.mesh_order = 0;
    ewald_only.mesh_spacing = 0.0;
    tune_ewald(options.exponent, probe, ewald_only);
}

LongRangeParameters Ewald::parameters(const System& system, const std::vector<double>& weights) const {
    validate_long_range(system, weights, options_.exponent);
    if (!(system.has_cell && system.periodic()) || system.size() == 0) {
        LongRangeParameters direct;
        direct.method = "direct";
        return direct;
    }
    return tune_long_range(options_.exponent, sums_of(system, weights, options_.prefactor), system.cell,
                           options_.tuning);
}

LongRangeResult Ewald::compute(const System& system, const std::vector<double>& weights,
                               const LongRangeRequest& request) const {
    const LongRangeParameters p = parameters(system, weights);
    const PowerLawPair pair{options_.exponent, options_.prefactor};
    LongRangeResult out;
    if (system.size() == 0) {
        out = empty_result(0, request);  // nothing to sum, periodic or not
    } else if (p.method == "direct") {
        out = direct_sum(system, weights, pair, request);
    } else if (p.method == "pme") {
        std::unique_lock<std::mutex> lock(pme_cache_->mutex, std::try_to_lock);
        if (lock.owns_lock()) {
            out = pme_sum(system, weights, pair, p, request, pme_cache_->workspace);
        } else {
            out = pme_sum(system, weights, pair, p, request);
        }
    } else {
        out = ewald_sum(system, weights, pair, p, request);
    }
    out.parameters = p;
    return out;
}

}  // namespace lodestone
