#include "expansion_calls.hpp"

#include <vector>

#include "async.hpp"
#include "convert.hpp"
#include "request_convert.hpp"

namespace lodestone::binding {

Napi::Value expansion_compute(const Napi::CallbackInfo& info, const Expansion& expansion) {
    Napi::Env env = info.Env();
    auto systems = to_systems(info[0]);
    auto request = to_request(info[1]);
    return result_to_js(env, guarded(env, [&] { return expansion.compute(systems, request); }));
}

Napi::Value expansion_compute_async(const Napi::CallbackInfo& info, std::shared_ptr<const Expansion> expansion) {
    Napi::Env env = info.Env();
    auto systems = std::make_shared<std::vector<System>>(to_systems(info[0]));
    auto request = std::make_shared<ExpansionRequest>(to_request(info[1]));
    return PromiseWorker<ExpansionResult>::start(
        env, [expansion, systems, request] { return expansion->compute(*systems, *request); }, result_to_js);
}

Napi::Value expansion_backward(const Napi::CallbackInfo& info, const Expansion& expansion) {
    Napi::Env env = info.Env();
    auto systems = to_systems(info[0]);
    auto request = to_request(info[1]);
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
        throw Napi::TypeError::New(env, "dL/dvalues: expected a Float64Array");
    }
    auto adjoint = info[2].As<Napi::Float64Array>();
    return guarded(env, [&] {
        validate_systems(systems);
        validate_request(systems, request);
        check_adjoint_length(adjoint.ElementLength(), count_samples(systems, request), expansion.n_properties(request));
        return backward_to_js(env, expansion.backward(systems, request, adjoint.Data()));
    });
}

}  // namespace lodestone::binding
