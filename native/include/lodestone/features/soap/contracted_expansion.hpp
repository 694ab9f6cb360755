#pragma once
#include <memory>
#include <vector>

#include "lodestone/features/expansion.hpp"

namespace lodestone {

// An expansion whose (neighbour type, radial) channels are contracted to K
// channels per angular momentum l:
//   c~[i][l m][k] = sum_(t, n) U_l[k][t n] c[i][l m][t n].
// The same U_l for every m keeps the result equivariant, so invariants built
// from it stay invariant. With K much smaller than types x radial functions,
// rho x rho shrinks from T (T + 1) / 2 N^2 to K (K + 1) / 2 columns per l and
// rho x V from T^2 N^2 to K^2: the feature count no longer grows as the
// square of the number of species. The K channels play the role of
// "pseudo-species" (one radial function each), so an Invariants built on two
// contracted expansions sees K types and max_radial 0.
class ContractedExpansion : public Expansion {
public:
    // types: the neighbour types the inner expansion is evaluated for (the
    // request's neighbor_types must equal them); matrices: for l = 0..L-1,
    // K x (types.size() (inner max_radial + 1)) row-major, concatenated.
    ContractedExpansion(std::shared_ptr<const Expansion> inner, std::vector<int32_t> types, int channels,
                        std::vector<double> matrices);

    int max_angular() const override { return inner_->max_angular(); }
    int max_radial() const override { return 0; }
    size_t channel_count(const ExpansionRequest&) const override { return static_cast<size_t>(channels_); }
    int32_t channel_label(const ExpansionRequest&, size_t channel) const override {
        return static_cast<int32_t>(channel);
    }
    size_t n_properties(const ExpansionRequest&) const override;

    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const override;
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dvalues) const override;
    bool backward_local(const std::vector<System>& systems, const ExpansionRequest& request,
                        const LocalAdjoint& local, BackwardResult& result) const override;
    const Expansion& base() const override { return inner_->base(); }
    LocalAdjoint to_base(LocalAdjoint local, const ExpansionRequest& request) const override;

private:
    void check_request(const ExpansionRequest& request) const;
    ChannelContraction contraction() const;
    // out[l m][k] = sum U_l[k][t n] in[l m][t n] for one sample (or gradient row).
    void contract(const double* in, double* out) const;
    // out[l m][t n] = sum_k U_l[k][t n] in[l m][k]: the adjoint of contract().
    void expand(const double* in, double* out) const;

    std::shared_ptr<const Expansion> inner_;
    std::vector<int32_t> types_;
    int channels_;
    int inner_width_;  // types x inner radial functions
    std::vector<double> matrices_;
};

}  // namespace lodestone
