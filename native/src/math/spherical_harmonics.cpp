#include "math/spherical_harmonics.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "lodestone/core/error.hpp"
#include "core/simd.hpp"

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
    recurrence_.assign(static_cast<size_t>(2 * L * L), 0.0);
    for (int m = 0; m <= max_l; ++m) {
        for (int l = m + 2; l <= max_l; ++l) {
            recurrence_[static_cast<size_t>(2 * (m * L + l))] = (2.0 * l - 1.0) / (l - m);
            recurrence_[static_cast<size_t>(2 * (m * L + l) + 1)] = (l + m - 1.0) / (l - m);
        }
    }
}

namespace {

// The tables of one max_l (SphericalHarmonics' norm_ and recurrence_).
struct HarmonicTables {
    int max_l;
    const double* norm;  // [l][m]
    const double* rec;   // [m][l][2]
};

// One pass per m over l = m..max_l: the Legendre part Q_l^m as a polynomial
// in z and r^2 (and its partial derivatives Qz, Qr) follows a three-term
// recurrence in l, so each (l, m) is finished as soon as its Q is known and no
// table of Q is kept. rec holds (2l - 1)/(l - m), (l + m - 1)/(l - m).
LODESTONE_MULTIVERSION
void solid_harmonics(HarmonicTables tables, const double direction[3], double* values, double* gradients) {
    const int max_l = tables.max_l;
    const double* norm = tables.norm;
    const double* rec = tables.rec;
    const int L = max_l + 1;
    const size_t LL = static_cast<size_t>(L * L);
    const double x = direction[0], y = direction[1], z = direction[2];
    const double r2 = x * x + y * y + z * z;
    double* gx = gradients;
    double* gy = gradients ? gradients + LL : nullptr;
    double* gz = gradients ? gradients + 2 * LL : nullptr;

    double C = 1.0, S = 0.0;                 // Re, Im (x + iy)^m
    double C_prev = 0.0, S_prev = 0.0;       // the same for m - 1 (0 for m = 0)
    double diagonal = 1.0;                   // (2m - 1)!!
    for (int m = 0; m <= max_l; ++m) {
        if (m > 0) {
            C_prev = C;
            S_prev = S;
            C = x * C_prev - y * S_prev;
            S = x * S_prev + y * C_prev;
            diagonal *= (2 * m - 1);
        }
        // Q_{l-1}, Q_{l-2} and their derivatives
        double q1 = 0.0, q1z = 0.0, q1r = 0.0, q2 = 0.0, q2z = 0.0, q2r = 0.0;
        const double* rec_m = rec + 2 * m * L;
        for (int l = m; l <= max_l; ++l) {
            double q, qz, qr;
            if (l == m) {
                q = diagonal;
                qz = 0.0;
                qr = 0.0;
            } else if (l == m + 1) {
                q = (2 * m + 1) * z * diagonal;
                qz = (2 * m + 1) * diagonal;
                qr = 0.0;
            } else {
                const double a = rec_m[2 * l], b = rec_m[2 * l + 1];
                q = a * z * q1 - b * r2 * q2;
                qz = a * (q1 + z * q1z) - b * r2 * q2z;
                qr = a * z * q1r - b * (q2 + r2 * q2r);
            }
            q2 = q1;
            q2z = q1z;
            q2r = q1r;
            q1 = q;
            q1z = qz;
            q1r = qr;

            const int center = l * l + l;
            const double nq = norm[l * L + m] * q;
            const double yc = nq * C, ys = nq * S;
            values[center + m] = yc;
            if (m > 0) values[center - m] = ys;
            if (!gradients) continue;
            // Gradient of the solid harmonic, then projection on the sphere:
            // grad Y(r/|r|) = grad R - l Y r at |r| = 1, with
            // d(x+iy)^m/dx = m (x+iy)^(m-1), d/dy = i m (x+iy)^(m-1).
            const double nqr2 = 2.0 * norm[l * L + m] * qr;
            const double nqz = norm[l * L + m] * (qz + 2.0 * z * qr);
            const double mq = m * nq;
            const double kc = nqr2 * C - l * yc;
            gx[center + m] = x * kc + mq * C_prev;
            gy[center + m] = y * kc - mq * S_prev;
            gz[center + m] = nqz * C - l * yc * z;
            if (m > 0) {
                const double ks = nqr2 * S - l * ys;
                gx[center - m] = x * ks + mq * S_prev;
                gy[center - m] = y * ks + mq * C_prev;
                gz[center - m] = nqz * S - l * ys * z;
            }
        }
    }
}

// The same for four directions at once, one per vector lane, with
// gradients multiplied by scale[lane] (e.g. 1/r); outputs [lm][4] and
// [xyz][lm][4].
LODESTONE_MULTIVERSION
void solid_harmonics4(HarmonicTables tables, const double* directions, const double* scale, double* values,
                      double* gradients) {
    const int max_l = tables.max_l;
    const double* norm = tables.norm;
    const double* rec = tables.rec;
    const int L = max_l + 1;
    const size_t LL = static_cast<size_t>(L * L);
    const v4d x = {directions[0], directions[3], directions[6], directions[9]};
    const v4d y = {directions[1], directions[4], directions[7], directions[10]};
    const v4d z = {directions[2], directions[5], directions[8], directions[11]};
    const v4d r2 = x * x + y * y + z * z;
    const v4d zero = {0.0, 0.0, 0.0, 0.0};
    const v4d one = {1.0, 1.0, 1.0, 1.0};
    const v4d s = scale ? v4d{scale[0], scale[1], scale[2], scale[3]} : one;
    double* gx = gradients;
    double* gy = gradients ? gradients + 4 * LL : nullptr;
    double* gz = gradients ? gradients + 8 * LL : nullptr;

    v4d C = one, S = zero, C_prev = zero, S_prev = zero;
    double diagonal = 1.0;
    for (int m = 0; m <= max_l; ++m) {
        if (m > 0) {
            C_prev = C;
            S_prev = S;
            C = x * C_prev - y * S_prev;
            S = x * S_prev + y * C_prev;
            diagonal *= (2 * m - 1);
        }
        v4d q1 = zero, q1z = zero, q1r = zero, q2 = zero, q2z = zero, q2r = zero;
        for (int l = m; l <= max_l; ++l) {
            v4d q, qz, qr;
            if (l == m) {
                q = one * diagonal;
                qz = zero;
                qr = zero;
            } else if (l == m + 1) {
                q = z * ((2 * m + 1) * diagonal);
                qz = one * ((2 * m + 1) * diagonal);
                qr = zero;
            } else {
                const double a = rec[2 * (m * L + l)], b = rec[2 * (m * L + l) + 1];
                q = a * z * q1 - b * r2 * q2;
                qz = a * (q1 + z * q1z) - b * r2 * q2z;
                qr = a * z * q1r - b * (q2 + r2 * q2r);
            }
            q2 = q1;
            q2z = q1z;
            q2r = q1r;
            q1 = q;
            q1z = qz;
            q1r = qr;

            const int center = l * l + l;
            const double n = norm[l * L + m];
            const v4d nq = n * q;
            const v4d yc = nq * C, ys = nq * S;
            store4(values + 4 * (center + m), yc);
            if (m > 0) store4(values + 4 * (center - m), ys);
            if (!gradients) continue;
            const v4d nqr2 = (2.0 * n) * qr;
            const v4d nqz = n * (qz + 2.0 * z * qr);
            const v4d mq = m * nq;
            const v4d kc = nqr2 * C - l * yc;
            store4(gx + 4 * (center + m), (x * kc + mq * C_prev) * s);
            store4(gy + 4 * (center + m), (y * kc - mq * S_prev) * s);
            store4(gz + 4 * (center + m), (nqz * C - l * yc * z) * s);
            if (m > 0) {
                const v4d ks = nqr2 * S - l * ys;
                store4(gx + 4 * (center - m), (x * ks + mq * S_prev) * s);
                store4(gy + 4 * (center - m), (y * ks + mq * C_prev) * s);
                store4(gz + 4 * (center - m), (nqz * S - l * ys * z) * s);
            }
        }
    }
}

}  // namespace

void SphericalHarmonics::compute4(const double directions[12], const double* gradient_scale, double* values,
                                  double* gradients) const {
    solid_harmonics4({max_l_, norm_.data(), recurrence_.data()}, directions, gradient_scale, values, gradients);
}

void SphericalHarmonics::compute(const double direction[3], double* values, double* gradients) const {
    solid_harmonics({max_l_, norm_.data(), recurrence_.data()}, direction, values, gradients);
}

}  // namespace lodestone
