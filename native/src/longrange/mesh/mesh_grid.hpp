#pragma once
// Particle <-> mesh transfer shared by the particle-mesh methods (smooth PME
// for Ewald sums, native/src/longrange/pme.cpp; the mesh LODE expansion,
// native/src/features/lode/mesh.cpp): cardinal
// B-spline weights with exact derivatives, the Euler-spline moduli |b(m)|^2,
// a Kaiser-Bessel window for the mesh LODE, and deterministic spreading /
// interpolation on a K0 x K1 x K2 mesh along the lattice vectors.
//
// Conventions (U. Essmann et al., J. Chem. Phys. 103, 8577, 1995): an atom at
// fractional coordinates s has mesh coordinates u_d = K_d s_d and weights
// M_n(u_d - x_d) on the n points x_d = floor(u_d) - j, j = 0..n-1; then
//   e^{-2 pi i m.u / K} ~ conj(b(m)) sum_x W(x - u) e^{-2 pi i m.x / K},
// so with the forward FFT of fft.hpp a spread density Q gives the structure
// factor S(m) ~ conj(b(m)) Q^(m), and interpolating an inverse FFT of
// F(m) |b(m)|^2 Q^(m) at u gives sum_m F(m) S(m) e^{2 pi i m.u / K}.
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lodestone/longrange/pme.hpp"
#include "lodestone/core/system.hpp"

namespace lodestone::mesh {

constexpr int kMinOrder = kMinPmeOrder;
constexpr int kMaxOrder = kMaxPmeOrder;
// Channels per interleaved mesh block (Assignment::spread_block_plane): eight
// doubles, one AVX-512 vector (two AVX2 ones) per mesh point.
constexpr int kBlock = 8;

// The one check of a B-spline order (3..7) for every option that sets one;
// `name` names the option in the message.
void check_order(int order, const std::string& name);

// Throws lodestone::Error for an order outside 3..7 or an axis with fewer
// points than the order (one atom's spline would wrap onto itself) or more
// than the FFT accepts; `order_name` / `mesh_name` name the options.
void validate_mesh(const std::array<int64_t, 3>& mesh, int order, const std::string& order_name,
                   const std::string& mesh_name);

// M_n(w + j), j = 0..n-1, w in [0, 1), and d/dw (derivative may be null).
void bspline(double w, int n, double* value, double* derivative);

// The assignment function of a mesh, `order` points wide:
// - beta = 0: the cardinal B-spline M_order (PME's; C^(order-2));
// - beta > 0: the Kaiser-Bessel window centred on the same support [0, n],
//   W(t) = (I0(beta sqrt(1 - u^2)) - 1) / norm, u = 2 t / n - 1, n = order,
//   with norm = n (sinh(beta) / beta - 1) so that its integral is 1, and
//   W^(f) = (sinh(z) / z - sinc(n f)) / (sinh(beta) / beta - 1),
//   z = sqrt(beta^2 - (pi n f)^2) (sin|z| / |z| beyond the main lobe),
//   apart from the phase of the shift. The "- 1" makes it continuous (zero)
//   at the ends of its support (its slope jumps there by beta^2 / 2 per unit
//   of u, 3e-5 of its largest slope at beta = 16.8); its aliases near the band edge are far
//   below the B-spline's of the same width, so a coarser mesh meets the same
//   accuracy (the mesh LODE's tuner weighs both).
struct Window {
    int order = 0;
    double beta = 0.0;
    bool operator==(const Window& o) const { return order == o.order && beta == o.beta; }
};

// W(w + j), j = 0..n-1, w in [0, 1), and d/dw (derivative may be null), for
// one window; the Kaiser-Bessel series coefficients are prepared once.
class WindowWeights {
public:
    explicit WindowWeights(const Window& window);
    void operator()(double w, double* value, double* derivative) const;

private:
    Window window_;
    std::vector<double> series_;  // Kaiser-Bessel: c_k of sum_{k >= 1} c_k s^k, s = 1 - u^2
};

// W^(f) / W^(0) at f cycles per mesh point (real: the phase of the window's
// offset cancels between spreading and interpolation).
double window_fourier(const Window& window, double f);

// |b(m)|^2 along one axis, m = 0..size-1 (0 at the Nyquist frequency of odd
// orders, which the callers never use).
std::vector<double> bspline_moduli(int64_t size, int order);

// 1 / |W^(m / size)|^2 along one axis at the signed frequency m, W^ the
// continuous Fourier transform of the window (window_fourier; sinc(pi m /
// size)^n for the B-spline). The moduli above divide by the aliased sum
// sum_p W^(m + p size) instead, which leaves every component scaled by
// 1 / (1 + sum_{p != 0} ...)^2: a first-order error that this normalisation
// removes, leaving aliasing alone (about half the RMS error of the LODE mesh
// at equal cost).
std::vector<double> window_inverse_power(int64_t size, const Window& window);

inline int64_t signed_frequency(int64_t m, int64_t size) { return 2 * m <= size ? m : m - size; }
inline bool is_nyquist(int64_t m, int64_t size) { return size % 2 == 0 && 2 * m == size; }

// The window stencils of every atom of one system on one mesh.
class Assignment {
public:
    // `derivatives`: also keep dW/du for gradients.
    Assignment(const System& system, const std::array<int64_t, 3>& mesh, const Window& window, bool derivatives);

    const std::array<int64_t, 3>& mesh() const { return mesh_; }
    int order() const { return order_; }
    size_t size() const { return n_; }
    // d u_d / d r_x = K_d inv[x][d], row x
    const std::array<double, 9>& du_dr() const { return du_dr_; }

    // grid = sum_i weight[i] W(x - u_i) over atoms with weight[i] != 0 (the
    // whole grid is overwritten). Each plane along axis 0 is filled by one
    // thread, atoms in increasing index: bit-identical for any thread count.
    void spread(const double* weight, double* grid) const;

    // sum_x W(x - u_i) grid(x)
    double interpolate(const double* grid, size_t atom) const;
    // Same, and its gradient with respect to u_i (needs derivatives).
    double interpolate_gradient(const double* grid, size_t atom, double* du) const;
    // Indices into `atoms` ordered by stencil position (plane, row, point):
    // consecutive atoms then share the mesh rows already in cache.
    std::vector<size_t> locality_order(const std::vector<int32_t>& atoms) const;

    // kBlock meshes interleaved point by point (mesh b's point p at
    // grid[p * kBlock + b], weights weight[i * kBlock + b]), one plane at a
    // time for the FFT's forward_columns / inverse_columns (the full meshes
    // never exist); one pass over the stencils serves kBlock channels:
    // - the last plane along axis 0 of an atom's stencil (which covers
    //   planes last - order + 1 .. last, modulo K0);
    int64_t last_plane(size_t atom) const { return base_[3 * atom]; }
    // - the atoms with a nonzero weight by last plane, then plane x of the
    //   spread meshes added to `plane` (K1 K2 kBlock doubles, zero on entry:
    //   the FFT's forward_columns hands out a cleared buffer);
    struct PlaneAtoms {
        std::vector<size_t> start, atoms;  // atoms[start[p] .. start[p+1]) have last plane p
    };
    PlaneAtoms plane_atoms(const double* weight) const;
    void spread_block_plane(const PlaneAtoms& atoms, const double* weight, int64_t x, double* plane) const;
    // - the values value[b] and, when du is not null, the gradients
    //   du[3 b + d] (needs derivatives) at an atom from its stencil's planes,
    //   planes[c] being plane last_plane(atom) - order + 1 + c (modulo K0).
    void interpolate_block_planes(const double* const* planes, size_t atom, double* value, double* du) const;
    // Cartesian gradient from a gradient along u: out_x += scale sum_d du_dr[x][d] du[d].
    void add_cartesian(const double* du, double scale, double* out) const {
        for (int x = 0; x < 3; x++)
            out[x] += scale * (du_dr_[3 * x] * du[0] + du_dr_[3 * x + 1] * du[1] + du_dr_[3 * x + 2] * du[2]);
    }

private:
    template <int B>
    PlaneAtoms plane_atoms_of(const double* weight) const;
    // clear: zero the plane first (otherwise added to it)
    template <int B>
    void spread_plane_of(const PlaneAtoms& atoms, const double* weight, int64_t x, double* plane, bool clear) const;

    std::array<int64_t, 3> mesh_;
    int order_;
    size_t n_;
    bool derivatives_;
    std::array<double, 9> du_dr_{};
    std::vector<int32_t> base_;    // [atom][d]: floor(u_d)
    std::vector<double> theta_;    // [atom][d][j]
    std::vector<double> dtheta_;   // [atom][d][j]
};

// Interpolation at a set of atoms from kBlock interleaved grids that arrive
// one plane at a time (Fft3dPlan::inverse_columns): keeps the first order - 1
// planes (for the stencils that wrap around the mesh) and the last `order`,
// and tells which atoms have all their stencil's planes once plane x exists.
class PlaneStream {
public:
    // `visit`: a.locality_order(atoms), which orders atoms by last plane.
    PlaneStream(const Assignment& a, const std::vector<int32_t>& atoms, const std::vector<size_t>& visit);
    // where plane x goes
    double* plane(size_t x) { return storage_.data() + offset(x); }
    // Ranks in `visit` [first, second) whose stencils are complete once
    // plane x exists, and those that wrap around (complete after the last
    // plane); together they cover every rank once.
    std::pair<size_t, size_t> ready(size_t x) const;
    std::pair<size_t, size_t> wrapped() const { return {0, start_[static_cast<size_t>(order_ - 1)]}; }
    // interpolate_block_planes of one of the atoms from the kept planes
    void interpolate(size_t atom, double* value, double* du) const;

private:
    size_t offset(size_t x) const;

    const Assignment& a_;
    int order_;
    size_t plane_size_;
    std::vector<double> storage_;  // planes 0..order-2, then a ring of order planes
    std::vector<size_t> start_;    // start_[x]: first rank whose last plane is >= x
};

}  // namespace lodestone::mesh
