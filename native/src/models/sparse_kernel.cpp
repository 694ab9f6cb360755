#include "lodestone/models/sparse_kernel.hpp"

#include <algorithm>
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

void SparseKernel::design_rows(const double* x, const int32_t* species, size_t n, const std::vector<GradientBlock>& blocks,
                               const std::vector<size_t>& columns, bool bias, size_t P, double* energy, double* forces) const {
    const size_t D = dimension_, S = starts_.size() - 1;
    if (columns.size() != S) throw Error("sparse kernel: expected a first column per species (" + std::to_string(S) + ")");
    for (size_t s = 0; s < S; s++) {
        if (columns[s] + (starts_[s + 1] - starts_[s]) + (bias ? 1 : 0) > P) {
            throw Error("sparse kernel: the columns of species " + std::to_string(s) + " end past the " + std::to_string(P) + " of a row");
        }
    }
    // Per centre: the unit features, the cosines c_m with its species'
    // points, and the two factors of dk_m/dx = a_m y_m - b_m x^:
    // a_m = zeta c_m^(zeta-1) / |x|, b_m = a_m c_m.
    std::vector<double> unit(n * D, 0.0), norms(n, 0.0);
    std::vector<std::vector<size_t>> members(S);
    for (size_t i = 0; i < n; i++) {
        const int32_t s = species[i];
        if (s < 0 || static_cast<size_t>(s) >= S) {
            throw Error("sparse kernel: centre " + std::to_string(i) + " has species index " + std::to_string(s) +
                        ", expected 0.." + std::to_string(S - 1));
        }
        if (bias) energy[columns[static_cast<size_t>(s)] + (starts_[s + 1] - starts_[s])] += 1.0;
        double n2 = 0.0;
        for (size_t k = 0; k < D; k++) n2 += x[i * D + k] * x[i * D + k];
        norms[i] = std::sqrt(n2);
        if (!std::isfinite(norms[i])) throw Error("sparse kernel: centre " + std::to_string(i) + " has non-finite features");
        if (norms[i] == 0.0) continue;
        for (size_t k = 0; k < D; k++) unit[i * D + k] = x[i * D + k] / norms[i];
        members[static_cast<size_t>(s)].push_back(i);
    }
    std::vector<size_t> first(n, 0);  // offset of a centre's factors in a and b
    std::vector<double> a, b;
    {
        size_t total = 0;
        for (size_t s = 0; s < S; s++) {
            for (size_t i : members[s]) {
                first[i] = total;
                total += starts_[s + 1] - starts_[s];
            }
        }
        a.assign(total, 0.0);
        b.assign(total, 0.0);
    }
    std::vector<double> gathered, c;
    for (size_t s = 0; s < S; s++) {
        const size_t rows = members[s].size(), M = starts_[s + 1] - starts_[s];
        if (rows == 0 || M == 0) continue;
        gathered.resize(rows * D);
        for (size_t r = 0; r < rows; r++) std::copy(&unit[members[s][r] * D], &unit[members[s][r] * D] + D, &gathered[r * D]);
        c.resize(rows * M);
        dense::product(gathered.data(), points_.data() + starts_[s] * D, c.data(), rows, M, D, true);
        for (size_t r = 0; r < rows; r++) {
            const size_t i = members[s][r];
            for (size_t m = 0; m < M; m++) {
                const double cm = c[r * M + m];
                double power = 1.0;
                for (int p = 1; p < zeta_; p++) power *= cm;
                energy[columns[s] + m] += power * cm;
                a[first[i] + m] = zeta_ * power / norms[i];
                b[first[i] + m] = a[first[i] + m] * cm;
            }
        }
    }
    if (!forces) return;

    // Per block and species: T = G Y^T over the gradient rows of its centres
    // (3 rows each), one product; then each row's share of the force rows.
    std::vector<double> g, y, t;
    for (const GradientBlock& block : blocks) {
        const size_t size = block.size;
        if (block.offset + size > D) throw Error("sparse kernel: a gradient block's columns end past the kernel's");
        for (size_t s = 0; s < S; s++) {
            const size_t M = starts_[s + 1] - starts_[s];
            if (M == 0) continue;
            std::vector<size_t> rows;
            for (size_t r = 0; r < block.rows; r++) {
                const int32_t i = block.centre[r], j = block.atom[r];
                if (i < 0 || static_cast<size_t>(i) >= n || j < 0 || static_cast<size_t>(j) >= n) {
                    throw Error("sparse kernel: gradient row " + std::to_string(r) + " names an atom outside 0.." + std::to_string(n - 1));
                }
                if (species[i] == static_cast<int32_t>(s) && norms[static_cast<size_t>(i)] > 0.0) rows.push_back(r);
            }
            if (rows.empty()) continue;
            g.resize(rows.size() * 3 * size);
            for (size_t q = 0; q < rows.size(); q++) {
                const double* from = block.values + rows[q] * 3 * size;
                std::copy(from, from + 3 * size, &g[q * 3 * size]);
            }
            y.resize(M * size);
            for (size_t m = 0; m < M; m++) {
                const double* from = points_.data() + (starts_[s] + m) * D + block.offset;
                std::copy(from, from + size, &y[m * size]);
            }
            t.resize(rows.size() * 3 * M);
            dense::product(g.data(), y.data(), t.data(), rows.size() * 3, M, size, true);
            for (size_t q = 0; q < rows.size(); q++) {
                const size_t r = rows[q], i = static_cast<size_t>(block.centre[r]), j = static_cast<size_t>(block.atom[r]);
                const double* xi = &unit[i * D + block.offset];
                const double* ai = &a[first[i]];
                const double* bi = &b[first[i]];
                for (size_t d = 0; d < 3; d++) {
                    const double* gd = &g[(q * 3 + d) * size];
                    double u = 0.0;
                    for (size_t k = 0; k < size; k++) u += xi[k] * gd[k];
                    const double* td = &t[(q * 3 + d) * M];
                    double* row = forces + (3 * j + d) * P + columns[s];
                    for (size_t m = 0; m < M; m++) row[m] -= block.scale * (ai[m] * td[m] - bi[m] * u);
                }
            }
        }
    }
}

}  // namespace lodestone
