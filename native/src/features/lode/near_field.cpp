// The far field of a LODE expansion: the field of every atom within
// `exclusion_radius` of the centre (its images included, the centre itself
// always) is removed, switched off smoothly over the last `exclusion_width`
// A so values and gradients stay continuous as atoms cross the sphere.
//
// Why: in rho x V with the full field, the field of a molecule's own atoms
// dominates V, so the weights that couple a centre to distant molecules are
// the same ones that fit the molecule's own (intramolecular) energy; a
// molecule never seen in training then gets eV-size errors in its energy and
// in its interaction with everything around it. The local features already
// describe all that lies within the cutoff; removing it from V leaves rho x V
// with only what they cannot see (it vanishes for a molecule smaller than the
// cutoff, and the interaction of two distant molecules is carried by it
// alone). The removed part is the real-space pair kernel of the molecular
// path (real_space.cpp), so for molecules the subtraction is exact pair by
// pair.
#include "features/lode/engine.hpp"
#include "features/lode/pair_field.hpp"
#include "features/lode/real_space_kernel.hpp"

namespace lodestone {

namespace {

lode::PairField near_field(const lode::RealSpaceKernel& kernel, const SphericalHarmonics& harmonics,
                           const LodeExpansionHypers& hypers) {
    lode::PairField field;
    field.kernel = &kernel;
    field.harmonics = &harmonics;
    field.radius = hypers.exclusion_radius;
    field.sign = -1.0;
    field.switch_width = hypers.exclusion_width;
    return field;
}

}  // namespace

void lode::Engine::subtract_near_field(const System& system, const ExpansionRequest& request,
                                       const CenterLayout& layout, const ComputeOutput& out) const {
    const auto kernel = real_space_kernel(hypers_.exclusion_radius);
    add_pair_field(near_field(*kernel, harmonics_, hypers_), system, request, layout, out);
}

void lode::Engine::backward_near_field(const System& system, const ExpansionRequest& request,
                                       const CenterLayout& layout, const double* adjoint,
                                       const BackwardOutput& out) const {
    const auto kernel = real_space_kernel(hypers_.exclusion_radius);
    backward_pair_field(near_field(*kernel, harmonics_, hypers_), system, request, layout, adjoint, out);
}

}  // namespace lodestone
