#include "lodestone/models/normal_equations.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"
#include "math/dense.hpp"

namespace lodestone {
namespace {

using ConstMatrix = Eigen::Map<const Eigen::MatrixXd>;
using Vector = Eigen::Map<Eigen::VectorXd>;
using ConstVector = Eigen::Map<const Eigen::VectorXd>;

// Rows buffered before a rank-k update: one frame of a molecule brings ~60
// force rows, too thin a product for the matrix kernels to run near peak,
// and every update streams the whole n x n matrix through memory.
constexpr size_t kBatchRows = 512;

}  // namespace

NormalEquations::NormalEquations(size_t n) : n_(n) {
    if (n == 0) throw Error("normal equations: need at least one parameter");
    ata_.assign(n * n, 0.0);
    atb_.assign(n, 0.0);
}

size_t NormalEquations::stored_bytes(size_t n) { return sizeof(double) * (n * n + n * (kBatchRows + 2)); }
size_t NormalEquations::solve_bytes(size_t n) { return sizeof(double) * (n * n + 3 * n); }

void NormalEquations::add(const double* rows, const double* targets, const double* weights, size_t count) {
    const size_t n = n_;
    for (size_t r = 0; r < count; ++r) {
        const double w = weights ? weights[r] : 1.0;
        if (!std::isfinite(targets[r]) || !std::isfinite(w) || w < 0.0) {
            throw Error("normal equations: target " + std::to_string(r) + " or its weight is not a finite number");
        }
    }
    if (pending_.empty()) {
        pending_.resize(n * kBatchRows);
        pending_targets_.resize(kBatchRows);
    }
    for (size_t r = 0; r < count; ++r) {
        const double w = weights ? weights[r] : 1.0;
        const double s = std::sqrt(w);
        const double* row = rows + r * n;
        double* column = &pending_[pending_count_ * n];
        for (size_t j = 0; j < n; ++j) column[j] = s * row[j];
        pending_targets_[pending_count_] = s * targets[r];
        yy_ += w * targets[r] * targets[r];
        if (++pending_count_ == kBatchRows) flush();
    }
    rows_ += count;
}

void NormalEquations::flush() const {
    if (pending_count_ == 0) return;
    const auto n = static_cast<Eigen::Index>(n_), k = static_cast<Eigen::Index>(pending_count_);
    dense::rank_update_upper(ata_.data(), n_, pending_.data(), pending_count_);
    ConstMatrix b(pending_.data(), n, k);
    Vector(atb_.data(), n).noalias() += b * ConstVector(pending_targets_.data(), k);
    pending_count_ = 0;
}

void NormalEquations::merge(const NormalEquations& other) {
    if (other.n_ != n_) throw Error("normal equations: cannot merge systems of different sizes");
    flush();
    other.flush();
    const size_t n = n_;
    // Upper triangles only (column-major: rows 0..j of column j).
    for (size_t j = 0; j < n; ++j)
        for (size_t i = 0; i <= j; ++i) ata_[j * n + i] += other.ata_[j * n + i];
    for (size_t k = 0; k < n; ++k) atb_[k] += other.atb_[k];
    yy_ += other.yy_;
    rows_ += other.rows_;
}

std::vector<double> NormalEquations::solve(double lambda, const Regularizer& regularizer) const {
    return solve_block(lambda, regularizer, 0, n_, {});
}

std::vector<double> NormalEquations::solve_block(double lambda, const Regularizer& regularizer, size_t begin, size_t end,
                                                 const std::vector<double>& fixed) const {
    if (!(begin < end && end <= n_)) {
        throw Error("normal equations: the solved block [" + std::to_string(begin) + ", " + std::to_string(end) +
                    ") must be non-empty and within the " + std::to_string(n_) + " parameters");
    }
    std::vector<size_t> columns(end - begin);
    for (size_t k = 0; k < columns.size(); ++k) columns[k] = begin + k;
    return solve_columns(lambda, regularizer, columns, fixed);
}

std::vector<double> NormalEquations::solve_columns(double lambda, const Regularizer& regularizer,
                                                   const std::vector<size_t>& columns,
                                                   const std::vector<double>& fixed) const {
    if (!(lambda >= 0.0) || !std::isfinite(lambda)) {
        throw Error("regularisation must be a finite number >= 0, got " + format_number(lambda));
    }
    const size_t n = n_, m = columns.size();
    if (m == 0) throw Error("normal equations: expected at least one parameter to solve for");
    for (size_t k = 0; k < m; ++k) {
        if (columns[k] >= n || (k > 0 && columns[k] <= columns[k - 1])) {
            throw Error("normal equations: the solved parameters must be strictly increasing indices below " +
                        std::to_string(n) + " (entry " + std::to_string(k) + " is " + std::to_string(columns[k]) + ")");
        }
    }
    if (!fixed.empty() && fixed.size() != n) {
        throw Error("normal equations: expected " + std::to_string(n) + " fixed parameter values, got " + std::to_string(fixed.size()));
    }
    flush();
    const auto M = static_cast<Eigen::Index>(m), N = static_cast<Eigen::Index>(n);
    const bool with_matrix = regularizer.kind == Regularizer::Kind::Matrix;
    if (with_matrix && regularizer.matrix.size() != m * m) {
        throw Error("regulariser: expected a " + std::to_string(m) + " x " + std::to_string(m) + " matrix");
    }
    ConstMatrix full(ata_.data(), N, N);
    // The solved rows and columns, upper triangle (the indices increase, so
    // every entry read is in the stored upper triangle).
    Eigen::MatrixXd h(M, M);
    for (Eigen::Index q = 0; q < M; ++q) {
        const auto cq = static_cast<Eigen::Index>(columns[static_cast<size_t>(q)]);
        for (Eigen::Index p = 0; p <= q; ++p) h(p, q) = full(static_cast<Eigen::Index>(columns[static_cast<size_t>(p)]), cq);
    }
    double trace_h = 0.0;
    for (Eigen::Index i = 0; i < M; ++i) trace_h += h(i, i);
    const double mean_diagonal = std::max(trace_h / static_cast<double>(m), 1e-300);
    // The right-hand side with every other parameter held at its fixed
    // value: A_s^T W (y - A_o x_o), with x_o the fixed values off the set.
    Eigen::VectorXd rhs(M);
    for (Eigen::Index q = 0; q < M; ++q) rhs(q) = atb_[columns[static_cast<size_t>(q)]];
    if (!fixed.empty()) {
        Eigen::VectorXd others = ConstVector(fixed.data(), N);
        for (size_t c : columns) others(static_cast<Eigen::Index>(c)) = 0.0;
        const Eigen::VectorXd coupling = full.selfadjointView<Eigen::Upper>() * others;
        for (Eigen::Index q = 0; q < M; ++q) rhs(q) -= coupling(static_cast<Eigen::Index>(columns[static_cast<size_t>(q)]));
    }
    Eigen::VectorXd added(M);  // what lambda R puts on the diagonal
    double scale = lambda;
    if (with_matrix) {
        double trace_r = 0.0;
        for (size_t i = 0; i < m; ++i) trace_r += regularizer.matrix[i * m + i];
        if (!(trace_r > 0.0)) throw Error("regulariser: the matrix must have a positive trace");
        scale = lambda * trace_h / trace_r;
    }
    for (Eigen::Index i = 0; i < M; ++i) {
        double r = 1.0;
        // No column is cheaper to use than an average one: a column the
        // training data barely excites (a species pair met in few frames)
        // would otherwise take an arbitrary weight that is harmless in
        // training and explodes on the first new structure that excites it.
        if (regularizer.kind == Regularizer::Kind::Relative) r = std::max(h(i, i), mean_diagonal);
        if (with_matrix) r = regularizer.matrix[static_cast<size_t>(i) * m + static_cast<size_t>(i)];
        added(i) = scale * r;
    }
    // A vanishing lambda can leave the system singular: add the smallest
    // jitter that makes it factorise, and never more than 1e-10 relative.
    Eigen::MatrixXd a(M, M);
    for (double jitter = 0.0;; jitter = jitter == 0.0 ? 1e-14 : jitter * 10.0) {
        a.triangularView<Eigen::Upper>() = h.triangularView<Eigen::Upper>();
        if (with_matrix && scale != 0.0) {
            ConstMatrix r(regularizer.matrix.data(), M, M);
            for (Eigen::Index j = 1; j < M; ++j) a.col(j).head(j) += scale * r.col(j).head(j);
        }
        a.diagonal() += added + Eigen::VectorXd::Constant(M, jitter * mean_diagonal);
        if (dense::cholesky_upper(a.data(), m)) {
            Eigen::VectorXd xv = rhs;
            dense::cholesky_solve_upper(a.data(), m, xv.data());
            if (xv.allFinite()) {
                std::vector<double> x = fixed.empty() ? std::vector<double>(n, 0.0) : fixed;
                for (size_t q = 0; q < m; ++q) x[columns[q]] = xv(static_cast<Eigen::Index>(q));
                return x;
            }
        }
        if (jitter >= 1e-10) throw Error("the regularised normal equations are singular; increase the regularisation");
    }
}

double NormalEquations::residual(const std::vector<double>& x) const {
    flush();
    const auto N = static_cast<Eigen::Index>(n_);
    ConstMatrix h(ata_.data(), N, N);
    ConstVector xv(x.data(), N);
    const double quadratic = xv.dot(h.selfadjointView<Eigen::Upper>() * xv);
    const double linear = xv.dot(ConstVector(atb_.data(), N));
    return std::max(quadratic - 2.0 * linear + yy_, 0.0);
}

}  // namespace lodestone
