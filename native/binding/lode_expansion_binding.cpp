#include <cmath>
#include <memory>

#include "convert.hpp"
#include "expansion_calls.hpp"
#include "expansion_handle.hpp"
#include "lodestone/features/lode/lode_expansion.hpp"
#include "module.hpp"
#include "request_convert.hpp"

namespace lodestone::binding {
namespace {

LodeExpansionHypers to_lode_hypers(const Napi::Value& value) {
    if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "hypers: expected an object");
    Napi::Object o = value.As<Napi::Object>();
    const std::string where = "hypers";
    LodeExpansionHypers h;
    h.smearing = get_number(o, "smearing", where);
    h.exponent = get_int(o, "exponent", where);
    h.max_radial = get_int(o, "maxRadial", where);
    h.max_angular = get_int(o, "maxAngular", where);
    h.radial_radius = get_number(o, "radialRadius", where);
    h.k_cutoff = get_number(o, "kCutoff", where);
    h.center_atom_weight = get_number(o, "centerAtomWeight", where);
    h.spline_accuracy = get_number(o, "splineAccuracy", where);
    // method options are optional: callers that predate them get 'direct'
    if (o.Has("method") && !o.Get("method").IsUndefined()) {
        if (!o.Get("method").IsString()) throw Napi::TypeError::New(o.Env(), where + ".method: expected a string");
        h.method = o.Get("method").As<Napi::String>().Utf8Value();
    }
    if (o.Has("accuracy") && !o.Get("accuracy").IsUndefined()) h.accuracy = get_number(o, "accuracy", where);
    if (o.Has("meshSpacing") && !o.Get("meshSpacing").IsUndefined()) h.mesh_spacing = get_number(o, "meshSpacing", where);
    if (o.Has("meshOrder") && !o.Get("meshOrder").IsUndefined()) h.mesh_order = get_int(o, "meshOrder", where);
    if (o.Has("mesh") && !o.Get("mesh").IsUndefined()) {
        Napi::Value v = o.Get("mesh");
        if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) {
            throw Napi::TypeError::New(o.Env(), where + ".mesh: expected an array of 3 integers");
        }
        Napi::Array a = v.As<Napi::Array>();
        for (uint32_t d = 0; d < 3; d++) {
            Napi::Value x = a.Get(d);
            const double points = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : NAN;
            // bounded before the cast (the core checks the real range)
            if (!std::isfinite(points) || points != std::floor(points) || std::fabs(points) > 1e15) {
                throw Napi::TypeError::New(o.Env(), where + ".mesh: expected an array of 3 integers");
            }
            h.mesh[d] = static_cast<int64_t>(points);
        }
    }
    return h;
}

Napi::Object lode_parameters_to_js(Napi::Env env, const LodeMethodParameters& p) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("method", p.method);
    if (p.mesh_order != 0) {
        Napi::Array mesh = Napi::Array::New(env, 3);
        for (uint32_t d = 0; d < 3; d++) mesh.Set(d, Napi::Number::New(env, static_cast<double>(p.mesh[d])));
        out.Set("mesh", mesh);
        out.Set("meshOrder", p.mesh_order);
        out.Set("meshSpacing", p.mesh_spacing);
        out.Set("estimatedError", p.estimated_error);
    }
    out.Set("valueScale", p.value_scale);
    out.Set("directCost", p.direct_cost);
    out.Set("meshCost", p.mesh_cost);
    out.Set("kVectors", static_cast<double>(p.n_kvectors));
    return out;
}

class LodeExpansionWrap : public Napi::ObjectWrap<LodeExpansionWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "LodeSphericalExpansion",
                           {InstanceMethod("compute", &LodeExpansionWrap::compute),
                            InstanceMethod("computeAsync", &LodeExpansionWrap::compute_async),
                            InstanceMethod("backward", &LodeExpansionWrap::backward),
                            InstanceMethod("parameters", &LodeExpansionWrap::parameters)});
    }

    explicit LodeExpansionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LodeExpansionWrap>(info) {
        calculator_ =
            guarded(info.Env(), [&] { return std::make_shared<const LodeSphericalExpansion>(to_lode_hypers(info[0])); });
        attach_expansion(info.This().As<Napi::Object>(), calculator_);
    }

private:
    Napi::Value compute(const Napi::CallbackInfo& info) { return expansion_compute(info, *calculator_); }
    Napi::Value compute_async(const Napi::CallbackInfo& info) { return expansion_compute_async(info, calculator_); }
    Napi::Value backward(const Napi::CallbackInfo& info) { return expansion_backward(info, *calculator_); }
    // parameters(system, gradients?): the method compute() uses for it
    Napi::Value parameters(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        System system = to_system(info[0], "system");
        const bool gradients = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
        return lode_parameters_to_js(env, guarded(env, [&] { return calculator_->parameters(system, gradients); }));
    }

    std::shared_ptr<const LodeSphericalExpansion> calculator_;
};

}  // namespace

void register_lode_expansion(Napi::Env env, Napi::Object exports) {
    exports.Set("LodeSphericalExpansion", LodeExpansionWrap::define(env));
}

}  // namespace lodestone::binding
