#include <memory>

#include "convert.hpp"
#include "expansion_calls.hpp"
#include "expansion_handle.hpp"
#include "request_convert.hpp"
#include "lodestone/features/soap/spherical_expansion.hpp"
#include "module.hpp"

namespace lodestone::binding {
namespace {

SphericalExpansionHypers to_hypers(const Napi::Value& value) {
    if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "hypers: expected an object");
    Napi::Object o = value.As<Napi::Object>();
    const std::string where = "hypers";
    SphericalExpansionHypers h;
    h.cutoff.radius = get_number(o, "cutoffRadius", where);
    std::string kind = o.Get("cutoffKind").ToString().Utf8Value();
    if (kind == "Step") {
        h.cutoff.kind = CutoffFunction::Kind::Step;
    } else if (kind == "ShiftedCosine") {
        h.cutoff.kind = CutoffFunction::Kind::ShiftedCosine;
        h.cutoff.width = get_number(o, "smoothingWidth", where);
    } else {
        throw Napi::TypeError::New(value.Env(), "hypers.cutoffKind: expected 'Step' or 'ShiftedCosine'");
    }
    h.density_width = get_number(o, "densityWidth", where);
    h.center_atom_weight = get_number(o, "centerAtomWeight", where);
    h.max_radial = get_int(o, "maxRadial", where);
    h.max_angular = get_int(o, "maxAngular", where);
    h.radial_radius = get_number(o, "radialRadius", where);
    h.spline_accuracy = get_number(o, "splineAccuracy", where);
    return h;
}

class SphericalExpansionWrap : public Napi::ObjectWrap<SphericalExpansionWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "SphericalExpansion",
                           {InstanceMethod("compute", &SphericalExpansionWrap::compute),
                            InstanceMethod("computeAsync", &SphericalExpansionWrap::compute_async),
                            InstanceMethod("backward", &SphericalExpansionWrap::backward)});
    }

    explicit SphericalExpansionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SphericalExpansionWrap>(info) {
        calculator_ = guarded(info.Env(), [&] { return std::make_shared<const SphericalExpansion>(to_hypers(info[0])); });
        attach_expansion(info.This().As<Napi::Object>(), calculator_);
    }

private:
    Napi::Value compute(const Napi::CallbackInfo& info) { return expansion_compute(info, *calculator_); }
    Napi::Value compute_async(const Napi::CallbackInfo& info) { return expansion_compute_async(info, calculator_); }
    Napi::Value backward(const Napi::CallbackInfo& info) { return expansion_backward(info, *calculator_); }

    std::shared_ptr<const SphericalExpansion> calculator_;
};

}  // namespace

void register_spherical_expansion(Napi::Env env, Napi::Object exports) {
    exports.Set("SphericalExpansion", SphericalExpansionWrap::define(env));
}

}  // namespace lodestone::binding
