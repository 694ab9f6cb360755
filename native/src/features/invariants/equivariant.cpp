#include "lodestone/features/invariants/equivariant.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>

#include "lodestone/core/error.hpp"
#include "features/invariants/pair_products.hpp"
#include "math/clebsch_gordan.hpp"

namespace lodestone {

namespace {

constexpr const char* kWho = "equivariant invariants";

bool parity_kept(int l1, int l2, int lambda, int sigma) { return ((l1 + l2 + lambda) % 2 == 0) == (sigma == 1); }

}  // namespace

EquivariantInvariants::EquivariantInvariants(std::shared_ptr<const Expansion> a, std::shared_ptr<const Expansion> b,
                                             EquivariantOptions options)
    : a_(std::move(a)), b_(std::move(b)), options_(std::move(options)) {
    const std::string who = kWho;
    if (!a_ || !b_) throw Error(who + ": both expansions are required");
    const int lmax = a_->max_angular();
    if (b_->max_angular() != lmax) {
        throw Error(who + ": the two expansions must have the same max_angular, got " + std::to_string(lmax) +
                    " and " + std::to_string(b_->max_angular()));
    }
    const int lambda = options_.lambda;
    if (lambda < 0 || lambda > 2 * lmax) {
        throw Error(who + ": lambda must be between 0 and 2 max_angular = " + std::to_string(2 * lmax) + ", got " +
                    std::to_string(lambda));
    }
    if (options_.sigma != 1 && options_.sigma != -1) {
        throw Error(who + ": sigma must be 1 (proper tensors) or -1 (pseudotensors), got " +
                    std::to_string(options_.sigma));
    }
    const int L = lmax + 1;
    couplings_.resize(static_cast<size_t>(L * L));
    bool any = false;
    for (int l1 = 0; l1 < L; ++l1)
        for (int l2 = 0; l2 < L; ++l2) {
            if (std::abs(l1 - l2) > lambda || lambda > l1 + l2 || !parity_kept(l1, l2, lambda, options_.sigma)) continue;
            auto& list = couplings_[static_cast<size_t>(l1 * L + l2)];
            for (const RealCoupling& c : real_clebsch_gordan(l1, l2, lambda)) {
                list.push_back({c.M, l1 * l1 + c.m1, l2 * l2 + c.m2, c.value});
            }
            any = true;
        }
    if (!any) {
        throw Error(who + ": no (l1, l2) with l1, l2 <= max_angular = " + std::to_string(lmax) +
                    " couples to lambda = " + std::to_string(lambda) + " with sigma = " +
                    std::to_string(options_.sigma) + " (l1 + l2 + lambda must be " +
                    (options_.sigma == 1 ? "even" : "odd") + ")");
    }
}

std::vector<EquivariantInvariants::Property> EquivariantInvariants::properties(const ExpansionRequest& request) const {
    const int L = a_->max_angular() + 1;
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1;
    const size_t T = pair_products::channel_count(*a_, *b_, request, kWho);
    std::vector<int32_t> types(T);
    for (size_t t = 0; t < T; ++t) types[t] = a_->channel_label(request, t);
    const bool sym = symmetric();
    std::vector<Property> all;
    for (int t1 = 0; t1 < static_cast<int>(T); ++t1)
        for (int t2 = sym ? t1 : 0; t2 < static_cast<int>(T); ++t2)
            for (int l1 = 0; l1 < L; ++l1)
                for (int l2 = 0; l2 < L; ++l2) {
                    if (couplings_[static_cast<size_t>(l1 * L + l2)].empty()) continue;
                    for (int n1 = 0; n1 < Na; ++n1)
                        for (int n2 = 0; n2 < Nb; ++n2) {
                            if (sym) {
                                const auto first = std::make_tuple(t1, l1, n1), second = std::make_tuple(t2, l2, n2);
                                if (second < first || (first == second && options_.sigma == -1)) continue;
                                all.push_back({t1, t2, l1, l2, n1, n2, first == second ? 1.0 : std::sqrt(2.0)});
                            } else {
                                all.push_back({t1, t2, l1, l2, n1, n2, 1.0});
                            }
                        }
                }
    if (options_.selection.empty()) return all;

    std::vector<Property> selected;
    for (size_t k = 0; k < options_.selection.size(); ++k) {
        const auto& s = options_.selection[k];
        const int b1 = static_cast<int>(std::find(types.begin(), types.end(), s[0]) - types.begin());
        const int b2 = static_cast<int>(std::find(types.begin(), types.end(), s[1]) - types.begin());
        auto it = std::find_if(all.begin(), all.end(), [&](const Property& p) {
            return p.t1 == b1 && p.t2 == b2 && p.l1 == s[2] && p.l2 == s[3] && p.n1 == s[4] && p.n2 == s[5];
        });
        if (it == all.end()) {
            std::string entry;
            for (int32_t v : s) entry += (entry.empty() ? "" : ", ") + std::to_string(v);
            throw Error("selection[" + std::to_string(k) + "]: (" + entry +
                        ") is not a property of these equivariants; expected (t1, t2, l1, l2, n1, n2) with types "
                        "among the neighbour types, l <= max_angular, n <= max_radial, |l1 - l2| <= lambda <= l1 + "
                        "l2, l1 + l2 + lambda " +
                        (options_.sigma == 1 ? "even" : "odd") +
                        (sym ? std::string(" and (t1, l1, n1) <") + (options_.sigma == 1 ? "=" : "") + " (t2, l2, n2)"
                             : std::string()));
        }
        selected.push_back(*it);
    }
    return selected;
}

EquivariantInvariants::Plan EquivariantInvariants::plan(const std::vector<Property>& props, int n_types) const {
    const int L = a_->max_angular() + 1, Nb = b_->max_radial() + 1;
    Plan plan;
    plan.n_types = n_types;
    plan.n_properties = props.size();
    // Properties of the same (t1, t2, l1, l2) share one block product,
    // whatever their order (a selection may interleave blocks).
    std::map<std::array<int, 4>, size_t> index;
    for (size_t p = 0; p < props.size(); ++p) {
        const Property& q = props[p];
        const std::array<int, 4> key = {q.t1, q.t2, q.l1, q.l2};
        auto found = index.find(key);
        if (found == index.end()) {
            found = index.emplace(key, plan.blocks.size()).first;
            plan.blocks.push_back({q.t1, q.t2, &couplings_[static_cast<size_t>(q.l1 * L + q.l2)], {}, {}, {}});
        }
        Block& block = plan.blocks[found->second];
        block.entries.push_back(q.n1 * Nb + q.n2);
        block.columns.push_back(static_cast<int>(p));
        block.weights.push_back(q.weight);
    }
    return plan;
}

size_t EquivariantInvariants::block_scratch() const {
    return n_components() * static_cast<size_t>(a_->max_radial() + 1) * static_cast<size_t>(b_->max_radial() + 1);
}

void EquivariantInvariants::contract(const Plan& plan, const double* a, const double* b, double* x,
                                     double* scratch) const {
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1, T = plan.n_types;
    const size_t NN = static_cast<size_t>(Na) * Nb, P = plan.n_properties, M = n_components();
    for (const Block& block : plan.blocks) {
        std::fill(scratch, scratch + M * NN, 0.0);
        // each coupling adds a rank-1 Na x Nb update, vectorised over n2
        for (const Coupling& c : *block.couplings) {
            const double* al = a + (static_cast<size_t>(c.lm1) * T + block.t1) * Na;
            const double* bl = b + (static_cast<size_t>(c.lm2) * T + block.t2) * Nb;
            double* s = scratch + static_cast<size_t>(c.mu) * NN;
            for (int n1 = 0; n1 < Na; ++n1) {
                const double an = c.value * al[n1];
                double* row = s + static_cast<size_t>(n1) * Nb;
                for (int n2 = 0; n2 < Nb; ++n2) row[n2] += an * bl[n2];
            }
        }
        for (size_t mu = 0; mu < M; ++mu) {
            const double* s = scratch + mu * NN;
            double* xm = x + mu * P;
            for (size_t e = 0; e < block.entries.size(); ++e) xm[block.columns[e]] = block.weights[e] * s[block.entries[e]];
        }
    }
}

void EquivariantInvariants::contract_adjoint(const Plan& plan, const double* g, CoefficientPair in, AdjointPair out,
                                             double* scratch) const {
    const double *av = in.a, *bv = in.b;
    double *ga = out.a, *gb = out.b;
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1, T = plan.n_types;
    const size_t NN = static_cast<size_t>(Na) * Nb, P = plan.n_properties, M = n_components();
    for (const Block& block : plan.blocks) {
        // G[mu][n1][n2] = dL/d(the block's unweighted product)
        std::fill(scratch, scratch + M * NN, 0.0);
        for (size_t mu = 0; mu < M; ++mu) {
            const double* gm = g + mu * P;
            double* s = scratch + mu * NN;
            for (size_t e = 0; e < block.entries.size(); ++e) s[block.entries[e]] += block.weights[e] * gm[block.columns[e]];
        }
        for (const Coupling& c : *block.couplings) {
            const size_t ka = (static_cast<size_t>(c.lm1) * T + block.t1) * Na;
            const size_t kb = (static_cast<size_t>(c.lm2) * T + block.t2) * Nb;
            const double* G = scratch + static_cast<size_t>(c.mu) * NN;
            for (int n1 = 0; n1 < Na; ++n1) {
                const double* row = G + static_cast<size_t>(n1) * Nb;
                const double an = c.value * av[ka + n1];
                double sum = 0.0;
                for (int n2 = 0; n2 < Nb; ++n2) {
                    sum += row[n2] * bv[kb + n2];
                    gb[kb + n2] += an * row[n2];
                }
                ga[ka + n1] += c.value * sum;
            }
        }
    }
}

ExpansionResult EquivariantInvariants::compute(const std::vector<System>& systems,
                                               const ExpansionRequest& request) const {
    const auto props = properties(request);
    const size_t P = props.size(), W = n_components() * P;
    const int T = static_cast<int>(pair_products::channel_count(*a_, *b_, request, kWho));

    const pair_products::Pair pair = pair_products::compute(*a_, *b_, systems, request);
    const ExpansionResult &a = pair.a, &b = pair.b();
    const size_t Pa = a.n_properties, Pb = b.n_properties;

    ExpansionResult out = pair_products::start_output(pair, P);
    for (const Property& q : props) {
        out.properties.insert(out.properties.end(),
                              {a_->channel_label(request, static_cast<size_t>(q.t1)),
                               b_->channel_label(request, static_cast<size_t>(q.t2)), q.l1, q.l2, q.n1, q.n2});
    }
    out.values.resize(out.n_samples * W);
    const Plan contraction = plan(props, T);
    const auto contract_plan = [&](const double* av, const double* bv, double* x) {
        thread_local std::vector<double> scratch;
        scratch.resize(block_scratch());
        contract(contraction, av, bv, x, scratch.data());
    };

#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < static_cast<int64_t>(out.n_samples); ++s) {
        const size_t i = static_cast<size_t>(s);
        contract_plan(&a.values[i * Pa], &b.values[i * Pb], &out.values[i * W]);
    }

    auto gradient_row = [&](size_t sample, const double* da, const double* db, double* dx) {
        pair_products::product_rule(contract_plan, W, {&a.values[sample * Pa], &b.values[sample * Pb]}, {da, db}, dx);
    };
    if (request.positions) pair_products::fill_positions_gradient(pair, W, gradient_row, systems, request, out);
    if (request.strain) pair_products::fill_deformation_gradient(pair, false, W, gradient_row, out);
    if (request.cell) pair_products::fill_deformation_gradient(pair, true, W, gradient_row, out);
    return out;
}

BackwardResult EquivariantInvariants::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                               const double* dl_dx, DoubleBuffer* values) const {
    const auto props = properties(request);
    const size_t W = n_components() * props.size();
    const int T = static_cast<int>(pair_products::channel_count(*a_, *b_, request, kWho));
    const Plan contraction = plan(props, T);
    if (values) values->resize(count_samples(systems, request) * W);
    // x is linear in each factor: the adjoint needs no values, only the
    // caller may want them.
    auto sample_adjoint = [&](size_t s, const double* av, const double* bv, double* scratch, double* ga, double* gb) {
        if (values) contract(contraction, av, bv, values->data() + s * W, scratch);
        contract_adjoint(contraction, dl_dx + s * W, {av, bv}, {ga, gb}, scratch);
    };
    return pair_products::backward(*a_, *b_, systems, request, block_scratch(), sample_adjoint);
}

}  // namespace lodestone
