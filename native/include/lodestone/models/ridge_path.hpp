#pragma once
#include <cstddef>
#include <vector>

namespace lodestone {

// Ridge regression at any number of regularisations from one symmetric
// eigendecomposition: x(lambda) = argmin |A x - y|^2 + lambda x^T D x with
// D = diag(A^T A), each entry raised to at least the mean diagonal (the
// Relative regulariser of NormalEquations, so the same lambda gives the same
// solution). With C = A D^(-1/2) the decomposition is of C C^T (rows x rows,
// the dual form) when there are fewer rows than parameters, else of C^T C
// (the primal form); each solve then costs O(rows x parameters) or
// O(parameters^2) instead of a fresh O(parameters^3) factorisation.
class RidgePath {
public:
    // rows: count x n row-major, targets: count.
    RidgePath(const double* rows, const double* targets, size_t count, size_t n);

    std::vector<double> solve(double lambda) const;
    size_t size() const { return n_; }
    bool dual() const { return dual_; }

private:
    size_t n_ = 0, rank_ = 0;
    bool dual_ = false;
    std::vector<double> scale_;        // D^(-1/2)
    std::vector<double> eigenvalues_;  // of C C^T or C^T C, rank_ of them
    std::vector<double> basis_;        // n x rank_: C^T U (dual) or V (primal), column-major
    std::vector<double> projected_;    // rank_: U^T y (dual) or V^T C^T y (primal)
};

}  // namespace lodestone
