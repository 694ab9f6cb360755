#pragma once
// Per-row dot products of two row-major arrays: what turns a model's dL/dx
// and the features x of a backward pass into per-centre energies of a
// linear model, at every MD step (done in JS it was ~5 % of a step).
#include <cstddef>

namespace lodestone {

// out[r] = sum_k a[r * width + k] * b[r * width + k] for r < rows.
void row_dots(const double* a, const double* b, size_t rows, size_t width, double* out);

}  // namespace lodestone
