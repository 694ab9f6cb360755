#pragma once
// The JS class of a feature built from two expansions (Invariants,
// EquivariantInvariants): new Class(expansionA, expansionB, options), then
// compute, computeAsync, backward and backwardAsync. Traits supplies the
// class name, the options' conversion and the adjoint's width per sample.
#include <napi.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "async.hpp"
#include "convert.hpp"
#include "expansion_handle.hpp"
#include "module.hpp"
#include "request_convert.hpp"

namespace lodestone::binding {

struct PairBackwardOutput {
    BackwardResult gradients;
    DoubleBuffer values;  // cached memory (buffer.hpp), not fresh pages at every step
};

inline Napi::Value pair_backward_to_js(Napi::Env env, PairBackwardOutput&& out) {
    Napi::Object js = backward_to_js(env, std::move(out.gradients)).As<Napi::Object>();
    js.Set("values", to_float64_array(env, std::move(out.values)));
    return js;
}

template <class Traits>
class PairWrap : public Napi::ObjectWrap<PairWrap<Traits>> {
    using Core = typename Traits::Core;
    using Self = PairWrap<Traits>;

public:
    static Napi::Function define(Napi::Env env) {
        return Napi::ObjectWrap<Self>::DefineClass(
            env, Traits::kName,
            {Napi::ObjectWrap<Self>::InstanceMethod("compute", &Self::compute),
             Napi::ObjectWrap<Self>::InstanceMethod("computeAsync", &Self::compute_async),
             Napi::ObjectWrap<Self>::InstanceMethod("backward", &Self::backward),
             Napi::ObjectWrap<Self>::InstanceMethod("backwardAsync", &Self::backward_async),
             Napi::ObjectWrap<Self>::InstanceMethod("computeWeighted", &Self::compute_weighted),
             Napi::ObjectWrap<Self>::InstanceMethod("backwardWeighted", &Self::backward_weighted)});
    }

    explicit PairWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Self>(info) {
        auto a = expansion_of(info[0], "first expansion");
        auto b = expansion_of(info[1], "second expansion");
        auto options = Traits::options(info[2]);
        core_ = guarded(info.Env(), [&] { return std::make_shared<const Core>(a, b, options); });
        using Handle = std::shared_ptr<const Core>;
        auto external = Napi::External<Handle>::New(info.Env(), new Handle(core_), [](Napi::Env, Handle* h) { delete h; });
        info.This().As<Napi::Object>().DefineProperty(Napi::PropertyDescriptor::Value(handle_key(), external, napi_default));
    }

    // The core object of a JS object this class made, for calls that take
    // several of them (backwardInvariants).
    static std::shared_ptr<const Core> core_of(const Napi::Value& value, const std::string& where) {
        if (value.IsObject()) {
            Napi::Value handle = value.As<Napi::Object>().Get(handle_key());
            if (handle.IsExternal()) return *handle.As<Napi::External<std::shared_ptr<const Core>>>().Data();
        }
        throw Napi::TypeError::New(value.Env(), where + ": expected a native " + Traits::kName + " object");
    }

private:
    static std::string handle_key() { return std::string("__lodestone") + Traits::kName; }

    Napi::Value compute(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = to_systems(info[0]);
        auto request = to_request(info[1]);
        return result_to_js(env, guarded(env, [&] { return core_->compute(systems, request); }));
    }

    Napi::Value compute_async(const Napi::CallbackInfo& info) {
        auto systems = std::make_shared<std::vector<System>>(to_systems(info[0]));
        auto request = std::make_shared<ExpansionRequest>(to_request(info[1]));
        auto core = core_;
        return PromiseWorker<ExpansionResult>::start(
            info.Env(), [core, systems, request] { return core->compute(*systems, *request); }, result_to_js);
    }

    // Checks the adjoint's type and length against the request.
    void check_adjoint(const Napi::CallbackInfo& info, const std::vector<System>& systems,
                       const ExpansionRequest& request) {
        Napi::Env env = info.Env();
        if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
            throw Napi::TypeError::New(env, "gradient of the loss: expected a Float64Array");
        }
        auto array = info[2].As<Napi::Float64Array>();
        guarded(env, [&] {
            validate_systems(systems);
            validate_request(systems, request);
            check_adjoint_length(array.ElementLength(), count_samples(systems, request),
                                 Traits::adjoint_width(*core_, request));
            return 0;
        });
    }

    // Copies the adjoint (for work that outlives the call) after checking it.
    std::shared_ptr<std::vector<double>> adjoint(const Napi::CallbackInfo& info, const std::vector<System>& systems,
                                                 const ExpansionRequest& request) {
        check_adjoint(info, systems, request);
        auto array = info[2].As<Napi::Float64Array>();
        return std::make_shared<std::vector<double>>(array.Data(), array.Data() + array.ElementLength());
    }

    Napi::Value backward(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = to_systems(info[0]);
        auto request = to_request(info[1]);
        check_adjoint(info, systems, request);
        // Synchronous: the JS array outlives the call, no copy needed.
        const double* adj = info[2].As<Napi::Float64Array>().Data();
        PairBackwardOutput out;
        out.gradients = guarded(env, [&] { return core_->backward(systems, request, adj, &out.values); });
        return pair_backward_to_js(env, std::move(out));
    }

    Napi::Value backward_async(const Napi::CallbackInfo& info) {
        auto systems = std::make_shared<std::vector<System>>(to_systems(info[0]));
        auto request = std::make_shared<ExpansionRequest>(to_request(info[1]));
        auto adj = adjoint(info, *systems, *request);
        auto core = core_;
        return PromiseWorker<PairBackwardOutput>::start(
            info.Env(),
            [core, systems, request, adj] {
                PairBackwardOutput out;
                out.gradients = core->backward(*systems, *request, adj->data(), &out.values);
                return out;
            },
            pair_backward_to_js);
    }

    // A linear model on the values, y[sample][mu] = sum_p w[species[sample]][p] x[sample][mu][p],
    // and its backward pass from dL/dy: the values and dL/dx (as large as
    // the values, [samples][components][properties]) stay here instead of
    // crossing to JS and back at every step. Arguments after (systems,
    // request): weights [species][properties], the species index of every
    // sample, then (backward) dL/dy [samples][components].
    struct Weighted {
        std::vector<double> weights;
        std::vector<int32_t> species;
        size_t samples = 0, components = 0, properties = 0;
    };

    Weighted weighted_inputs(const Napi::CallbackInfo& info, const std::vector<System>& systems,
                             const ExpansionRequest& request) {
        Napi::Env env = info.Env();
        Weighted w;
        w.weights = get_float64_vector(info[2], "weights");
        w.species = get_int32_array(info[3], "species");
        guarded(env, [&] {
            validate_systems(systems);
            validate_request(systems, request);
            w.samples = count_samples(systems, request);
            w.properties = core_->n_properties(request);
            w.components = Traits::adjoint_width(*core_, request) / std::max<size_t>(1, w.properties);
            return 0;
        });
        const size_t P = w.properties;
        if (P == 0 || w.weights.size() % P != 0) {
            throw Napi::RangeError::New(env, "weights: expected [species][" + std::to_string(P) + "] numbers, got " +
                                                 std::to_string(w.weights.size()));
        }
        if (w.species.size() != w.samples) {
            throw Napi::RangeError::New(env, "species: expected one index per sample (" + std::to_string(w.samples) + "), got " +
                                                 std::to_string(w.species.size()));
        }
        const size_t S = w.weights.size() / P;
        for (size_t i = 0; i < w.samples; i++) {
            if (w.species[i] < 0 || static_cast<size_t>(w.species[i]) >= S) {
                throw Napi::RangeError::New(env, "species[" + std::to_string(i) + "]: expected an index below " + std::to_string(S) +
                                                     ", got " + std::to_string(w.species[i]));
            }
        }
        return w;
    }

    Napi::Value compute_weighted(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = to_systems(info[0]);
        auto request = to_request(info[1]);
        const Weighted w = weighted_inputs(info, systems, request);
        const ExpansionResult r = guarded(env, [&] { return core_->compute(systems, request); });
        const size_t C = w.components, P = w.properties;
        std::vector<double> y(w.samples * C, 0.0);
        for (size_t i = 0; i < w.samples; i++) {
            const double* weights = &w.weights[static_cast<size_t>(w.species[i]) * P];
            for (size_t c = 0; c < C; c++) {
                const double* x = &r.values[(i * C + c) * P];
                double sum = 0.0;
                for (size_t p = 0; p < P; p++) sum += weights[p] * x[p];
                y[i * C + c] = sum;
            }
        }
        return to_float64_array(env, std::move(y));
    }

    Napi::Value backward_weighted(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = to_systems(info[0]);
        auto request = to_request(info[1]);
        const Weighted w = weighted_inputs(info, systems, request);
        const std::vector<double> dy = get_float64_vector(info[4], "dL/dy");
        const size_t C = w.components, P = w.properties;
        if (dy.size() != w.samples * C) {
            throw Napi::RangeError::New(env, "dL/dy: expected " + std::to_string(w.samples * C) + " numbers ([samples][" +
                                                 std::to_string(C) + "]), got " + std::to_string(dy.size()));
        }
        DoubleBuffer adjoint(w.samples * C * P);
        for (size_t i = 0; i < w.samples; i++) {
            const double* weights = &w.weights[static_cast<size_t>(w.species[i]) * P];
            for (size_t c = 0; c < C; c++) {
                double* a = &adjoint[(i * C + c) * P];
                for (size_t p = 0; p < P; p++) a[p] = dy[i * C + c] * weights[p];
            }
        }
        return backward_to_js(env, guarded(env, [&] { return core_->backward(systems, request, adjoint.data()); }));
    }

    std::shared_ptr<const Core> core_;
};

}  // namespace lodestone::binding
