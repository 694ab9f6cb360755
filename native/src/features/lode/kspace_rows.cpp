#include "features/lode/kspace_rows.hpp"

#include "core/simd.hpp"

namespace lodestone::lode {

LODESTONE_MULTIVERSION
void fill_factor_row(size_t size, const FactorRow& row) {
    // Local restrict pointers: through `row` the stores could alias its
    // own pointer members, and the loop reloaded them per element (gathers).
    const double* __restrict phase_re = row.phase_re;
    const double* __restrict phase_im = row.phase_im;
    const double* __restrict structure_re = row.structure_re;
    const double* __restrict structure_im = row.structure_im;
    double* __restrict re = row.re;
    double* __restrict im = row.im;
#pragma omp simd
    for (size_t kb = 0; kb < size; ++kb) {
        const double pr = phase_re[kb], pi = phase_im[kb];
        const double sr = structure_re[kb], si = structure_im[kb];
        re[kb] = pr * sr - pi * si;
        im[kb] = pr * si + pi * sr;
    }
}

LODESTONE_MULTIVERSION
void add_center_row(const KColumns& k, const CenterRow& row, double* force) {
    const size_t n = k.size;
    const double* __restrict kx = k.k;
    const double* __restrict ky = k.k + n;
    const double* __restrict kz = k.k + 2 * n;
    // as in fill_factor_row: the stores to U must not reload the inputs' pointers
    const double* __restrict gamma_even = row.gamma_even;
    const double* __restrict gamma_odd = row.gamma_odd;
    const double* __restrict structure_re = row.structure_re;
    const double* __restrict structure_im = row.structure_im;
    const double* __restrict phase_re = row.phase_re;
    const double* __restrict phase_im = row.phase_im;
    double* __restrict u_re = row.u_re;
    double* __restrict u_im = row.u_im;
    double fx = 0.0, fy = 0.0, fz = 0.0;
#pragma omp simd reduction(+ : fx, fy, fz)
    for (size_t kb = 0; kb < n; ++kb) {
        const double ge = gamma_even[kb], go = gamma_odd[kb];
        const double sr = structure_re[kb], si = structure_im[kb];
        const double pr = phase_re[kb], pi = phase_im[kb];
        const double a_r = sr * ge + si * go, a_i = si * ge - sr * go;
        const double im = pr * a_i + pi * a_r;
        fx += kx[kb] * im;
        fy += ky[kb] * im;
        fz += kz[kb] * im;
        u_re[kb] += ge * pr + go * pi;
        u_im[kb] += ge * pi - go * pr;
    }
    force[0] -= fx;
    force[1] -= fy;
    force[2] -= fz;
}

LODESTONE_MULTIVERSION
void add_neighbor_row(const KColumns& k, const NeighborRow& row, double* force) {
    const size_t n = k.size;
    const double* __restrict kx = k.k;
    const double* __restrict ky = k.k + n;
    const double* __restrict kz = k.k + 2 * n;
    // loaded once, as in add_center_row (otherwise the loop gathered them)
    const double* __restrict u_re = row.u_re;
    const double* __restrict u_im = row.u_im;
    const double* __restrict phase_re = row.phase_re;
    const double* __restrict phase_im = row.phase_im;
    double fx = 0.0, fy = 0.0, fz = 0.0;
#pragma omp simd reduction(+ : fx, fy, fz)
    for (size_t kb = 0; kb < n; ++kb) {
        const double im = u_im[kb] * phase_re[kb] - u_re[kb] * phase_im[kb];
        fx += kx[kb] * im;
        fy += ky[kb] * im;
        fz += kz[kb] * im;
    }
    force[0] += fx;
    force[1] += fy;
    force[2] += fz;
}

}  // namespace lodestone::lode
