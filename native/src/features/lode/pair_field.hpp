#pragma once
// A short-ranged part of the LODE field summed pair by pair in real space:
// every neighbour (periodic images included) closer than `radius` to the
// centre adds weight(d) F_nl(d) Y_lm(r_ij^), and the centre its own F_n0(0)
// Y_00. The near-field exclusion (near_field.cpp) removes such a part with a
// switched weight; the range-separated method (split.cpp) adds one.
#include "features/lode/engine.hpp"

namespace lodestone::lode {

struct PairField {
    const RealSpaceKernel* kernel = nullptr;
    const SphericalHarmonics* harmonics = nullptr;  // of the directions, up to the kernel's L - 1
    double radius = 0.0;  // A: pairs at d < radius
    double sign = 1.0;    // +1 adds the part, -1 removes it
    // > 0: the weight goes from 1 at radius - switch_width to 0 at radius by a
    // shifted cosine (values and gradients continuous); 0: a sharp cut.
    double switch_width = 0.0;
};

void add_pair_field(const PairField& field, const System& system, const ExpansionRequest& request,
                    const CenterLayout& layout, const ComputeOutput& out);

void backward_pair_field(const PairField& field, const System& system, const ExpansionRequest& request,
                         const CenterLayout& layout, const double* adjoint, const BackwardOutput& out);

}  // namespace lodestone::lode
