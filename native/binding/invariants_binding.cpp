#include <memory>

#include "async.hpp"
#include "convert.hpp"
#include "expansion_handle.hpp"
#include "lodestone/features/invariants/invariants.hpp"
#include "module.hpp"
#include "request_convert.hpp"

namespace lodestone::binding {
namespace {

InvariantsOptions to_options(const Napi::Value& value) {
    InvariantsOptions options;
    if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "invariant options: expected an object");
    Napi::Object o = value.As<Napi::Object>();
    options.normalize = get_bool(o, "normalize", "options");
    Napi::Value selection = o.Get("selection");
    if (!selection.IsNull() && !selection.IsUndefined()) {
        auto flat = get_int32_array(selection, "options.selection");
        if (flat.size() % 5 != 0) throw Napi::TypeError::New(value.Env(), "options.selection: expected 5 integers per entry");
        for (size_t k = 0; k < flat.size(); k += 5) {
            options.selection.push_back({flat[k], flat[k + 1], flat[k + 2], flat[k + 3], flat[k + 4]});
        }
    }
    return options;
}

struct BackwardOutput {
    BackwardResult gradients;
    DoubleBuffer values;  // cached memory (buffer.hpp), not fresh pages at every step
};

Napi::Value backward_output_to_js(Napi::Env env, BackwardOutput&& out) {
    Napi::Object js = backward_to_js(env, std::move(out.gradients)).As<Napi::Object>();
    js.Set("values", to_float64_array(env, std::move(out.values)));
    return js;
}

class InvariantsWrap : public Napi::ObjectWrap<InvariantsWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "Invariants",
                           {InstanceMethod("compute", &InvariantsWrap::compute),
                            InstanceMethod("computeAsync", &InvariantsWrap::compute_async),
                            InstanceMethod("backward", &InvariantsWrap::backward),
                            InstanceMethod("backwardAsync", &InvariantsWrap::backward_async)});
    }

    // new Invariants(expansionA, expansionB, {normalize, selection})
    explicit InvariantsWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<InvariantsWrap>(info) {
        auto a = expansion_of(info[0], "first expansion");
        auto b = expansion_of(info[1], "second expansion");
        auto options = to_options(info[2]);
        invariants_ = guarded(info.Env(), [&] { return std::make_shared<const Invariants>(a, b, options); });
    }

private:
    Napi::Value compute(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = to_systems(info[0]);
        auto request = to_request(info[1]);
        return result_to_js(env, guarded(env, [&] { return invariants_->compute(systems, request); }));
    }

    Napi::Value compute_async(const Napi::CallbackInfo& info) {
        auto systems = std::make_shared<std::vector<System>>(to_systems(info[0]));
        auto request = std::make_shared<ExpansionRequest>(to_request(info[1]));
        auto invariants = invariants_;
        return PromiseWorker<ExpansionResult>::start(
            info.Env(), [invariants, systems, request] { return invariants->compute(*systems, *request); },
            result_to_js);
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
                                 invariants_->n_properties(request));
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
        BackwardOutput out;
        out.gradients = guarded(env, [&] { return invariants_->backward(systems, request, adj, &out.values); });
        return backward_output_to_js(env, std::move(out));
    }

    Napi::Value backward_async(const Napi::CallbackInfo& info) {
        auto systems = std::make_shared<std::vector<System>>(to_systems(info[0]));
        auto request = std::make_shared<ExpansionRequest>(to_request(info[1]));
        auto adj = adjoint(info, *systems, *request);
        auto invariants = invariants_;
        return PromiseWorker<BackwardOutput>::start(
            info.Env(),
            [invariants, systems, request, adj] {
                BackwardOutput out;
                out.gradients = invariants->backward(*systems, *request, adj->data(), &out.values);
                return out;
            },
            backward_output_to_js);
    }

    std::shared_ptr<const Invariants> invariants_;
};

}  // namespace

void register_invariants(Napi::Env env, Napi::Object exports) {
    exports.Set("Invariants", InvariantsWrap::define(env));
}

}  // namespace lodestone::binding
