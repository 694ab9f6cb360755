#include "lodestone/models/sparse_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "lodestone/core/error.hpp"
#include "math/dense.hpp"

namespace lodestone {
namespace {

// c^(zeta - 1) by multiplication (zeta is a small integer).
double power_below(double c, int zeta) {
    double power = 1.0;
    for (int p = 1; p < zeta; p++) power *= c;
    return power;
}

}  // namespace

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

SparseKernel::Cosines SparseKernel::cosines(const double* x, const int32_t* species, size_t n) const {
    const size_t D = dimension_, S = starts_.size() - 1;
    Cosines out;
    out.norms.assign(n, 0.0);
    out.row.assign(n, 0);
    out.members.resize(S);
    for (size_t i = 0; i < n; i++) {
        const int32_t s = species[i];
        if (s < 0 || static_cast<size_t>(s) >= S) {
            throw Error("sparse kernel: centre " + std::to_string(i) + " has species index " + std::to_string(s) +
                        ", expected 0.." + std::to_string(S - 1));
        }
        double n2 = 0.0;
        for (size_t k = 0; k < D; k++) n2 += x[i * D + k] * x[i * D + k];
        out.norms[i] = std::sqrt(n2);
        if (!std::isfinite(out.norms[i])) throw Error("sparse kernel: centre " + std::to_string(i) + " has non-finite features");
        if (out.norms[i] == 0.0) continue;
        out.row[i] = out.members[static_cast<size_t>(s)].size();
        out.members[static_cast<size_t>(s)].push_back(i);
    }
    out.unit.resize(S);
    out.c.resize(S);
    for (size_t s = 0; s < S; s++) {
        const size_t rows = out.members[s].size(), M = starts_[s + 1] - starts_[s];
        out.unit[s].resize(rows * D);
        for (size_t r = 0; r < rows; r++) {
            const size_t i = out.members[s][r];
            for (size_t k = 0; k < D; k++) out.unit[s][r * D + k] = x[i * D + k] / out.norms[i];
        }
        out.c[s].resize(rows * M);
        if (rows > 0 && M > 0) dense::product(out.unit[s].data(), points_.data() + starts_[s] * D, out.c[s].data(), rows, M, D, true);
    }
    return out;
}

SparseKernel::Result SparseKernel::evaluate(const double* x, const int32_t* species, size_t n) const {
    const size_t D = dimension_, S = starts_.size() - 1;
    Result out{std::vector<double>(n, 0.0), std::vector<double>(n * D, 0.0)};
    const Cosines k = cosines(x, species, n);
    std::vector<double> a, g;
    for (size_t s = 0; s < S; s++) {
        const size_t rows = k.members[s].size(), M = starts_[s + 1] - starts_[s];
        if (rows == 0 || M == 0) continue;
        const double* y = points_.data() + starts_[s] * D;
        const double* alpha = weights_.data() + starts_[s];
        const std::vector<double>& c = k.c[s];
        a.resize(rows * M);
        std::vector<double> radial(rows, 0.0);
        for (size_t r = 0; r < rows; r++) {
            double energy = 0.0, along = 0.0;
            for (size_t m = 0; m < M; m++) {
                const double cm = c[r * M + m];
                const double power = power_below(cm, zeta_);
                energy += alpha[m] * power * cm;
                const double am = alpha[m] * zeta_ * power;
                a[r * M + m] = am;
                along += am * cm;
            }
            out.energies[k.members[s][r]] = energy;
            radial[r] = along;
        }
        g.resize(rows * D);
        dense::product(a.data(), y, g.data(), rows, D, M, false);  // g = a y
        for (size_t r = 0; r < rows; r++) {
            const size_t i = k.members[s][r];
            for (size_t q = 0; q < D; q++) out.gradient[i * D + q] = (g[r * D + q] - radial[r] * k.unit[s][r * D + q]) / k.norms[i];
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
    const Cosines k = cosines(x, species, n);
    if (bias) {
        for (size_t i = 0; i < n; i++) {
            const auto s = static_cast<size_t>(species[i]);
            energy[columns[s] + starts_[s + 1] - starts_[s]] += 1.0;
        }
    }
    // Per centre the two factors of dk_m/dx = a_m y_m - b_m x^:
    // a_m = zeta c_m^(zeta-1) / |x|, b_m = a_m c_m ([species][row][m]).
    std::vector<std::vector<double>> a(S), b(S);
    for (size_t s = 0; s < S; s++) {
        const size_t rows = k.members[s].size(), M = starts_[s + 1] - starts_[s];
        a[s].resize(rows * M);
        b[s].resize(rows * M);
        for (size_t r = 0; r < rows; r++) {
            const double norm = k.norms[k.members[s][r]];
            for (size_t m = 0; m < M; m++) {
                const double cm = k.c[s][r * M + m];
                const double power = power_below(cm, zeta_);
                energy[columns[s] + m] += power * cm;
                a[s][r * M + m] = zeta_ * power / norm;
                b[s][r * M + m] = a[s][r * M + m] * cm;
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
        for (size_t r = 0; r < block.rows; r++) {
            const int32_t i = block.samples[3 * r], j = block.samples[3 * r + 2];
            if (i < 0 || static_cast<size_t>(i) >= n || j < 0 || static_cast<size_t>(j) >= n) {
                throw Error("sparse kernel: gradient row " + std::to_string(r) + " names an atom outside 0.." + std::to_string(n - 1));
            }
        }
        for (size_t s = 0; s < S; s++) {
            const size_t M = starts_[s + 1] - starts_[s];
            if (M == 0) continue;
            std::vector<size_t> rows;
            for (size_t r = 0; r < block.rows; r++) {
                const auto i = static_cast<size_t>(block.samples[3 * r]);
                if (static_cast<size_t>(species[i]) == s && k.norms[i] > 0.0) rows.push_back(r);
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
                const size_t r = rows[q], i = static_cast<size_t>(block.samples[3 * r]), j = static_cast<size_t>(block.samples[3 * r + 2]);
                const size_t row = k.row[i];
                const double* xi = &k.unit[s][row * D + block.offset];
                const double* ai = &a[s][row * M];
                const double* bi = &b[s][row * M];
                for (size_t d = 0; d < 3; d++) {
                    const double* gd = &g[(q * 3 + d) * size];
                    double u = 0.0;
                    for (size_t c = 0; c < size; c++) u += xi[c] * gd[c];
                    const double* td = &t[(q * 3 + d) * M];
                    double* out = forces + (3 * j + d) * P + columns[s];
                    for (size_t m = 0; m < M; m++) out[m] -= block.scale * (ai[m] * td[m] - bi[m] * u);
                }
            }
        }
    }
}

}  // namespace lodestone
