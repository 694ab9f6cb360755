#pragma once
// The per-row loops of the k-space LODE sum: per row (a centre and a
// neighbour type) or per atom, over one block's k-vectors with every array
// indexed by k alone, so the loops run with unit stride in vector
// registers. The factors of the values: A_ct(k) = e^{ik.r_c} S_t(k). The
// forces of the backward pass, with Gamma_ct(k) = sum_q H_q(k) g_c[t][q] split by parity
// (Gamma^e takes Re, Gamma^o Im of A_ct(k) = e^{ik.r_c} S_t(k)):
//   centre c:  dL/dr_c = -sum_k k Im(e^{ik.r_c} S_t(k) (Gamma^e - i Gamma^o)),
//   U_t(k)  += (Gamma^e - i Gamma^o) e^{ik.r_c},
//   atom m of type t: dL/dr_m = sum_k k Im(U_t(k) e^{-ik.r_m}).
#include <cstddef>

namespace lodestone::lode {

// A block's k-vectors by component: x, y, z rows of `size` each.
struct KColumns {
    size_t size = 0;
    const double* k = nullptr;  // [3][size]
};

// A_ct(k) of one row, real and imaginary parts, each [size].
struct FactorRow {
    const double *phase_re, *phase_im;          // e^{ik.r_c} of the centre
    const double *structure_re, *structure_im;  // S_t(k) of the row's type
    double *re, *im;                            // written
};
void fill_factor_row(size_t size, const FactorRow& row);

// One row's inputs, each [size], and its part of U (added to).
struct CenterRow {
    const double *gamma_even, *gamma_odd;
    const double *structure_re, *structure_im;  // S_t(k) of the row's type
    const double *phase_re, *phase_im;          // e^{ik.r_c} of the centre
    double *u_re, *u_im;
};

// Adds the row's dL/dr_c to force[0..2] and its part of U_t.
void add_center_row(const KColumns& k, const CenterRow& row, double* force);

// One atom's phases and the U of its type, each [size].
struct NeighborRow {
    const double *u_re, *u_im;
    const double *phase_re, *phase_im;
};

// Adds the atom's dL/dr_m to force[0..2].
void add_neighbor_row(const KColumns& k, const NeighborRow& row, double* force);

}  // namespace lodestone::lode
