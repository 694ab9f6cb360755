#include "lodestone/core/system.hpp"

#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone {

double determinant3(const std::array<double, 9>& m) {
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
           m[2] * (m[3] * m[7] - m[4] * m[6]);
}

std::array<double, 9> inverse3(const std::array<double, 9>& m) {
    double det = determinant3(m);
    if (det == 0.0 || !std::isfinite(det)) throw Error("matrix is singular, cannot invert");
    double inv = 1.0 / det;
    return {(m[4] * m[8] - m[5] * m[7]) * inv, (m[2] * m[7] - m[1] * m[8]) * inv,
            (m[1] * m[5] - m[2] * m[4]) * inv, (m[5] * m[6] - m[3] * m[8]) * inv,
            (m[0] * m[8] - m[2] * m[6]) * inv, (m[2] * m[3] - m[0] * m[5]) * inv,
            (m[3] * m[7] - m[4] * m[6]) * inv, (m[1] * m[6] - m[0] * m[7]) * inv,
            (m[0] * m[4] - m[1] * m[3]) * inv};
}

void System::validate(const char* label) const {
    std::string where(label);
    if (positions.size() != 3 * types.size()) {
        throw Error(where + ".positions: expected " + std::to_string(3 * types.size()) +
                    " numbers (3 per atom for " + std::to_string(types.size()) +
                    " types), got " + std::to_string(positions.size()));
    }
    for (size_t k = 0; k < positions.size(); ++k) {
        if (!std::isfinite(positions[k])) {
            throw Error(where + ".positions[" + std::to_string(k / 3) + "][" +
                        std::to_string(k % 3) + "]: expected a finite number, got " +
                        format_number(positions[k]));
        }
    }
    if (has_cell) {
        for (size_t k = 0; k < 9; ++k) {
            if (!std::isfinite(cell[k])) {
                throw Error(where + ".cell[" + std::to_string(k / 3) + "][" + std::to_string(k % 3) +
                            "]: expected a finite number, got " + format_number(cell[k]));
            }
        }
        // Relative test: a cell whose volume is tiny compared to its edge
        // lengths cubed is numerically singular whatever its scale.
        double scale = 1.0;
        for (int a = 0; a < 3; ++a) {
            scale *= std::sqrt(cell[3 * a] * cell[3 * a] + cell[3 * a + 1] * cell[3 * a + 1] +
                               cell[3 * a + 2] * cell[3 * a + 2]);
        }
        double det = determinant3(cell);
        if (!(scale > 0.0) || std::abs(det) <= 1e-10 * scale) {
            throw Error(where + ".cell: the lattice vectors are linearly dependent (volume " +
                        format_number(det) + " A^3); expected a non-singular 3x3 cell");
        }
    } else if (periodic()) {
        throw Error(where + ".pbc: periodic boundary conditions need a cell");
    }
}

}  // namespace lodestone
