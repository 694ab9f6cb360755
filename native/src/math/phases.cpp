#include "math/phases.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace lodestone {

PhaseTables::PhaseTables(const System& system, const KVectors& kv) {
    for (size_t k = 0; k < kv.size(); k++)
        for (size_t d = 0; d < 3; d++) max_m_[d] = std::max(max_m_[d], std::abs(kv.m[3 * k + d]));
    for (size_t d = 0; d < 3; d++) {
        offset_[d] = width_;
        width_ += static_cast<size_t>(2 * max_m_[d] + 1);
    }
    const size_t n = system.size();
    values_.resize(n * width_);
    const std::array<double, 9> inv = inverse3(system.cell);
#pragma omp parallel for schedule(static)
    for (int64_t ii = 0; ii < static_cast<int64_t>(n); ii++) {
        const size_t i = static_cast<size_t>(ii);
        const double* r = &system.positions[3 * i];
        Complex* row = values_.data() + i * width_;
        for (size_t d = 0; d < 3; d++) {
            double s = r[0] * inv[d] + r[1] * inv[3 + d] + r[2] * inv[6 + d];
            s -= std::floor(s);  // keeps 2 pi m s small, hence accurate
            Complex* axis = row + offset_[d] + static_cast<size_t>(max_m_[d]);
            axis[0] = {1.0, 0.0};
            // each entry evaluated directly (no recurrence: no error growth
            // with |m|), and e^(-i x) as the conjugate of e^(i x)
            for (int m = 1; m <= max_m_[d]; m++) {
                const double phase = 2.0 * M_PI * m * s;
                axis[m] = {std::cos(phase), std::sin(phase)};
                axis[-m] = {axis[m].re, -axis[m].im};
            }
        }
    }
}

}  // namespace lodestone
