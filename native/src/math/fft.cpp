// Mixed-radix FFT and the 3D real transform of lodestone/math/fft.hpp.
//
// Design (textbook algorithms, written from the definitions):
// - Every 1D transform runs on a *batch* of kLanes independent lines stored
//   "lane-minor" in split real/imaginary arrays: element j of lane b lives at
//   re[j * kLanes + b]. Each butterfly then becomes a short unit-stride loop
//   over lanes with one twiddle shared by all of them, which compilers
//   vectorise, and strided 3D axes are read kLanes neighbours (whole cache
//   lines) at a time instead of one element per cache line.
// - The 1D algorithm is the Stockham autosort (decimation in frequency): each
//   radix-p stage reads its input naturally ordered and writes its output
//   naturally ordered into a second buffer, so there is no bit-reversal pass
//   and the inner loop of late stages covers s * kLanes contiguous values.
// - Radices 4, 2, 3, 5, 7 have dedicated butterflies; other odd primes up to
//   kMaxDirectRadix use an O(p^2) butterfly exploiting the r <-> p-r symmetry;
//   a size with a larger prime factor is done by Bluestein's chirp-z
//   convolution through a 7-smooth transform of length >= 2n - 1.
// - The inverse transform is conj(FFT(conj(X))), with the conjugations folded
//   into the gather/scatter copies, so one set of twiddles serves both ways.
// - Real data along the last axis is transformed two lines at a time
//   ("two-for-one": z = x1 + i x2, then split using Hermitian symmetry), which
//   halves the work for any n2, odd or even.
#include "math/fft.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "lodestone/core/error.hpp"
#include "core/simd.hpp"

namespace lodestone {
namespace {

// 16 lanes: two 64-byte cache lines of real parts per element, two AVX-512
// or four AVX2 vectors, so even the first stage of a short line (stride
// kLanes) loops over more than one vector per twiddle.
constexpr size_t kLanes = 16;
// Smaller grids run on the calling thread alone.
constexpr size_t kParallelMinPoints = size_t(1) << 14;
// Batches gathered together by the complex passes (see complex_block).
constexpr size_t kWide = 2;
// Above this, a prime factor's O(p^2) butterfly costs more than Bluestein.
constexpr size_t kMaxDirectRadix = 61;
constexpr double kTwoPi = 6.283185307179586476925286766559;

bool is_smooth7(uint64_t m) {
    for (uint64_t p : {2u, 3u, 5u, 7u})
        while (m % p == 0) m /= p;
    return m == 1;
}

uint64_t next_smooth7(uint64_t n) {
    uint64_t m = std::max<uint64_t>(n, 1);
    while (!is_smooth7(m)) ++m;
    return m;
}

// exp(-2 pi i num / den), with num reduced first so large products keep full
// precision in the angle.
inline std::pair<double, double> unit_root(uint64_t num, uint64_t den) {
    const double angle = -kTwoPi * static_cast<double>(num % den) / static_cast<double>(den);
    return {std::cos(angle), std::sin(angle)};
}

// ---------------------------------------------------------------------------
// Stage kernels. x: input stage (length n_cur = p * m, stride S = s * kLanes
// doubles between consecutive indices), y: output. For j < m, k < p:
//   y[p j + k] = w_{n_cur}^{j k} * sum_r x[j + r m] w_p^{r k}
// Twiddles tw[j (p-1) + k - 1] = w_{n_cur}^{j k}.

struct StageArgs {
    const double* __restrict xr;
    const double* __restrict xi;
    double* __restrict yr;
    double* __restrict yi;
    size_t m, S;
    const double* twr;
    const double* twi;
};

LODESTONE_MULTIVERSION
void stage_radix2(const StageArgs& a) {
    const size_t m = a.m, S = a.S;
    for (size_t j = 0; j < m; ++j) {
        const double wr = a.twr[j], wi = a.twi[j];
        const double* __restrict x0r = a.xr + j * S;
        const double* __restrict x0i = a.xi + j * S;
        const double* __restrict x1r = a.xr + (j + m) * S;
        const double* __restrict x1i = a.xi + (j + m) * S;
        double* __restrict y0r = a.yr + 2 * j * S;
        double* __restrict y0i = a.yi + 2 * j * S;
        double* __restrict y1r = y0r + S;
        double* __restrict y1i = y0i + S;
        // Lanes and columns are independent: let the compiler vectorise.
#pragma omp simd
        for (size_t t = 0; t < S; ++t) {
            const double dr = x0r[t] - x1r[t], di = x0i[t] - x1i[t];
            y0r[t] = x0r[t] + x1r[t];
            y0i[t] = x0i[t] + x1i[t];
            y1r[t] = dr * wr - di * wi;
            y1i[t] = dr * wi + di * wr;
        }
    }
}

LODESTONE_MULTIVERSION
void stage_radix4(const StageArgs& a) {
    const size_t m = a.m, S = a.S;
    for (size_t j = 0; j < m; ++j) {
        const double w1r = a.twr[3 * j], w1i = a.twi[3 * j];
        const double w2r = a.twr[3 * j + 1], w2i = a.twi[3 * j + 1];
        const double w3r = a.twr[3 * j + 2], w3i = a.twi[3 * j + 2];
        const double* __restrict x0r = a.xr + j * S;
        const double* __restrict x0i = a.xi + j * S;
        const double* __restrict x1r = x0r + m * S;
        const double* __restrict x1i = x0i + m * S;
        const double* __restrict x2r = x1r + m * S;
        const double* __restrict x2i = x1i + m * S;
        const double* __restrict x3r = x2r + m * S;
        const double* __restrict x3i = x2i + m * S;
        double* __restrict y0r = a.yr + 4 * j * S;
        double* __restrict y0i = a.yi + 4 * j * S;
        double* __restrict y1r = y0r + S;
        double* __restrict y1i = y0i + S;
        double* __restrict y2r = y1r + S;
        double* __restrict y2i = y1i + S;
        double* __restrict y3r = y2r + S;
        double* __restrict y3i = y2i + S;
        // Lanes and columns are independent: let the compiler vectorise.
#pragma omp simd
        for (size_t t = 0; t < S; ++t) {
            const double t0r = x0r[t] + x2r[t], t0i = x0i[t] + x2i[t];
            const double t1r = x0r[t] - x2r[t], t1i = x0i[t] - x2i[t];
            const double t2r = x1r[t] + x3r[t], t2i = x1i[t] + x3i[t];
            const double t3r = x1r[t] - x3r[t], t3i = x1i[t] - x3i[t];
            // w_4 = -i: c1 = t1 - i t3, c3 = t1 + i t3.
            const double c1r = t1r + t3i, c1i = t1i - t3r;
            const double c2r = t0r - t2r, c2i = t0i - t2i;
            const double c3r = t1r - t3i, c3i = t1i + t3r;
            y0r[t] = t0r + t2r;
            y0i[t] = t0i + t2i;
            y1r[t] = c1r * w1r - c1i * w1i;
            y1i[t] = c1r * w1i + c1i * w1r;
            y2r[t] = c2r * w2r - c2i * w2i;
            y2i[t] = c2r * w2i + c2i * w2r;
            y3r[t] = c3r * w3r - c3i * w3i;
            y3i[t] = c3r * w3i + c3i * w3r;
        }
    }
}

// Odd radix P. With t_r = x_r + x_{P-r} and d_r = x_r - x_{P-r} (r = 1..H),
//   c_k     = x_0 + sum_r t_r cos(2 pi r k / P) - i sum_r d_r sin(2 pi r k / P)
//   c_{P-k} = same with + i
// which halves the multiplications of the plain DFT. cs/sn hold
// cos/sin(2 pi q / P) for q < P.
// Always inlined: compiled inside each multiversioned stage_radixP clone
// (a shared out-of-line copy would be baseline code for every CPU).
template <int P>
__attribute__((always_inline)) inline void stage_odd_fixed(const StageArgs& a, const double* cs, const double* sn) {
    constexpr int H = (P - 1) / 2;
    const size_t m = a.m, S = a.S;
    double C[H + 1][H + 1], Sn[H + 1][H + 1];
    for (int k = 1; k <= H; ++k)
        for (int r = 1; r <= H; ++r) {
            C[k][r] = cs[(r * k) % P];
            Sn[k][r] = sn[(r * k) % P];
        }
    for (size_t j = 0; j < m; ++j) {
        double wr[P], wi[P];
        for (int k = 1; k < P; ++k) {
            wr[k] = a.twr[j * (P - 1) + k - 1];
            wi[k] = a.twi[j * (P - 1) + k - 1];
        }
        const double* __restrict xr = a.xr + j * S;
        const double* __restrict xi = a.xi + j * S;
        double* __restrict yr = a.yr + P * j * S;
        double* __restrict yi = a.yi + P * j * S;
        const size_t mS = m * S;
        // Lanes and columns are independent: let the compiler vectorise.
#pragma omp simd
        for (size_t t = 0; t < S; ++t) {
            double tr[H + 1], ti[H + 1], dr[H + 1], di[H + 1];
            const double x0r = xr[t], x0i = xi[t];
            double s0r = x0r, s0i = x0i;
            for (int r = 1; r <= H; ++r) {
                const double ar = xr[t + r * mS], ai = xi[t + r * mS];
                const double br = xr[t + (P - r) * mS], bi = xi[t + (P - r) * mS];
                tr[r] = ar + br;
                ti[r] = ai + bi;
                dr[r] = ar - br;
                di[r] = ai - bi;
                s0r += tr[r];
                s0i += ti[r];
            }
            yr[t] = s0r;
            yi[t] = s0i;
            for (int k = 1; k <= H; ++k) {
                double Ar = x0r, Ai = x0i, Br = 0.0, Bi = 0.0;
                for (int r = 1; r <= H; ++r) {
                    Ar += tr[r] * C[k][r];
                    Ai += ti[r] * C[k][r];
                    Br += dr[r] * Sn[k][r];
                    Bi += di[r] * Sn[k][r];
                }
                const double ckr = Ar + Bi, cki = Ai - Br;  // A - iB
                const double cmr = Ar - Bi, cmi = Ai + Br;  // A + iB
                yr[t + k * S] = ckr * wr[k] - cki * wi[k];
                yi[t + k * S] = ckr * wi[k] + cki * wr[k];
                yr[t + (P - k) * S] = cmr * wr[P - k] - cmi * wi[P - k];
                yi[t + (P - k) * S] = cmr * wi[P - k] + cmi * wr[P - k];
            }
        }
    }
}

LODESTONE_MULTIVERSION
void stage_radix3(const StageArgs& a, const double* cs, const double* sn) { stage_odd_fixed<3>(a, cs, sn); }
LODESTONE_MULTIVERSION
void stage_radix5(const StageArgs& a, const double* cs, const double* sn) { stage_odd_fixed<5>(a, cs, sn); }
LODESTONE_MULTIVERSION
void stage_radix7(const StageArgs& a, const double* cs, const double* sn) { stage_odd_fixed<7>(a, cs, sn); }

// Same algorithm for a run-time odd prime p <= kMaxDirectRadix; the lane
// loop is innermost so the work still vectorises across lanes.
void stage_odd_generic(const StageArgs& a, size_t p, const double* cs, const double* sn) {
    const size_t H = (p - 1) / 2, m = a.m, S = a.S, mS = m * S;
    double tr[kMaxDirectRadix], ti[kMaxDirectRadix], dr[kMaxDirectRadix], di[kMaxDirectRadix];
    for (size_t j = 0; j < m; ++j) {
        const double* wr = a.twr + j * (p - 1) - 1;  // wr[k], k >= 1
        const double* wi = a.twi + j * (p - 1) - 1;
        const double* xr = a.xr + j * S;
        const double* xi = a.xi + j * S;
        double* yr = a.yr + p * j * S;
        double* yi = a.yi + p * j * S;
        for (size_t t = 0; t < S; ++t) {
            const double x0r = xr[t], x0i = xi[t];
            double s0r = x0r, s0i = x0i;
            for (size_t r = 1; r <= H; ++r) {
                const double ar = xr[t + r * mS], ai = xi[t + r * mS];
                const double br = xr[t + (p - r) * mS], bi = xi[t + (p - r) * mS];
                tr[r] = ar + br;
                ti[r] = ai + bi;
                dr[r] = ar - br;
                di[r] = ai - bi;
                s0r += tr[r];
                s0i += ti[r];
            }
            yr[t] = s0r;
            yi[t] = s0i;
            for (size_t k = 1; k <= H; ++k) {
                double Ar = x0r, Ai = x0i, Br = 0.0, Bi = 0.0;
                size_t q = k;  // r k mod p, updated incrementally
                for (size_t r = 1; r <= H; ++r) {
                    Ar += tr[r] * cs[q];
                    Ai += ti[r] * cs[q];
                    Br += dr[r] * sn[q];
                    Bi += di[r] * sn[q];
                    q += k;
                    if (q >= p) q -= p;
                }
                const double ckr = Ar + Bi, cki = Ai - Br;
                const double cmr = Ar - Bi, cmi = Ai + Br;
                yr[t + k * S] = ckr * wr[k] - cki * wi[k];
                yi[t + k * S] = ckr * wi[k] + cki * wr[k];
                yr[t + (p - k) * S] = cmr * wr[p - k] - cmi * wi[p - k];
                yi[t + (p - k) * S] = cmr * wi[p - k] + cmi * wr[p - k];
            }
        }
    }
}

// ---------------------------------------------------------------------------
// A batched complex FFT of one length on kLanes lanes.

class BatchFft {
public:
    explicit BatchFft(size_t n) : n_(n) {
        std::vector<size_t> factors = factorize(n);
        const bool direct = factors.empty() || factors.back() <= kMaxDirectRadix;
        if (direct) {
            build_stages(factors);
        } else {
            build_bluestein();
        }
    }

    size_t size() const { return n_; }
    // Doubles of workspace that run() needs besides the 2 n kLanes data arrays.
    size_t work_size() const { return bluestein_ ? 4 * M_ * kLanes : 2 * n_ * kLanes; }

    // Forward transform of the lanes in (re, im), each n * kLanes doubles.
    // Returns where the result is: (re, im) or inside `work`.
    std::pair<double*, double*> run(double* re, double* im, double* work) const { return run_inlined(re, im, work); }
    // The same, always compiled into the caller: the multiversioned passes
    // below then run the Bluestein loops in their own instruction set (with
    // its FMA contractions, hence its rounding), however much of its budget
    // the inliner has spent on the rest of this file. (run itself stays out
    // of line: the Bluestein path calls it for its inner transform.)
    __attribute__((always_inline)) std::pair<double*, double*> run_inlined(double* re, double* im, double* work) const {
        if (bluestein_) return run_bluestein(re, im, work);
        return run_stockham(re, im, work);
    }

private:
    struct Stage {
        size_t p, m, S;
        size_t tw;     // offset in twr_/twi_
        size_t roots;  // offset in cs_/sn_ (odd radices)
    };

    static std::vector<size_t> factorize(size_t n) {
        std::vector<size_t> f;
        // Radix 4 first: fewest passes over memory for powers of two.
        while (n % 4 == 0) {
            f.push_back(4);
            n /= 4;
        }
        if (n % 2 == 0) {
            f.push_back(2);
            n /= 2;
        }
        for (size_t p = 3; p * p <= n; p += 2)
            while (n % p == 0) {
                f.push_back(p);
                n /= p;
            }
        if (n > 1) f.push_back(n);
        // Keep the 4s and the 2 first (trial division already sorts the
        // odd primes ascending), so the largest prime is last.
        return f;
    }

    void build_stages(const std::vector<size_t>& factors) {
        size_t n_cur = n_, s = 1;
        for (size_t p : factors) {
            Stage st{};
            st.p = p;
            st.m = n_cur / p;
            st.S = s * kLanes;
            st.tw = twr_.size();
            for (size_t j = 0; j < st.m; ++j)
                for (size_t k = 1; k < p; ++k) {
                    auto w = unit_root(static_cast<uint64_t>(j) * k, n_cur);
                    twr_.push_back(w.first);
                    twi_.push_back(w.second);
                }
            st.roots = cs_.size();
            if (p % 2 == 1) {
                for (size_t q = 0; q < p; ++q) {
                    // cos/sin(+2 pi q / p): the butterfly applies the sign.
                    cs_.push_back(std::cos(kTwoPi * static_cast<double>(q) / static_cast<double>(p)));
                    sn_.push_back(std::sin(kTwoPi * static_cast<double>(q) / static_cast<double>(p)));
                }
            }
            stages_.push_back(st);
            n_cur = st.m;
            s *= p;
        }
    }

    __attribute__((always_inline)) std::pair<double*, double*> run_stockham(double* re, double* im,
                                                                            double* work) const {
        double *xr = re, *xi = im, *yr = work, *yi = work + n_ * kLanes;
        for (const Stage& st : stages_) {
            const StageArgs a{xr, xi, yr, yi, st.m, st.S, twr_.data() + st.tw, twi_.data() + st.tw};
            const double* cs = cs_.data() + st.roots;
            const double* sn = sn_.data() + st.roots;
            switch (st.p) {
                case 2: stage_radix2(a); break;
                case 3: stage_radix3(a, cs, sn); break;
                case 4: stage_radix4(a); break;
                case 5: stage_radix5(a, cs, sn); break;
                case 7: stage_radix7(a, cs, sn); break;
                default: stage_odd_generic(a, st.p, cs, sn); break;
            }
            std::swap(xr, yr);
            std::swap(xi, yi);
        }
        return {xr, xi};
    }

    // Bluestein: j k = (j^2 + k^2 - (k - j)^2) / 2 turns the DFT into a
    // circular convolution with the chirp c_j = exp(-i pi j^2 / n), of any
    // length M >= 2n - 1; M is chosen 7-smooth so it runs at full speed.
    void build_bluestein() {
        bluestein_ = true;
        M_ = next_smooth7(2 * n_ - 1);
        inner_ = std::make_unique<BatchFft>(M_);
        chr_.resize(n_);
        chi_.resize(n_);
        for (size_t j = 0; j < n_; ++j) {
            // j^2 mod 2n keeps the phase exact for large j.
            const uint64_t q = (static_cast<uint64_t>(j) * j) % (2 * static_cast<uint64_t>(n_));
            auto w = unit_root(q, 2 * static_cast<uint64_t>(n_));
            chr_[j] = w.first;
            chi_[j] = w.second;
        }
        // Filter b_j = conj(c_j) for |j| < n (wrapped), transformed once and
        // scaled by 1/M so the inverse transform needs no normalisation.
        std::vector<double> buf(2 * M_ * kLanes, 0.0), work(inner_->work_size());
        double* br = buf.data();
        double* bi = buf.data() + M_ * kLanes;
        for (size_t j = 0; j < n_; ++j) {
            br[j * kLanes] = chr_[j];
            bi[j * kLanes] = -chi_[j];
            if (j > 0) {
                br[(M_ - j) * kLanes] = chr_[j];
                bi[(M_ - j) * kLanes] = -chi_[j];
            }
        }
        auto res = inner_->run(br, bi, work.data());
        fr_.resize(M_);
        fi_.resize(M_);
        for (size_t k = 0; k < M_; ++k) {
            fr_[k] = res.first[k * kLanes] / static_cast<double>(M_);
            fi_[k] = res.second[k * kLanes] / static_cast<double>(M_);
        }
    }

    __attribute__((always_inline)) std::pair<double*, double*> run_bluestein(double* re, double* im,
                                                                             double* work) const {
        const size_t ML = M_ * kLanes;
        double* ar = work;
        double* ai = work + ML;
        for (size_t j = 0; j < n_; ++j) {
            const double cr = chr_[j], ci = chi_[j];
            for (size_t b = 0; b < kLanes; ++b) {
                const double xr = re[j * kLanes + b], xi = im[j * kLanes + b];
                ar[j * kLanes + b] = xr * cr - xi * ci;
                ai[j * kLanes + b] = xr * ci + xi * cr;
            }
        }
        std::fill(ar + n_ * kLanes, ar + ML, 0.0);
        std::fill(ai + n_ * kLanes, ai + ML, 0.0);
        auto A = inner_->run(ar, ai, work + 2 * ML);
        // Pointwise product with the filter, conjugated so a second forward
        // transform acts as the inverse.
        for (size_t k = 0; k < M_; ++k) {
            const double fr = fr_[k], fi = fi_[k];
            for (size_t b = 0; b < kLanes; ++b) {
                const double xr = A.first[k * kLanes + b], xi = A.second[k * kLanes + b];
                A.first[k * kLanes + b] = xr * fr - xi * fi;
                A.second[k * kLanes + b] = -(xr * fi + xi * fr);
            }
        }
        double* other = A.first == work ? work + 2 * ML : work;
        auto Q = inner_->run(A.first, A.second, other);
        for (size_t k = 0; k < n_; ++k) {
            const double cr = chr_[k], ci = chi_[k];
            for (size_t b = 0; b < kLanes; ++b) {
                const double qr = Q.first[k * kLanes + b], qi = -Q.second[k * kLanes + b];
                re[k * kLanes + b] = qr * cr - qi * ci;
                im[k * kLanes + b] = qr * ci + qi * cr;
            }
        }
        return {re, im};
    }

    size_t n_;
    std::vector<Stage> stages_;
    std::vector<double> twr_, twi_, cs_, sn_;
    bool bluestein_ = false;
    size_t M_ = 0;
    std::unique_ptr<BatchFft> inner_;
    std::vector<double> chr_, chi_, fr_, fi_;
};

size_t checked_axis(int64_t n, const char* name) {
    if (n < 1 || n > kMaxFftAxis) {
        throw Error(std::string("FFT: grid size ") + name + " = " + std::to_string(n) + " is out of range [1, " +
                    std::to_string(kMaxFftAxis) + "]");
    }
    return static_cast<size_t>(n);
}

}  // namespace

int64_t good_fft_size(int64_t n) {
    if (n < 1 || n > kMaxFftAxis) {
        throw Error("good_fft_size: n = " + std::to_string(n) + " is out of range [1, " + std::to_string(kMaxFftAxis) +
                    "]");
    }
    // kMaxFftAxis is a power of two, so the answer never exceeds it.
    return static_cast<int64_t>(next_smooth7(static_cast<uint64_t>(n)));
}

// ---------------------------------------------------------------------------

struct Fft3dPlan::Impl {
    size_t n0, n1, n2, h;
    BatchFft f0, f1, f2;
    size_t scratch_size;
    std::vector<std::vector<double>> scratch;  // one per OpenMP thread

    Impl(size_t a, size_t b, size_t c) : n0(a), n1(b), n2(c), h(c / 2 + 1), f0(a), f1(b), f2(c) {
        scratch_size = 0;
        for (const BatchFft* f : {&f0, &f1, &f2})
            scratch_size = std::max(scratch_size, 2 * kWide * f->size() * kLanes + f->work_size());
        ensure_threads();
    }

    // Thread count can change between calls (setNumThreads); grow the
    // workspace here, outside the parallel regions, never inside them.
    int ensure_threads() {
        const int threads = std::max(1, omp_get_max_threads());
        while (scratch.size() < static_cast<size_t>(threads)) scratch.emplace_back(scratch_size);
        return threads;
    }

    // Lines of complex numbers `stride` complex numbers apart, starting at
    // consecutive complex numbers of `data`.
    struct ConstLines {
        const double* data;
        size_t stride;
    };
    struct Lines {
        double* data;
        size_t stride;
    };
    // One axis of a transform: its 1D transform, the largest |signed
    // frequency| along it that matters (`band`) and the direction.
    struct AxisPass {
        const BatchFft& f;
        size_t band;
        bool inverse;
    };

    // In-place complex transform (inverse: conjugated on the way in and out)
    // of `count` <= kWide kLanes lines of length f.size().
    // All kWide batches are gathered together so that each row is read as
    // one run of up to kWide kLanes complex numbers (512 bytes): on strided axes
    // the hardware prefetcher then streams instead of stalling on every row.
    // The scatter of each batch follows its transform and finds the rows
    // still in cache from the gather. An inverse does not read the (zero)
    // rows beyond the band, a forward does not write them.
    static void complex_block(Lines lines, const AxisPass& pass, size_t count, double* buf) {
        complex_block(ConstLines{lines.data, lines.stride}, lines, pass, count, buf);
    }
    // The same from lines `from` to lines `to`; with `consume`, `from` is
    // left zero where it was read (a scratch buffer then needs no clearing
    // pass before its next use).
    LODESTONE_MULTIVERSION static void complex_block(ConstLines from, Lines to, const AxisPass& pass, size_t count,
                                                     double* buf, bool consume = false) {
        const double* src = from.data;
        double* dst = to.data;
        const size_t src_stride = from.stride, dst_stride = to.stride;
        const BatchFft& f = pass.f;
        const size_t band = pass.band;
        const bool inverse = pass.inverse;
        const size_t n = f.size(), NL = n * kLanes;
        const size_t batches = (count + kLanes - 1) / kLanes;
        const double sign = inverse ? -1.0 : 1.0;
        double* work = buf + 2 * kWide * NL;
        auto in_band = [&](size_t j) { return j <= band || n - j <= band; };
        for (size_t j = 0; j < n; ++j) {
            const double* row = src + 2 * j * src_stride;
            if (inverse && !in_band(j)) {
                if (consume) std::fill_n(const_cast<double*>(row), 2 * count, 0.0);
                for (size_t g = 0; g < batches; ++g) {
                    std::fill_n(buf + 2 * g * NL + j * kLanes, kLanes, 0.0);
                    std::fill_n(buf + 2 * g * NL + NL + j * kLanes, kLanes, 0.0);
                }
                continue;
            }
            for (size_t g = 0; g < batches; ++g) {
                double* r = buf + 2 * g * NL + j * kLanes;
                double* i = r + NL;
                const size_t lanes = std::min(kLanes, count - g * kLanes);
                const double* src = row + 2 * g * kLanes;
                for (size_t b = 0; b < lanes; ++b) {
                    r[b] = src[2 * b];
                    i[b] = sign * src[2 * b + 1];
                }
                for (size_t b = lanes; b < kLanes; ++b) r[b] = i[b] = 0.0;
                if (consume) std::fill_n(const_cast<double*>(src), 2 * lanes, 0.0);
            }
        }
        for (size_t g = 0; g < batches; ++g) {
            auto res = f.run_inlined(buf + 2 * g * NL, buf + 2 * g * NL + NL, work);
            const size_t lanes = std::min(kLanes, count - g * kLanes);
            for (size_t j = 0; j < n; ++j) {
                if (!inverse && !in_band(j)) continue;
                double* out = dst + 2 * j * dst_stride + 2 * g * kLanes;
                const double* r = res.first + j * kLanes;
                const double* i = res.second + j * kLanes;
                for (size_t b = 0; b < lanes; ++b) {
                    out[2 * b] = r[b];
                    out[2 * b + 1] = sign * i[b];
                }
            }
        }
    }

    // Real grids interleaved point by point: grid q's point p at
    // data[p * stride + q].
    struct ConstGrids {
        const double* data;
        size_t stride;
    };
    struct Grids {
        double* data;
        size_t stride;
    };
    // Half spectra of several grids: entry k of line l of grid q is at
    // lines[q] + 2 (l row + k step) (lines `row` complex numbers apart,
    // entries `step` apart: step > 1 interleaves the grids).
    struct HalfSpectra {
        double* const* lines;
        size_t row;
        size_t step = 1;
    };

    // The last axis of the first `G` interleaved grids: lane p G + q carries
    // two lines of grid q ("two-for-one", z = x1 + i x2), so a block covers
    // 2 kLanes / G lines starting at `first` (lines past `end` are padding),
    // and with G > 1 the grids of one point move as one contiguous run of G
    // values.
    // consume: leave the lines read zero (forward_columns' plane buffer).
    template <size_t G>
    LODESTONE_MULTIVERSION void r2c_lines(ConstGrids from, HalfSpectra to, size_t first, size_t end, size_t h_band,
                                          double* buf, bool consume) const {
        static_assert(kLanes % G == 0, "grids per lane group must divide the lanes");
        const double* real = from.data;
        const size_t stride = from.stride;
        double* const* specs = to.lines;
        const size_t row = to.row, step = to.step;
        constexpr size_t P = kLanes / G;
        const size_t n = n2;
        double* re = buf;
        double* im = buf + n * kLanes;
        for (size_t p = 0; p < P; ++p) {
            for (size_t part = 0; part < 2; ++part) {
                const size_t line = first + 2 * p + part;
                double* dst = (part == 0 ? re : im) + p * G;
                if (line >= end) {
                    for (size_t j = 0; j < n; ++j)
                        for (size_t q = 0; q < G; ++q) dst[j * kLanes + q] = 0.0;
                    continue;
                }
                const double* src = real + line * n * stride;
                for (size_t j = 0; j < n; ++j)
                    for (size_t q = 0; q < G; ++q) dst[j * kLanes + q] = src[j * stride + q];
                if (consume)
                    for (size_t j = 0; j < n; ++j) std::fill_n(const_cast<double*>(src) + j * stride, G, 0.0);
            }
        }
        auto res = f2.run_inlined(re, im, buf + 2 * n * kLanes);
        const double* zr = res.first;
        const double* zi = res.second;
        // X1, X2 Hermitian and Z = X1 + i X2 give
        //   X1[k] = (Z[k] + conj Z[n-k]) / 2,  X2[k] = (Z[k] - conj Z[n-k]) / 2i
        for (size_t p = 0; p < P; ++p) {
            const size_t l0 = first + 2 * p, l1 = l0 + 1;
            if (l0 >= end) break;
            for (size_t q = 0; q < G; ++q) {
                const size_t b = p * G + q;
                double* d0 = specs[q] + 2 * l0 * row;
                double* d1 = l1 < end ? specs[q] + 2 * l1 * row : nullptr;
                for (size_t k = 0; k < h_band; ++k) {
                    const size_t nk = k == 0 ? 0 : n - k;
                    const double ar = zr[k * kLanes + b], ai = zi[k * kLanes + b];
                    const double cr = zr[nk * kLanes + b], ci = zi[nk * kLanes + b];
                    d0[2 * k * step] = 0.5 * (ar + cr);
                    d0[2 * k * step + 1] = 0.5 * (ai - ci);
                    if (d1) {
                        d1[2 * k * step] = 0.5 * (ai + ci);
                        d1[2 * k * step + 1] = 0.5 * (cr - ar);
                    }
                }
            }
        }
    }

    // Half spectra of lines [first, first + 2 kLanes / G) of G grids -> real
    // lines: Z = X1 + i X2 is rebuilt over the full length from Hermitian
    // symmetry, then one inverse complex transform gives x1 = Re z, x2 = Im z.
    // Entries k >= h_band of the half spectra count as zero (not read).
    template <size_t G>
    LODESTONE_MULTIVERSION void c2r_lines(HalfSpectra from, Grids to, size_t first, size_t end, size_t h_band,
                                          double* buf) const {
        static_assert(kLanes % G == 0, "grids per lane group must divide the lanes");
        double* const* specs = from.lines;
        const size_t row = from.row, step = from.step;
        double* real = to.data;
        const size_t stride = to.stride;
        constexpr size_t P = kLanes / G;
        const size_t n = n2;
        const bool even = n % 2 == 0;
        double* re = buf;
        double* im = buf + n * kLanes;
        const size_t kmax = std::min(h, h_band);
        // The loop below writes entries [0, kmax) and, by symmetry, [upper, n)
        // of every line; only the band's gap between them needs clearing.
        const size_t upper = n - std::min(kmax - 1, n - h);
        std::fill(re + kmax * kLanes, re + upper * kLanes, 0.0);
        std::fill(im + kmax * kLanes, im + upper * kLanes, 0.0);
        for (size_t p = 0; p < P; ++p) {
            const size_t l0 = first + 2 * p, l1 = l0 + 1;
            if (l0 >= end) {
                // padding lanes: zero (their output is dropped)
                for (size_t k = 0; k < n; ++k)
                    for (size_t q = 0; q < G; ++q) re[k * kLanes + p * G + q] = im[k * kLanes + p * G + q] = 0.0;
                continue;
            }
            for (size_t q = 0; q < G; ++q) {
                const size_t b = p * G + q;
                const double* s0 = specs[q] + 2 * l0 * row;
                const double* s1 = l1 < end ? specs[q] + 2 * l1 * row : nullptr;
                // Stored conjugated: forward-transforming conj(Z) yields the
                // conjugate of the inverse transform of Z. X[n-k] = conj X[k]
                // fills the upper half (k = 1..n-h, never self-conjugate).
                for (size_t k = 0; k < kmax; ++k) {
                    const double x = s0[2 * k * step], y = s0[2 * k * step + 1];
                    const double u = s1 ? s1[2 * k * step] : 0.0, v = s1 ? s1[2 * k * step + 1] : 0.0;
                    if (k == 0 || (even && 2 * k == n)) {
                        re[k * kLanes + b] = x;
                        im[k * kLanes + b] = -u;
                        continue;
                    }
                    re[k * kLanes + b] = x - v;
                    im[k * kLanes + b] = -(y + u);
                    if (k <= n - h) {
                        re[(n - k) * kLanes + b] = x + v;
                        im[(n - k) * kLanes + b] = y - u;
                    }
                }
            }
        }
        auto res = f2.run_inlined(re, im, buf + 2 * n * kLanes);
        for (size_t p = 0; p < P; ++p) {
            const size_t l0 = first + 2 * p, l1 = l0 + 1;
            if (l0 >= end) break;
            const double* zr = res.first + p * G;
            const double* zi = res.second + p * G;
            double* d0 = real + l0 * n * stride;
            for (size_t j = 0; j < n; ++j)
                for (size_t q = 0; q < G; ++q) d0[j * stride + q] = zr[j * kLanes + q];
            if (l1 < end) {
                double* d1 = real + l1 * n * stride;
                for (size_t j = 0; j < n; ++j)
                    for (size_t q = 0; q < G; ++q) d1[j * stride + q] = -zi[j * kLanes + q];
            }
        }
    }

    // Lines [first, end) of all the interleaved grids (as many as their
    // stride) along the last axis, in groups of G grids whose points are
    // contiguous (G = 8, 4, 2 or 1, the largest dividing the count).
    template <class F>
    static void with_group(size_t count, F&& f) {
        if (count % 8 == 0) return f(std::integral_constant<size_t, 8>{});
        if (count % 4 == 0) return f(std::integral_constant<size_t, 4>{});
        if (count % 2 == 0) return f(std::integral_constant<size_t, 2>{});
        f(std::integral_constant<size_t, 1>{});
    }
    void r2c_span(ConstGrids from, HalfSpectra to, size_t first, size_t end, size_t h_band, double* buf,
                  bool consume = false) const {
        const size_t count = from.stride;
        with_group(count, [&](auto group) {
            constexpr size_t G = decltype(group)::value;
            for (size_t g0 = 0; g0 < count; g0 += G)
                for (size_t l = first; l < end; l += 2 * kLanes / G)
                    r2c_lines<G>({from.data + g0, count}, {to.lines + g0, to.row, to.step}, l, end, h_band, buf, consume);
        });
    }
    void c2r_span(HalfSpectra from, Grids to, size_t first, size_t end, size_t h_band, double* buf) const {
        const size_t count = to.stride;
        with_group(count, [&](auto group) {
            constexpr size_t G = decltype(group)::value;
            for (size_t g0 = 0; g0 < count; g0 += G)
                for (size_t l = first; l < end; l += 2 * kLanes / G)
                    c2r_lines<G>({from.lines + g0, from.row, from.step}, {to.data + g0, count}, l, end, h_band, buf);
        });
    }

    // The parts of the spectrum a band keeps (see Fft3dPlan::inverse): the
    // first h_band entries of the rows m1 = 0..b1 and n1-b1..n1-1 of every
    // plane (all of it when `full`), which the axis-0 pass transforms in
    // runs of `run` complex numbers.
    struct Band {
        size_t h_band = 0, b0 = 0, b1 = 0, rows = 0;
        bool full = false;
        size_t run = 0, runs = 0, per_run = 0;
        long axis0_blocks = 0;
        // r-th kept row of a plane
        size_t row_index(size_t r, size_t n1) const { return rows == n1 || r <= b1 ? r : n1 - (rows - r); }
    };
    void check_rows(const Fft3dPlan::RowBands* rows) const {
        if (rows && rows->size() != n1)
            throw Error("FFT: expected one row band per row of axis 1 (" + std::to_string(n1) + "), got " +
                        std::to_string(rows->size()));
    }
    Band band_of(const std::array<int64_t, 3>& band) const {
        constexpr size_t wide = kWide * kLanes;
        Band g;
        g.h_band = std::min(h, static_cast<size_t>(std::max<int64_t>(band[2], 0)) + 1);
        g.b0 = static_cast<size_t>(std::max<int64_t>(band[0], 0));
        g.b1 = static_cast<size_t>(std::max<int64_t>(band[1], 0));
        g.rows = 2 * g.b1 + 1 >= n1 ? n1 : 2 * g.b1 + 1;
        // Without a band the plane is one run of columns (as few blocks as possible).
        g.full = g.rows == n1 && g.h_band == h;
        g.run = g.full ? n1 * h : g.h_band;
        g.runs = g.full ? 1 : g.rows;
        g.per_run = (g.run + wide - 1) / wide;
        g.axis0_blocks = n0 > 1 ? static_cast<long>(g.runs * g.per_run) : 0;
        return g;
    }
    // Block `blk` (< axis0_blocks) of the axis-0 pass of one spectrum.
    void axis0_block(double* spec, const Band& g, long blk, bool inverse, double* buf) const {
        constexpr size_t wide = kWide * kLanes;
        const size_t first = g.full ? 0 : g.row_index(static_cast<size_t>(blk) / g.per_run, n1) * h;
        const size_t c0 = (static_cast<size_t>(blk) % g.per_run) * wide;
        complex_block({spec + 2 * (first + c0), n1 * h}, {f0, g.b0, inverse}, std::min(wide, g.run - c0), buf);
    }

    // One axis of the first `count` of a set of lines, from `from` to `to`
    // (may be the same; `consume`: see complex_block).
    void kept_columns(const AxisPass& pass, ConstLines from, Lines to, size_t count, double* buf,
                      bool consume = false) const {
        for (size_t c0 = 0; c0 < count; c0 += kWide * kLanes)
            complex_block({from.data + 2 * c0, from.stride}, {to.data + 2 * c0, to.stride}, pass,
                          std::min(kWide * kLanes, count - c0), buf, consume);
    }

    // Plane-by-plane transforms with the spectra inside the plan
    // (Fft3dPlan::forward_columns / inverse_columns). box_ holds the first
    // h_band entries of every line of `count` spectra, interleaved,
    // [m0][m1][h_band][q] (rows outside the band unused); each plane's last
    // two axes go through a plane buffer (plane_spec_, [m1][h_band][q]), and
    // axis 0 one kept row m1 at a time through the caller's column blocks
    // (columns_, [m0][h_band][q]), so neither the real grids nor the full
    // spectra pass through memory. Interleaving the grids makes the columns
    // (m2, q) of a row one run of lines: the axis passes fill whole lane
    // batches, and a row whose spectra end at m2 = b skips the axis-0
    // transforms of the columns past b.
    std::vector<double> plane_real_, plane_spec_, box_, columns_;
    struct Views {
        std::vector<double*> plane, columns;
    };
    Views views(size_t count, const Band& g) {
        const size_t hb = g.h_band;
        plane_spec_.resize(2 * count * n1 * hb);
        box_.resize(2 * count * n0 * n1 * hb);
        columns_.resize(2 * count * n0 * hb);
        Views v;
        for (size_t q = 0; q < count; ++q) {
            v.plane.push_back(plane_spec_.data() + 2 * q);
            v.columns.push_back(columns_.data() + 2 * q);
        }
        return v;
    }
    // Columns of row m1 that hold kept entries, times count (lines of the axis-0 pass).
    static size_t row_lines(const Fft3dPlan::RowBands* rows, size_t m1, size_t hb, size_t count) {
        if (!rows) return hb * count;
        const int64_t last = (*rows)[m1];
        return last < 0 ? 0 : std::min(hb, static_cast<size_t>(last) + 1) * count;
    }
    void forward_columns(const Fft3dPlan::PlaneFill& fill, size_t count, const Band& g,
                         const Fft3dPlan::RowBands* rows, const Fft3dPlan::ColumnUse& use) {
        double* buf = scratch[0].data();
        const size_t hb = g.h_band, lines = hb * count;
        // Cleared once: the r2c pass zeroes the plane as it reads it.
        plane_real_.assign(n1 * n2 * count, 0.0);
        const Views v = views(count, g);
        for (size_t i0 = 0; i0 < n0; ++i0) {
            fill(i0, plane_real_.data());
            r2c_span({plane_real_.data(), count}, {v.plane.data(), lines, count}, 0, n1, hb, buf, true);
            // (a forward writes only the kept rows)
            kept_columns({f1, g.b1, false}, {plane_spec_.data(), lines}, {box_.data() + 2 * i0 * n1 * lines, lines},
                         lines, buf);
        }
        std::vector<const std::complex<double>*> columns(count);
        for (size_t q = 0; q < count; ++q) columns[q] = reinterpret_cast<const std::complex<double>*>(v.columns[q]);
        for (size_t r = 0; r < g.rows; ++r) {
            const size_t m1 = g.row_index(r, n1);
            const size_t kept = row_lines(rows, m1, hb, count);
            if (kept == 0) continue;
            kept_columns({f0, g.b0, false}, {box_.data() + 2 * m1 * lines, n1 * lines}, {columns_.data(), lines}, kept,
                         buf);
            use(m1, columns.data());
        }
    }

    void inverse_columns(size_t count, const Band& g, const Fft3dPlan::RowBands* rows,
                         const Fft3dPlan::ColumnFill& fill, const Fft3dPlan::PlaneTarget& target,
                         const Fft3dPlan::PlaneDone& done) {
        double* buf = scratch[0].data();
        const size_t hb = g.h_band, lines = hb * count;
        const Views v = views(count, g);
        std::vector<std::complex<double>*> columns(count);
        for (size_t q = 0; q < count; ++q) columns[q] = reinterpret_cast<std::complex<double>*>(v.columns[q]);
        // Cleared once: the axis-0 pass zeroes what it reads, and fill
        // writes inside the row's band only.
        std::fill(columns_.begin(), columns_.end(), 0.0);
        for (size_t r = 0; r < g.rows; ++r) {
            const size_t m1 = g.row_index(r, n1);
            const size_t kept = row_lines(rows, m1, hb, count);
            double* out = box_.data() + 2 * m1 * lines;
            // Columns past the row's band stay zero (the axis-1 pass reads them).
            if (kept < lines)
                for (size_t m0 = 0; m0 < n0; ++m0) std::fill_n(out + 2 * (m0 * n1 * lines + kept), 2 * (lines - kept), 0.0);
            if (kept == 0) continue;
            fill(m1, columns.data());
            // (an inverse reads only the kept rows)
            kept_columns({f0, g.b0, true}, {columns_.data(), lines}, {out, n1 * lines}, kept, buf, true);
        }
        for (size_t i0 = 0; i0 < n0; ++i0) {
            kept_columns({f1, g.b1, true}, {box_.data() + 2 * i0 * n1 * lines, lines}, {plane_spec_.data(), lines},
                         lines, buf);
            c2r_span({v.plane.data(), lines, count}, {target(i0), count}, 0, n1, hb, buf);
            done(i0);
        }
    }

    // The last two axes of plane i0, done back to back while the plane
    // (n1 (n2/2+1) complex numbers) is still in cache: this saves a full
    // round trip of the grid through memory, which dominates large meshes.
    void plane_forward(const double* real, double* spec, size_t i0, const Band& g, double* buf) const {
        r2c_span({real, 1}, {&spec, h}, i0 * n1, (i0 + 1) * n1, g.h_band, buf);
        if (n1 == 1) return;
        double* plane = spec + 2 * i0 * n1 * h;
        kept_columns({f1, g.b1, false}, {plane, h}, {plane, h}, g.h_band, buf);
    }

    void plane_inverse(double* spec, double* real, size_t i0, const Band& g, double* buf) const {
        if (n1 > 1) {
            double* plane = spec + 2 * i0 * n1 * h;
            kept_columns({f1, g.b1, true}, {plane, h}, {plane, h}, g.h_band, buf);
        }
        c2r_span({&spec, h}, {real, 1}, i0 * n1, (i0 + 1) * n1, g.h_band, buf);
    }

    // `band`: the largest |signed frequency| kept along each axis (see
    // Fft3dPlan::inverse). Only the columns that can hold a kept frequency
    // are transformed along axes 0 and 1: with a band of a third of the
    // spectrum that skips most of those two passes.
    void execute(const double* real_in, double* spec, double* real_out, bool inverse,
                 const std::array<int64_t, 3>& band) {
    // Below ~16k points a transform takes tens of microseconds, less than
        // waking and synchronising a team (which an oversubscribed machine
        // makes far worse).
        const int threads = n0 * n1 * n2 < kParallelMinPoints ? 1 : ensure_threads();
        const size_t plane = n1 * h;
        constexpr size_t wide = kWide * kLanes;
        const Band g = band_of(band);
        const size_t h_band = g.h_band, b1 = g.b1;
        const long axis0_blocks = g.axis0_blocks;
        // Fusing the last two axes parallelises over planes only; with fewer
        // planes than threads, run the passes separately over all lines.
        const bool fused = n0 >= static_cast<size_t>(threads);
        const size_t lines = n0 * n1;
        const long line_blocks = static_cast<long>((lines + 2 * kLanes - 1) / (2 * kLanes));
        const size_t per_plane = (h_band + wide - 1) / wide;
        const long axis1_blocks = n1 > 1 ? static_cast<long>(n0 * per_plane) : 0;
        auto axis1 = [&](long blk, double* buf) {
            const size_t i0 = static_cast<size_t>(blk) / per_plane;
            const size_t c0 = (static_cast<size_t>(blk) % per_plane) * wide;
            complex_block({spec + 2 * (i0 * plane + c0), h}, {f1, b1, inverse}, std::min(wide, h_band - c0), buf);
        };
        auto axis0 = [&](long blk, double* buf) { axis0_block(spec, g, blk, inverse, buf); };
#pragma omp parallel num_threads(threads)
        {
            double* buf = scratch[static_cast<size_t>(omp_get_thread_num())].data();
            if (inverse) {
#pragma omp for schedule(static)
                for (long blk = 0; blk < axis0_blocks; ++blk) axis0(blk, buf);
                if (fused) {
#pragma omp for schedule(static)
                    for (long i0 = 0; i0 < static_cast<long>(n0); ++i0)
                        plane_inverse(spec, real_out, static_cast<size_t>(i0), g, buf);
                } else {
#pragma omp for schedule(static)
                    for (long blk = 0; blk < axis1_blocks; ++blk) axis1(blk, buf);
#pragma omp for schedule(static)
                    for (long blk = 0; blk < line_blocks; ++blk) {
                        const size_t first = static_cast<size_t>(blk) * 2 * kLanes;
                        c2r_span({&spec, h}, {real_out, 1}, first, std::min(lines, first + 2 * kLanes), h_band, buf);
                    }
                }
            } else {
                if (fused) {
#pragma omp for schedule(static)
                    for (long i0 = 0; i0 < static_cast<long>(n0); ++i0)
                        plane_forward(real_in, spec, static_cast<size_t>(i0), g, buf);
                } else {
#pragma omp for schedule(static)
                    for (long blk = 0; blk < line_blocks; ++blk) {
                        const size_t first = static_cast<size_t>(blk) * 2 * kLanes;
                        r2c_span({real_in, 1}, {&spec, h}, first, std::min(lines, first + 2 * kLanes), h_band, buf);
                    }
#pragma omp for schedule(static)
                    for (long blk = 0; blk < axis1_blocks; ++blk) axis1(blk, buf);
                }
#pragma omp for schedule(static)
                for (long blk = 0; blk < axis0_blocks; ++blk) axis0(blk, buf);
            }
        }
    }
};

Fft3dPlan::Fft3dPlan(int64_t n0, int64_t n1, int64_t n2) {
    const size_t a = checked_axis(n0, "n0"), b = checked_axis(n1, "n1"), c = checked_axis(n2, "n2");
    // 2^36 real points (512 GiB) is far beyond any mesh and keeps every
    // index product below 2^63.
    const double total = static_cast<double>(a) * static_cast<double>(b) * static_cast<double>(c);
    if (total > 68719476736.0) {
        throw Error("FFT: grid " + std::to_string(a) + " x " + std::to_string(b) + " x " + std::to_string(c) +
                    " is too large");
    }
    impl_ = std::make_unique<Impl>(a, b, c);
}

Fft3dPlan::~Fft3dPlan() = default;
Fft3dPlan::Fft3dPlan(Fft3dPlan&&) noexcept = default;
Fft3dPlan& Fft3dPlan::operator=(Fft3dPlan&&) noexcept = default;

size_t Fft3dPlan::n0() const { return impl_->n0; }
size_t Fft3dPlan::n1() const { return impl_->n1; }
size_t Fft3dPlan::n2() const { return impl_->n2; }
size_t Fft3dPlan::n2_complex() const { return impl_->h; }
size_t Fft3dPlan::real_size() const { return impl_->n0 * impl_->n1 * impl_->n2; }
size_t Fft3dPlan::complex_size() const { return impl_->n0 * impl_->n1 * impl_->h; }

namespace {
constexpr std::array<int64_t, 3> kFullBand = {kMaxFftAxis, kMaxFftAxis, kMaxFftAxis};
}

void Fft3dPlan::forward(const double* real, std::complex<double>* spectrum) { forward(real, spectrum, kFullBand); }

void Fft3dPlan::inverse(std::complex<double>* spectrum, double* real) { inverse(spectrum, real, kFullBand); }

void Fft3dPlan::forward(const double* real, std::complex<double>* spectrum, const std::array<int64_t, 3>& band) {
    impl_->execute(real, reinterpret_cast<double*>(spectrum), nullptr, false, band);
}

void Fft3dPlan::inverse(std::complex<double>* spectrum, double* real, const std::array<int64_t, 3>& band) {
    impl_->execute(nullptr, reinterpret_cast<double*>(spectrum), real, true, band);
}

void Fft3dPlan::forward_columns(const PlaneFill& fill, size_t count, const std::array<int64_t, 3>& band,
                                const ColumnUse& use, const RowBands* rows) {
    if (count < 1) throw Error("FFT: expected at least one interleaved grid");
    impl_->check_rows(rows);
    impl_->forward_columns(fill, count, impl_->band_of(band), rows, use);
}

void Fft3dPlan::inverse_columns(size_t count, const std::array<int64_t, 3>& band, const ColumnFill& fill,
                                const PlaneTarget& target, const PlaneDone& done, const RowBands* rows) {
    if (count < 1) throw Error("FFT: expected at least one interleaved grid");
    impl_->check_rows(rows);
    impl_->inverse_columns(count, impl_->band_of(band), rows, fill, target, done);
}

}  // namespace lodestone
