#include "longrange/mesh/mesh_grid.hpp"

#include <algorithm>
#include <cmath>

#include "lodestone/core/error.hpp"
#include "math/fft.hpp"
#include "core/simd.hpp"

namespace lodestone::mesh {

void check_order(int order, const std::string& name) {
    if (order < kMinOrder || order > kMaxOrder) {
        throw Error(name + ": expected a B-spline order between " + std::to_string(kMinOrder) + " and " +
                    std::to_string(kMaxOrder) + ", got " + std::to_string(order));
    }
}

void validate_mesh(const std::array<int64_t, 3>& mesh, int order, const std::string& order_name,
                   const std::string& mesh_name) {
    check_order(order, order_name);
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

WindowWeights::WindowWeights(const Window& window) : window_(window) {
    if (window.beta == 0.0) return;
    if (!(window.beta > 0.0) || !std::isfinite(window.beta) || window.beta > 64.0) {
        throw Error("internal: Kaiser-Bessel window shape out of range: " + format_number(window.beta));
    }
    // I0(beta sqrt(s)) - 1 = sum_{k >= 1} (beta^2 s / 4)^k / (k!)^2: an entire
    // function of s, summed (all terms positive) until the next term is below
    // 1e-18 of the sum at s = 1.
    const double q = window.beta * window.beta / 4.0;
    const double norm = static_cast<double>(window.order) * (std::sinh(window.beta) / window.beta - 1.0);
    double term = 1.0, total = 0.0;
    std::vector<double> raw;
    for (int k = 1; k < 400; k++) {
        term *= q / (static_cast<double>(k) * static_cast<double>(k));
        raw.push_back(term);
        total += term;
        if (term < 1e-18 * total) break;
    }
    series_.resize(raw.size());
    for (size_t k = 0; k < raw.size(); k++) series_[k] = raw[k] / norm;
}

void WindowWeights::operator()(double w, double* value, double* derivative) const {
    const int n = window_.order;
    if (window_.beta == 0.0) {
        bspline(w, n, value, derivative);
        return;
    }
    const double scale = 2.0 / static_cast<double>(n);
    for (int j = 0; j < n; j++) {
        const double u = scale * (w + j) - 1.0;
        const double s = std::max(0.0, 1.0 - u * u);
        // Horner for sum_k c_k s^k (k >= 1) and its derivative in s
        double f = 0.0, df = 0.0;
        for (size_t k = series_.size(); k-- > 0;) {
            df = df * s + f;
            f = f * s + series_[k];
        }
        value[j] = f * s;
        // d/ds (s g(s)) = g + s g', and ds/dw = -2 u scale
        if (derivative != nullptr) derivative[j] = (f + s * df) * (-2.0 * u * scale);
    }
}

double window_fourier(const Window& window, double f) {
    if (window.beta == 0.0) {
        const double x = M_PI * f;
        const double sinc = x == 0.0 ? 1.0 : std::sin(x) / x;
        return std::pow(sinc, window.order);
    }
    const double n = static_cast<double>(window.order), beta = window.beta;
    const double a = M_PI * n * f;
    const double z2 = beta * beta - a * a;
    double kb;
    if (z2 > 0.0) {
        const double z = std::sqrt(z2);
        kb = std::sinh(z) / z;
    } else if (z2 < 0.0) {
        const double z = std::sqrt(-z2);
        kb = std::sin(z) / z;
    } else {
        kb = 1.0;
    }
    const double box = a == 0.0 ? 1.0 : std::sin(a) / a;
    return (kb - box) / (std::sinh(beta) / beta - 1.0);
}

std::vector<double> window_inverse_power(int64_t size, const Window& window) {
    std::vector<double> out(static_cast<size_t>(size));
    for (int64_t m = 0; m < size; m++) {
        const double w = window_fourier(window, static_cast<double>(signed_frequency(m, size)) / static_cast<double>(size));
        out[static_cast<size_t>(m)] = 1.0 / (w * w);
    }
    return out;
}

Assignment::Assignment(const System& system, const std::array<int64_t, 3>& mesh, const Window& window,
                       bool derivatives)
    : mesh_(mesh), order_(window.order), n_(system.size()), derivatives_(derivatives) {
    const int order = window.order;
    const WindowWeights weights(window);
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
            weights(frac, &theta_[slot], derivatives ? &dtheta_[slot] : nullptr);
        }
    }
}

namespace {

// One mesh point of B interleaved meshes as one value: a double, or for
// B = kBlock = 8 a v8d (simd.hpp); the compiler left the loops over b < B
// scalar.
template <int B>
struct Point {
    using type = double;
    static void load(type& x, const double* p) { x = *p; }
    static void add(double* p, const type& x) { *p += x; }
    static double lane(const type& x, int) { return x; }
};
#if defined(__GNUC__)
template <>
struct Point<8> {
    using type = v8d;
    LODESTONE_INLINE static void load(type& x, const double* p) { std::memcpy(&x, p, sizeof(x)); }
    LODESTONE_INLINE static void add(double* p, const type& x) {
        type y;
        std::memcpy(&y, p, sizeof(y));
        y += x;
        std::memcpy(p, &y, sizeof(y));
    }
    LODESTONE_INLINE static double lane(const type& x, int k) { return x[k]; }
};
#endif

// One plane along axis 0 of B interleaved meshes: K1 x K2 points.
struct MeshPlane {
    double* points;
    int64_t K1, K2;
};

// Adds w0[b] W_1(y - u_1) W_2(z - u_2) to one plane of B interleaved meshes
// (the P^2 stencil of one atom), with the same contiguous-run layout as
// interpolation.
template <int P, int B>
LODESTONE_MULTIVERSION void spread_plane(MeshPlane plane, const int32_t* base, const double* theta12,
                                         const double* w0) {
    double* slab = plane.points;
    const int64_t K1 = plane.K1, K2 = plane.K2;
    const int64_t z_first = base[2] - (P - 1);
    double w2[P];
    int64_t wrap_z[P];
    for (int c = 0; c < P; c++) {
        w2[c] = theta12[P + (P - 1 - c)];
        int64_t z = z_first + c;
        if (z < 0) z += K2;
        wrap_z[c] = z;
    }
    using Pt = Point<B>;
    typename Pt::type weight;
    Pt::load(weight, w0);
    for (int c = 0; c < P; c++) {
        int64_t y = base[1] - c;
        if (y < 0) y += K1;
        double* row = slab + static_cast<size_t>(y * K2) * B;
        const typename Pt::type w01 = weight * theta12[c];
        if (z_first >= 0) {
            double* dst = row + z_first * B;
            for (int e = 0; e < P; e++) Pt::add(dst + e * B, w01 * w2[e]);
        } else {
            for (int e = 0; e < P; e++) Pt::add(row + wrap_z[e] * B, w01 * w2[e]);
        }
    }
}

template <int B>
void spread_plane_any(int order, MeshPlane plane, const int32_t* base, const double* theta12, const double* w0) {
    switch (order) {
        case 3: return spread_plane<3, B>(plane, base, theta12, w0);
        case 4: return spread_plane<4, B>(plane, base, theta12, w0);
        case 5: return spread_plane<5, B>(plane, base, theta12, w0);
        case 6: return spread_plane<6, B>(plane, base, theta12, w0);
        default: return spread_plane<7, B>(plane, base, theta12, w0);
    }
}

}  // namespace

template <int B>
Assignment::PlaneAtoms Assignment::plane_atoms_of(const double* weight) const {
    const size_t K0 = static_cast<size_t>(mesh_[0]);
    auto used = [&](size_t i) {
        for (int b = 0; b < B; b++)
            if (weight[i * B + static_cast<size_t>(b)] != 0.0) return true;
        return false;
    };
    // counting sort by last plane (stable: increasing atom index per plane)
    PlaneAtoms out;
    out.start.assign(K0 + 1, 0);
    for (size_t i = 0; i < n_; i++)
        if (used(i)) out.start[static_cast<size_t>(base_[3 * i]) + 1]++;
    for (size_t p = 0; p < K0; p++) out.start[p + 1] += out.start[p];
    out.atoms.resize(out.start.back());
    std::vector<size_t> fill(out.start.begin(), out.start.end() - 1);
    for (size_t i = 0; i < n_; i++)
        if (used(i)) out.atoms[fill[static_cast<size_t>(base_[3 * i])]++] = i;
    return out;
}

template <int B>
void Assignment::spread_plane_of(const PlaneAtoms& atoms, const double* weight, int64_t x, double* plane,
                                 bool clear) const {
    const int64_t K0 = mesh_[0], K1 = mesh_[1], K2 = mesh_[2];
    const size_t n_order = static_cast<size_t>(order_);
    if (clear) std::fill(plane, plane + static_cast<size_t>(K1 * K2) * B, 0.0);
    // the atoms whose stencil covers plane x: last plane x + j, weight theta_j
    for (int j = 0; j < order_; j++) {
        const size_t p = static_cast<size_t>((x + j) % K0);
        for (size_t a = atoms.start[p]; a < atoms.start[p + 1]; a++) {
            const size_t i = atoms.atoms[a];
            double w0[B];
            const double theta0 = theta_[3 * i * n_order + static_cast<size_t>(j)];
            for (int c = 0; c < B; c++) w0[c] = weight[i * B + static_cast<size_t>(c)] * theta0;
            spread_plane_any<B>(order_, {plane, K1, K2}, &base_[3 * i], &theta_[(3 * i + 1) * n_order], w0);
        }
    }
}

Assignment::PlaneAtoms Assignment::plane_atoms(const double* weight) const { return plane_atoms_of<kBlock>(weight); }

void Assignment::spread_block_plane(const PlaneAtoms& atoms, const double* weight, int64_t x, double* plane) const {
    spread_plane_of<kBlock>(atoms, weight, x, plane, false);
}

void Assignment::spread(const double* weight, double* grid) const {
    const PlaneAtoms atoms = plane_atoms_of<1>(weight);
    const size_t plane = static_cast<size_t>(mesh_[1] * mesh_[2]);
#pragma omp parallel for schedule(static)
    for (int64_t x = 0; x < mesh_[0]; x++) spread_plane_of<1>(atoms, weight, x, grid + static_cast<size_t>(x) * plane, true);
}

namespace {

// One atom's B-spline stencil: its base point floor(u_d) (base[d]), the
// weights theta[d][j] of the points base[d] - j and their derivatives
// dtheta[d][j] (null when no gradient is wanted).
struct Stencil {
    const int32_t* base;
    const double* theta;
    const double* dtheta;
};

// value[b] = sum_x W(x - u) grid(x)[b] over B interleaved meshes (and with
// Grad its gradient along u, du[b][d]) for a spline of compile-time order P:
// the P^3 stencil is P^2 runs of P consecutive points along the last axis,
// contiguous unless the run wraps around the mesh, so the inner dot
// products unroll and vectorise (over the B meshes when B > 1).
template <int P, bool Grad, int B>
LODESTONE_MULTIVERSION void interpolate_order(const double* const* planes, const std::array<int64_t, 3>& mesh,
                                              const Stencil& stencil, double* value, double* du) {
    const int32_t* base = stencil.base;
    const double* theta = stencil.theta;
    const double* dtheta = stencil.dtheta;
    const int64_t K1 = mesh[1], K2 = mesh[2];
    // theta[d][j] weighs point base_d - j: visit c = P - 1 - j upwards
    int64_t row_y[P], wrap_z[P];
    double w[3][P], dw[3][P];
    for (int c = 0; c < P; c++) {
        for (int d = 0; d < 3; d++) {
            w[d][c] = theta[d * P + (P - 1 - c)];
            dw[d][c] = Grad ? dtheta[d * P + (P - 1 - c)] : 0.0;
        }
        int64_t y = base[1] - (P - 1) + c, z = base[2] - (P - 1) + c;
        if (y < 0) y += K1;
        if (z < 0) z += K2;
        row_y[c] = y;
        wrap_z[c] = z;
    }
    const int64_t z_first = base[2] - (P - 1);
    const bool contiguous = z_first >= 0;
    using Pt = Point<B>;
    using V = typename Pt::type;
    V v{}, g0{}, g1{}, g2{};
    for (int a = 0; a < P; a++) {
        V p_a{}, g1_a{}, g2_a{};
        for (int b = 0; b < P; b++) {
            const double* row = planes[a] + static_cast<size_t>(row_y[b] * K2) * B;
            V p_b{}, g2_b{};
            for (int c = 0; c < P; c++) {
                V x;
                Pt::load(x, contiguous ? row + (z_first + c) * B : row + wrap_z[c] * B);
                p_b += w[2][c] * x;
                if (Grad) g2_b += dw[2][c] * x;
            }
            p_a += w[1][b] * p_b;
            if (Grad) {
                g1_a += dw[1][b] * p_b;
                g2_a += w[1][b] * g2_b;
            }
        }
        v += w[0][a] * p_a;
        if (Grad) {
            g0 += dw[0][a] * p_a;
            g1 += w[0][a] * g1_a;
            g2 += w[0][a] * g2_a;
        }
    }
    for (int k = 0; k < B; k++) {
        value[k] = Pt::lane(v, k);
        if (Grad) {
            // theta_j = M_n(w + j) with w = u - floor(u): d/du = +dtheta
            du[3 * k] = Pt::lane(g0, k);
            du[3 * k + 1] = Pt::lane(g1, k);
            du[3 * k + 2] = Pt::lane(g2, k);
        }
    }
}

template <bool Grad, int B>
void interpolate_planes(int order, const double* const* planes, const std::array<int64_t, 3>& mesh,
                        const Stencil& stencil, double* value, double* du) {
    switch (order) {
        case 3: return interpolate_order<3, Grad, B>(planes, mesh, stencil, value, du);
        case 4: return interpolate_order<4, Grad, B>(planes, mesh, stencil, value, du);
        case 5: return interpolate_order<5, Grad, B>(planes, mesh, stencil, value, du);
        case 6: return interpolate_order<6, Grad, B>(planes, mesh, stencil, value, du);
        default: return interpolate_order<7, Grad, B>(planes, mesh, stencil, value, du);
    }
}

// planes[c] = plane_at(x) for the planes x = last - order + 1 + c (modulo
// K0) of a stencil whose last plane is `last`.
template <class PlaneAt>
void stencil_planes(int64_t last, int order, int64_t K0, PlaneAt&& plane_at, const double** planes) {
    for (int c = 0; c < order; c++) {
        int64_t x = last - (order - 1) + c;
        if (x < 0) x += K0;
        planes[c] = plane_at(static_cast<size_t>(x));
    }
}

// The same on a whole grid of B interleaved meshes.
template <bool Grad, int B>
void interpolate_any(int order, const double* grid, const std::array<int64_t, 3>& mesh, const Stencil& stencil,
                     double* value, double* du) {
    const double* planes[kMaxOrder];
    const size_t plane = static_cast<size_t>(mesh[1] * mesh[2]) * B;
    stencil_planes(stencil.base[0], order, mesh[0], [&](size_t x) { return grid + x * plane; }, planes);
    interpolate_planes<Grad, B>(order, planes, mesh, stencil, value, du);
}

}  // namespace

std::vector<size_t> Assignment::locality_order(const std::vector<int32_t>& atoms) const {
    std::vector<int64_t> key(atoms.size());
    for (size_t k = 0; k < atoms.size(); k++) {
        const int32_t* b = &base_[3 * static_cast<size_t>(atoms[k])];
        key[k] = (static_cast<int64_t>(b[0]) * mesh_[1] + b[1]) * mesh_[2] + b[2];
    }
    std::vector<size_t> order(atoms.size());
    for (size_t k = 0; k < order.size(); k++) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] < key[b]; });
    return order;
}

double Assignment::interpolate(const double* grid, size_t atom) const {
    const size_t n_order = static_cast<size_t>(order_);
    double value;
    interpolate_any<false, 1>(order_, grid, mesh_, {&base_[3 * atom], &theta_[3 * atom * n_order], nullptr}, &value,
                              nullptr);
    return value;
}

double Assignment::interpolate_gradient(const double* grid, size_t atom, double* du) const {
    if (!derivatives_) throw Error("internal: mesh assignment built without derivatives");
    const size_t n_order = static_cast<size_t>(order_);
    double value;
    interpolate_any<true, 1>(order_, grid, mesh_,
                             {&base_[3 * atom], &theta_[3 * atom * n_order], &dtheta_[3 * atom * n_order]}, &value, du);
    return value;
}

void Assignment::interpolate_block_planes(const double* const* planes, size_t atom, double* value, double* du) const {
    const size_t n_order = static_cast<size_t>(order_);
    if (du == nullptr) {
        interpolate_planes<false, kBlock>(order_, planes, mesh_,
                                          {&base_[3 * atom], &theta_[3 * atom * n_order], nullptr}, value, nullptr);
        return;
    }
    if (!derivatives_) throw Error("internal: mesh assignment built without derivatives");
    interpolate_planes<true, kBlock>(order_, planes, mesh_,
                                     {&base_[3 * atom], &theta_[3 * atom * n_order], &dtheta_[3 * atom * n_order]},
                                     value, du);
}

PlaneStream::PlaneStream(const Assignment& a, const std::vector<int32_t>& atoms, const std::vector<size_t>& visit)
    : a_(a), order_(a.order()), plane_size_(static_cast<size_t>(a.mesh()[1] * a.mesh()[2]) * kBlock) {
    storage_.resize(static_cast<size_t>(2 * order_ - 1) * plane_size_);
    const size_t K0 = static_cast<size_t>(a.mesh()[0]);
    start_.assign(K0 + 1, visit.size());
    // visit is sorted by last plane: start_[x] = first rank at or past x
    for (size_t k = visit.size(); k-- > 0;)
        start_[static_cast<size_t>(a.last_plane(static_cast<size_t>(atoms[visit[k]])))] = k;
    for (size_t x = K0; x-- > 0;) start_[x] = std::min(start_[x], start_[x + 1]);
}

size_t PlaneStream::offset(size_t x) const {
    const size_t head = static_cast<size_t>(order_ - 1);
    return (x < head ? x : head + x % static_cast<size_t>(order_)) * plane_size_;
}

std::pair<size_t, size_t> PlaneStream::ready(size_t x) const {
    if (x + 1 < static_cast<size_t>(order_)) return {0, 0};
    return {start_[x], start_[x + 1]};
}

void PlaneStream::interpolate(size_t atom, double* value, double* du) const {
    const double* planes[kMaxOrder];
    stencil_planes(a_.last_plane(atom), order_, a_.mesh()[0], [&](size_t x) { return storage_.data() + offset(x); },
                   planes);
    a_.interpolate_block_planes(planes, atom, value, du);
}

}  // namespace lodestone::mesh
