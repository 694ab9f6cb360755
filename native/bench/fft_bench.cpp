// Median times of the 3D real FFT of the particle-mesh methods, forward
// (r2c) and inverse (c2r), per grid and thread count, with the plan built
// once as the mesh methods keep it, and of the mesh LODE's plane-by-plane
// transforms of interleaved grids (columns_row). Prints one JSON row per line for
// bench/fft.ts; `--quick` runs the two smaller grids.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "math/fft.hpp"
#include "median_seconds.hpp"


namespace {

// The mesh LODE's transforms (features/lode/mesh.cpp, Fft3dPlan's column
// API): kGrids interleaved grids plane by plane, spectra inside the sphere
// |m| <= kRadius of a mesh^3 mesh (the 1728-ion NaCl melt at the
// multiscale preset's hypers: 40^3 with the Kaiser-Bessel window the tuner
// takes, 45^3 with B-splines). Median milliseconds per grid, forward and
// inverse, filling and reading the spectra's entries as mesh.cpp does.
void columns_row(int threads, int runs, int64_t mesh) {
    constexpr int64_t kRadius = 15;
    constexpr size_t kGrids = 8;
    const int64_t hb = kRadius + 1;
    const std::array<int64_t, 3> band = {kRadius, kRadius, kRadius};
    auto signed_index = [mesh](int64_t i) { return i <= kRadius ? i : i - mesh; };
    // Largest m2 with m0^2 + m1^2 + m2^2 <= R^2, -1 for none.
    auto last_m2 = [&](int64_t s0, int64_t s1) {
        const int64_t r2 = kRadius * kRadius - s0 * s0 - s1 * s1;
        return r2 < 0 ? int64_t(-1) : static_cast<int64_t>(std::floor(std::sqrt(static_cast<double>(r2))));
    };
    lodestone::Fft3dPlan::RowBands rows(mesh);
    std::vector<int64_t> last(size_t(mesh * mesh));  // [m1][m0]
    for (int64_t m1 = 0; m1 < mesh; m1++) {
        rows[size_t(m1)] = last_m2(0, signed_index(m1));
        for (int64_t m0 = 0; m0 < mesh; m0++) last[size_t(m1 * mesh + m0)] = last_m2(signed_index(m0), signed_index(m1));
    }
    std::vector<double> planes(size_t(mesh * mesh) * kGrids);
    for (size_t i = 0; i < planes.size(); i++) planes[i] = std::sin(0.37 * double(i));
    // Each thread runs its own plan on its own grids, as mesh.cpp runs blocks.
    std::vector<std::unique_ptr<lodestone::Fft3dPlan>> plans;
    std::vector<std::vector<double>> outs(static_cast<size_t>(threads), std::vector<double>(planes.size()));
    for (int t = 0; t < threads; t++) plans.push_back(std::make_unique<lodestone::Fft3dPlan>(mesh, mesh, mesh));
    double sink = 0.0;
    auto per_thread = [&](auto&& body) {
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += body(*plans[static_cast<size_t>(omp_get_thread_num())], outs[static_cast<size_t>(omp_get_thread_num())]);
    };
    auto forward = [&](lodestone::Fft3dPlan& p, std::vector<double>&) {
        double s = 0.0;
        p.forward_columns([&](size_t, double* plane) { std::copy(planes.begin(), planes.end(), plane); }, kGrids, band,
                          [&](size_t m1, const std::complex<double>* const* blocks) {
                              for (size_t q = 0; q < kGrids; q++) s += blocks[q][size_t(m1 % 7) * kGrids].real();
                          },
                          &rows);
        return s;
    };
    auto inverse = [&](lodestone::Fft3dPlan& p, std::vector<double>& out) {
        p.inverse_columns(
            kGrids, band,
            [&](size_t m1, std::complex<double>* const* blocks) {
                for (int64_t m0 = 0; m0 < mesh; m0++)
                    for (int64_t m2 = 0; m2 <= last[m1 * mesh + size_t(m0)]; m2++)
                        for (size_t q = 0; q < kGrids; q++)
                            blocks[q][size_t(m0 * hb + m2) * kGrids] = {1.0 / double(1 + m0 + m2), double(q)};
            },
            [&](size_t) { return out.data(); }, [&](size_t) {}, &rows);
        return out[0];
    };
    const double r2c = median_seconds([&] { per_thread(forward); }, runs, 1) / double(kGrids * size_t(threads));
    const double c2r = median_seconds([&] { per_thread(inverse); }, runs, 1) / double(kGrids * size_t(threads));
    std::printf("{\"grid\": \"%lld^3, %zu grids, sphere %lld (mesh LODE columns)\", \"threads\": %d, \"r2c ms\": %.6g, "
                "\"c2r ms\": %.6g, \"r2c ns/point\": %.6g}\n",
                static_cast<long long>(mesh), kGrids, static_cast<long long>(kRadius), threads, r2c * 1e3, c2r * 1e3,
                r2c * 1e9 / double(mesh * mesh * mesh));
    if (sink == 12345.678) std::printf("\n");  // keeps the results alive
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const std::array<std::array<int64_t, 3>, 4> grids = {{{32, 32, 32}, {64, 64, 64}, {128, 128, 128}, {96, 100, 105}}};
    const size_t n_grids = quick ? 2 : grids.size();
    const int runs = quick ? 5 : 11;
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        for (size_t g = 0; g < n_grids; g++) {
            const auto [n0, n1, n2] = grids[g];
            lodestone::Fft3dPlan plan(n0, n1, n2);
            std::vector<double> grid(plan.real_size()), back(plan.real_size());
            for (size_t i = 0; i < grid.size(); i++) grid[i] = std::sin(0.37 * double(i)) + 0.1 * std::cos(1.3 * double(i));
            std::vector<std::complex<double>> spectrum(plan.complex_size()), work(plan.complex_size());
            // Two warm-up calls: the plan's twiddles, first touch of the buffers.
            const double r2c = median_seconds([&] { plan.forward(grid.data(), spectrum.data()); }, runs, 2);
            const double c2r = median_seconds(
                [&] {
                    work = spectrum;  // the inverse overwrites its input
                    plan.inverse(work.data(), back.data());
                },
                runs, 2);
            std::printf("{\"grid\": \"%lldx%lldx%lld\", \"threads\": %d, \"r2c ms\": %.6g, \"c2r ms\": %.6g, \"r2c ns/point\": %.6g}\n",
                        static_cast<long long>(n0), static_cast<long long>(n1), static_cast<long long>(n2), threads, r2c * 1e3,
                        c2r * 1e3, r2c * 1e9 / double(grid.size()));
        }
        for (int64_t mesh : {40, 45}) columns_row(threads, runs, mesh);
    }
    return 0;
}
