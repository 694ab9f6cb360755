#pragma once
// Fast Fourier transforms for the particle-mesh long-range methods: a
// mixed-radix complex FFT (radices 2, 3, 4, 5, 7, any odd prime up to a few
// dozen, Bluestein beyond) and a 3D real-to-complex transform built on it.
//
// Conventions follow FFTW so formulas from the PME/P3M literature carry over:
//   forward  X[k] = sum_j x[j] exp(-2 pi i j.k / n)      (per axis)
//   inverse  x[j] = sum_k X[k] exp(+2 pi i j.k / n)      (unnormalised)
// so inverse(forward(x)) = n0 n1 n2 x. Arrays are row-major, the last axis
// fastest; the half spectrum of a real n0 x n1 x n2 grid is
// n0 x n1 x (n2/2 + 1) complex numbers.
#include <array>
#include <complex>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace lodestone {

// Smallest m >= n whose prime factors are all in {2, 3, 5, 7}: mesh sizes
// the FFT handles at full speed. Throws lodestone::Error when n < 1 or the
// answer would not fit the FFT size limit.
int64_t good_fft_size(int64_t n);

// Largest size accepted along one axis: far above any mesh, and it bounds
// the per-thread workspace of a plan (which grows linearly with the axes) at
// a few tens of MiB, turning absurd requests into errors instead of
// allocation failures.
constexpr int64_t kMaxFftAxis = int64_t(1) << 16;

// A reusable plan for the unnormalised real 3D transform of an
// n0 x n1 x n2 grid. Construction does all the trigonometry and allocates the
// per-thread workspace; execution only streams through the data, in parallel
// over the independent 1D lines of each pass (OpenMP). A plan is meant to be
// built once per grid shape and executed every MD step.
//
// One plan must not be executed from two threads at the same time (it owns
// the workspace); separate plans are independent.
class Fft3dPlan {
public:
    // Throws lodestone::Error unless 1 <= n_i <= kMaxFftAxis and the grid fits
    // in memory addressing.
    Fft3dPlan(int64_t n0, int64_t n1, int64_t n2);
    ~Fft3dPlan();
    Fft3dPlan(Fft3dPlan&&) noexcept;
    Fft3dPlan& operator=(Fft3dPlan&&) noexcept;
    Fft3dPlan(const Fft3dPlan&) = delete;
    Fft3dPlan& operator=(const Fft3dPlan&) = delete;

    size_t n0() const;
    size_t n1() const;
    size_t n2() const;
    // n2 / 2 + 1: length of the last axis of the half spectrum.
    size_t n2_complex() const;
    size_t real_size() const;     // n0 n1 n2
    size_t complex_size() const;  // n0 n1 (n2/2 + 1)

    // real[n0][n1][n2] -> spectrum[n0][n1][n2/2+1]. The arrays must not overlap.
    void forward(const double* real, std::complex<double>* spectrum);

    // spectrum[n0][n1][n2/2+1] -> real[n0][n1][n2], unnormalised. The spectrum
    // is used as workspace and overwritten (as FFTW's c2r does). The input is
    // taken to be the half spectrum of a real grid; where it is not, the
    // k2 = 0 and (even n2) k2 = n2/2 planes contribute only their Hermitian
    // part, so the output is always the real part of the full inverse.
    void inverse(std::complex<double>* spectrum, double* real);

    // Band-limited variants, for spectra that live inside a box of
    // frequencies: band[d] is the largest |signed frequency| m_d kept along
    // axis d (m_d or m_d - n_d, whichever is smaller in size; the last axis
    // holds 0..band[2]). Lines that hold no kept frequency are skipped, and
    //   inverse: only entries inside the band are read (the others count as
    //            zero; the whole spectrum is overwritten as workspace);
    //   forward: only entries inside the band are exact (the others are left
    //            partly transformed).
    // A band covering the whole spectrum gives the plain transforms.
    void forward(const double* real, std::complex<double>* spectrum, const std::array<int64_t, 3>& band);
    void inverse(std::complex<double>* spectrum, double* real, const std::array<int64_t, 3>& band);

    // Band-limited transforms of `count` real grids interleaved point by
    // point (grid q's point p at real[p * count + q]) whose spectra stay
    // inside the plan, for callers that make or use the real grids one plane
    // (fixed index along axis 0) at a time and the spectra one row at a time
    // (B-spline spreading and interpolation, the k-space kernels of the mesh
    // LODE): neither the full real grids nor the full spectra ever exist.
    // - Real planes go in order i0 = 0..n0-1, each n1 n2 count doubles.
    // - Spectra go one kept row m1 at a time (m1 = 0..band[1], then
    //   n1-band[1]..n1-1), as n0 x (band[2] + 1) complex numbers [m0][m2] per
    //   grid, interleaved: grid q's entry (m0, m2) is blocks[q][(m0 (band[2]
    //   + 1) + m2) count] (entries with |signed m0| > band[0] are not used).
    // - rows (optional, n1 entries): the largest m2 that row m1 of the
    //   spectra holds, -1 for none (the row is then neither filled nor
    //   used); the entries past it count as zero (inverse) or are not used
    //   (forward), so a spherical set of frequencies skips the axis-0
    //   transforms of the columns outside it.
    // inverse_columns: fill(m1, blocks) writes row m1 (inside its row band,
    //   when `rows` gives one) into blocks cleared by the plan; then plane
    //   i0 of the real grids is written to target(i0) and done(i0) is called
    //   (target's buffers may be reused once done has returned).
    // forward_columns: fill(i0, plane) adds plane i0 into a buffer of the
    //   plan that holds zeros (the transform clears it as it reads it); then
    //   use(m1, blocks) reads row m1 of the spectra.
    // Both run on the calling thread: parallelise over plans instead.
    using PlaneFill = std::function<void(size_t, double*)>;
    using PlaneTarget = std::function<double*(size_t)>;
    using PlaneDone = std::function<void(size_t)>;
    using ColumnFill = std::function<void(size_t, std::complex<double>* const*)>;
    using ColumnUse = std::function<void(size_t, const std::complex<double>* const*)>;
    using RowBands = std::vector<int64_t>;
    void inverse_columns(size_t count, const std::array<int64_t, 3>& band, const ColumnFill& fill,
                         const PlaneTarget& target, const PlaneDone& done, const RowBands* rows = nullptr);
    void forward_columns(const PlaneFill& fill, size_t count, const std::array<int64_t, 3>& band,
                         const ColumnUse& use, const RowBands* rows = nullptr);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace lodestone
