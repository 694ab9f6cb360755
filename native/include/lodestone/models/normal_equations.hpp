#pragma once
#include <cstddef>
#include <vector>

namespace lodestone {

// Weighted least-squares statistics accumulated row block by row block, so a
// fit's memory does not grow with the data set: A^T W A, A^T W y, y^T W y.
// Solving (A^T W A + lambda D) x = A^T W y with D = diag(A^T W A) scaled
// regularisation (or identity) uses our Cholesky factorisation.
class NormalEquations {
public:
    explicit NormalEquations(size_t n_parameters);

    size_t size() const { return n_; }
    size_t rows() const { return rows_; }

    // rows: count x n row-major, targets/weights: count (weights may be null).
    void add(const double* rows, const double* targets, const double* weights, size_t count);
    void merge(const NormalEquations& other);

    // x = argmin |A x - y|_W^2 + lambda |x|^2 (relative = false) or
    // lambda sum_k (A^T W A)_kk x_k^2 (relative = true: scale-free).
    std::vector<double> solve(double lambda, bool relative) const;

    // |A x - y|_W^2 from the accumulated statistics (no rows kept).
    double residual(const std::vector<double>& x) const;
    double weighted_target_norm() const { return yy_; }
    double weight_sum() const { return weight_sum_; }

    const std::vector<double>& ata() const { return ata_; }
    const std::vector<double>& atb() const { return atb_; }

private:
    size_t n_;
    size_t rows_ = 0;
    double yy_ = 0.0;
    double weight_sum_ = 0.0;
    std::vector<double> ata_;  // full symmetric n x n
    std::vector<double> atb_;
};

// In-place Cholesky factorisation (lower triangle) of a symmetric positive
// definite n x n row-major matrix; throws if it is not positive definite.
void cholesky(std::vector<double>& a, size_t n);
// Solves L L^T x = b with the factor from cholesky().
void cholesky_solve(const std::vector<double>& l, size_t n, std::vector<double>& b);

}  // namespace lodestone
