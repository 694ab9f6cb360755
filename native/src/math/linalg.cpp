#include "math/linalg.hpp"

#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone {

void symmetric_eigen(const std::vector<double>& matrix, size_t n, std::vector<double>& values,
                     std::vector<double>& vectors) {
    std::vector<double> a(matrix);
    vectors.assign(n * n, 0.0);
    for (size_t i = 0; i < n; ++i) vectors[i * n + i] = 1.0;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0, total = 0.0;
        for (size_t i = 0; i < n; ++i)
            for (size_t j = 0; j < n; ++j) {
                total += a[i * n + j] * a[i * n + j];
                if (i != j) off += a[i * n + j] * a[i * n + j];
            }
        if (off <= 1e-30 * total) break;
        for (size_t p = 0; p < n; ++p) {
            for (size_t q = p + 1; q < n; ++q) {
                double apq = a[p * n + q];
                if (apq == 0.0) continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
                double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
                for (size_t k = 0; k < n; ++k) {
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < n; ++k) {
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (size_t k = 0; k < n; ++k) {
                    double vkp = vectors[k * n + p], vkq = vectors[k * n + q];
                    vectors[k * n + p] = c * vkp - s * vkq;
                    vectors[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    values.resize(n);
    for (size_t i = 0; i < n; ++i) values[i] = a[i * n + i];
}

std::vector<double> inverse_sqrt_symmetric(const std::vector<double>& matrix, size_t n, const char* what) {
    std::vector<double> values, vectors;
    symmetric_eigen(matrix, n, values, vectors);
    double largest = 0.0;
    for (double v : values) largest = std::max(largest, std::abs(v));
    for (double v : values) {
        if (!(v > 1e-14 * largest)) {
            throw Error(std::string(what) + " is not positive definite to double precision (eigenvalue " +
                        format_number(v) + "); use a smaller max_radial");
        }
    }
    std::vector<double> result(n * n, 0.0);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
            double sum = 0.0;
            for (size_t k = 0; k < n; ++k) sum += vectors[i * n + k] * vectors[j * n + k] / std::sqrt(values[k]);
            result[i * n + j] = sum;
        }
    return result;
}

}  // namespace lodestone
