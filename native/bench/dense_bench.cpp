// The fits' dense kernels (math/dense.hpp) against Eigen's own routines on
// the same matrices: the blocked Cholesky against Eigen::LLT, the rank-k
// update of the upper triangle against Eigen's selfadjoint rankUpdate.
// Median times per size, instruction set and thread count; one JSON row per
// line for bench/dense.ts; `--quick` runs the smallest size. This program is
// compiled with AVX2 + FMA on x86-64 (CMakeLists.txt), so the Eigen rows are
// what Eigen reaches on the machine, not in a portable build.
#include <omp.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cstdio>
#include <cstring>
#include <vector>

#include "math/dense_variants.hpp"
#include "median_seconds.hpp"

namespace {

void row(const char* step, const char* kernels, int n, int k, int threads, double flops, double ours, double eigen) {
    std::printf(
        "{\"step\":\"%s\",\"kernels\":\"%s\",\"n\":%d,\"k\":%d,\"threads\":%d,\"lodestone ms\":%.1f,\"lodestone GFlop/s\":%.1f,"
        "\"Eigen ms\":%.1f,\"Eigen GFlop/s\":%.1f,\"lodestone / Eigen speed\":%.2f}\n",
        step, kernels, n, k, threads, 1e3 * ours, flops / ours * 1e-9, 1e3 * eigen, flops / eigen * 1e-9, eigen / ours);
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const std::vector<int> sizes = quick ? std::vector<int>{1000} : std::vector<int>{1000, 2522, 4000};
    const int runs = quick ? 3 : 5;
    std::vector<std::pair<const char*, const lodestone::dense::Kernels*>> variants{{"generic", &lodestone::dense::generic_kernels}};
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) variants.push_back({"avx2", &lodestone::dense::avx2_kernels});
#endif
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        for (int n : sizes) {
            const int k = 512;  // the normal equations' row batch
            const Eigen::MatrixXd b = Eigen::MatrixXd::Random(n, k);
            Eigen::MatrixXd spd = b * b.transpose();
            spd.diagonal().array() += n;
            Eigen::MatrixXd work(n, n);
            const double eigen_llt = median_seconds(
                [&] {
                    work = spd;
                    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>, Eigen::Upper> llt(work);
                },
                runs, 1);
            const double eigen_update = median_seconds(
                [&] { work.selfadjointView<Eigen::Upper>().rankUpdate(b); }, runs, 1);
            for (const auto& [name, kernels] : variants) {
                const double llt = median_seconds(
                    [&] {
                        work = spd;
                        kernels->cholesky_upper(work.data(), static_cast<size_t>(n));
                    },
                    runs, 1);
                const double update = median_seconds(
                    [&] { kernels->rank_update_upper(work.data(), static_cast<size_t>(n), b.data(), static_cast<size_t>(k)); }, runs, 1);
                row("Cholesky", name, n, 0, threads, double(n) * n * n / 3.0, llt, eigen_llt);
                row("rank-k update", name, n, k, threads, double(n) * n * k, update, eigen_update);
            }
        }
    }
}
