#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "lodestone/expansions/cutoff.hpp"
#include "lodestone/expansions/radial_integral.hpp"
#include "lodestone/math/spherical_harmonics.hpp"
#include "lodestone/neighbors.hpp"
#include "lodestone/system.hpp"

namespace lodestone {

// Hyper-parameters of the local (SOAP) density expansion, featomic's meaning.
struct SphericalExpansionHypers {
    CutoffFunction cutoff;
    double density_width = 0.3;       // Gaussian width (A)
    double center_atom_weight = 1.0;  // weight of the centre's own density
    int max_radial = 0;               // inclusive
    int max_angular = 0;
    double radial_radius = 0.0;       // GTO radius; <= 0 means cutoff.radius
    double spline_accuracy = 1e-8;    // <= 0: exact radial integrals
};

struct ExpansionRequest {
    // One list of centre atoms per system; an empty list means all atoms.
    std::vector<std::vector<int32_t>> centers;
    // Neighbour types to expand (the column blocks), ascending and unique.
    std::vector<int32_t> neighbor_types;
    bool positions = false;
    bool strain = false;
    bool cell = false;
};

// Dense output. Properties are ordered (l, m, neighbor_type, n), row-major.
struct ExpansionResult {
    size_t n_samples = 0;
    size_t n_properties = 0;
    std::vector<double> values;            // [sample][property]
    std::vector<int32_t> samples;          // [sample][system, atom]
    std::vector<int32_t> properties;       // [property][l, m, neighbor_type, n]
    // d values[sample] / d r[atom]: one row per (sample, atom) pair that interact.
    std::vector<double> positions_gradient;          // [gradient sample][xyz][property]
    std::vector<int32_t> positions_gradient_samples; // [gradient sample][sample, system, atom]
    // sum over pairs r_ij[a] dX/dr_ij[b] and shift[a] dX/dr_ij[b]
    std::vector<double> strain_gradient;  // [sample][a][b][property]
    std::vector<double> cell_gradient;    // [sample][a][b][property]
};

class SphericalExpansion {
public:
    explicit SphericalExpansion(const SphericalExpansionHypers& hypers);

    const SphericalExpansionHypers& hypers() const { return hypers_; }

    // Validates systems and request, then computes (OpenMP over centres).
    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const;

private:
    SphericalExpansionHypers hypers_;
    SphericalHarmonics harmonics_;
    std::unique_ptr<GaussianRadialIntegral> radial_;
};

// Validates a request's centre lists and neighbour types against the systems
// (shared by every per-centre calculator).
void validate_request(const std::vector<System>& systems, const ExpansionRequest& request);

}  // namespace lodestone
