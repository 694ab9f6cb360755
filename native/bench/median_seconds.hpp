#pragma once
// Median wall time of a callable, after warm-up calls (first touch of the
// buffers, plans and caches): what the native benchmark programs report.
#include <algorithm>
#include <chrono>
#include <vector>

template <class F>
double median_seconds(F&& f, int runs, int warmups) {
    for (int k = 0; k < warmups; k++) f();
    std::vector<double> samples;
    for (int k = 0; k < runs; k++) {
        const auto start = std::chrono::steady_clock::now();
        f();
        samples.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}
