#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lodestone {

// The kernel part of a sparse-kernel potential: atomic energies
// e_i = sum_m alpha_m (x^_i . y_m)^zeta over the sparse points y_m of the
// centre's species (unit rows), x^ = x / |x|, and their gradient with
// respect to each centre's (unnormalised) kernel features x_i,
//   de_i/dx_i = (sum_m a_m y_m - (sum_m a_m c_m) x^_i) / |x_i|,
// with c_m = x^_i . y_m and a_m = alpha_m zeta c_m^(zeta - 1). A centre whose
// features vanish (nothing within the cutoff) has no direction: energy and
// gradient 0. The two sums over the sparse points are matrix products.
class SparseKernel {
public:
    // points [M][dimension] grouped by species (counts[s] rows of species s),
    // weights [M] (alpha), zeta >= 1.
    SparseKernel(std::vector<double> points, std::vector<double> weights, const std::vector<size_t>& counts,
                 size_t dimension, int zeta);

    struct Result {
        std::vector<double> energies;  // [n]
        std::vector<double> gradient;  // [n][dimension]
    };
    // x [n][dimension], species [n] in 0..species()-1.
    Result evaluate(const double* x, const int32_t* species, size_t n) const;

    // One feature block's position gradients of one frame: rows (centre,
    // atom), each [3][size] (the block's columns offset..offset+size of the
    // kernel's), and the scale that multiplies its values.
    struct GradientBlock {
        const double* values;    // [rows][3][size]
        const int32_t* samples;  // [rows][centre, system, atom], centre and atom in 0..n-1
        size_t rows, size, offset;
        double scale;
    };
    // Least-squares rows of the kernel weights of one frame (the weights
    // given to the constructor are not used): energy[P], with
    // sum_i k(x_i, y_m) at columns[s] + m of centre species s and, when
    // `bias`, the centre count at columns[s] + counts[s]; forces[3n][P] (when
    // not null, zeroed by the caller) -sum_i dk(x_i, y_m)/dx_i . dx_i/dr_j,
    // from each block's gradient rows.
    void design_rows(const double* x, const int32_t* species, size_t n, const std::vector<GradientBlock>& blocks,
                     const std::vector<size_t>& columns, bool bias, size_t P, double* energy, double* forces) const;

    size_t dimension() const { return dimension_; }
    size_t species() const { return starts_.size() - 1; }

private:
    // Each species' centres with features (members, as rows of unit and c),
    // their unit rows x^ and cosines c = x^ Y^T with the species' points.
    struct Cosines {
        std::vector<double> norms;                // [n]
        std::vector<size_t> row;                  // [n]: row of centre i among its species' members
        std::vector<std::vector<size_t>> members;  // [species][rows]
        std::vector<std::vector<double>> unit;     // [species][rows][dimension]
        std::vector<std::vector<double>> c;        // [species][rows][points of the species]
    };
    Cosines cosines(const double* x, const int32_t* species, size_t n) const;

    std::vector<double> points_, weights_;
    std::vector<size_t> starts_;  // [species + 1]
    size_t dimension_;
    int zeta_;
};

}  // namespace lodestone
