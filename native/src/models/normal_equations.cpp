#include "lodestone/models/normal_equations.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lodestone/error.hpp"

namespace lodestone {

NormalEquations::NormalEquations(size_t n) : n_(n), ata_(n * n, 0.0), atb_(n, 0.0) {
    if (n == 0) throw Error("normal equations: need at least one parameter");
}

void NormalEquations::add(const double* rows, const double* targets, const double* weights, size_t count) {
    for (size_t r = 0; r < count; ++r) {
        const double w = weights ? weights[r] : 1.0;
        if (!std::isfinite(targets[r]) || !std::isfinite(w) || w < 0.0) {
            throw Error("normal equations: target " + std::to_string(r) + " or its weight is not a finite number");
        }
    }
    // Upper triangle of A^T W A, rows of the product split between threads;
    // each (i, j) entry sums over the block rows in order (deterministic).
    const size_t n = n_;
#pragma omp parallel for schedule(dynamic, 8)
    for (int64_t ii = 0; ii < static_cast<int64_t>(n); ++ii) {
        const size_t i = static_cast<size_t>(ii);
        double* out = &ata_[i * n];
        for (size_t r = 0; r < count; ++r) {
            const double* row = rows + r * n;
            const double a = row[i] * (weights ? weights[r] : 1.0);
            if (a == 0.0) continue;
            for (size_t j = i; j < n; ++j) out[j] += a * row[j];
        }
    }
    for (size_t r = 0; r < count; ++r) {
        const double w = weights ? weights[r] : 1.0;
        const double* row = rows + r * n;
        for (size_t j = 0; j < n; ++j) atb_[j] += w * row[j] * targets[r];
        yy_ += w * targets[r] * targets[r];
        weight_sum_ += w;
    }
    rows_ += count;
}

void NormalEquations::merge(const NormalEquations& other) {
    if (other.n_ != n_) throw Error("normal equations: cannot merge systems of different sizes");
    for (size_t k = 0; k < ata_.size(); ++k) ata_[k] += other.ata_[k];
    for (size_t k = 0; k < n_; ++k) atb_[k] += other.atb_[k];
    yy_ += other.yy_;
    weight_sum_ += other.weight_sum_;
    rows_ += other.rows_;
}

std::vector<double> NormalEquations::solve(double lambda, bool relative) const {
    if (!(lambda >= 0.0) || !std::isfinite(lambda)) {
        throw Error("regularisation must be a finite number >= 0, got " + format_number(lambda));
    }
    const size_t n = n_;
    std::vector<double> a(n * n);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i; j < n; ++j) a[i * n + j] = a[j * n + i] = ata_[i * n + j];
    double mean_diagonal = 0.0;
    for (size_t i = 0; i < n; ++i) mean_diagonal += a[i * n + i];
    mean_diagonal = std::max(mean_diagonal / static_cast<double>(n), 1e-300);
    for (size_t i = 0; i < n; ++i) {
        // Parameters no row touches get the mean scale, so they are pinned to zero.
        double scale = relative ? (a[i * n + i] > 0.0 ? a[i * n + i] : mean_diagonal) : 1.0;
        a[i * n + i] += lambda * scale;
    }
    // A vanishing lambda can leave the system singular: add the smallest
    // jitter that makes it factorise, and never more than 1e-10 relative.
    std::vector<double> factor;
    for (double jitter = 0.0;; jitter = jitter == 0.0 ? 1e-14 : jitter * 10.0) {
        factor = a;
        for (size_t i = 0; i < n; ++i) factor[i * n + i] += jitter * mean_diagonal;
        try {
            cholesky(factor, n);
            break;
        } catch (const Error&) {
            if (jitter >= 1e-10) {
                throw Error("the regularised normal equations are singular; increase the regularisation");
            }
        }
    }
    std::vector<double> x(atb_);
    cholesky_solve(factor, n, x);
    return x;
}

double NormalEquations::residual(const std::vector<double>& x) const {
    const size_t n = n_;
    double quadratic = 0.0;
#pragma omp parallel for reduction(+ : quadratic) schedule(static)
    for (int64_t ii = 0; ii < static_cast<int64_t>(n); ++ii) {
        const size_t i = static_cast<size_t>(ii);
        double row = ata_[i * n + i] * x[i];
        for (size_t j = i + 1; j < n; ++j) row += 2.0 * ata_[i * n + j] * x[j];
        quadratic += x[i] * row;
    }
    double linear = 0.0;
    for (size_t i = 0; i < n; ++i) linear += x[i] * atb_[i];
    return std::max(quadratic - 2.0 * linear + yy_, 0.0);
}

void cholesky(std::vector<double>& a, size_t n) {
    // Right-looking, column by column; the trailing update is split between
    // threads by rows.
    for (size_t k = 0; k < n; ++k) {
        double d = a[k * n + k];
        for (size_t p = 0; p < k; ++p) d -= a[k * n + p] * a[k * n + p];
        if (!(d > 0.0)) throw Error("matrix is not positive definite (pivot " + std::to_string(k) + ")");
        d = std::sqrt(d);
        a[k * n + k] = d;
        const double* rk = &a[k * n];
#pragma omp parallel for schedule(static) if (n - k > 256)
        for (int64_t ii = static_cast<int64_t>(k + 1); ii < static_cast<int64_t>(n); ++ii) {
            double* ri = &a[static_cast<size_t>(ii) * n];
            double s = ri[k];
            for (size_t p = 0; p < k; ++p) s -= ri[p] * rk[p];
            ri[k] = s / d;
        }
    }
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) a[i * n + j] = 0.0;
}

void cholesky_solve(const std::vector<double>& l, size_t n, std::vector<double>& b) {
    for (size_t i = 0; i < n; ++i) {
        double s = b[i];
        for (size_t p = 0; p < i; ++p) s -= l[i * n + p] * b[p];
        b[i] = s / l[i * n + i];
    }
    for (size_t ii = n; ii-- > 0;) {
        double s = b[ii];
        for (size_t p = ii + 1; p < n; ++p) s -= l[p * n + ii] * b[p];
        b[ii] = s / l[ii * n + ii];
    }
}

}  // namespace lodestone
