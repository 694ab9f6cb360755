#include "lodestone/features/soap/contracted_expansion.hpp"

#include <omp.h>

#include <cmath>
#include <string>

#include "lodestone/core/error.hpp"

namespace lodestone {

ContractedExpansion::ContractedExpansion(std::shared_ptr<const Expansion> inner, std::vector<int32_t> types,
                                         int channels, std::vector<double> matrices)
    : inner_(std::move(inner)), types_(std::move(types)), channels_(channels), matrices_(std::move(matrices)) {
    if (!inner_) throw Error("contracted expansion: the inner expansion is required");
    if (types_.empty()) throw Error("contracted expansion: expected at least one neighbour type");
    for (size_t k = 1; k < types_.size(); ++k) {
        if (types_[k] <= types_[k - 1]) throw Error("contracted expansion: types must be unique and increasing");
    }
    inner_width_ = static_cast<int>(types_.size()) * (inner_->max_radial() + 1);
    if (channels_ < 1 || channels_ > inner_width_) {
        throw Error("contracted expansion: channels must be in 1.." + std::to_string(inner_width_) +
                    " (types x radial functions), got " + std::to_string(channels_));
    }
    const size_t expected = static_cast<size_t>(inner_->max_angular() + 1) * channels_ * inner_width_;
    if (matrices_.size() != expected) {
        throw Error("contracted expansion: expected " + std::to_string(expected) +
                    " matrix entries ((max_angular + 1) x channels x types x radial), got " +
                    std::to_string(matrices_.size()));
    }
    for (size_t k = 0; k < matrices_.size(); ++k) {
        if (!std::isfinite(matrices_[k])) throw Error("contracted expansion: matrix entry " + std::to_string(k) + " is not finite");
    }
}

size_t ContractedExpansion::n_properties(const ExpansionRequest&) const {
    const size_t L = static_cast<size_t>(max_angular() + 1);
    return L * L * static_cast<size_t>(channels_);
}

void ContractedExpansion::check_request(const ExpansionRequest& request) const {
    if (request.neighbor_types != types_) {
        throw Error("contracted expansion: the neighbour types of the request differ from the " +
                    std::to_string(types_.size()) + " types the contraction was built for");
    }
}

ChannelContraction ContractedExpansion::contraction() const {
    return ChannelContraction{channels_, inner_width_, matrices_.data()};
}

void ContractedExpansion::contract(const double* in, double* out) const {
    const int L = max_angular() + 1, K = channels_, W = inner_width_;
    for (int l = 0; l < L; ++l) {
        const double* u = &matrices_[static_cast<size_t>(l) * K * W];
        for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
            const double* c = in + static_cast<size_t>(lm) * W;
            double* o = out + static_cast<size_t>(lm) * K;
            for (int k = 0; k < K; ++k) {
                double sum = 0.0;
                for (int w = 0; w < W; ++w) sum += u[k * W + w] * c[w];
                o[k] = sum;
            }
        }
    }
}

void ContractedExpansion::expand(const double* in, double* out) const {
    const int L = max_angular() + 1, K = channels_, W = inner_width_;
    for (int l = 0; l < L; ++l) {
        const double* u = &matrices_[static_cast<size_t>(l) * K * W];
        for (int lm = l * l; lm < (l + 1) * (l + 1); ++lm) {
            const double* g = in + static_cast<size_t>(lm) * K;
            double* o = out + static_cast<size_t>(lm) * W;
            for (int w = 0; w < W; ++w) o[w] = 0.0;
            for (int k = 0; k < K; ++k) {
                const double gk = g[k];
                for (int w = 0; w < W; ++w) o[w] += gk * u[k * W + w];
            }
        }
    }
}

ExpansionResult ContractedExpansion::compute(const std::vector<System>& systems, const ExpansionRequest& request) const {
    check_request(request);
    const size_t P = n_properties(request);
    ExpansionResult out;
    out.n_properties = P;
    const int L = max_angular() + 1;
    for (int l = 0; l < L; ++l)
        for (int m = -l; m <= l; ++m)
            for (int k = 0; k < channels_; ++k) out.properties.insert(out.properties.end(), {l, m, k, 0});
    if (!request.positions && !request.strain && !request.cell) {
        validate_systems(systems);
        validate_request(systems, request);
        out.n_samples = count_samples(systems, request);
        out.values.resize(out.n_samples * P);
        if (inner_->compute_contracted(systems, request, contraction(), out.values.data())) {
            out.samples.reserve(2 * out.n_samples);
            for (size_t s = 0; s < systems.size(); ++s)
                for (int32_t c : request_centers(systems, request, s))
                    out.samples.insert(out.samples.end(), {static_cast<int32_t>(s), c});
            return out;
        }
    }
    ExpansionResult in = inner_->compute(systems, request);
    const size_t Pin = in.n_properties;
    out.n_samples = in.n_samples;
    out.samples = std::move(in.samples);

    // Every output row (a sample's values or one gradient component) is the
    // contraction of the matching input row.
    auto contract_rows = [&](const DoubleBuffer& source, DoubleBuffer& target, size_t rows) {
        target.resize(rows * P);
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < static_cast<int64_t>(rows); ++r) {
            contract(&source[static_cast<size_t>(r) * Pin], &target[static_cast<size_t>(r) * P]);
        }
    };
    contract_rows(in.values, out.values, in.n_samples);
    if (request.positions) {
        // 3 labels per gradient sample and 3 (xyz) rows per gradient sample: as many rows as labels.
        contract_rows(in.positions_gradient, out.positions_gradient, in.positions_gradient_samples.size());
        out.positions_gradient_samples = std::move(in.positions_gradient_samples);
    }
    if (request.strain) contract_rows(in.strain_gradient, out.strain_gradient, 9 * in.n_samples);
    if (request.cell) contract_rows(in.cell_gradient, out.cell_gradient, 9 * in.n_samples);
    return out;
}

BackwardResult ContractedExpansion::backward(const std::vector<System>& systems, const ExpansionRequest& request,
                                             const double* dl_dvalues) const {
    check_request(request);
    BackwardResult native;
    if (inner_->backward_contracted(systems, request, contraction(), dl_dvalues, native)) return native;
    const size_t S = count_samples(systems, request);
    const size_t Pin = inner_->n_properties(request), P = n_properties(request);
    std::vector<double> inner_adjoint(S * Pin);
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < static_cast<int64_t>(S); ++s) {
        expand(dl_dvalues + static_cast<size_t>(s) * P, &inner_adjoint[static_cast<size_t>(s) * Pin]);
    }
    return inner_->backward(systems, request, inner_adjoint.data());
}

bool ContractedExpansion::backward_local(const std::vector<System>& systems, const ExpansionRequest& request,
                                         const LocalAdjoint& local, BackwardResult& result) const {
    return base().backward_local(systems, request, to_base(local, request), result);
}

LocalAdjoint ContractedExpansion::to_base(LocalAdjoint local, const ExpansionRequest& request) const {
    check_request(request);
    const size_t P = n_properties(request);
    // The inner expansion hands over its own coefficients; contract them,
    // let the caller's adjoint act on the contracted ones, and expand back.
    LocalAdjoint inner_local = [this, P, local = std::move(local)](size_t sample, const double* c, double* dl_dc) {
        thread_local std::vector<double> contracted, adjoint;
        contracted.resize(P);
        adjoint.resize(P);
        contract(c, contracted.data());
        local(sample, contracted.data(), adjoint.data());
        expand(adjoint.data(), dl_dc);
    };
    return inner_->to_base(std::move(inner_local), request);
}

}  // namespace lodestone
