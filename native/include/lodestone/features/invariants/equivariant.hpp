#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "lodestone/features/expansion.hpp"

namespace lodestone {

// Equivariants of order lambda of two expansions a and b with the same
// angular range (lambda-SOAP for a == b, rho x V of order lambda for a
// density and a LODE expansion):
//   x[i][mu][(t1, t2, l1, l2, n1, n2)] = w sum_{m1 m2} C^{lambda mu}_{l1 m1, l2 m2} a[i][l1 m1 t1 n1] b[i][l2 m2 t2 n2]
// with C the Clebsch-Gordan coefficients in the real harmonics' basis
// (math/clebsch_gordan.hpp), so that x of a rotated system is D^lambda(R) x
// with Y_lambda(R u) = D^lambda(R) Y_lambda(u) for the real Y of the
// expansions. Only (l1, l2) with |l1 - l2| <= lambda <= l1 + l2 and
// (-1)^(l1 + l2 + lambda) = sigma are kept: sigma = +1 gives proper tensors,
// sigma = -1 pseudotensors. For a == b the terms (t1 l1 n1, t2 l2 n2) and
// their swap are equal up to (-1)^(l1 + l2 + lambda) = sigma: only
// (t1, l1, n1) <= (t2, l2, n2) (lexicographic) is stored, strictly for
// sigma = -1 (where the diagonal vanishes), with w = sqrt(2) off the diagonal
// so that the squared norm of the stored vector is the full one; else w = 1.
struct EquivariantOptions {
    int lambda = 0;
    int sigma = 1;
    // (t1 type, t2 type, l1, l2, n1, n2) to keep, in this order; empty keeps all.
    std::vector<std::array<int32_t, 6>> selection;
};

class EquivariantInvariants {
public:
    // Pass the same pointer twice for the equivariants of one expansion.
    EquivariantInvariants(std::shared_ptr<const Expansion> a, std::shared_ptr<const Expansion> b,
                          EquivariantOptions options);

    bool symmetric() const { return a_ == b_; }
    int lambda() const { return options_.lambda; }
    size_t n_components() const { return static_cast<size_t>(2 * options_.lambda + 1); }
    // Properties (t1, t2, l1, l2, n1, n2) per component.
    size_t n_properties(const ExpansionRequest& request) const { return properties(request).size(); }

    // n_properties counts the properties; every array holds the 2 lambda + 1
    // components mu = -lambda..lambda just before them: values
    // [sample][mu][property], positions gradient [row][xyz][mu][property]
    // (rows: the union of both expansions' gradient rows), strain and cell
    // [sample][a][b][mu][property].
    ExpansionResult compute(const std::vector<System>& systems, const ExpansionRequest& request) const;

    // dL/dr, dL/dstrain from dL/dx (laid out like the values), never forming
    // dx/dr. When `values` is not null it receives x, computed on the way.
    BackwardResult backward(const std::vector<System>& systems, const ExpansionRequest& request,
                            const double* dl_dx, DoubleBuffer* values = nullptr) const;

private:
    struct Property {
        int t1, t2, l1, l2, n1, n2;
        double weight;
    };
    std::vector<Property> properties(const ExpansionRequest& request) const;

    // One non-zero real coupling coefficient of an (l1, l2) pair: component
    // mu and the offsets l*l + l + m of m1 in a and of m2 in b.
    struct Coupling {
        int mu, lm1, lm2;
        double value;
    };
    // The properties of one (t1, t2, l1, l2): entries of its Na x Nb block
    // (n1 Nb + n2) and where each goes.
    struct Block {
        int t1, t2;
        const std::vector<Coupling>* couplings;
        std::vector<int> entries, columns;
        std::vector<double> weights;
    };
    struct Plan {
        int n_types = 0;
        size_t n_properties = 0;
        std::vector<Block> blocks;
    };
    Plan plan(const std::vector<Property>& props, int n_types) const;
    // x [mu][property] of one sample; scratch: block_scratch() doubles.
    void contract(const Plan& plan, const double* a, const double* b, double* x, double* scratch) const;
    // out.a += dL/da, out.b += dL/db (may be the same array) from g = dL/dx
    // at coefficients `in`; scratch: block_scratch() doubles.
    void contract_adjoint(const Plan& plan, const double* g, CoefficientPair in, AdjointPair out,
                          double* scratch) const;
    size_t block_scratch() const;

    std::shared_ptr<const Expansion> a_, b_;
    EquivariantOptions options_;
    // Non-zero couplings of (l1, l2) at index l1 (max_angular + 1) + l2;
    // empty for pairs that lambda and sigma exclude.
    std::vector<std::vector<Coupling>> couplings_;
};

}  // namespace lodestone
