#include "lodestone/models/ridge_path.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"
#include "math/dense.hpp"

namespace lodestone {

namespace {
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}

RidgePath::RidgePath(const double* rows, const double* targets, size_t count, size_t n) : n_(n) {
    if (n == 0 || count == 0) throw Error("ridge path: expected at least one row and one parameter");
    const auto R = static_cast<Eigen::Index>(count), N = static_cast<Eigen::Index>(n);
    Eigen::Map<const RowMatrix> a(rows, R, N);
    Eigen::Map<const Eigen::VectorXd> y(targets, R);
    if (!a.allFinite() || !y.allFinite()) throw Error("ridge path: rows and targets must be finite");
    const Eigen::VectorXd diagonal = a.colwise().squaredNorm().transpose();
    const double mean = std::max(diagonal.mean(), 1e-300);
    scale_.resize(n);
    for (size_t j = 0; j < n; ++j) scale_[j] = 1.0 / std::sqrt(std::max(diagonal(static_cast<Eigen::Index>(j)), mean));
    const Eigen::Map<const Eigen::VectorXd> s(scale_.data(), N);
    const RowMatrix c = a * s.asDiagonal();
    dual_ = count < n;
    // C C^T (dual) or C^T C (primal) as B B^T of a column-major B: C itself
    // (copied column-major) or C^T (C's row-major storage read column-major).
    const Eigen::Index G = dual_ ? R : N;
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(G, G);
    if (dual_) {
        const Eigen::MatrixXd columns = c;
        dense::rank_update_upper(gram.data(), count, columns.data(), n);
    } else {
        dense::rank_update_upper(gram.data(), n, c.data(), count);
    }
    Eigen::VectorXd values(G);
    if (!dense::symmetric_eigen_upper(gram.data(), static_cast<size_t>(G), values.data())) {
        throw Error("ridge path: the eigendecomposition did not converge");
    }
    // Directions the data does not excite (relative to the largest) carry no
    // information: dropping them is the minimum-norm limit at lambda = 0.
    const double cut = std::max(values.maxCoeff(), 0.0) * 1e-13 * static_cast<double>(std::max(count, n));
    std::vector<Eigen::Index> kept;
    for (Eigen::Index k = 0; k < values.size(); ++k)
        if (values(k) > cut) kept.push_back(k);
    rank_ = kept.size();
    eigenvalues_.resize(rank_);
    Eigen::MatrixXd vectors(G, static_cast<Eigen::Index>(rank_));
    for (size_t k = 0; k < rank_; ++k) {
        eigenvalues_[k] = values(kept[k]);
        vectors.col(static_cast<Eigen::Index>(k)) = gram.col(kept[k]);
    }
    Eigen::MatrixXd basis = dual_ ? Eigen::MatrixXd(c.transpose() * vectors) : vectors;
    Eigen::VectorXd projected = dual_ ? Eigen::VectorXd(vectors.transpose() * y) : Eigen::VectorXd(vectors.transpose() * (c.transpose() * y));
    basis_.assign(basis.data(), basis.data() + basis.size());
    projected_.assign(projected.data(), projected.data() + projected.size());
}

std::vector<double> RidgePath::solve(double lambda) const {
    if (!(lambda >= 0.0) || !std::isfinite(lambda)) throw Error("regularisation must be a finite number >= 0");
    const auto N = static_cast<Eigen::Index>(n_), K = static_cast<Eigen::Index>(rank_);
    Eigen::VectorXd coefficients(K);
    // dual: x = D^-1/2 C^T U (S + lambda)^-1 U^T y; primal: x = D^-1/2 V (S + lambda)^-1 V^T C^T y
    for (Eigen::Index k = 0; k < K; ++k) coefficients(k) = projected_[static_cast<size_t>(k)] / (eigenvalues_[static_cast<size_t>(k)] + lambda);
    Eigen::Map<const Eigen::MatrixXd> basis(basis_.data(), N, K);
    Eigen::VectorXd x = basis * coefficients;
    std::vector<double> out(n_);
    for (size_t j = 0; j < n_; ++j) out[j] = scale_[j] * x(static_cast<Eigen::Index>(j));
    return out;
}

}  // namespace lodestone
