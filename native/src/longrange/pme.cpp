#include "lodestone/longrange/pme.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <string>

#include "longrange/ewald_internal.hpp"
#include "longrange/mesh/mesh_grid.hpp"
#include "lodestone/core/error.hpp"
#include "math/fft.hpp"

namespace lodestone {
namespace {

using mesh::bspline_moduli;
using mesh::is_nyquist;
using mesh::signed_frequency;

void validate_mesh(const std::array<int64_t, 3>& mesh, int order) {
    lodestone::mesh::validate_mesh(mesh, order, "meshOrder", "mesh");
}

}  // namespace

struct PmeWorkspace::Impl {
    std::unique_ptr<Fft3dPlan> plan;
    std::array<int64_t, 3> plan_shape{};

    // kernel G(k) |B(m)|^2 / V on the half spectrum, valid for this key
    std::vector<double> kernel;
    std::array<int64_t, 3> kernel_shape{};
    std::array<double, 9> kernel_cell{};
    double kernel_smearing = 0.0;
    int kernel_exponent = 0;
    int kernel_order = 0;

    // kept between calls so MD steps do not fault fresh pages in
    std::vector<double> grid;
    std::vector<std::complex<double>> spectrum;

    Fft3dPlan& plan_for(const std::array<int64_t, 3>& mesh) {
        if (!plan || plan_shape != mesh) {
            plan.reset();
            plan = std::make_unique<Fft3dPlan>(mesh[0], mesh[1], mesh[2]);
            plan_shape = mesh;
        }
        return *plan;
    }

    const std::vector<double>& kernel_for(const System& system, const SmearedPowerLaw& potential,
                                          const std::array<int64_t, 3>& mesh, int order) {
        if (!kernel.empty() && kernel_shape == mesh && kernel_cell == system.cell &&
            kernel_smearing == potential.smearing() && kernel_exponent == potential.exponent() &&
            kernel_order == order) {
            return kernel;
        }
        kernel_shape = {0, 0, 0};
        const std::array<double, 9> inv = inverse3(system.cell);
        const double volume = std::fabs(determinant3(system.cell));
        std::array<std::vector<double>, 3> moduli;
        for (int d = 0; d < 3; d++) moduli[d] = bspline_moduli(mesh[d], order);
        const int64_t n1 = mesh[1], n2c = mesh[2] / 2 + 1;
        kernel.assign(static_cast<size_t>(mesh[0] * n1 * n2c), 0.0);
#pragma omp parallel for schedule(static)
        for (int64_t a = 0; a < mesh[0]; a++) {
            // Nyquist planes are dropped: +K/2 and -K/2 are the same mesh
            // frequency but different k-vectors in a skewed cell (a kernel
            // that is not even in m would make the potential mesh complex),
            // odd orders have |b|^2 = infinity there, and a tuned mesh has
            // G(k) ~ 0 there anyway (the error estimate counts them as lost).
            if (is_nyquist(a, mesh[0])) continue;
            const double ma = static_cast<double>(signed_frequency(a, mesh[0]));
            for (int64_t b = 0; b < n1; b++) {
                if (is_nyquist(b, n1)) continue;
                const double mb = static_cast<double>(signed_frequency(b, n1));
                for (int64_t c = 0; c < n2c; c++) {
                    if (is_nyquist(c, mesh[2]) || (a == 0 && b == 0 && c == 0)) continue;
                    const double mc = static_cast<double>(c);
                    double k2 = 0.0;
                    for (int x = 0; x < 3; x++) {
                        const double kx = 2.0 * M_PI * (ma * inv[3 * x] + mb * inv[3 * x + 1] + mc * inv[3 * x + 2]);
                        k2 += kx * kx;
                    }
                    kernel[static_cast<size_t>((a * n1 + b) * n2c + c)] =
                        potential.fourier(std::sqrt(k2)) * moduli[0][static_cast<size_t>(a)] *
                        moduli[1][static_cast<size_t>(b)] * moduli[2][static_cast<size_t>(c)] / volume;
                }
            }
        }
        kernel_shape = mesh;
        kernel_cell = system.cell;
        kernel_smearing = potential.smearing();
        kernel_exponent = potential.exponent();
        kernel_order = order;
        return kernel;
    }
};

PmeWorkspace::PmeWorkspace() : impl_(std::make_unique<Impl>()) {}
PmeWorkspace::~PmeWorkspace() = default;

void PmeWorkspace::add_kspace(const detail::ChargeSum& sum, const LongRangeParameters& parameters,
                              const LongRangeRequest& request, LongRangeResult& out) {
    const System& system = sum.system;
    const std::vector<double>& q = sum.q;
    const SmearedPowerLaw& potential = sum.potential;
    const double prefactor = sum.prefactor;
    const std::array<int64_t, 3>& mesh = parameters.mesh;
    const int order = parameters.mesh_order;
    Impl& w = *impl_;
    const size_t n = system.size();
    const std::array<double, 9> inv = inverse3(system.cell);
    const int64_t K0 = mesh[0], K1 = mesh[1], K2 = mesh[2];

    const bool gradients = request.forces;
    const lodestone::mesh::Assignment assignment(system, mesh, lodestone::mesh::Window{order, 0.0}, gradients);
    w.grid.resize(static_cast<size_t>(K0 * K1 * K2));
    double* grid = w.grid.data();
    assignment.spread(q.data(), grid);

    Fft3dPlan& plan = w.plan_for(mesh);
    w.spectrum.resize(plan.complex_size());
    std::complex<double>* spectrum = w.spectrum.data();
    plan.forward(grid, spectrum);
    const std::vector<double>& kernel = w.kernel_for(system, potential, mesh, order);

    // E = prefactor / 2 sum_{all m} kernel(m) |Q^(m)|^2; the half spectrum
    // holds m and -m once for 0 < m2 < K2/2. Per-thread sums over a static
    // schedule, combined in thread order (bit-identical run to run).
    const int64_t n2c = K2 / 2 + 1;
    const int n_threads = omp_get_max_threads();
    std::vector<double> partial(static_cast<size_t>(n_threads) * 10, 0.0);
#pragma omp parallel num_threads(n_threads)
    {
        double* mine = &partial[static_cast<size_t>(omp_get_thread_num()) * 10];
#pragma omp for schedule(static)
        for (int64_t a = 0; a < K0; a++) {
            const double ma = static_cast<double>(signed_frequency(a, K0));
            for (int64_t b = 0; b < K1; b++) {
                const double mb = static_cast<double>(signed_frequency(b, K1));
                const size_t row = static_cast<size_t>((a * K1 + b) * n2c);
                for (int64_t c = 0; c < n2c; c++) {
                    const size_t idx = row + static_cast<size_t>(c);
                    const double g = kernel[idx];
                    std::complex<double>& z = spectrum[idx];
                    if (g == 0.0) {
                        z = 0.0;
                        continue;
                    }
                    const double s2 = z.real() * z.real() + z.imag() * z.imag();
                    const double weight = c == 0 ? 1.0 : 2.0;
                    mine[0] += weight * g * s2;
                    if (request.virial) {
                        // k -> (1 - eps) k at fixed fractional coordinates,
                        // the mesh charges do not change: only G(|k|) does
                        double k[3], k2 = 0.0;
                        for (int x = 0; x < 3; x++) {
                            k[x] = 2.0 * M_PI *
                                   (ma * inv[3 * x] + mb * inv[3 * x + 1] + static_cast<double>(c) * inv[3 * x + 2]);
                            k2 += k[x] * k[x];
                        }
                        const double kn = std::sqrt(k2);
                        const double dw = weight * g * s2 * potential.d_fourier(kn) / (potential.fourier(kn) * kn);
                        for (int x = 0; x < 3; x++)
                            for (int y = 0; y < 3; y++) mine[1 + 3 * x + y] += dw * k[x] * k[y];
                    }
                    z *= g;
                }
            }
        }
    }
    double energy = 0.0;
    std::array<double, 9> virial{};
    for (int t = 0; t < n_threads; t++) {
        energy += partial[10 * static_cast<size_t>(t)];
        for (int x = 0; x < 9; x++) virial[x] += partial[10 * static_cast<size_t>(t) + 1 + static_cast<size_t>(x)];
    }
    energy *= 0.5 * prefactor;
    out.energy += energy;
    if (request.virial) {
        for (int x = 0; x < 9; x++) out.virial[x] += 0.5 * prefactor * virial[x];
        for (int x = 0; x < 3; x++) out.virial[4 * x] += energy;  // the 1/V of the kernel
    }

    if (!request.forces && !request.per_atom) return;
    // phi = kernel * Q on the mesh: dE/dQ(g) = prefactor phi(g)
    plan.inverse(spectrum, grid);
#pragma omp parallel for schedule(static)
    for (int64_t ii = 0; ii < static_cast<int64_t>(n); ii++) {
        const size_t i = static_cast<size_t>(ii);
        if (q[i] == 0.0) continue;
        double du[3];
        const double phi = gradients ? assignment.interpolate_gradient(grid, i, du) : assignment.interpolate(grid, i);
        if (request.per_atom) out.energies[i] += 0.5 * prefactor * q[i] * phi;
        if (gradients) assignment.add_cartesian(du, -prefactor * q[i], &out.forces[3 * i]);
    }
}

LongRangeResult pme_sum(const System& system, const std::vector<double>& q, const PowerLawPair& pair,
                        const LongRangeParameters& parameters, const LongRangeRequest& request,
                        PmeWorkspace& workspace) {
    const int exponent = pair.exponent, order = parameters.mesh_order;
    const double prefactor = pair.prefactor, smearing = parameters.smearing, cutoff = parameters.cutoff;
    const std::array<int64_t, 3>& mesh = parameters.mesh;
    detail::validate_long_range(system, q, exponent);
    detail::validate_periodic_parameters(system, cutoff);
    validate_mesh(mesh, order);
    const SmearedPowerLaw potential(exponent, smearing);
    const size_t n = system.size();
    LongRangeResult out = detail::empty_result(n, request);
    out.parameters.method = "pme";
    out.parameters.smearing = smearing;
    out.parameters.cutoff = cutoff;
    out.parameters.mesh = mesh;
    out.parameters.mesh_order = order;
    if (n == 0) return out;

    const detail::ChargeSum sum{system, q, potential, prefactor};
    detail::add_real_space(sum, cutoff, request, out);
    workspace.add_kspace(sum, parameters, request, out);
    detail::add_self_and_background(sum, request, out);
    return out;
}

LongRangeResult pme_sum(const System& system, const std::vector<double>& q, const PowerLawPair& pair,
                        const LongRangeParameters& parameters, const LongRangeRequest& request) {
    PmeWorkspace workspace;
    return pme_sum(system, q, pair, parameters, request, workspace);
}

}  // namespace lodestone
