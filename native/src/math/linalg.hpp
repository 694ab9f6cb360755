#pragma once
#include <cstddef>
#include <vector>

namespace lodestone {

// Eigen-decomposition of a symmetric n x n row-major matrix by cyclic Jacobi
// rotations (small matrices: radial basis overlaps). Eigenvectors are the
// columns of `vectors`.
void symmetric_eigen(const std::vector<double>& matrix, size_t n, std::vector<double>& values,
                     std::vector<double>& vectors);

// S^(-1/2) of a symmetric positive-definite matrix; throws when S is not
// positive definite to working precision. `what` names S in the message.
std::vector<double> inverse_sqrt_symmetric(const std::vector<double>& matrix, size_t n, const char* what);

}  // namespace lodestone
