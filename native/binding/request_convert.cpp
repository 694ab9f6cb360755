#include "request_convert.hpp"

#include <string>

#include "convert.hpp"

namespace lodestone::binding {

ExpansionRequest to_request(const Napi::Value& value) {
    if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "options: expected an object");
    Napi::Object o = value.As<Napi::Object>();
    ExpansionRequest request;
    request.positions = get_bool(o, "positions", "options");
    request.strain = get_bool(o, "strain", "options");
    request.cell = get_bool(o, "cell", "options");
    request.sum_centers = !o.Get("sumCenters").IsUndefined() && get_bool(o, "sumCenters", "options");
    request.neighbor_types = get_int32_array(o.Get("neighborTypes"), "options.neighborTypes");
    Napi::Value centers = o.Get("centers");
    if (centers.IsArray()) {
        auto list = centers.As<Napi::Array>();
        for (uint32_t s = 0; s < list.Length(); ++s) {
            request.centers.push_back(get_int32_array(list.Get(s), "options.centers[" + std::to_string(s) + "]"));
        }
    }
    return request;
}

Napi::Value result_to_js(Napi::Env env, ExpansionResult&& r) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("nSamples", Napi::Number::New(env, static_cast<double>(r.n_samples)));
    out.Set("nProperties", Napi::Number::New(env, static_cast<double>(r.n_properties)));
    out.Set("values", to_float64_array(env, std::move(r.values)));
    out.Set("samples", to_int32_array(env, std::move(r.samples)));
    out.Set("properties", to_int32_array(env, std::move(r.properties)));
    out.Set("positionsGradient", to_float64_array(env, std::move(r.positions_gradient)));
    out.Set("positionsGradientSamples", to_int32_array(env, std::move(r.positions_gradient_samples)));
    out.Set("strainGradient", to_float64_array(env, std::move(r.strain_gradient)));
    out.Set("cellGradient", to_float64_array(env, std::move(r.cell_gradient)));
    return out;
}

Napi::Value backward_to_js(Napi::Env env, BackwardResult&& r) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("positions", to_float64_array(env, std::move(r.positions)));
    out.Set("strain", to_float64_array(env, std::move(r.strain)));
    return out;
}

}  // namespace lodestone::binding
