#include <memory>

#include "convert.hpp"
#include "expansion_calls.hpp"
#include "expansion_handle.hpp"
#include "lodestone/longrange/lode_expansion.hpp"
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
    return h;
}

class LodeExpansionWrap : public Napi::ObjectWrap<LodeExpansionWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "LodeSphericalExpansion",
                           {InstanceMethod("compute", &LodeExpansionWrap::compute),
                            InstanceMethod("computeAsync", &LodeExpansionWrap::compute_async),
                            InstanceMethod("backward", &LodeExpansionWrap::backward)});
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

    std::shared_ptr<const LodeSphericalExpansion> calculator_;
};

}  // namespace

void register_lode_expansion(Napi::Env env, Napi::Object exports) {
    exports.Set("LodeSphericalExpansion", LodeExpansionWrap::define(env));
}

}  // namespace lodestone::binding
