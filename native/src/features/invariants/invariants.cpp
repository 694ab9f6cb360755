#include "lodestone/features/invariants/invariants.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <string>

#include "lodestone/core/error.hpp"
#include "core/simd.hpp"
#include "features/invariants/pair_products.hpp"

namespace lodestone {

Invariants::Invariants(std::shared_ptr<const Expansion> a, std::shared_ptr<const Expansion> b,
                       InvariantsOptions options)
    : a_(std::move(a)), b_(std::move(b)), options_(std::move(options)) {
    if (!a_ || !b_) throw Error("invariants: both expansions are required");
    if (a_->max_angular() != b_->max_angular()) {
        throw Error("invariants: the two expansions must have the same max_angular, got " +
                    std::to_string(a_->max_angular()) + " and " + std::to_string(b_->max_angular()));
    }
}

size_t Invariants::channel_count(const ExpansionRequest& request) const {
    return pair_products::channel_count(*a_, *b_, request, "invariants");
}

std::vector<Invariants::Property> Invariants::properties(const ExpansionRequest& request) const {
    const int L = a_->max_angular() + 1;
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1;
    std::vector<int32_t> types(channel_count(request));
    for (size_t t = 0; t < types.size(); ++t) types[t] = a_->channel_label(request, t);
    const int T = static_cast<int>(types.size());
    std::vector<Property> all;
    for (int t1 = 0; t1 < T; ++t1)
        for (int t2 = symmetric() ? t1 : 0; t2 < T; ++t2)
            for (int l = 0; l < L; ++l)
                for (int n1 = 0; n1 < Na; ++n1)
                    for (int n2 = 0; n2 < Nb; ++n2) {
                        double w = (l % 2 ? -1.0 : 1.0) / std::sqrt(2.0 * l + 1.0);
                        if (symmetric() && t1 != t2) w *= std::sqrt(2.0);
                        all.push_back({t1, t2, l, n1, n2, w});
                    }
    if (options_.selection.empty()) return all;

    std::vector<Property> selected;
    for (size_t k = 0; k < options_.selection.size(); ++k) {
        const auto& s = options_.selection[k];
        auto t1 = std::find(types.begin(), types.end(), s[0]);
        auto t2 = std::find(types.begin(), types.end(), s[1]);
        int b1 = static_cast<int>(t1 - types.begin()), b2 = static_cast<int>(t2 - types.begin());
        bool ok = t1 != types.end() && t2 != types.end() && s[2] >= 0 && s[2] < L && s[3] >= 0 && s[3] < Na &&
                  s[4] >= 0 && s[4] < Nb && (!symmetric() || b1 <= b2);
        if (!ok) {
            throw Error("selection[" + std::to_string(k) + "]: (" + std::to_string(s[0]) + ", " + std::to_string(s[1]) +
                        ", " + std::to_string(s[2]) + ", " + std::to_string(s[3]) + ", " + std::to_string(s[4]) +
                        ") is not a property of these invariants; expected (t1, t2, l, n1, n2) with types among the "
                        "neighbour types" +
                        std::string(symmetric() ? " and t1 <= t2" : "") + ", l <= max_angular, n <= max_radial");
        }
        auto it = std::find_if(all.begin(), all.end(), [&](const Property& p) {
            return p.t1 == b1 && p.t2 == b2 && p.l == s[2] && p.n1 == s[3] && p.n2 == s[4];
        });
        selected.push_back(*it);
    }
    return selected;
}

namespace {

// The blocks of the unselected invariants: L angular channels, T types, Na
// and Nb radial channels of a and b.
struct DenseShape {
    int L, T, Na, Nb;
    bool symmetric;
};

// out[0..n) += sum_k in[k stride] M[k][0..n) for k < K (M's rows m_stride
// apart). With n known at compile time (NN > 0) the n sums stay in
// registers over k; accumulating in memory instead chains every k through a
// store and a reload.
template <int NN>
LODESTONE_INLINE void add_strided(int K, int n_out, const double* __restrict in, size_t stride,
                                  const double* __restrict M, size_t m_stride, double* __restrict out) {
    if constexpr (NN == 0) {
        for (int k = 0; k < K; ++k) {
            const double c = in[k * stride];
            const double* row = M + k * m_stride;
            for (int n = 0; n < n_out; ++n) out[n] += c * row[n];
        }
    } else {
        constexpr int NB = NN / 4, TAIL = NN % 4;
        v4d acc[NB > 0 ? NB : 1];
        double tail[TAIL > 0 ? TAIL : 1];
        for (int b = 0; b < NB; ++b) load4(acc[b], out + 4 * b);
        for (int n = 0; n < TAIL; ++n) tail[n] = out[4 * NB + n];
        for (int k = 0; k < K; ++k) {
            const double c = in[k * stride];
            const double* row = M + k * m_stride;
            for (int b = 0; b < NB; ++b) {
                v4d r;
                load4(r, row + 4 * b);
                acc[b] += c * r;
            }
            for (int n = 0; n < TAIL; ++n) tail[n] += c * row[4 * NB + n];
        }
        for (int b = 0; b < NB; ++b) store4(out + 4 * b, acc[b]);
        for (int n = 0; n < TAIL; ++n) out[4 * NB + n] = tail[n];
    }
}

// out[0..n) += sum_k in[k] M[k][0..n) (M: K x n, row-major).
template <int NN>
LODESTONE_INLINE void add_vector_matrix(int K, int n_out, const double* __restrict in, const double* __restrict M,
                                        double* __restrict out) {
    add_strided<NN>(K, n_out, in, 1, M, static_cast<size_t>(NN > 0 ? NN : n_out), out);
}

// Row n1 of one (t1, t2, l) block, x[n1][n2] = w sum_m a[m][n1] b[m][n2]
// (a's m-th entry `a_stride` after the (m-1)-th, b's rows `b_stride`
// apart), the row in registers over m.
template <int NN>
LODESTONE_INLINE void contract_row(int M, int Nb, const double* a, size_t a_stride, const double* b,
                                   size_t b_stride, double w, double* x) {
    for (int n2 = 0; n2 < Nb; ++n2) x[n2] = 0.0;
    add_strided<NN>(M, Nb, a, a_stride, b, b_stride, x);
    for (int n2 = 0; n2 < Nb; ++n2) x[n2] *= w;
}

// Without a selection, properties are all (t1, t2, l, n1, n2) in this order:
// each (t1, t2, l) is an Na x Nb block x = w a_l^T b_l (a_l: (2l+1) x Na
// coefficients of type t1), row by row over n1 with the row in registers.
template <int NN>
LODESTONE_INLINE void dense_contract_n(const DenseShape& d, const double* weights, const double* a, const double* b,
                                       double* x) {
    const int L = d.L, T = d.T, Na = d.Na, Nb = NN > 0 ? NN : d.Nb;
    const size_t a_stride = static_cast<size_t>(T) * Na, b_stride = static_cast<size_t>(T) * Nb;
    size_t block = 0;
    for (int t1 = 0; t1 < T; ++t1) {
        for (int t2 = d.symmetric ? t1 : 0; t2 < T; ++t2) {
            for (int l = 0; l < L; ++l, ++block) {
                double* xl = x + block * Na * Nb;
                const double* al = a + (static_cast<size_t>(l * l) * T + t1) * Na;
                const double* bl = b + (static_cast<size_t>(l * l) * T + t2) * Nb;
                for (int n1 = 0; n1 < Na; ++n1)
                    contract_row<NN>(2 * l + 1, Nb, al + n1, a_stride, bl, b_stride, weights[block], xl + n1 * Nb);
            }
        }
    }
}

LODESTONE_MULTIVERSION
void dense_contract(const DenseShape& d, const double* weights, const double* a, const double* b, double* x) {
#define LODESTONE_CASE(K) \
    case K: return dense_contract_n<K>(d, weights, a, b, x);
    switch (d.Nb) {
        LODESTONE_CASE(1) LODESTONE_CASE(2) LODESTONE_CASE(3) LODESTONE_CASE(4)
        LODESTONE_CASE(5) LODESTONE_CASE(6) LODESTONE_CASE(7) LODESTONE_CASE(8)
        LODESTONE_CASE(9) LODESTONE_CASE(10) LODESTONE_CASE(11) LODESTONE_CASE(12)
        default: return dense_contract_n<0>(d, weights, a, b, x);
    }
#undef LODESTONE_CASE
}

// ga[lm t1 n1] += sum_n2 c[n1 n2] b[lm t2 n2], gb[lm t2 n2] += sum_n1 c[n1 n2]
// a[lm t1 n1] with c = w g, both as vector-matrix products (c transposed for
// the first). In the power spectrum's diagonal blocks (a = b, ga = gb,
// t1 = t2) the two are one product with c + c^T. NN: Na when Na = Nb (else 0).
// scratch: 2 Na Nb doubles.
template <int NN>
LODESTONE_INLINE void dense_adjoint_n(const DenseShape& d, const double* weights, const double* g, CoefficientPair in,
                                      AdjointPair out, double* scratch) {
    const int L = d.L, T = d.T, Na = NN > 0 ? NN : d.Na, Nb = NN > 0 ? NN : d.Nb;
    const double *a = in.a, *b = in.b;
    double *ga = out.a, *gb = out.b;
    double* c = scratch;             // [n1][n2]
    double* ct = scratch + Na * Nb;  // [n2][n1]
    size_t block = 0;
    for (int t1 = 0; t1 < T; ++t1) {
        for (int t2 = d.symmetric ? t1 : 0; t2 < T; ++t2) {
            const bool diagonal = d.symmetric && t1 == t2;
            for (int l = 0; l < L; ++l, ++block) {
                const double* gl = g + block * Na * Nb;
                const double w = weights[block];
                if (diagonal) {
                    for (int n1 = 0; n1 < Na; ++n1)
                        for (int n2 = 0; n2 < Nb; ++n2) c[n1 * Nb + n2] = w * gl[n1 * Nb + n2] + w * gl[n2 * Nb + n1];
                    for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                        const size_t ka = (static_cast<size_t>(lm) * T + t1) * Na;
                        add_vector_matrix<NN>(Na, Nb, a + ka, c, ga + ka);
                    }
                    continue;
                }
                for (int n1 = 0; n1 < Na; ++n1)
                    for (int n2 = 0; n2 < Nb; ++n2) {
                        c[n1 * Nb + n2] = w * gl[n1 * Nb + n2];
                        ct[n2 * Na + n1] = w * gl[n1 * Nb + n2];
                    }
                for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
                    const size_t ka = (static_cast<size_t>(lm) * T + t1) * Na;
                    const size_t kb = (static_cast<size_t>(lm) * T + t2) * Nb;
                    add_vector_matrix<NN>(Nb, Na, b + kb, ct, ga + ka);
                    add_vector_matrix<NN>(Na, Nb, a + ka, c, gb + kb);
                }
            }
        }
    }
}

LODESTONE_MULTIVERSION
void dense_adjoint(const DenseShape& d, const double* weights, const double* g, CoefficientPair in, AdjointPair out,
                   double* scratch) {
    const int n = d.Na == d.Nb ? d.Na : 0;
#define LODESTONE_CASE(K) \
    case K: return dense_adjoint_n<K>(d, weights, g, in, out, scratch);
    switch (n) {
        LODESTONE_CASE(1) LODESTONE_CASE(2) LODESTONE_CASE(3) LODESTONE_CASE(4)
        LODESTONE_CASE(5) LODESTONE_CASE(6) LODESTONE_CASE(7) LODESTONE_CASE(8)
        LODESTONE_CASE(9) LODESTONE_CASE(10) LODESTONE_CASE(11) LODESTONE_CASE(12)
        LODESTONE_CASE(13) LODESTONE_CASE(14) LODESTONE_CASE(15) LODESTONE_CASE(16)
        default: return dense_adjoint_n<0>(d, weights, g, in, out, scratch);
    }
#undef LODESTONE_CASE
}

// R rows n0..n0+R of one (t1, l) block of accumulate_wide's sum:
// block[n][k] += sum_m u[m][n] v[m][k] for k in [first, width), with the
// R rows of 4 columns at a time in registers over m: R independent FMA
// chains per loaded v, where a row at a time waits on one.
struct WideBlock {
    int M, first, width;  // 2l + 1; the columns [first, width)
    size_t u_stride;      // between u[m] and u[m + 1]
};

template <int R>
LODESTONE_INLINE void wide_rows(const WideBlock& shape, const double* u, const double* v, double* block) {
    const int M = shape.M, width = shape.width;
    const size_t u_stride = shape.u_stride;
    int k = shape.first;
    for (; k + 4 <= width; k += 4) {
        v4d acc[R];
        for (int q = 0; q < R; ++q) load4(acc[q], block + q * width + k);
        for (int m = 0; m < M; ++m) {
            v4d column;
            load4(column, v + static_cast<size_t>(m) * width + k);
            const double* um = u + m * u_stride;
            for (int q = 0; q < R; ++q) acc[q] += um[q] * column;
        }
        for (int q = 0; q < R; ++q) store4(block + q * width + k, acc[q]);
    }
    for (; k < width; ++k)
        for (int q = 0; q < R; ++q) {
            double sum = block[q * width + k];
            for (int m = 0; m < M; ++m) sum += u[m * u_stride + q] * v[static_cast<size_t>(m) * width + k];
            block[q * width + k] = sum;
        }
}

// One centre's u (x) v into the sum of a positions gradient over centres, in
// a layout whose inner loop runs over (t2, n2) together, T Nb numbers, where
// dense_contract's runs over n2 alone: [t1][l][n1][t2 n2], unweighted.
LODESTONE_MULTIVERSION
void accumulate_wide(const DenseShape& d, const double* u, const double* v, double* wide) {
    const int L = d.L, T = d.T, Na = d.Na, Nb = d.Nb, width = T * Nb;
    const size_t u_stride = static_cast<size_t>(T) * Na;
    for (int t1 = 0; t1 < T; ++t1) {
        const int first = d.symmetric ? t1 * Nb : 0;
        for (int l = 0; l < L; ++l) {
            double* block = wide + static_cast<size_t>(t1 * L + l) * Na * width;
            const double* ul = u + static_cast<size_t>(l * l) * u_stride + static_cast<size_t>(t1) * Na;
            const double* vl = v + static_cast<size_t>(l * l) * width;
            const WideBlock shape{2 * l + 1, first, width, u_stride};
            int n = 0;
            for (; n + 4 <= Na; n += 4) wide_rows<4>(shape, ul + n, vl, block + n * width);
            switch (Na - n) {
                case 3: wide_rows<3>(shape, ul + n, vl, block + n * width); break;
                case 2: wide_rows<2>(shape, ul + n, vl, block + n * width); break;
                case 1: wide_rows<1>(shape, ul + n, vl, block + n * width); break;
                default: break;
            }
        }
    }
}

// The positions gradient of the dense, unnormalised invariants summed over
// centres (pair_products::fill_summed_positions_gradient's accumulator):
// sum_i w (da_i b_i + a_i db_i) collected in accumulate_wide's layout, then
// weighted and put in property order once per (centre type, atom).
struct WideGradientSum {
    DenseShape shape;
    const double* weights;
    const ExpansionResult& a;
    const ExpansionResult& b;

    size_t scratch_size() const {
        return static_cast<size_t>(shape.T) * shape.L * shape.Na * shape.T * shape.Nb;
    }
    void add(size_t sample, const double* da, const double* db, double* wide) const {
        if (da) accumulate_wide(shape, da, &b.values[sample * b.n_properties], wide);
        if (db) accumulate_wide(shape, &a.values[sample * a.n_properties], db, wide);
    }
    void finish(const double* wide, double* out) const {
        const int L = shape.L, T = shape.T, Na = shape.Na, Nb = shape.Nb;
        size_t block = 0;
        for (int t1 = 0; t1 < T; ++t1)
            for (int t2 = shape.symmetric ? t1 : 0; t2 < T; ++t2)
                for (int l = 0; l < L; ++l, ++block) {
                    const double w = weights[block];
                    for (int n1 = 0; n1 < Na; ++n1) {
                        const double* from = wide + (static_cast<size_t>(t1 * L + l) * Na + n1) * T * Nb + t2 * Nb;
                        double* to = out + (block * Na + n1) * Nb;
                        for (int n2 = 0; n2 < Nb; ++n2) to[n2] = w * from[n2];
                    }
                }
    }
};

// Selected properties: count of them, (t1, t2, l, n1, n2) and weight each.
struct Selection {
    size_t count;
    const int* index;
    const double* weights;
};

LODESTONE_MULTIVERSION
void selected_contract(const Selection& selection, const DenseShape& d, const double* a, const double* b, double* x) {
    const int T = d.T, Na = d.Na, Nb = d.Nb;
    const double* weights = selection.weights;
    for (size_t p = 0; p < selection.count; ++p) {
        const int* q = selection.index + 5 * p;
        double sum = 0.0;
        for (int lm = q[2] * q[2]; lm < (q[2] + 1) * (q[2] + 1); ++lm) {
            sum += a[(static_cast<size_t>(lm) * T + q[0]) * Na + q[3]] * b[(static_cast<size_t>(lm) * T + q[1]) * Nb + q[4]];
        }
        x[p] = weights[p] * sum;
    }
}

}  // namespace

Invariants::Plan Invariants::plan(const std::vector<Property>& props, int T) const {
    const size_t block = static_cast<size_t>(a_->max_radial() + 1) * (b_->max_radial() + 1);
    Plan plan;
    plan.n_types = T;
    plan.dense = options_.selection.empty();
    if (plan.dense) {
        for (size_t p = 0; p < props.size(); p += block) plan.block_weights.push_back(props[p].weight);
        return plan;
    }
    for (const Property& q : props) {
        plan.index.insert(plan.index.end(), {q.t1, q.t2, q.l, q.n1, q.n2});
        plan.weights.push_back(q.weight);
    }
    return plan;
}

void Invariants::contract(const Plan& plan, const double* a, const double* b, double* x) const {
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1;
    if (plan.dense) {
        dense_contract({a_->max_angular() + 1, plan.n_types, Na, Nb, symmetric()}, plan.block_weights.data(), a, b, x);
    } else {
        // Same operations in the same order as dense_contract (and the same
        // instruction set), so selected columns equal the full computation's.
        selected_contract({plan.weights.size(), plan.index.data(), plan.weights.data()},
                          {a_->max_angular() + 1, plan.n_types, Na, Nb, symmetric()}, a, b, x);
    }
}

void Invariants::contract_adjoint(const Plan& plan, const double* g, CoefficientPair in, AdjointPair out,
                                  double* scratch) const {
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1, T = plan.n_types;
    if (plan.dense) {
        dense_adjoint({a_->max_angular() + 1, T, Na, Nb, symmetric()}, plan.block_weights.data(), g, in, out, scratch);
        return;
    }
    const double *av = in.a, *bv = in.b;
    double *ga = out.a, *gb = out.b;
    for (size_t p = 0; p < plan.weights.size(); ++p) {
        const int* q = &plan.index[5 * p];
        const double c = plan.weights[p] * g[p];
        if (c == 0.0) continue;
        for (int lm = q[2] * q[2]; lm < (q[2] + 1) * (q[2] + 1); ++lm) {
            const size_t k1 = (static_cast<size_t>(lm) * T + q[0]) * Na + q[3];
            const size_t k2 = (static_cast<size_t>(lm) * T + q[1]) * Nb + q[4];
            ga[k1] += c * bv[k2];
            gb[k2] += c * av[k1];
        }
    }
}

ExpansionResult Invariants::compute(const std::vector<System>& systems, const ExpansionRequest& request) const {
    const bool gradients = request.positions || request.strain || request.cell;
    const auto props = properties(request);
    const size_t P = props.size();
    const int T = static_cast<int>(channel_count(request));

    const pair_products::Pair pair = pair_products::compute(*a_, *b_, systems, request);
    const ExpansionResult &a = pair.a, &b = pair.b();
    const size_t Pa = a.n_properties, Pb = b.n_properties;

    ExpansionResult out = pair_products::start_output(pair, P);
    for (const Property& q : props) {
        out.properties.insert(out.properties.end(), {a_->channel_label(request, static_cast<size_t>(q.t1)),
                                                     b_->channel_label(request, static_cast<size_t>(q.t2)), q.l, q.n1, q.n2});
    }
    out.values.resize(out.n_samples * P);
    std::vector<double> norms(out.n_samples, 1.0);
    const Plan contraction = plan(props, T);

#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < static_cast<int64_t>(out.n_samples); ++s) {
        double* x = &out.values[static_cast<size_t>(s) * P];
        contract(contraction, &a.values[static_cast<size_t>(s) * Pa], &b.values[static_cast<size_t>(s) * Pb], x);
        if (options_.normalize) {
            double norm = 0.0;
            for (size_t p = 0; p < P; ++p) norm += x[p] * x[p];
            norm = std::sqrt(norm);
            if (norm > 0.0) {
                for (size_t p = 0; p < P; ++p) x[p] /= norm;
                norms[static_cast<size_t>(s)] = norm;
            }
        }
    }
    if (!gradients) return out;

    // d x / d q = w sum_m (da b + a db), then the normalisation's Jacobian
    // (dx - y (y . dx)) / |x| when asked.
    const auto contract_plan = [&](const double* av, const double* bv, double* x) { contract(contraction, av, bv, x); };
    auto gradient_row = [&](size_t sample, const double* da, const double* db, double* dx) {
        pair_products::product_rule(contract_plan, P, {&a.values[sample * Pa], &b.values[sample * Pb]}, {da, db}, dx);
        if (options_.normalize) {
            const double* y = &out.values[sample * P];
            double dot = 0.0;
            for (size_t p = 0; p < P; ++p) dot += y[p] * dx[p];
            for (size_t p = 0; p < P; ++p) dx[p] = (dx[p] - y[p] * dot) / norms[sample];
        }
    };
    if (request.positions && request.sum_centers && contraction.dense && !options_.normalize) {
        const DenseShape shape{a_->max_angular() + 1, T, a_->max_radial() + 1, b_->max_radial() + 1, symmetric()};
        pair_products::fill_summed_positions_gradient(pair, P, WideGradientSum{shape, contraction.block_weights.data(), a, b},
                                                      systems, out);
    } else if (request.positions) {
        pair_products::fill_positions_gradient(pair, P, gradient_row, systems, request, out);
    }
    if (request.strain) pair_products::fill_deformation_gradient(pair, false, P, gradient_row, out);
    if (request.cell) pair_products::fill_deformation_gradient(pair, true, P, gradient_row, out);
    return out;
}

BackwardResult Invariants::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                    const double* dl_dx, std::vector<double>* values) const {
    if (!values) return backward_into(systems, request, dl_dx, nullptr);
    values->resize(count_samples(systems, request) * n_properties(request));
    return backward_into(systems, request, dl_dx, values->data());
}

BackwardResult Invariants::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                    const double* dl_dx, DoubleBuffer* values) const {
    if (!values) return backward_into(systems, request, dl_dx, nullptr);
    values->resize(count_samples(systems, request) * n_properties(request));
    return backward_into(systems, request, dl_dx, values->data());
}

BackwardResult Invariants::backward_into(const std::vector<System>& systems, const ExpansionRequest& request,
                                         const double* dl_dx, double* values) const {
    return pair_products::backward({product_adjoint(request, dl_dx, values)}, systems, request);
}

BackwardResult Invariants::backward_joint(const std::vector<const Invariants*>& list, const std::vector<System>& systems,
                                          const ExpansionRequest& request, const std::vector<const double*>& dl_dx,
                                          const std::vector<double*>& dots) {
    if (dl_dx.size() != list.size() || dots.size() != list.size()) {
        throw Error("invariants backward: expected one dL/dx and one dots array per invariant");
    }
    std::vector<pair_products::ProductAdjoint> products;
    for (size_t k = 0; k < list.size(); ++k) products.push_back(list[k]->product_adjoint(request, dl_dx[k], nullptr, dots[k]));
    return pair_products::backward(products, systems, request);
}

pair_products::ProductAdjoint Invariants::product_adjoint(const ExpansionRequest& request, const double* dl_dx,
                                                          double* values, double* dots) const {
    const auto props = properties(request);
    const size_t P = props.size();
    const int T = static_cast<int>(channel_count(request));
    auto contraction = std::make_shared<const Plan>(plan(props, T));
    const size_t work_size = 2 * P + 2 * static_cast<size_t>(a_->max_radial() + 1) * (b_->max_radial() + 1);
    const bool normalize = options_.normalize;

    // x of sample s from its coefficients av, bv; then ga += dL/da, gb +=
    // dL/db (the same array for the power spectrum). work: work_size doubles.
    auto sample_adjoint = [this, contraction, P, dl_dx, values, dots, normalize](size_t s, const double* av, const double* bv,
                                                                         double* work, double* ga, double* gb) {
        double* x = values ? values + s * P : work;
        contract(*contraction, av, bv, x);
        const double* g = dl_dx + s * P;
        if (normalize) {
            double norm = 0.0;
            for (size_t p = 0; p < P; ++p) norm += x[p] * x[p];
            norm = std::sqrt(norm);
            if (norm > 0.0) {
                double* projected = work + P;
                double dot = 0.0;
                for (size_t p = 0; p < P; ++p) {
                    x[p] /= norm;
                    dot += x[p] * g[p];
                }
                for (size_t p = 0; p < P; ++p) projected[p] = (g[p] - x[p] * dot) / norm;
                g = projected;
            }
        }
        if (dots) {
            const double* gs = dl_dx + s * P;
            double dot = 0.0;
            for (size_t p = 0; p < P; ++p) dot += gs[p] * x[p];
            dots[s] = dot;
        }
        contract_adjoint(*contraction, g, {av, bv}, {ga, gb}, work + 2 * P);
    };
    return {a_.get(), b_.get(), work_size, sample_adjoint};
}

}  // namespace lodestone
