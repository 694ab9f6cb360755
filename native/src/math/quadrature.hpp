#pragma once
#include <vector>

namespace lodestone {

// Gauss-Legendre rule with n points on [a, b], appended to nodes/weights.
void gauss_legendre(int n, double a, double b, std::vector<double>& nodes, std::vector<double>& weights);

}  // namespace lodestone
