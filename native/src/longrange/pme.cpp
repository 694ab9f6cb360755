#include "lodestone/longrange/pme.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <string>

#include "ewald_internal.hpp"
#include "lodestone/error.hpp"
#include "lodestone/math/fft.hpp"

namespace lodestone {
namespace {

void validate_mesh(const std::array<int64_t, 3>& mesh, int order) {
    if (order < kMinPmeOrder || order > kMaxPmeOrder) {
        throw Error("meshOrder: expected a B-spline order between " + std::to_string(kMinPmeOrder) + " and " +
                    std::to_string(kMaxPmeOrder) + ", got " + std::to_string(order));
    }
    for (int d = 0; d < 3; d++) {
        // Fewer points than the spline support would make one atom's spline
        // wrap onto itself; such a mesh cannot resolve anything anyway.
        if (mesh[d] < order || mesh[d] > kMaxFftAxis) {
            throw Error("mesh: expected between the order (" + std::to_string(order) + ") and " +
                        std::to_string(kMaxFftAxis) + " points along each lattice vector, got " +
                        std::to_string(mesh[d]) + " along axis " + std::to_string(d));
        }
    }
}

// Cardinal B-spline values M_n(w + j), j = 0..n-1, for w in [0, 1): the
// weights of the n mesh points floor(u) - j around a particle at u, built by
// the recursion M_k(x) = (x M_{k-1}(x) + (k - x) M_{k-1}(x - 1)) / (k - 1),
// and their exact derivatives dM_n(x)/dx = M_{n-1}(x) - M_{n-1}(x - 1), so
// forces are the gradient of the mesh energy itself.
void bspline(double w, int n, double* value, double* derivative) {
    double v[kMaxPmeOrder];
    v[0] = w;
    v[1] = 1.0 - w;
    for (int k = 3; k <= n; k++) {
        if (k == n && derivative != nullptr) {
            derivative[0] = v[0];
            for (int j = 1; j < n - 1; j++) derivative[j] = v[j] - v[j - 1];
            derivative[n - 1] = -v[n - 2];
        }
        const double inv = 1.0 / (k - 1);
        v[k - 1] = (1.0 - w) * v[k - 2] * inv;
        for (int j = k - 2; j >= 1; j--) v[j] = ((w + j) * v[j] + (k - w - j) * v[j - 1]) * inv;
        v[0] = w * v[0] * inv;
    }
    for (int j = 0; j < n; j++) value[j] = v[j];
}

// |b(m)|^2 of Essmann et al. eq. 4.4 along one axis: 1 / |sum_{k=0}^{n-2}
// M_n(k+1) e^(2 pi i m k / K)|^2, the Euler exponential spline correction
// that turns the B-spline mesh sum into an interpolation of e^(2 pi i m u / K).
std::vector<double> bspline_moduli(int64_t size, int order) {
    double at_integers[kMaxPmeOrder];
    bspline(0.0, order, at_integers, nullptr);  // M_n(j), j = 0..n-1
    std::vector<double> out(static_cast<size_t>(size));
    for (int64_t m = 0; m < size; m++) {
        double re = 0.0, im = 0.0;
        for (int k = 0; k + 1 < order; k++) {
            const double phase = 2.0 * M_PI * static_cast<double>(m * k % size) / static_cast<double>(size);
            re += at_integers[k + 1] * std::cos(phase);
            im += at_integers[k + 1] * std::sin(phase);
        }
        const double norm = re * re + im * im;
        // zero only at the Nyquist frequency of odd orders, which is dropped anyway
        out[static_cast<size_t>(m)] = norm > 1e-14 ? 1.0 / norm : 0.0;
    }
    return out;
}

inline int64_t signed_frequency(int64_t m, int64_t size) { return 2 * m <= size ? m : m - size; }
inline bool is_nyquist(int64_t m, int64_t size) { return size % 2 == 0 && 2 * m == size; }

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

void PmeWorkspace::add_kspace(const System& system, const std::vector<double>& q, const SmearedPowerLaw& potential,
                              double prefactor, const std::array<int64_t, 3>& mesh, int order,
                              const LongRangeRequest& request, LongRangeResult& out) {
    validate_mesh(mesh, order);
    Impl& w = *impl_;
    const size_t n = system.size();
    const size_t n_order = static_cast<size_t>(order);
    const std::array<double, 9> inv = inverse3(system.cell);
    const int64_t K0 = mesh[0], K1 = mesh[1], K2 = mesh[2];

    // Per atom and axis: the first mesh point floor(u) and the n weights
    // (and derivatives) of the points floor(u) - j.
    const bool gradients = request.forces;
    std::vector<int32_t> base(3 * n);
    std::vector<double> theta(3 * n * n_order);
    std::vector<double> dtheta(gradients ? 3 * n * n_order : 0);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        const double* r = &system.positions[3 * i];
        for (int d = 0; d < 3; d++) {
            double s = r[0] * inv[d] + r[1] * inv[3 + d] + r[2] * inv[6 + d];
            s -= std::floor(s);
            const double u = s * static_cast<double>(mesh[d]);
            int64_t first = static_cast<int64_t>(std::floor(u));
            double frac = u - static_cast<double>(first);
            if (first >= mesh[d]) first -= mesh[d];  // s rounded up to 1
            const size_t slot = (3 * i + static_cast<size_t>(d)) * n_order;
            base[3 * i + static_cast<size_t>(d)] = static_cast<int32_t>(first);
            bspline(frac, order, &theta[slot], gradients ? &dtheta[slot] : nullptr);
        }
    }

    // Atoms bucketed by their first plane along axis 0 (stable: increasing
    // index within a bucket). Each mesh plane is then filled by one thread,
    // summing its atoms in a fixed order: the charge mesh is bit-identical
    // for any thread count, without per-thread copies of the mesh.
    std::vector<size_t> bucket_start(static_cast<size_t>(K0) + 1, 0);
    std::vector<size_t> bucket_atoms;
    bucket_atoms.reserve(n);
    for (size_t i = 0; i < n; i++)
        if (q[i] != 0.0) bucket_start[static_cast<size_t>(base[3 * i]) + 1]++;
    for (int64_t b = 0; b < K0; b++) bucket_start[static_cast<size_t>(b) + 1] += bucket_start[static_cast<size_t>(b)];
    bucket_atoms.resize(bucket_start.back());
    {
        std::vector<size_t> fill(bucket_start.begin(), bucket_start.end() - 1);
        for (size_t i = 0; i < n; i++)
            if (q[i] != 0.0) bucket_atoms[fill[static_cast<size_t>(base[3 * i])]++] = i;
    }

    const size_t plane = static_cast<size_t>(K1 * K2);
    w.grid.resize(static_cast<size_t>(K0) * plane);
    double* grid = w.grid.data();
#pragma omp parallel for schedule(static)
    for (int64_t x = 0; x < K0; x++) {
        double* slab = grid + static_cast<size_t>(x) * plane;
        std::fill(slab, slab + plane, 0.0);
        for (int j = 0; j < order; j++) {
            const size_t b = static_cast<size_t>((x + j) % K0);
            for (size_t a = bucket_start[b]; a < bucket_start[b + 1]; a++) {
                const size_t i = bucket_atoms[a];
                const double* t1 = &theta[(3 * i + 1) * n_order];
                const double* t2 = &theta[(3 * i + 2) * n_order];
                const double w0 = q[i] * theta[3 * i * n_order + static_cast<size_t>(j)];
                const int64_t y0 = base[3 * i + 1], z0 = base[3 * i + 2];
                for (int c = 0; c < order; c++) {
                    int64_t y = y0 - c;
                    if (y < 0) y += K1;
                    double* row = slab + static_cast<size_t>(y * K2);
                    const double w01 = w0 * t1[c];
                    for (int e = 0; e < order; e++) {
                        int64_t z = z0 - e;
                        if (z < 0) z += K2;
                        row[z] += w01 * t2[e];
                    }
                }
            }
        }
    }

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
    // d u_d / d r_x = K_d inv[x][d]
    double du[3][3];
    for (int x = 0; x < 3; x++)
        for (int d = 0; d < 3; d++) du[x][d] = static_cast<double>(mesh[d]) * inv[3 * x + d];
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        if (q[i] == 0.0) continue;
        const double* t0 = &theta[3 * i * n_order];
        const double* t1 = t0 + n_order;
        const double* t2 = t1 + n_order;
        const double* d0 = gradients ? &dtheta[3 * i * n_order] : nullptr;
        const double* d1 = gradients ? d0 + n_order : nullptr;
        const double* d2 = gradients ? d1 + n_order : nullptr;
        const int64_t x0 = base[3 * i], y0 = base[3 * i + 1], z0 = base[3 * i + 2];
        double phi = 0.0, g0 = 0.0, g1 = 0.0, g2 = 0.0;
        for (int a = 0; a < order; a++) {
            int64_t x = x0 - a;
            if (x < 0) x += K0;
            double p_a = 0.0, g1_a = 0.0, g2_a = 0.0;
            for (int b = 0; b < order; b++) {
                int64_t y = y0 - b;
                if (y < 0) y += K1;
                const double* row = grid + static_cast<size_t>((x * K1 + y) * K2);
                double p_b = 0.0, g2_b = 0.0;
                for (int c = 0; c < order; c++) {
                    int64_t z = z0 - c;
                    if (z < 0) z += K2;
                    p_b += t2[c] * row[z];
                    if (gradients) g2_b += d2[c] * row[z];
                }
                p_a += t1[b] * p_b;
                if (gradients) {
                    g1_a += d1[b] * p_b;
                    g2_a += t1[b] * g2_b;
                }
            }
            phi += t0[a] * p_a;
            if (gradients) {
                g0 += d0[a] * p_a;
                g1 += t0[a] * g1_a;
                g2 += t0[a] * g2_a;
            }
        }
        if (request.per_atom) out.energies[i] += 0.5 * prefactor * q[i] * phi;
        if (gradients) {
            // theta_j = M_n(w + j) with w = u - floor(u): d/du = +dtheta
            for (int x = 0; x < 3; x++) {
                out.forces[3 * i + static_cast<size_t>(x)] -=
                    prefactor * q[i] * (du[x][0] * g0 + du[x][1] * g1 + du[x][2] * g2);
            }
        }
    }
}

LongRangeResult pme_sum(const System& system, const std::vector<double>& q, int exponent, double prefactor,
                        double smearing, double cutoff, const std::array<int64_t, 3>& mesh, int order,
                        const LongRangeRequest& request, PmeWorkspace& workspace) {
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

    detail::add_real_space(system, q, potential, prefactor, cutoff, request, out);
    workspace.add_kspace(system, q, potential, prefactor, mesh, order, request, out);
    detail::add_self_and_background(system, q, potential, prefactor, request, out);
    return out;
}

LongRangeResult pme_sum(const System& system, const std::vector<double>& q, int exponent, double prefactor,
                        double smearing, double cutoff, const std::array<int64_t, 3>& mesh, int order,
                        const LongRangeRequest& request) {
    PmeWorkspace workspace;
    return pme_sum(system, q, exponent, prefactor, smearing, cutoff, mesh, order, request, workspace);
}

}  // namespace lodestone
