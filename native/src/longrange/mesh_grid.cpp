#include "mesh_grid.hpp"

#include <algorithm>
#include <cmath>

#include "lodestone/error.hpp"
#include "lodestone/math/fft.hpp"

namespace lodestone::mesh {

void validate_mesh(const std::array<int64_t, 3>& mesh, int order, const std::string& order_name,
                   const std::string& mesh_name) {
    if (order < kMinOrder || order > kMaxOrder) {
        throw Error(order_name + ": expected a B-spline order between " + std::to_string(kMinOrder) + " and " +
                    std::to_string(kMaxOrder) + ", got " + std::to_string(order));
    }
    for (int d = 0; d < 3; d++) {
        if (mesh[d] < order || mesh[d] > kMaxFftAxis) {
            throw Error(mesh_name + ": expected between the order (" + std::to_string(order) + ") and " +
                        std::to_string(kMaxFftAxis) + " points along each lattice vector, got " +
                        std::to_string(mesh[d]) + " along axis " + std::to_string(d));
        }
    }
}

// Recursion M_k(x) = (x M_{k-1}(x) + (k - x) M_{k-1}(x - 1)) / (k - 1); the
// derivative dM_n(x)/dx = M_{n-1}(x) - M_{n-1}(x - 1) is exact, so gradients
// are those of the mesh quantity itself.
void bspline(double w, int n, double* value, double* derivative) {
    double v[kMaxOrder];
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

// Essmann et al. eq. 4.4: 1 / |sum_{k=0}^{n-2} M_n(k+1) e^(2 pi i m k / K)|^2.
std::vector<double> bspline_moduli(int64_t size, int order) {
    double at_integers[kMaxOrder];
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
        out[static_cast<size_t>(m)] = norm > 1e-14 ? 1.0 / norm : 0.0;
    }
    return out;
}

Assignment::Assignment(const System& system, const std::array<int64_t, 3>& mesh, int order, bool derivatives)
    : mesh_(mesh), order_(order), n_(system.size()), derivatives_(derivatives) {
    const std::array<double, 9> inv = inverse3(system.cell);
    for (int x = 0; x < 3; x++)
        for (int d = 0; d < 3; d++) du_dr_[3 * x + d] = static_cast<double>(mesh[d]) * inv[3 * x + d];
    const size_t n_order = static_cast<size_t>(order);
    base_.resize(3 * n_);
    theta_.resize(3 * n_ * n_order);
    dtheta_.resize(derivatives ? 3 * n_ * n_order : 0);
#pragma omp parallel for schedule(static)
    for (int64_t ii = 0; ii < static_cast<int64_t>(n_); ii++) {
        const size_t i = static_cast<size_t>(ii);
        const double* r = &system.positions[3 * i];
        for (int d = 0; d < 3; d++) {
            double s = r[0] * inv[d] + r[1] * inv[3 + d] + r[2] * inv[6 + d];
            s -= std::floor(s);
            const double u = s * static_cast<double>(mesh[d]);
            int64_t first = static_cast<int64_t>(std::floor(u));
            const double frac = u - static_cast<double>(first);
            if (first >= mesh[d]) first -= mesh[d];  // s rounded up to 1
            const size_t slot = (3 * i + static_cast<size_t>(d)) * n_order;
            base_[3 * i + static_cast<size_t>(d)] = static_cast<int32_t>(first);
            bspline(frac, order, &theta_[slot], derivatives ? &dtheta_[slot] : nullptr);
        }
    }
}

namespace {

// Adds w0 W_1(y - u_1) W_2(z - u_2) to one plane of the mesh (the P^2
// stencil of one atom), with the same contiguous-run layout as interpolation.
template <int P>
void spread_plane(double* slab, int64_t K1, int64_t K2, const int32_t* base, const double* theta12, double w0) {
    const int64_t z_first = base[2] - (P - 1);
    double w2[P];
    int64_t wrap_z[P];
    for (int c = 0; c < P; c++) {
        w2[c] = theta12[P + (P - 1 - c)];
        int64_t z = z_first + c;
        if (z < 0) z += K2;
        wrap_z[c] = z;
    }
    for (int c = 0; c < P; c++) {
        int64_t y = base[1] - c;
        if (y < 0) y += K1;
        double* row = slab + static_cast<size_t>(y * K2);
        const double w01 = w0 * theta12[c];
        if (z_first >= 0) {
            double* dst = row + z_first;
            for (int e = 0; e < P; e++) dst[e] += w01 * w2[e];
        } else {
            for (int e = 0; e < P; e++) row[wrap_z[e]] += w01 * w2[e];
        }
    }
}

void spread_plane_any(int order, double* slab, int64_t K1, int64_t K2, const int32_t* base, const double* theta12,
                      double w0) {
    switch (order) {
        case 3: return spread_plane<3>(slab, K1, K2, base, theta12, w0);
        case 4: return spread_plane<4>(slab, K1, K2, base, theta12, w0);
        case 5: return spread_plane<5>(slab, K1, K2, base, theta12, w0);
        case 6: return spread_plane<6>(slab, K1, K2, base, theta12, w0);
        default: return spread_plane<7>(slab, K1, K2, base, theta12, w0);
    }
}

}  // namespace

void Assignment::spread(const double* weight, double* grid) const {
    const int64_t K0 = mesh_[0], K1 = mesh_[1], K2 = mesh_[2];
    const size_t n_order = static_cast<size_t>(order_);
    // atoms bucketed by their first plane along axis 0 (stable)
    std::vector<size_t> bucket_start(static_cast<size_t>(K0) + 1, 0);
    for (size_t i = 0; i < n_; i++)
        if (weight[i] != 0.0) bucket_start[static_cast<size_t>(base_[3 * i]) + 1]++;
    for (int64_t b = 0; b < K0; b++) bucket_start[static_cast<size_t>(b) + 1] += bucket_start[static_cast<size_t>(b)];
    std::vector<size_t> bucket_atoms(bucket_start.back());
    {
        std::vector<size_t> fill(bucket_start.begin(), bucket_start.end() - 1);
        for (size_t i = 0; i < n_; i++)
            if (weight[i] != 0.0) bucket_atoms[fill[static_cast<size_t>(base_[3 * i])]++] = i;
    }
    const size_t plane = static_cast<size_t>(K1 * K2);
    const int order = order_;
#pragma omp parallel for schedule(static)
    for (int64_t x = 0; x < K0; x++) {
        double* slab = grid + static_cast<size_t>(x) * plane;
        std::fill(slab, slab + plane, 0.0);
        for (int j = 0; j < order; j++) {
            const size_t b = static_cast<size_t>((x + j) % K0);
            for (size_t a = bucket_start[b]; a < bucket_start[b + 1]; a++) {
                const size_t i = bucket_atoms[a];
                const double w0 = weight[i] * theta_[3 * i * n_order + static_cast<size_t>(j)];
                spread_plane_any(order, slab, K1, K2, &base_[3 * i], &theta_[(3 * i + 1) * n_order], w0);
            }
        }
    }
}

namespace {

// sum_x W(x - u) grid(x) (and with Grad its gradient along u) for a spline
// of compile-time order P: the P^3 stencil is P^2 runs of P consecutive
// points along the last axis, contiguous unless the run wraps around the
// mesh, so the inner dot products unroll and vectorise.
template <int P, bool Grad>
double interpolate_order(const double* grid, const std::array<int64_t, 3>& mesh, const int32_t* base,
                         const double* theta, const double* dtheta, double* du) {
    const int64_t K1 = mesh[1], K2 = mesh[2];
    // theta[d][j] weighs point base_d - j: visit c = P - 1 - j upwards
    int64_t row_x[P], row_y[P], wrap_z[P];
    double w[3][P], dw[3][P];
    for (int c = 0; c < P; c++) {
        for (int d = 0; d < 3; d++) {
            w[d][c] = theta[d * P + (P - 1 - c)];
            dw[d][c] = Grad ? dtheta[d * P + (P - 1 - c)] : 0.0;
        }
        int64_t x = base[0] - (P - 1) + c, y = base[1] - (P - 1) + c, z = base[2] - (P - 1) + c;
        if (x < 0) x += mesh[0];
        if (y < 0) y += K1;
        if (z < 0) z += K2;
        row_x[c] = x * K1;
        row_y[c] = y;
        wrap_z[c] = z;
    }
    const int64_t z_first = base[2] - (P - 1);
    const bool contiguous = z_first >= 0;
    double value = 0.0, g0 = 0.0, g1 = 0.0, g2 = 0.0;
    double run[P];
    for (int a = 0; a < P; a++) {
        double p_a = 0.0, g1_a = 0.0, g2_a = 0.0;
        for (int b = 0; b < P; b++) {
            const double* row = grid + static_cast<size_t>((row_x[a] + row_y[b]) * K2);
            const double* src = row + z_first;
            if (!contiguous) {
                for (int c = 0; c < P; c++) run[c] = row[wrap_z[c]];
                src = run;
            }
            double p_b = 0.0, g2_b = 0.0;
            for (int c = 0; c < P; c++) {
                p_b += w[2][c] * src[c];
                if (Grad) g2_b += dw[2][c] * src[c];
            }
            p_a += w[1][b] * p_b;
            if (Grad) {
                g1_a += dw[1][b] * p_b;
                g2_a += w[1][b] * g2_b;
            }
        }
        value += w[0][a] * p_a;
        if (Grad) {
            g0 += dw[0][a] * p_a;
            g1 += w[0][a] * g1_a;
            g2 += w[0][a] * g2_a;
        }
    }
    if (Grad) {
        // theta_j = M_n(w + j) with w = u - floor(u): d/du = +dtheta
        du[0] = g0;
        du[1] = g1;
        du[2] = g2;
    }
    return value;
}

template <bool Grad>
double interpolate_any(int order, const double* grid, const std::array<int64_t, 3>& mesh, const int32_t* base,
                       const double* theta, const double* dtheta, double* du) {
    switch (order) {
        case 3: return interpolate_order<3, Grad>(grid, mesh, base, theta, dtheta, du);
        case 4: return interpolate_order<4, Grad>(grid, mesh, base, theta, dtheta, du);
        case 5: return interpolate_order<5, Grad>(grid, mesh, base, theta, dtheta, du);
        case 6: return interpolate_order<6, Grad>(grid, mesh, base, theta, dtheta, du);
        default: return interpolate_order<7, Grad>(grid, mesh, base, theta, dtheta, du);
    }
}

}  // namespace

double Assignment::interpolate(const double* grid, size_t atom) const {
    const size_t n_order = static_cast<size_t>(order_);
    return interpolate_any<false>(order_, grid, mesh_, &base_[3 * atom], &theta_[3 * atom * n_order], nullptr, nullptr);
}

double Assignment::interpolate_gradient(const double* grid, size_t atom, double* du) const {
    if (!derivatives_) throw Error("internal: mesh assignment built without derivatives");
    const size_t n_order = static_cast<size_t>(order_);
    return interpolate_any<true>(order_, grid, mesh_, &base_[3 * atom], &theta_[3 * atom * n_order],
                                 &dtheta_[3 * atom * n_order], du);
}

}  // namespace lodestone::mesh
