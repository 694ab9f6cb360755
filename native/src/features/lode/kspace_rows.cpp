#include "features/lode/kspace_rows.hpp"

#include "core/simd.hpp"

namespace lodestone::lode {

LODESTONE_MULTIVERSION
void fill_factor_row(size_t size, const FactorRow& row) {
    for (size_t kb = 0; kb < size; ++kb) {
        const double pr = row.phase_re[kb], pi = row.phase_im[kb];
        const double sr = row.structure_re[kb], si = row.structure_im[kb];
        row.re[kb] = pr * sr - pi * si;
        row.im[kb] = pr * si + pi * sr;
    }
}

LODESTONE_MULTIVERSION
void add_center_row(const KColumns& k, const CenterRow& row, double* force) {
    const size_t n = k.size;
    const double *kx = k.k, *ky = k.k + n, *kz = k.k + 2 * n;
    double fx = 0.0, fy = 0.0, fz = 0.0;
#pragma omp simd reduction(+ : fx, fy, fz)
    for (size_t kb = 0; kb < n; ++kb) {
        const double ge = row.gamma_even[kb], go = row.gamma_odd[kb];
        const double sr = row.structure_re[kb], si = row.structure_im[kb];
        const double pr = row.phase_re[kb], pi = row.phase_im[kb];
        const double a_r = sr * ge + si * go, a_i = si * ge - sr * go;
        const double im = pr * a_i + pi * a_r;
        fx += kx[kb] * im;
        fy += ky[kb] * im;
        fz += kz[kb] * im;
        row.u_re[kb] += ge * pr + go * pi;
        row.u_im[kb] += ge * pi - go * pr;
    }
    force[0] -= fx;
    force[1] -= fy;
    force[2] -= fz;
}

LODESTONE_MULTIVERSION
void add_neighbor_row(const KColumns& k, const NeighborRow& row, double* force) {
    const size_t n = k.size;
    const double *kx = k.k, *ky = k.k + n, *kz = k.k + 2 * n;
    double fx = 0.0, fy = 0.0, fz = 0.0;
#pragma omp simd reduction(+ : fx, fy, fz)
    for (size_t kb = 0; kb < n; ++kb) {
        const double im = row.u_im[kb] * row.phase_re[kb] - row.u_re[kb] * row.phase_im[kb];
        fx += kx[kb] * im;
        fy += ky[kb] * im;
        fz += kz[kb] * im;
    }
    force[0] += fx;
    force[1] += fy;
    force[2] += fz;
}

}  // namespace lodestone::lode
