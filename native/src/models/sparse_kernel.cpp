#include "lodestone/models/sparse_kernel.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "lodestone/core/error.hpp"
#include "math/dense.hpp"

namespace lodestone {

SparseKernel::SparseKernel(std::vector<double> points, std::vector<double> weights, const std::vector<size_t>& counts,
                           size_t dimension, int zeta)
    : points_(std::move(points)), weights_(std::move(weights)), dimension_(dimension), zeta_(zeta) {
    if (zeta < 1) throw Error("sparse kernel: zeta must be an integer >= 1, got " + std::to_string(zeta));
    if (counts.empty()) throw Error("sparse kernel: expected at least one species");
    starts_.assign(1, 0);
    for (size_t c : counts) starts_.push_back(starts_.back() + c);
    const size_t M = starts_.back();
    if (weights_.size() != M) {
        throw Error("sparse kernel: expected " + std::to_string(M) + " weights, got " + std::to_string(weights_.size()));
    }
    if (points_.size() != M * dimension) {
        throw Error("sparse kernel: expected " + std::to_string(M) + " x " + std::to_string(dimension) +
                    " point coordinates, got " + std::to_string(points_.size()));
    }
}

SparseKernel::Result SparseKernel::evaluate(const double* x, const int32_t* species, size_t n) const {
    const size_t D = dimension_, S = starts_.size() - 1;
    Result out{std::vector<double>(n, 0.0), std::vector<double>(n * D, 0.0)};
    // The centres of each species, as unit rows (zero rows are left out).
    std::vector<std::vector<size_t>> members(S);
    std::vector<double> norms(n, 0.0);
    for (size_t i = 0; i < n; i++) {
        const int32_t s = species[i];
        if (s < 0 || static_cast<size_t>(s) >= S) {
            throw Error("sparse kernel: centre " + std::to_string(i) + " has species index " + std::to_string(s) +
                        ", expected 0.." + std::to_string(S - 1));
        }
        double n2 = 0.0;
        for (size_t k = 0; k < D; k++) n2 += x[i * D + k] * x[i * D + k];
        norms[i] = std::sqrt(n2);
        if (!std::isfinite(norms[i])) throw Error("sparse kernel: centre " + std::to_string(i) + " has non-finite features");
        if (norms[i] > 0.0) members[static_cast<size_t>(s)].push_back(i);
    }
    std::vector<double> unit, c, a, g;
    for (size_t s = 0; s < S; s++) {
        const size_t rows = members[s].size(), M = starts_[s + 1] - starts_[s];
        if (rows == 0 || M == 0) continue;
        const double* y = points_.data() + starts_[s] * D;
        const double* alpha = weights_.data() + starts_[s];
        unit.resize(rows * D);
        for (size_t r = 0; r < rows; r++) {
            const size_t i = members[s][r];
            for (size_t k = 0; k < D; k++) unit[r * D + k] = x[i * D + k] / norms[i];
        }
        c.resize(rows * M);
        dense::product(unit.data(), y, c.data(), rows, M, D, true);  // c = x^ y^T
        a.resize(rows * M);
        std::vector<double> radial(rows, 0.0);
        for (size_t r = 0; r < rows; r++) {
            double energy = 0.0, along = 0.0;
            for (size_t m = 0; m < M; m++) {
                const double cm = c[r * M + m];
                double power = 1.0;  // cm^(zeta - 1), by multiplication
                for (int p = 1; p < zeta_; p++) power *= cm;
                energy += alpha[m] * power * cm;
                const double am = alpha[m] * zeta_ * power;
                a[r * M + m] = am;
                along += am * cm;
            }
            out.energies[members[s][r]] = energy;
            radial[r] = along;
        }
        g.resize(rows * D);
        dense::product(a.data(), y, g.data(), rows, D, M, false);  // g = a y
        for (size_t r = 0; r < rows; r++) {
            const size_t i = members[s][r];
            for (size_t k = 0; k < D; k++) out.gradient[i * D + k] = (g[r * D + k] - radial[r] * unit[r * D + k]) / norms[i];
        }
    }
    return out;
}

}  // namespace lodestone
