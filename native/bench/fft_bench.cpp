// Median times of the 3D real FFT of the particle-mesh methods, forward
// (r2c) and inverse (c2r), per grid and thread count, with the plan built
// once as the mesh methods keep it. Prints one JSON row per line for
// bench/fft.ts; `--quick` runs the two smaller grids.
#include <omp.h>

#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <vector>

#include "math/fft.hpp"
#include "median_seconds.hpp"


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
    }
    return 0;
}
