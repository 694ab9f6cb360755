// Pair sums of smeared_multipoles.hpp: every pair once, the atoms' sums in
// per-thread buffers added at the end (a learned-charge model's clusters hold
// hundreds to thousands of atoms: the O(N^2) pairs are the step's largest
// cost there, and both halves of a pair share its kernel).
#include "lodestone/longrange/smeared_multipoles.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"
#include "lodestone/longrange/ewald.hpp"

namespace lodestone {

namespace {

// Accumulators of one thread: energies, potentials, fields (3), forces (3) per atom.
constexpr size_t kPerAtom = 8;

void check_input(const SmearedMultipolesInput& in) {
    if (!(in.sigma > 0.0) || !std::isfinite(in.sigma)) {
        throw Error("smeared electrostatics: sigma: expected a positive finite width (A), got " + format_number(in.sigma));
    }
    const bool exclusion = in.exclusion_radius != 0.0 || in.exclusion_width != 0.0;
    if (exclusion && !(in.exclusion_width > 0.0 && in.exclusion_width <= in.exclusion_radius && std::isfinite(in.exclusion_radius))) {
        throw Error("smeared electrostatics: exclusion: expected 0 < width <= radius (A), got radius " +
                    format_number(in.exclusion_radius) + ", width " + format_number(in.exclusion_width));
    }
    if (in.atoms > 0 && (!in.positions || !in.charges)) throw Error("smeared electrostatics: positions and charges are required");
    auto finite = [](const double* values, size_t count, const char* what) {
        for (size_t k = 0; k < count; k++) {
            if (!std::isfinite(values[k])) {
                throw Error(std::string("smeared electrostatics: ") + what + "[" + std::to_string(k) + "]: expected a finite number, got " +
                            format_number(values[k]));
            }
        }
    };
    finite(in.positions, 3 * in.atoms, "positions");
    finite(in.charges, in.atoms, "charges");
    if (in.dipoles) finite(in.dipoles, 3 * in.atoms, "dipoles");
}

}  // namespace

SmearedMultipolesResult smeared_multipoles(const SmearedMultipolesInput& in) {
    check_input(in);
    const size_t n = in.atoms;
    SmearedMultipolesResult out;
    out.energies.assign(n, 0.0);
    out.potentials.assign(n, 0.0);
    out.fields.assign(3 * n, 0.0);
    out.forces.assign(3 * n, 0.0);
    if (n < 2) return out;

    const double a = 1.0 / (2.0 * in.sigma);
    // (2 a^2)^n / (a sqrt(pi)), n = 1..3: the Gaussian terms of the B_n recursion
    const double g1 = 2.0 * a / std::sqrt(M_PI), g2 = g1 * 2.0 * a * a, g3 = g2 * 2.0 * a * a;
    const double k = COULOMB_CONSTANT;
    const bool exclusion = in.exclusion_radius != 0.0;
    const double start = in.exclusion_radius - in.exclusion_width;
    const double* x = in.positions;
    const double* q = in.charges;
    const double* mu = in.dipoles;
    const int32_t* groups = in.groups;

    const int threads = std::max(1, std::min(omp_get_max_threads(), static_cast<int>(n / 64) + 1));
    std::vector<std::vector<double>> sums(static_cast<size_t>(threads));
    std::vector<double> energy(static_cast<size_t>(threads), 0.0);
    std::atomic<int64_t> coincident{-1};
#pragma omp parallel num_threads(threads)
    {
        const size_t t = static_cast<size_t>(omp_get_thread_num());
        std::vector<double>& s = sums[t];
        s.assign(kPerAtom * n, 0.0);
        double e_thread = 0.0;
        // rows of decreasing length: dynamic chunks balance the triangle
#pragma omp for schedule(dynamic, 16)
        for (int64_t ii = 0; ii < static_cast<int64_t>(n); ii++) {
            const size_t i = static_cast<size_t>(ii);
            const double qi = q[i];
            const double mix = mu ? mu[3 * i] : 0.0, miy = mu ? mu[3 * i + 1] : 0.0, miz = mu ? mu[3 * i + 2] : 0.0;
            double* si = &s[kPerAtom * i];
            for (size_t j = i + 1; j < n; j++) {
                if (groups && groups[i] >= 0 && groups[i] == groups[j]) continue;
                const double rx = x[3 * i] - x[3 * j], ry = x[3 * i + 1] - x[3 * j + 1], rz = x[3 * i + 2] - x[3 * j + 2];
                const double r2 = rx * rx + ry * ry + rz * rz;
                const double r = std::sqrt(r2);
                if (!(r > 0.0)) {
                    int64_t none = -1;
                    coincident.compare_exchange_strong(none, static_cast<int64_t>(i * n + j));
                    continue;
                }
                double keep = 1.0, dkeep = 0.0;
                if (exclusion) {
                    if (r <= start) continue;
                    if (r < in.exclusion_radius) {
                        const double c = M_PI * (r - start) / in.exclusion_width;
                        keep = 0.5 * (1.0 - std::cos(c));
                        dkeep = 0.5 * M_PI / in.exclusion_width * std::sin(c);
                    }
                }
                const double gauss = std::exp(-a * a * r2);
                const double b0 = std::erf(a * r) / r;
                const double b1 = (b0 - g1 * gauss) / r2;
                const double b2 = (3.0 * b1 - g2 * gauss) / r2;
                const double b3 = (5.0 * b2 - g3 * gauss) / r2;
                const double B0 = k * b0, B1 = k * b1, B2 = k * b2, B3 = k * b3;
                const double qj = q[j];
                const double mjx = mu ? mu[3 * j] : 0.0, mjy = mu ? mu[3 * j + 1] : 0.0, mjz = mu ? mu[3 * j + 2] : 0.0;
                const double mir = mix * rx + miy * ry + miz * rz;
                const double mjr = mjx * rx + mjy * ry + mjz * rz;
                const double mij = mix * mjx + miy * mjy + miz * mjz;
                const double bracket = qi * mjr - qj * mir + mij;
                const double pair = B0 * qi * qj + B1 * bracket - B2 * mir * mjr;
                double* sj = &s[kPerAtom * j];
                e_thread += keep * pair;
                si[0] += 0.5 * keep * pair;
                sj[0] += 0.5 * keep * pair;
                si[1] += keep * (B0 * qj + B1 * mjr);
                sj[1] += keep * (B0 * qi - B1 * mir);
                // dE/dmu_i = B1 (mu_j - q_j r) - B2 (mu_j.r) r; dE/dmu_j = B1 (mu_i + q_i r) - B2 (mu_i.r) r
                si[2] += keep * (B1 * (mjx - qj * rx) - B2 * mjr * rx);
                si[3] += keep * (B1 * (mjy - qj * ry) - B2 * mjr * ry);
                si[4] += keep * (B1 * (mjz - qj * rz) - B2 * mjr * rz);
                sj[2] += keep * (B1 * (mix + qi * rx) - B2 * mir * rx);
                sj[3] += keep * (B1 * (miy + qi * ry) - B2 * mir * ry);
                sj[4] += keep * (B1 * (miz + qi * rz) - B2 * mir * rz);
                // grad_r E_ij with grad B_n = -B_{n+1} r, plus the switch's own dkeep (r / |r|) E_ij
                const double radial = -keep * (B1 * qi * qj + B2 * bracket - B3 * mir * mjr) + dkeep / r * pair;
                const double gx = radial * rx + keep * (B1 * (qi * mjx - qj * mix) - B2 * (mjr * mix + mir * mjx));
                const double gy = radial * ry + keep * (B1 * (qi * mjy - qj * miy) - B2 * (mjr * miy + mir * mjy));
                const double gz = radial * rz + keep * (B1 * (qi * mjz - qj * miz) - B2 * (mjr * miz + mir * mjz));
                si[5] -= gx;
                si[6] -= gy;
                si[7] -= gz;
                sj[5] += gx;
                sj[6] += gy;
                sj[7] += gz;
            }
        }
        energy[t] = e_thread;
    }
    if (coincident.load() >= 0) {
        const int64_t p = coincident.load();
        throw Error("smeared electrostatics: atoms " + std::to_string(p / static_cast<int64_t>(n)) + " and " +
                    std::to_string(p % static_cast<int64_t>(n)) + " are at the same position");
    }
    for (size_t t = 0; t < sums.size(); t++) {
        out.energy += energy[t];
        const std::vector<double>& s = sums[t];
        for (size_t i = 0; i < n; i++) {
            const double* si = &s[kPerAtom * i];
            out.energies[i] += si[0];
            out.potentials[i] += si[1];
            for (int d = 0; d < 3; d++) {
                out.fields[3 * i + static_cast<size_t>(d)] += si[2 + d];
                out.forces[3 * i + static_cast<size_t>(d)] += si[5 + d];
            }
        }
    }
    return out;
}

}  // namespace lodestone
