#pragma once
#include <cstddef>
#include <vector>

namespace lodestone {

// What is added to A^T W A before solving: (A^T W A + lambda R) x = A^T W y.
struct Regularizer {
    enum class Kind {
        // R = diag(A^T W A), each entry raised to at least the mean diagonal:
        // lambda is scale-free, every column is penalised relative to its own
        // size, and none that the data barely excites comes cheap.
        Relative,
        // R = identity.
        Absolute,
        // R = `matrix` (n x n, symmetric positive semi-definite), scaled by
        // trace(A^T W A) / trace(R) so that lambda is scale-free as well.
        Matrix,
    };
    Kind kind = Kind::Relative;
    std::vector<double> matrix;
};

// Weighted least-squares statistics accumulated row block by row block, so a
// fit's memory does not grow with the data set: A^T W A, A^T W y, y^T W y.
// Rows are buffered and added in blocks (a blocked, multi-threaded rank-k
// update of the upper triangle); the solve is a blocked Cholesky (Eigen).
class NormalEquations {
public:
    explicit NormalEquations(size_t n_parameters);

    size_t size() const { return n_; }
    size_t rows() const { return rows_; }

    // rows: count x n row-major, targets/weights: count (weights may be null).
    void add(const double* rows, const double* targets, const double* weights, size_t count);
    void merge(const NormalEquations& other);

    // argmin |A x - y|_W^2 + lambda x^T R x. Throws when the regularised
    // system is singular even after a jitter of 1e-10 relative.
    std::vector<double> solve(double lambda, const Regularizer& regularizer) const;
    // The same for the parameters [begin, end) alone, every other one held at
    // its value in `fixed` (n values; empty: zero). R is then (end - begin)^2
    // and scaled by the block's trace. Returns all n parameters.
    std::vector<double> solve_block(double lambda, const Regularizer& regularizer, size_t begin, size_t end,
                                    const std::vector<double>& fixed) const;
    // The same for any set of parameters (indices strictly increasing, < n):
    // a block, or the columns of a model with fewer features than the
    // accumulated ones (nested candidates scored from one set of equations).
    std::vector<double> solve_columns(double lambda, const Regularizer& regularizer, const std::vector<size_t>& columns,
                                      const std::vector<double>& fixed) const;

    // |A x - y|_W^2 from the accumulated statistics (no rows kept).
    double residual(const std::vector<double>& x) const;

    // Bytes held for a given parameter count (the matrix and the row buffer),
    // and the extra bytes one solve() needs: what a caller adds up to bound a fit.
    static size_t stored_bytes(size_t n_parameters);
    static size_t solve_bytes(size_t n_parameters);

private:
    void flush() const;

    size_t n_;
    size_t rows_ = 0;
    double yy_ = 0.0;
    // Column-major n x n; only the upper triangle is kept up to date.
    mutable std::vector<double> ata_;
    mutable std::vector<double> atb_;
    // Rows not yet in ata_, each scaled by sqrt(weight): n x pending_count_
    // column-major (one row per column), and their sqrt(weight) targets.
    mutable std::vector<double> pending_;
    mutable std::vector<double> pending_targets_;
    mutable size_t pending_count_ = 0;
};

}  // namespace lodestone
