// The 3D real FFT (native/src/math/fft.cpp) against a naive DFT written here,
// for sizes hitting every code path: radices 2, 3, 4, 5, 7, the generic
// odd-prime butterfly (11, 13, 17), Bluestein (67, 97), odd and even last
// axes; plus round trip, Parseval, phase of a shifted delta, band-limited
// transforms, thread independence, good_fft_size and errors.
#include <doctest/doctest.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "lodestone/core/error.hpp"
#include "math/fft.hpp"
#include "support.hpp"

using namespace lodestone;
using namespace lodestone::testing;

namespace {

using Shape = std::array<int64_t, 3>;
using Band = std::array<int64_t, 3>;

std::string name(const Shape& s) {
    return std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]);
}
size_t volume(const Shape& s) { return size_t(s[0] * s[1] * s[2]); }
size_t half(const Shape& s) { return size_t(s[2] / 2 + 1); }

std::vector<double> random_grid(const Shape& shape, uint32_t seed) {
    Random random(seed);
    std::vector<double> x(volume(shape));
    for (double& v : x) v = 2 * random() - 1;
    return x;
}

// Interleaved re/im of the n0 x n1 x (n2/2+1) half spectrum.
std::vector<double> forward(const std::vector<double>& x, const Shape& shape, const Band* band = nullptr) {
    Fft3dPlan plan(shape[0], shape[1], shape[2]);
    REQUIRE(x.size() == plan.real_size());
    std::vector<double> out(2 * plan.complex_size());
    auto* spectrum = reinterpret_cast<std::complex<double>*>(out.data());
    if (band) plan.forward(x.data(), spectrum, *band);
    else plan.forward(x.data(), spectrum);
    return out;
}

// Unnormalised inverse; the input is copied (the transform overwrites it).
std::vector<double> inverse(std::vector<double> spectrum, const Shape& shape, const Band* band = nullptr) {
    Fft3dPlan plan(shape[0], shape[1], shape[2]);
    REQUIRE(spectrum.size() == 2 * plan.complex_size());
    std::vector<double> out(plan.real_size());
    auto* in = reinterpret_cast<std::complex<double>*>(spectrum.data());
    if (band) plan.inverse(in, out.data(), *band);
    else plan.inverse(in, out.data());
    return out;
}

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m = std::fmax(m, std::fabs(x));
    return m;
}

// Naive O(n^2) forward DFT along one axis of a complex grid (split re/im), in place.
void dft_axis(std::vector<double>& re, std::vector<double>& im, const Shape& shape, int axis) {
    const int64_t n = shape[size_t(axis)];
    const int64_t stride = axis == 0 ? shape[1] * shape[2] : axis == 1 ? shape[2] : 1;
    const size_t length = static_cast<size_t>(n);
    std::vector<double> cosines(length), sines(length), lr(length), li(length);
    for (int64_t q = 0; q < n; q++) {
        cosines[size_t(q)] = std::cos(2 * M_PI * q / n);
        sines[size_t(q)] = -std::sin(2 * M_PI * q / n);
    }
    for (int64_t start = 0; start < int64_t(re.size()); start++) {
        if ((start / stride) % n != 0) continue;  // each line once, from its first element
        for (int64_t j = 0; j < n; j++) {
            lr[size_t(j)] = re[size_t(start + j * stride)];
            li[size_t(j)] = im[size_t(start + j * stride)];
        }
        for (int64_t k = 0; k < n; k++) {
            double sr = 0, si = 0;
            for (int64_t j = 0, q = 0; j < n; j++, q = (q + k) % n) {
                sr += lr[size_t(j)] * cosines[size_t(q)] - li[size_t(j)] * sines[size_t(q)];
                si += lr[size_t(j)] * sines[size_t(q)] + li[size_t(j)] * cosines[size_t(q)];
            }
            re[size_t(start + k * stride)] = sr;
            im[size_t(start + k * stride)] = si;
        }
    }
}

void check_against_naive(const Shape& shape, uint32_t seed) {
    const int64_t n0 = shape[0], n1 = shape[1], n2 = shape[2];
    const size_t h = half(shape);
    const auto x = random_grid(shape, seed);
    const auto spectrum = forward(x, shape);
    REQUIRE(spectrum.size() == 2 * size_t(n0 * n1) * h);
    std::vector<double> re = x, im(x.size(), 0.0);
    for (int axis = 0; axis < 3; axis++) dft_axis(re, im, shape, axis);
    const double scale = std::fmax(max_abs(re), max_abs(im));
    double err = 0;
    for (size_t l = 0; l < size_t(n0 * n1); l++)
        for (size_t k = 0; k < h; k++) {
            const size_t s = 2 * (l * h + k);
            err = std::fmax(err, std::fmax(std::fabs(spectrum[s] - re[l * size_t(n2) + k]),
                                           std::fabs(spectrum[s + 1] - im[l * size_t(n2) + k])));
        }
    CHECK_MESSAGE(err / scale < 1e-13, "forward ", name(shape));
    const auto back = inverse(spectrum, shape);
    const double N = double(volume(shape));
    double round_trip = 0;
    for (size_t i = 0; i < x.size(); i++) round_trip = std::fmax(round_trip, std::fabs(back[i] / N - x[i]));
    CHECK_MESSAGE(round_trip < 1e-13, "round trip ", name(shape));
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("fft") {

TEST_CASE("every size on every axis against a naive DFT (small companions)") {
    // powers of two, primes with dedicated and generic butterflies, mixed
    // products, and Bluestein primes (> 61)
    const int64_t sizes[] = {1,  2,  4,  8,  16, 32, 64, 3,  5,  7,  11, 13, 17, 61, 6,  9,  10, 12,
                             14, 15, 18, 22, 27, 30, 33, 35, 42, 45, 49, 60, 63, 67, 81, 97, 134};
    uint32_t seed = 1;
    for (int64_t n : sizes) {
        check_against_naive({n, 3, 4}, seed++);
        check_against_naive({2, n, 5}, seed++);
        check_against_naive({3, 2, n}, seed++);
    }
}

TEST_CASE("non-cubic and cubic grids against a naive DFT") {
    const Shape shapes[] = {{12, 7, 10}, {7, 11, 13}, {13, 17, 11}, {6, 10, 15}, {30, 14, 35}, {60, 49, 42}, {16, 16, 16},
                            {32, 32, 32}, {64, 64, 64}, {1, 1, 1},   {1, 1, 2},   {5, 1, 1},    {1, 67, 1}};
    uint32_t seed = 100;
    for (const Shape& shape : shapes) check_against_naive(shape, seed++);
}

TEST_CASE("round trip c2r(r2c(x)) / N = x on larger grids") {
    for (const Shape& shape : {Shape{96, 100, 105}, Shape{128, 64, 33}, Shape{50, 97, 64}}) {
        const auto x = random_grid(shape, 7);
        const auto back = inverse(forward(x, shape), shape);
        double err = 0;
        for (size_t i = 0; i < x.size(); i++) err = std::fmax(err, std::fabs(back[i] / double(x.size()) - x[i]));
        CHECK_MESSAGE(err < 1e-13, name(shape));
    }
}

TEST_CASE("Parseval: sum |x|^2 = sum |X|^2 / N over the full spectrum") {
    for (const Shape& shape : {Shape{12, 7, 10}, Shape{9, 8, 11}, Shape{32, 30, 28}}) {
        const size_t h = half(shape);
        const auto x = random_grid(shape, 11);
        const auto X = forward(x, shape);
        double real = 0, spectral = 0;
        for (double v : x) real += v * v;
        for (size_t l = 0; l < size_t(shape[0] * shape[1]); l++)
            for (size_t k = 0; k < h; k++) {
                // columns 1..ceil(n2/2)-1 stand for themselves and their mirror image
                const double weight = k == 0 || int64_t(2 * k) == shape[2] ? 1 : 2;
                const size_t s = 2 * (l * h + k);
                spectral += weight * (X[s] * X[s] + X[s + 1] * X[s + 1]);
            }
        CHECK_MESSAGE(std::fabs(spectral / double(x.size()) - real) / real < 1e-13, name(shape));
    }
}

TEST_CASE("a shifted delta transforms to a phase ramp, and back") {
    const Shape shape{12, 7, 10};
    const int64_t n0 = shape[0], n1 = shape[1], n2 = shape[2];
    const size_t h = half(shape);
    const int64_t a = 5, b = 3, c = 7;
    std::vector<double> x(volume(shape), 0.0);
    x[size_t((a * n1 + b) * n2 + c)] = 1;
    const auto X = forward(x, shape);
    double err = 0;
    for (int64_t k0 = 0; k0 < n0; k0++)
        for (int64_t k1 = 0; k1 < n1; k1++)
            for (size_t k2 = 0; k2 < h; k2++) {
                // reduced angles: an unreduced phase near 2 pi * 13 would itself be off by 1e-14
                const double turns = std::fmod(double((a * k0) % n0) / n0 + double((b * k1) % n1) / n1 +
                                                   double((c * int64_t(k2)) % n2) / n2, 1.0);
                const double phase = -2 * M_PI * turns;
                const size_t s = 2 * (size_t(k0 * n1 + k1) * h + k2);
                err = std::fmax(err, std::fmax(std::fabs(X[s] - std::cos(phase)), std::fabs(X[s + 1] - std::sin(phase))));
            }
    CHECK(err < 5e-15);
    auto back = inverse(X, shape);
    for (double& v : back) v /= double(back.size());
    const size_t at = size_t((a * n1 + b) * n2 + c);
    CHECK(std::fabs(back[at] - 1) < 0.5e-14);
    back[at] = 0;
    CHECK(max_abs(back) < 1e-15);
}

TEST_CASE("ignores the imaginary parts a real grid forces to zero") {
    // k = 0 and the Nyquist column (even n2) of a 1 x 1 x n2 grid are real
    const Shape shape{1, 1, 8};
    const auto X = forward(random_grid(shape, 3), shape);
    CHECK(X[1] == 0);
    CHECK(X[2 * 4 + 1] == 0);
    auto perturbed = X;
    perturbed[1] = 0.7;
    perturbed[2 * 4 + 1] = -0.3;
    CHECK(inverse(perturbed, shape) == inverse(X, shape));
}

TEST_CASE("band-limited transforms") {
    // signed frequency of index m on an axis of n points
    auto signed_frequency = [](int64_t m, int64_t n) { return 2 * m <= n ? m : m - n; };
    auto in_band = [&](const Shape& shape, const Band& band, int64_t i0, int64_t i1, int64_t i2) {
        return std::abs(signed_frequency(i0, shape[0])) <= band[0] &&
               std::abs(signed_frequency(i1, shape[1])) <= band[1] && i2 <= band[2];
    };
    // one plane, fewer planes than threads (1 x 130 x 128 is big enough to
    // run threaded, so its passes are not fused), odd/even axes; bands
    // narrower than, equal to and wider than the spectrum
    const std::pair<Shape, Band> cases[] = {{{12, 10, 16}, {3, 2, 4}}, {{1, 130, 128}, {0, 20, 30}},
                                            {{1, 9, 14}, {0, 4, 7}},   {{30, 28, 27}, {9, 0, 5}},
                                            {{36, 36, 36}, {10, 10, 10}}, {{8, 6, 10}, {8, 6, 10}}};
    for (const auto& [shape, band] : cases) {
        const int64_t n0 = shape[0], n1 = shape[1];
        const int64_t h = int64_t(half(shape));
        auto at = [&](int64_t i0, int64_t i1, int64_t i2) { return size_t(2 * ((i0 * n1 + i1) * h + i2)); };
        {
            INFO("forward keeps the band exact for ", name(shape));
            const auto x = random_grid(shape, 11);
            const auto full = forward(x, shape);
            const auto banded = forward(x, shape, &band);
            double worst = 0;
            size_t kept = 0;
            for (int64_t i0 = 0; i0 < n0; i0++)
                for (int64_t i1 = 0; i1 < n1; i1++)
                    for (int64_t i2 = 0; i2 < h; i2++) {
                        if (!in_band(shape, band, i0, i1, i2)) continue;
                        kept++;
                        const size_t k = at(i0, i1, i2);
                        worst = std::fmax(worst, std::fmax(std::fabs(banded[k] - full[k]), std::fabs(banded[k + 1] - full[k + 1])));
                    }
            CHECK(kept > 0);
            CHECK(worst < 1e-12 * max_abs(full));
        }
        {
            INFO("inverse of a spectrum inside the band is exact for ", name(shape));
            auto X = forward(random_grid(shape, 12), shape);
            for (int64_t i0 = 0; i0 < n0; i0++)
                for (int64_t i1 = 0; i1 < n1; i1++)
                    for (int64_t i2 = 0; i2 < h; i2++)
                        if (!in_band(shape, band, i0, i1, i2)) X[at(i0, i1, i2)] = X[at(i0, i1, i2) + 1] = 0;
            const auto full = inverse(X, shape);
            const auto banded = inverse(X, shape, &band);
            double worst = 0;
            for (size_t i = 0; i < full.size(); i++) worst = std::fmax(worst, std::fabs(banded[i] - full[i]));
            CHECK(worst < 1e-12 * max_abs(full));
        }
    }
}

TEST_CASE("gives the same bits for 1 and 2 threads") {
    const Shape shape{40, 42, 45};
    const auto x = random_grid(shape, 5);
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = forward(x, shape);
    const auto one_back = inverse(one, shape);
    omp_set_num_threads(2);
    const auto two = forward(x, shape);
    CHECK(two == one);
    CHECK(inverse(two, shape) == one_back);
    omp_set_num_threads(threads);
}

TEST_CASE("rejects bad sizes with errors") {
    CHECK(contains(thrown_message([] { Fft3dPlan(0, 2, 4); }), "out of range"));
    CHECK(contains(thrown_message([] { Fft3dPlan(-2, -1, 4); }), "out of range"));
    CHECK(contains(thrown_message([] { Fft3dPlan(int64_t(1) << 30, 1, 1); }), "out of range"));
    CHECK(contains(thrown_message([] { Fft3dPlan(int64_t(1) << 16, int64_t(1) << 16, int64_t(1) << 16); }), "too large"));
    CHECK(contains(thrown_message([] { Fft3dPlan((int64_t(1) << 16) + 1, 1, 1); }), "out of range"));
    CHECK_THROWS_AS(Fft3dPlan(0, 2, 4), lodestone::Error);
}

TEST_CASE("good_fft_size is the smallest 7-smooth size not below n") {
    const std::pair<int64_t, int64_t> expected[] = {
        {1, 1},     {2, 2},     {11, 12},     {13, 14},       {17, 18},       {19, 20},
        {23, 24},   {29, 30},   {31, 32},     {97, 98},       {101, 105},     {127, 128},
        {1000, 1000}, {1001, 1008}, {65535, 65536}, {65536, 65536}};
    for (const auto& [n, m] : expected) CHECK_MESSAGE(good_fft_size(n) == m, "n = ", n);
    auto smooth = [](int64_t m) {
        for (int64_t p : {2, 3, 5, 7})
            while (m % p == 0) m /= p;
        return m == 1;
    };
    for (int64_t n = 1; n <= 2000; n++) {
        const int64_t m = good_fft_size(n);
        REQUIRE((m >= n && smooth(m)));
        for (int64_t k = n; k < m; k++) CHECK(!smooth(k));
    }
}

TEST_CASE("good_fft_size rejects sizes out of range") {
    CHECK(contains(thrown_message([] { good_fft_size(0); }), "out of range"));
    CHECK(contains(thrown_message([] { good_fft_size(-5); }), "out of range"));
    CHECK(contains(thrown_message([] { good_fft_size((int64_t(1) << 16) + 1); }), "out of range"));
}

}  // TEST_SUITE
