#include "lodestone/math/spherical_harmonics.hpp"

#include <cmath>
#include <string>

#include "lodestone/error.hpp"

namespace lodestone {

SphericalHarmonics::SphericalHarmonics(int max_l) : max_l_(max_l) {
    if (max_l < 0 || max_l > kMaxAngular) {
        throw Error("max_angular must be between 0 and " + std::to_string(kMaxAngular) + ", got " +
                    std::to_string(max_l));
    }
    const int L = max_l + 1;
    norm_.assign(static_cast<size_t>(L * L), 0.0);
    for (int l = 0; l <= max_l; ++l) {
        for (int m = 0; m <= l; ++m) {
            double ratio = 1.0;  // (l-m)! / (l+m)!
            for (int k = l - m + 1; k <= l + m; ++k) ratio /= k;
            double value = std::sqrt((2 * l + 1) / (4 * M_PI) * ratio);
            if (m > 0) value *= std::sqrt(2.0);
            norm_[static_cast<size_t>(l * L + m)] = value;
        }
    }
}

void SphericalHarmonics::compute(const double direction[3], double* values, double* gradients,
                                 std::vector<double>& work) const {
    const int L = max_l_ + 1;
    const size_t LL = static_cast<size_t>(L * L);
    const double x = direction[0], y = direction[1], z = direction[2];
    const double r2 = x * x + y * y + z * z;

    // Q[m][l]: the associated Legendre part as a polynomial in z and r^2;
    // Qz, Qr: its partial derivatives in z and in r^2. C/S: Re/Im (x + iy)^m.
    work.resize(3 * LL + 2 * static_cast<size_t>(L));
    double* Q = work.data();
    double* Qz = Q + LL;
    double* Qr = Qz + LL;
    double* C = Qr + LL;
    double* S = C + L;

    C[0] = 1.0;
    S[0] = 0.0;
    for (int m = 1; m <= max_l_; ++m) {
        C[m] = x * C[m - 1] - y * S[m - 1];
        S[m] = x * S[m - 1] + y * C[m - 1];
    }

    double diagonal = 1.0;  // (2m - 1)!!
    for (int m = 0; m <= max_l_; ++m) {
        double* q = Q + m * L;
        double* qz = Qz + m * L;
        double* qr = Qr + m * L;
        if (m > 0) diagonal *= (2 * m - 1);
        q[m] = diagonal;
        qz[m] = 0.0;
        qr[m] = 0.0;
        if (m + 1 <= max_l_) {
            q[m + 1] = (2 * m + 1) * z * diagonal;
            qz[m + 1] = (2 * m + 1) * diagonal;
            qr[m + 1] = 0.0;
        }
        for (int l = m + 2; l <= max_l_; ++l) {
            double a = (2 * l - 1), b = (l + m - 1), inv = 1.0 / (l - m);
            q[l] = (a * z * q[l - 1] - b * r2 * q[l - 2]) * inv;
            qz[l] = (a * (q[l - 1] + z * qz[l - 1]) - b * r2 * qz[l - 2]) * inv;
            qr[l] = (a * z * qr[l - 1] - b * (q[l - 2] + r2 * qr[l - 2])) * inv;
        }
    }

    for (int l = 0; l <= max_l_; ++l) {
        const int center = l * l + l;
        for (int m = 0; m <= l; ++m) {
            const double n = norm_[static_cast<size_t>(l * L + m)];
            const double q = Q[m * L + l];
            values[center + m] = n * q * C[m];
            if (m > 0) values[center - m] = n * q * S[m];
        }
    }
    if (gradients == nullptr) return;

    double* gx = gradients;
    double* gy = gradients + LL;
    double* gz = gradients + 2 * LL;
    for (int l = 0; l <= max_l_; ++l) {
        const int center = l * l + l;
        for (int m = 0; m <= l; ++m) {
            const double n = norm_[static_cast<size_t>(l * L + m)];
            const double q = Q[m * L + l], qz = Qz[m * L + l], qr = Qr[m * L + l];
            // d(x+iy)^m/dx = m (x+iy)^(m-1), d/dy = i m (x+iy)^(m-1)
            const double dCx = m > 0 ? m * C[m - 1] : 0.0, dCy = m > 0 ? -m * S[m - 1] : 0.0;
            const double dSx = m > 0 ? m * S[m - 1] : 0.0, dSy = m > 0 ? m * C[m - 1] : 0.0;
            // Gradient of the solid harmonic, then projection on the sphere:
            // grad Y(r/|r|) = grad R - l Y r at |r| = 1.
            const int idx_c = center + m;
            double yc = values[idx_c];
            gx[idx_c] = n * (2 * x * qr * C[m] + q * dCx) - l * yc * x;
            gy[idx_c] = n * (2 * y * qr * C[m] + q * dCy) - l * yc * y;
            gz[idx_c] = n * (qz + 2 * z * qr) * C[m] - l * yc * z;
            if (m > 0) {
                const int idx_s = center - m;
                double ys = values[idx_s];
                gx[idx_s] = n * (2 * x * qr * S[m] + q * dSx) - l * ys * x;
                gy[idx_s] = n * (2 * y * qr * S[m] + q * dSy) - l * ys * y;
                gz[idx_s] = n * (qz + 2 * z * qr) * S[m] - l * ys * z;
            }
        }
    }
}

}  // namespace lodestone
