#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "lodestone/features/expansion.hpp"

namespace lodestone {

namespace pair_products {
struct ProductAdjoint;
}

// Rotational invariants of two expansions a and b with the same angular range:
// x[i][(t1, t2, l, n1, n2)] = w (-1)^l / sqrt(2l + 1) sum_m a[i][l m t1 n1] b[i][l m t2 n2].
// a == b (the SOAP power spectrum): only t1 <= t2 is stored and w = sqrt(2)
// for t1 != t2, else w = 1 (featomic's convention). a = density, b = LODE
// gives the multi-scale rho x V invariants of Grisafi, Nigam & Ceriotti.
struct InvariantsOptions {
    // (t1 type, t2 type, l, n1, n2) to keep, in this order; empty keeps all.
    std::vector<std::array<int32_t, 5>> selection;
    bool normalize = false;  // scale each centre's feature vector to unit norm
};

class Invariants {
public:
    // Pass the same pointer twice for the power spectrum of one expansion.
    Invariants(std::shared_ptr<const Expansion> a, std::shared_ptr<const Expansion> b, InvariantsOptions options);

    bool symmetric() const { return a_ == b_; }
    size_t n_properties(const ExpansionRequest& request) const { return properties(request).size(); }

    // Values, and full gradient tensors when asked (rows: the union of both
    // expansions' gradient rows). Properties: (t1, t2, l, n1, n2).
    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const;

    // dL/dr, dL/dstrain from dL/dx, never forming dx/dr. When `values` is not
    // null it receives x (computed on the way, so a model pays for one pass).
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dx, std::vector<double>* values = nullptr) const;
    // The same into a DoubleBuffer: large outputs then reuse cached memory
    // instead of fresh pages on every call (see buffer.hpp), which matters
    // when backward runs at every MD step.
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dx, DoubleBuffer* values) const;

    // The backward pass of several invariants at once, their gradients
    // summed: those whose first expansions have the same base expansion (a
    // model's rho x rho and rho x V blocks over one density) share a single
    // pass over its neighbour pairs. Per invariant k: dl_dx[k], and dots[k]
    // (one double per sample) receives dL/dx . x per sample (a linear
    // model's energies), taken while each sample's x is in cache.
    static BackwardResult backward_joint(const std::vector<const Invariants*>& list, const std::vector<System>& systems,
                                         const ExpansionRequest& request, const std::vector<const double*>& dl_dx,
                                         const std::vector<double*>& dots);

private:
    // Type channels of both expansions (equal: checked per request).
    size_t channel_count(const ExpansionRequest& request) const;
    struct Property {
        int t1, t2, l, n1, n2;
        double weight;
    };
    std::vector<Property> properties(const ExpansionRequest& request) const;
    // backward() with x written to values[sample][property] (sized by the caller) when not null.
    BackwardResult backward_into(const std::vector<System>& systems, const ExpansionRequest& request,
                                 const double* dl_dx, double* values) const;
    // This invariant's part of a backward pass, x written as in backward_into
    // and dL/dx . x per sample to dots when not null.
    pair_products::ProductAdjoint product_adjoint(const ExpansionRequest& request, const double* dl_dx,
                                                  double* values, double* dots = nullptr) const;
    // The properties of a request in the form the contractions use, built
    // once per call.
    struct Plan {
        int n_types = 0;
        bool dense = false;                // no selection: all (t1, t2, l) blocks of Na x Nb
        std::vector<double> block_weights; // dense: one per (t1, t2, l) block
        std::vector<int> index;            // else (t1, t2, l, n1, n2) per property
        std::vector<double> weights;       // else one per property
    };
    Plan plan(const std::vector<Property>& props, int n_types) const;
    void contract(const Plan& plan, const double* a, const double* b, double* x) const;
    // out.a += dL/da, out.b += dL/db (may be the same array) from g = dL/dx
    // at coefficients `in`; scratch: 2 (max_radial_a + 1)(max_radial_b + 1)
    // doubles.
    void contract_adjoint(const Plan& plan, const double* g, CoefficientPair in, AdjointPair out,
                          double* scratch) const;

    std::shared_ptr<const Expansion> a_, b_;
    InvariantsOptions options_;
};

}  // namespace lodestone
