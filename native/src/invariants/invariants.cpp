#include "lodestone/invariants/invariants.hpp"

#include <omp.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cmath>
#include <string>

#include "lodestone/error.hpp"

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

std::vector<Invariants::Property> Invariants::properties(const ExpansionRequest& request) const {
    const int L = a_->max_angular() + 1;
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1;
    const auto& types = request.neighbor_types;
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

void Invariants::contract(const std::vector<Property>& props, int T, const double* a, const double* b,
                          double* x) const {
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1;
    for (size_t p = 0; p < props.size(); ++p) {
        const Property& q = props[p];
        double sum = 0.0;
        for (int lm = q.l * q.l; lm < (q.l + 1) * (q.l + 1); ++lm) {
            sum += a[(static_cast<size_t>(lm) * T + q.t1) * Na + q.n1] * b[(static_cast<size_t>(lm) * T + q.t2) * Nb + q.n2];
        }
        x[p] = q.weight * sum;
    }
}

namespace {

// First gradient row of every sample (rows are grouped by sample, ascending).
std::vector<size_t> rows_by_sample(const std::vector<int32_t>& gradient_samples, size_t n_samples) {
    std::vector<size_t> start(n_samples + 1, 0);
    const size_t rows = gradient_samples.size() / 3;
    for (size_t r = 0; r < rows; ++r) start[static_cast<size_t>(gradient_samples[3 * r]) + 1]++;
    for (size_t s = 0; s < n_samples; ++s) start[s + 1] += start[s];
    return start;
}

}  // namespace

ExpansionResult Invariants::compute(const std::vector<System>& systems, const ExpansionRequest& request) const {
    const bool gradients = request.positions || request.strain || request.cell;
    const auto props = properties(request);
    const size_t P = props.size();
    const int T = static_cast<int>(request.neighbor_types.size());
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1;

    ExpansionResult a = a_->compute(systems, request);
    ExpansionResult b_storage;
    const ExpansionResult* b = &a;
    if (!symmetric()) {
        b_storage = b_->compute(systems, request);
        b = &b_storage;
    }
    const size_t Pa = a.n_properties, Pb = b->n_properties;

    ExpansionResult out;
    out.n_samples = a.n_samples;
    out.n_properties = P;
    out.samples = a.samples;
    for (const Property& q : props) {
        out.properties.insert(out.properties.end(), {request.neighbor_types[static_cast<size_t>(q.t1)],
                                                     request.neighbor_types[static_cast<size_t>(q.t2)], q.l, q.n1, q.n2});
    }
    out.values.resize(out.n_samples * P);
    std::vector<double> norms(out.n_samples, 1.0);

#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < static_cast<int64_t>(out.n_samples); ++s) {
        double* x = &out.values[static_cast<size_t>(s) * P];
        contract(props, T, &a.values[static_cast<size_t>(s) * Pa], &b->values[static_cast<size_t>(s) * Pb], x);
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

    // d x / d q = w sum_m (da b + a db), da or db null where that expansion
    // does not depend on q; then the normalisation's Jacobian
    // (dx - y (y . dx)) / |x| when asked.
    auto gradient_row = [&](size_t sample, const double* da, const double* db, double* dx) {
        const double* av = &a.values[sample * Pa];
        const double* bv = &b->values[sample * Pb];
        const double* y = &out.values[sample * P];
        for (size_t p = 0; p < P; ++p) {
            const Property& q = props[p];
            double sum = 0.0;
            for (int lm = q.l * q.l; lm < (q.l + 1) * (q.l + 1); ++lm) {
                const size_t k1 = (static_cast<size_t>(lm) * T + q.t1) * Na + q.n1;
                const size_t k2 = (static_cast<size_t>(lm) * T + q.t2) * Nb + q.n2;
                if (da) sum += da[k1] * bv[k2];
                if (db) sum += av[k1] * db[k2];
            }
            dx[p] = q.weight * sum;
        }
        if (options_.normalize) {
            double dot = 0.0;
            for (size_t p = 0; p < P; ++p) dot += y[p] * dx[p];
            for (size_t p = 0; p < P; ++p) dx[p] = (dx[p] - y[p] * dot) / norms[sample];
        }
    };
    if (request.positions) {
        // Gradient rows: the union of both expansions' (sample, atom) rows.
        const auto start_a = rows_by_sample(a.positions_gradient_samples, a.n_samples);
        const auto start_b = rows_by_sample(b->positions_gradient_samples, a.n_samples);
        struct Row { size_t sample; int32_t system, atom; int64_t ra, rb; };
        std::vector<Row> rows;
        for (size_t s = 0; s < a.n_samples; ++s) {
            size_t i = start_a[s], j = start_b[s];
            while (i < start_a[s + 1] || j < start_b[s + 1]) {
                const int32_t atom_a = i < start_a[s + 1] ? a.positions_gradient_samples[3 * i + 2] : INT32_MAX;
                const int32_t atom_b = j < start_b[s + 1] ? b->positions_gradient_samples[3 * j + 2] : INT32_MAX;
                const int32_t atom = std::min(atom_a, atom_b);
                const int32_t system = atom == atom_a ? a.positions_gradient_samples[3 * i + 1]
                                                      : b->positions_gradient_samples[3 * j + 1];
                rows.push_back({s, system, atom, atom == atom_a ? static_cast<int64_t>(i++) : -1,
                                atom == atom_b ? static_cast<int64_t>(j++) : -1});
            }
        }
        out.positions_gradient_samples.resize(3 * rows.size());
        out.positions_gradient.resize(rows.size() * 3 * P);
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < static_cast<int64_t>(rows.size()); ++r) {
            const Row& row = rows[static_cast<size_t>(r)];
            int32_t* label = &out.positions_gradient_samples[3 * static_cast<size_t>(r)];
            label[0] = static_cast<int32_t>(row.sample);
            label[1] = row.system;
            label[2] = row.atom;
            for (size_t x = 0; x < 3; ++x) {
                const double* da = row.ra >= 0 ? &a.positions_gradient[(static_cast<size_t>(row.ra) * 3 + x) * Pa] : nullptr;
                const double* db = row.rb >= 0 ? &b->positions_gradient[(static_cast<size_t>(row.rb) * 3 + x) * Pb] : nullptr;
                if (symmetric()) db = da;
                gradient_row(row.sample, da, db, &out.positions_gradient[(static_cast<size_t>(r) * 3 + x) * P]);
            }
        }
    }
    for (int kind = 0; kind < 2; ++kind) {
        bool wanted = kind == 0 ? request.strain : request.cell;
        if (!wanted) continue;
        const DoubleBuffer& source_a = kind == 0 ? a.strain_gradient : a.cell_gradient;
        const DoubleBuffer& source_b = kind == 0 ? b->strain_gradient : b->cell_gradient;
        DoubleBuffer& target = kind == 0 ? out.strain_gradient : out.cell_gradient;
        target.resize(out.n_samples * 9 * P);
#pragma omp parallel for schedule(static)
        for (int64_t s = 0; s < static_cast<int64_t>(out.n_samples); ++s) {
            for (size_t ab = 0; ab < 9; ++ab) {
                gradient_row(static_cast<size_t>(s), &source_a[(static_cast<size_t>(s) * 9 + ab) * Pa],
                             &source_b[(static_cast<size_t>(s) * 9 + ab) * Pb],
                             &target[(static_cast<size_t>(s) * 9 + ab) * P]);
            }
        }
    }
    return out;
}

BackwardResult Invariants::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                    const double* dl_dx, std::vector<double>* values) const {
    const auto props = properties(request);
    const size_t P = props.size();
    const int T = static_cast<int>(request.neighbor_types.size());
    const int Na = a_->max_radial() + 1, Nb = b_->max_radial() + 1;
    ExpansionRequest values_only = request;
    values_only.positions = values_only.strain = values_only.cell = false;

    ExpansionResult a = a_->compute(systems, values_only);
    ExpansionResult b_storage;
    const ExpansionResult* b = &a;
    if (!symmetric()) {
        b_storage = b_->compute(systems, values_only);
        b = &b_storage;
    }
    const size_t Pa = a.n_properties, Pb = b->n_properties, S = a.n_samples;
    std::vector<double> grad_a(S * Pa, 0.0), grad_b(symmetric() ? 0 : S * Pb, 0.0);
    if (values) values->assign(S * P, 0.0);

#pragma omp parallel
    {
        std::vector<double> x(P), g(P);
#pragma omp for schedule(static)
        for (int64_t ss = 0; ss < static_cast<int64_t>(S); ++ss) {
            const size_t s = static_cast<size_t>(ss);
            const double* av = &a.values[s * Pa];
            const double* bv = &b->values[s * Pb];
            contract(props, T, av, bv, x.data());
            const double* adj = dl_dx + s * P;
            std::copy(adj, adj + P, g.begin());
            if (options_.normalize) {
                double norm = 0.0;
                for (double v : x) norm += v * v;
                norm = std::sqrt(norm);
                if (norm > 0.0) {
                    double dot = 0.0;
                    for (size_t p = 0; p < P; ++p) {
                        x[p] /= norm;
                        dot += x[p] * g[p];
                    }
                    for (size_t p = 0; p < P; ++p) g[p] = (g[p] - x[p] * dot) / norm;
                }
            }
            if (values) std::copy(x.begin(), x.end(), values->begin() + static_cast<std::ptrdiff_t>(s * P));
            double* ga = &grad_a[s * Pa];
            double* gb = symmetric() ? ga : &grad_b[s * Pb];
            for (size_t p = 0; p < P; ++p) {
                const Property& q = props[p];
                const double c = q.weight * g[p];
                if (c == 0.0) continue;
                for (int lm = q.l * q.l; lm < (q.l + 1) * (q.l + 1); ++lm) {
                    const size_t k1 = (static_cast<size_t>(lm) * T + q.t1) * Na + q.n1;
                    const size_t k2 = (static_cast<size_t>(lm) * T + q.t2) * Nb + q.n2;
                    ga[k1] += c * bv[k2];
                    gb[k2] += c * av[k1];
                }
            }
        }
    }
    BackwardResult result = a_->backward(systems, request, grad_a.data());
    if (!symmetric()) {
        BackwardResult rb = b_->backward(systems, request, grad_b.data());
        for (size_t k = 0; k < result.positions.size(); ++k) result.positions[k] += rb.positions[k];
        for (size_t k = 0; k < result.strain.size(); ++k) result.strain[k] += rb.strain[k];
    }
    return result;
}

}  // namespace lodestone
