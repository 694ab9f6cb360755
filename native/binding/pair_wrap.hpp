#pragma once
// The JS class of a feature built from two expansions (Invariants,
// EquivariantInvariants): new Class(expansionA, expansionB, options), then
// compute, computeAsync, backward and backwardAsync. Traits supplies the
// class name, the options' conversion and the adjoint's width per sample.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "async.hpp"
#include "convert.hpp"
#include "expansion_handle.hpp"
#include "lodestone/models/row_dots.hpp"
#include "module.hpp"
#include "request_convert.hpp"

namespace lodestone::binding {

// What a backward pass returns besides the gradients: the values x, or
// only their product with dL/dx per sample (a linear model's energies),
// which spares copying x into a fresh JS buffer at every MD step.
enum class BackwardValues { full, dots };

struct PairBackwardOutput {
    BackwardResult gradients;
    DoubleBuffer values;  // cached memory (buffer.hpp), not fresh pages at every step
    BackwardValues mode = BackwardValues::full;
    std::vector<double> dots;

    // Reduces the values to per-sample dots with the adjoint in 'dots' mode.
    void finish(const double* adjoint, size_t samples) {
        if (mode != BackwardValues::dots) return;
        dots.assign(samples, 0.0);
        if (samples > 0) row_dots(adjoint, values.data(), samples, values.size() / samples, dots.data());
        DoubleBuffer().swap(values);
    }
};

inline Napi::Value pair_backward_to_js(Napi::Env env, PairBackwardOutput&& out) {
    Napi::Object js = backward_to_js(env, std::move(out.gradients)).As<Napi::Object>();
    if (out.mode == BackwardValues::dots) {
        js.Set("dots", to_float64_array(env, std::move(out.dots)));
    } else {
        js.Set("values", to_float64_array(env, std::move(out.values)));
    }
    return js;
}

// The optional fourth argument of backward: 'values' (default) or 'dots'.
inline BackwardValues backward_values(const Napi::Value& value) {
    if (value.IsUndefined()) return BackwardValues::full;
    const std::string mode = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
    if (mode == "values") return BackwardValues::full;
    if (mode == "dots") return BackwardValues::dots;
    throw Napi::TypeError::New(value.Env(), "backward: the values to return: expected 'values' or 'dots'");
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
             Napi::ObjectWrap<Self>::InstanceMethod("backwardAsync", &Self::backward_async)});
    }

    explicit PairWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Self>(info) {
        auto a = expansion_of(info[0], "first expansion");
        auto b = expansion_of(info[1], "second expansion");
        auto options = Traits::options(info[2]);
        core_ = guarded(info.Env(), [&] { return std::make_shared<const Core>(a, b, options); });
    }

private:
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
        PairBackwardOutput out;
        out.mode = backward_values(info[3]);
        // Synchronous: the JS array outlives the call, no copy needed.
        const double* adj = info[2].As<Napi::Float64Array>().Data();
        guarded(env, [&] {
            out.gradients = core_->backward(systems, request, adj, &out.values);
            out.finish(adj, count_samples(systems, request));
            return 0;
        });
        return pair_backward_to_js(env, std::move(out));
    }

    Napi::Value backward_async(const Napi::CallbackInfo& info) {
        auto systems = std::make_shared<std::vector<System>>(to_systems(info[0]));
        auto request = std::make_shared<ExpansionRequest>(to_request(info[1]));
        auto adj = adjoint(info, *systems, *request);
        const BackwardValues mode = backward_values(info[3]);
        auto core = core_;
        return PromiseWorker<PairBackwardOutput>::start(
            info.Env(),
            [core, systems, request, adj, mode] {
                PairBackwardOutput out;
                out.mode = mode;
                out.gradients = core->backward(*systems, *request, adj->data(), &out.values);
                out.finish(adj->data(), count_samples(*systems, *request));
                return out;
            },
            pair_backward_to_js);
    }

    std::shared_ptr<const Core> core_;
};

}  // namespace lodestone::binding
