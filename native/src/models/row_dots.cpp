#include "lodestone/models/row_dots.hpp"

#include <cstdint>

namespace lodestone {

void row_dots(const double* a, const double* b, size_t rows, size_t width, double* out) {
    // Threads only pay off beyond a about 65 000 products.
    const bool parallel = rows * width > (size_t{1} << 16);
#pragma omp parallel for schedule(static) if (parallel)
    for (std::int64_t r = 0; r < static_cast<std::int64_t>(rows); ++r) {
        const double* x = a + r * width;
        const double* y = b + r * width;
        // Four partial sums so the compiler can keep independent FMA chains.
        double s[4] = {0.0, 0.0, 0.0, 0.0};
        size_t k = 0;
        for (; k + 4 <= width; k += 4) {
            for (int j = 0; j < 4; ++j) s[j] += x[k + j] * y[k + j];
        }
        for (; k < width; ++k) s[0] += x[k] * y[k];
        out[r] = (s[0] + s[1]) + (s[2] + s[3]);
    }
}

}  // namespace lodestone
