#pragma once
// What every feature built from products of two expansions a and b (the
// invariants, the equivariants) shares: running both expansions, the rows of
// their gradients, the product rule, and the backward pass through both.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "lodestone/features/expansion.hpp"

namespace lodestone::pair_products {

// Type channels of both expansions; throws unless they agree. `who` names
// the calculator in the message.
size_t channel_count(const Expansion& a, const Expansion& b, const ExpansionRequest& request, const char* who);

// The results of both expansions for one request; b() is a's when the two
// are the same expansion, computed once.
struct Pair {
    ExpansionResult a, b_storage;
    bool symmetric = false;
    const ExpansionResult& b() const { return symmetric ? a : b_storage; }
};
Pair compute(const Expansion& a, const Expansion& b, const std::vector<System>& systems,
             const ExpansionRequest& request);

// The product's result with the expansions' samples and room for nothing
// yet: n_samples, n_properties and samples set.
ExpansionResult start_output(const Pair& pair, size_t n_properties);

// One row of the product's positions gradient: the union of both
// expansions' (sample, atom) rows; ra, rb: the row in each, or -1.
struct GradientRow {
    size_t sample;
    int32_t system, atom;
    int64_t ra, rb;
};
std::vector<GradientRow> merged_gradient_rows(const ExpansionResult& a, const ExpansionResult& b);

// The merged rows of one (system, centre type, atom), for request.sum_centers.
struct SummedRow {
    int32_t type, system, atom;
    std::vector<size_t> rows;  // indices into the merged rows
};
std::vector<SummedRow> summed_gradient_rows(const std::vector<GradientRow>& rows, const ExpansionResult& a,
                                            const std::vector<System>& systems);

// Direction x of both expansions' derivatives in one merged row; null where
// that expansion does not depend on the atom (b's is a's when symmetric).
inline std::pair<const double*, const double*> row_derivatives(const Pair& pair, const GradientRow& row, size_t x) {
    const ExpansionResult &a = pair.a, &b = pair.b();
    const double* da = row.ra >= 0 ? &a.positions_gradient[(static_cast<size_t>(row.ra) * 3 + x) * a.n_properties] : nullptr;
    const double* db = row.rb >= 0 ? &b.positions_gradient[(static_cast<size_t>(row.rb) * 3 + x) * b.n_properties] : nullptr;
    return {da, pair.symmetric ? da : db};
}

// The positions gradient summed over the centres of each type (for
// request.sum_centers), `width` numbers per (system, centre type, atom) and
// direction, through an accumulator with
//   size_t scratch_size() const;
//   void add(size_t sample, const double* da, const double* db, double* scratch) const;
//   void finish(const double* scratch, double* out) const;
// add() takes one centre's derivative (da or db null where that expansion
// does not depend on the atom) into a zeroed scratch; finish() writes the sum.
template <class Accumulator>
void fill_summed_positions_gradient(const Pair& pair, size_t width, const Accumulator& accumulator,
                                    const std::vector<System>& systems, ExpansionResult& out) {
    const std::vector<GradientRow> rows = merged_gradient_rows(pair.a, pair.b());
    const std::vector<SummedRow> targets = summed_gradient_rows(rows, pair.a, systems);
    out.positions_gradient_samples.resize(3 * targets.size());
    out.positions_gradient.resize(targets.size() * 3 * width);
#pragma omp parallel
    {
        std::vector<double> scratch(accumulator.scratch_size());
#pragma omp for schedule(dynamic, 4)
        for (int64_t t = 0; t < static_cast<int64_t>(targets.size()); ++t) {
            const SummedRow& target = targets[static_cast<size_t>(t)];
            int32_t* label = &out.positions_gradient_samples[3 * static_cast<size_t>(t)];
            label[0] = target.type;
            label[1] = target.system;
            label[2] = target.atom;
            for (size_t x = 0; x < 3; ++x) {
                std::fill(scratch.begin(), scratch.end(), 0.0);
                for (size_t r : target.rows) {
                    const auto [da, db] = row_derivatives(pair, rows[r], x);
                    accumulator.add(rows[r].sample, da, db, scratch.data());
                }
                accumulator.finish(scratch.data(), &out.positions_gradient[(static_cast<size_t>(t) * 3 + x) * width]);
            }
        }
    }
}

// The positions gradient of `out` (`width` numbers per sample and
// direction), one row_fn(sample, da, db, dx) per merged row and direction;
// da or db is null where that expansion does not depend on the atom. With
// request.sum_centers the rows of the centres of one type are summed.
template <class RowFn>
void fill_positions_gradient(const Pair& pair, size_t width, RowFn&& row_fn, const std::vector<System>& systems,
                             const ExpansionRequest& request, ExpansionResult& out) {
    if (request.sum_centers) {
        // Each row's derivative in the second half of the scratch, their sum in the first.
        struct RowSum {
            size_t width;
            RowFn& row_fn;
            size_t scratch_size() const { return 2 * width; }
            void add(size_t sample, const double* da, const double* db, double* scratch) const {
                row_fn(sample, da, db, scratch + width);
                for (size_t p = 0; p < width; ++p) scratch[p] += scratch[width + p];
            }
            void finish(const double* scratch, double* sum) const { std::copy(scratch, scratch + width, sum); }
        };
        fill_summed_positions_gradient(pair, width, RowSum{width, row_fn}, systems, out);
        return;
    }
    const std::vector<GradientRow> rows = merged_gradient_rows(pair.a, pair.b());
    out.positions_gradient_samples.resize(3 * rows.size());
    out.positions_gradient.resize(rows.size() * 3 * width);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < static_cast<int64_t>(rows.size()); ++r) {
        const GradientRow& row = rows[static_cast<size_t>(r)];
        int32_t* label = &out.positions_gradient_samples[3 * static_cast<size_t>(r)];
        label[0] = static_cast<int32_t>(row.sample);
        label[1] = row.system;
        label[2] = row.atom;
        for (size_t x = 0; x < 3; ++x) {
            const auto [da, db] = row_derivatives(pair, row, x);
            row_fn(row.sample, da, db, &out.positions_gradient[(static_cast<size_t>(r) * 3 + x) * width]);
        }
    }
}

// The strain (or, with `cell`, the cell) gradient of `out`, 9 rows of
// `width` per sample, from those of the two expansions.
template <class RowFn>
void fill_deformation_gradient(const Pair& pair, bool cell, size_t width, RowFn&& row_fn, ExpansionResult& out) {
    const ExpansionResult &a = pair.a, &b = pair.b();
    const size_t Pa = a.n_properties, Pb = b.n_properties;
    const DoubleBuffer& source_a = cell ? a.cell_gradient : a.strain_gradient;
    const DoubleBuffer& source_b = cell ? b.cell_gradient : b.strain_gradient;
    DoubleBuffer& target = cell ? out.cell_gradient : out.strain_gradient;
    target.resize(out.n_samples * 9 * width);
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < static_cast<int64_t>(out.n_samples); ++s) {
        for (size_t ab = 0; ab < 9; ++ab) {
            row_fn(static_cast<size_t>(s), &source_a[(static_cast<size_t>(s) * 9 + ab) * Pa],
                   &source_b[(static_cast<size_t>(s) * 9 + ab) * Pb], &target[(static_cast<size_t>(s) * 9 + ab) * width]);
        }
    }
}

// d x = contract(da, b) + contract(a, db) for a bilinear x = contract(a, b)
// of `width` numbers at `values` (a, b), with `derivatives` (da, db); da or
// db null where that expansion does not move. The two terms are
// contractions of the values' shape, which are vectorised, rather than a
// loop over properties with index arithmetic.
template <class Contract>
void product_rule(const Contract& contract, size_t width, CoefficientPair values, CoefficientPair derivatives,
                  double* dx) {
    const double *av = values.a, *bv = values.b;
    const double *da = derivatives.a, *db = derivatives.b;
    thread_local std::vector<double> second;
    if (da) contract(da, bv, dx);
    if (db) {
        double* target = dx;
        if (da) {
            second.resize(width);
            target = second.data();
        }
        contract(av, db, target);
        if (da) for (size_t p = 0; p < width; ++p) dx[p] += second[p];
    }
    if (!da && !db) std::fill(dx, dx + width, 0.0);
}

inline void add_backward(BackwardResult& into, const BackwardResult& other) {
    for (size_t k = 0; k < into.positions.size(); ++k) into.positions[k] += other.positions[k];
    for (size_t k = 0; k < into.strain.size(); ++k) into.strain[k] += other.strain[k];
}

// adjoint(sample, av, bv, work, ga, gb) adds dL/da to ga and dL/db to gb
// (the same array when a == b) for one sample, with `work_size` doubles of
// scratch; called concurrently.
using SampleAdjoint =
    std::function<void(size_t sample, const double* av, const double* bv, double* work, double* ga, double* gb)>;

// One product x = f(a, b) of two expansions in a backward pass.
struct ProductAdjoint {
    const Expansion* a;
    const Expansion* b;
    size_t work_size;
    SampleAdjoint adjoint;
};

// dL/dr, dL/dstrain through both expansions of every product, summed.
// Products whose first expansions share a base expansion (Expansion::base)
// share one pass over its neighbour pairs, which sums their adjoints.
BackwardResult backward(const std::vector<ProductAdjoint>& products, const std::vector<System>& systems,
                        const ExpansionRequest& request);

// The same for one product.
template <class Adjoint>
BackwardResult backward(const Expansion& ea, const Expansion& eb, const std::vector<System>& systems,
                        const ExpansionRequest& request, size_t work_size, const Adjoint& adjoint) {
    return backward({ProductAdjoint{&ea, &eb, work_size, std::cref(adjoint)}}, systems, request);
}

}  // namespace lodestone::pair_products
