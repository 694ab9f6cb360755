#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "lodestone/core/buffer.hpp"
#include "lodestone/core/system.hpp"

namespace lodestone {

struct ExpansionRequest {
    // No lists: every atom is a centre. Else one list per system (possibly empty).
    std::vector<std::vector<int32_t>> centers;
    // Neighbour types to expand (the column blocks), ascending and unique.
    std::vector<int32_t> neighbor_types;
    bool positions = false;
    bool strain = false;
    bool cell = false;
    // With positions: the gradient of the sum of the centres' values over the
    // centres of each atomic type, rows [type][system][atom] instead of one
    // per (centre, atom) pair. What a linear model's force rows need, without
    // the N^2 rows of all-pairs (LODE) gradients. Offered by the products of
    // expansions (invariants, equivariants), not by the expansions.
    bool sum_centers = false;
};

// Dense output. Properties are ordered (l, m, neighbor_type, n), row-major.
struct ExpansionResult {
    size_t n_samples = 0;
    size_t n_properties = 0;
    DoubleBuffer values;                   // [sample][property]
    std::vector<int32_t> samples;          // [sample][system, atom]
    std::vector<int32_t> properties;       // [property][l, m, neighbor_type, n]
    // d values[sample] / d r[atom]: one row per (sample, atom) pair that interact.
    DoubleBuffer positions_gradient;                 // [gradient sample][xyz][property]
    std::vector<int32_t> positions_gradient_samples; // [gradient sample][sample, system, atom]
                                                     // (sum_centers: [type, system, atom])
    // sum over pairs r_ij[a] dX/dr_ij[b] and shift[a] dX/dr_ij[b]
    DoubleBuffer strain_gradient;  // [sample][a][b][property]
    DoubleBuffer cell_gradient;    // [sample][a][b][property]
};

// Vector-Jacobian product of an expansion: dL/dr and dL/dstrain from dL/dc.
struct BackwardResult {
    std::vector<double> positions;  // [atom of all systems, in order][xyz]
    std::vector<double> strain;     // [system][a][b], dL/d(strain_ab)
};

// Fills dl_dc (all P entries) for one sample from that sample's coefficients
// c alone, as for any loss that acts on each centre's features separately
// (the power spectrum and everything built on it). Called concurrently for
// different samples.
using LocalAdjoint = std::function<void(size_t sample, const double* c, double* dl_dc)>;

// One sample's coefficients (or their derivatives) of two expansions a and
// b, and where dL/da and dL/db go: what the products of two expansions (the
// invariants, the equivariants) pass around. a and b may be the same array
// (the product of an expansion with itself).
struct CoefficientPair {
    const double* a;
    const double* b;
};
struct AdjointPair {
    double* a;
    double* b;
};

// A fixed linear map of an expansion's (neighbour type, radial) channels to
// K channels per l, c~[i][l m][k] = sum_(t, n) U_l[k][t n] c[i][l m][t n]
// (ContractedExpansion): `matrices` holds U_l for l = 0..max_angular, each
// K x width row-major, width = neighbour types x radial functions.
struct ChannelContraction {
    int channels = 0;
    int width = 0;
    const double* matrices = nullptr;
};

// An expansion c[i][(l, m, neighbor_type, n)] of some field around each centre
// (local density, LODE potential); what invariants are built from.
class Expansion {
public:
    virtual ~Expansion() = default;
    virtual int max_angular() const = 0;
    virtual int max_radial() const = 0;
    // Type channels of the values (the request's neighbour types, unless the
    // expansion mixes them into other channels) and the label of each.
    virtual size_t channel_count(const ExpansionRequest& request) const { return request.neighbor_types.size(); }
    virtual int32_t channel_label(const ExpansionRequest& request, size_t channel) const {
        return request.neighbor_types[channel];
    }
    // Number of columns of compute()'s values for this request.
    virtual size_t n_properties(const ExpansionRequest& request) const {
        const size_t L = static_cast<size_t>(max_angular() + 1);
        return L * L * channel_count(request) * static_cast<size_t>(max_radial() + 1);
    }
    virtual ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const = 0;
    // dL/dc laid out like compute()'s values for the same systems and request
    // (request.positions/strain select the outputs; cell is ignored).
    virtual BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                    const double* dl_dvalues) const = 0;
    // backward() when dL/dc comes from a LocalAdjoint: an expansion that is a
    // sum of pair terms evaluates each pair once for both the values and the
    // gradient. Returns false (result untouched) when not supported; the
    // caller then computes the values and calls backward().
    virtual bool backward_local(const std::vector<System>&, const ExpansionRequest&, const LocalAdjoint&,
                                BackwardResult&) const {
        return false;
    }
    // compute()'s values and backward() of a contraction of this expansion's
    // channels, for an expansion that evaluates the K contracted channels at
    // less cost than its full result and a contraction after it (the LODE
    // mesh: one FFT per contracted channel instead of one per type and radial
    // function). Values only (no gradient tensors); dL/dc~ and `values` laid
    // out as the contracted values, [sample][l m][k]. Return false (outputs
    // untouched) when not supported for these systems: the caller then
    // contracts compute()'s result or expands the adjoint itself.
    virtual bool compute_contracted(const std::vector<System>&, const ExpansionRequest&, const ChannelContraction&,
                                    double*) const {
        return false;
    }
    virtual bool backward_contracted(const std::vector<System>&, const ExpansionRequest&, const ChannelContraction&,
                                     const double*, BackwardResult&) const {
        return false;
    }
    // The expansion whose coefficients this one is a fixed linear map of
    // (itself, unless it wraps another as a contraction does), and `local`
    // carried over to that expansion's coefficients. Products of one base
    // expansion then share a single pass over its neighbour pairs
    // (pair_products::backward): a model's rho x rho and rho x V blocks.
    virtual const Expansion& base() const { return *this; }
    virtual LocalAdjoint to_base(LocalAdjoint local, const ExpansionRequest&) const { return local; }
};

// Validates a request's centre lists and neighbour types against the systems.
void validate_request(const std::vector<System>& systems, const ExpansionRequest& request);
// Validates every system, naming it systems[k] in messages.
void validate_systems(const std::vector<System>& systems);
// Centres of system s under the request (all atoms when no list was given).
std::vector<int32_t> request_centers(const std::vector<System>& systems, const ExpansionRequest& request, size_t s);

// A backward pass's outputs for a request, zero: dL/dr of every atom of the
// systems when positions are asked for, dL/dstrain of each system when the
// strain is.
BackwardResult zero_backward(const std::vector<System>& systems, const ExpansionRequest& request);
// Total number of centres (rows) a request produces.
size_t count_samples(const std::vector<System>& systems, const ExpansionRequest& request);
// Throws unless an adjoint dL/dvalues has samples x properties entries.
void check_adjoint_length(size_t length, size_t samples, size_t properties);

// Centre lists and the first sample of each system (sample_start has one
// more entry: the total).
struct SampleLayout {
    std::vector<std::vector<int32_t>> centers;
    std::vector<size_t> sample_start;
};

// Sets the (l, m, neighbor_type, n) property labels and sizes the value,
// sample and strain/cell outputs of `result` for a request (rows are left
// for the caller to fill); returns where each system's samples go.
SampleLayout start_result(const std::vector<System>& systems, const ExpansionRequest& request, int max_angular,
                          int max_radial, ExpansionResult& result);

// Column block of each atom's type in `neighbor_types` (-1 when absent).
std::vector<int> type_blocks(const System& system, const std::vector<int32_t>& neighbor_types);

}  // namespace lodestone
