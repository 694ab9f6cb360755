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

    // `count` grids interleaved point by point (grid q's point p at
    // real[p * count + q]) and their separate spectra, band-limited as
    // above: each plane of the real data is visited once for all of them.
    void forward_interleaved(const double* real, std::complex<double>* const* spectra, size_t count,
                             const std::array<int64_t, 3>& band);
    void inverse_interleaved(std::complex<double>* const* spectra, size_t count, double* real,
                             const std::array<int64_t, 3>& band);

    // The same transforms one plane (fixed index along axis 0) of the real
    // grids at a time, for callers that make or use the grids plane by
    // plane (B-spline spreading and interpolation) so that the full real
    // grids never exist. Planes go in order i0 = 0..n0-1, each n1 n2 count
    // doubles interleaved as above.
    //   forward_planes: fill(i0, plane) writes every point of plane i0 into a
    //     buffer of the plan; the spectra end as forward_interleaved's.
    //   inverse_planes: plane i0 is written to target(i0), then done(i0) is
    //     called (target's buffers may be reused once done has returned).
    // Both run on the calling thread: parallelise over plans instead.
    using PlaneFill = std::function<void(size_t, double*)>;
    using PlaneTarget = std::function<double*(size_t)>;
    using PlaneDone = std::function<void(size_t)>;
    void forward_planes(const PlaneFill& fill, std::complex<double>* const* spectra, size_t count,
                        const std::array<int64_t, 3>& band);
    void inverse_planes(std::complex<double>* const* spectra, size_t count, const std::array<int64_t, 3>& band,
                        const PlaneTarget& target, const PlaneDone& done);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace lodestone
