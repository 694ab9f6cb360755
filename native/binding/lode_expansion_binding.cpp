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
    h.exclusion_radius = get_number(o, "exclusionRadius", where);
    h.exclusion_width = get_number(o, "exclusionWidth", where);
    h.method = get_string(o, "method", where);
    h.accuracy = get_number(o, "accuracy", where);
    h.split_smearing = get_number(o, "splitSmearing", where);
    h.mesh_spacing = get_number(o, "meshSpacing", where);
    h.mesh_order = get_int(o, "meshOrder", where);
    h.mesh = get_int64_triple(o, "mesh", where);
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
        out.Set("meshWindow", p.mesh_beta == 0.0 ? "bspline" : "kaiser-bessel");
        if (p.mesh_beta != 0.0) out.Set("meshBeta", p.mesh_beta);
        out.Set("meshSpacing", p.mesh_spacing);
        out.Set("estimatedError", p.estimated_error);
    }
    if (p.method == "split") {
        out.Set("splitSmearing", p.split_smearing);
        out.Set("splitKCutoff", p.split_k_cutoff);
        out.Set("splitCutoff", p.split_cutoff);
        out.Set("estimatedError", p.estimated_error);
    }
    out.Set("valueScale", p.value_scale);
    out.Set("directCost", p.direct_cost);
    out.Set("meshCost", p.mesh_cost);
    out.Set("splitCost", p.split_cost);
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
