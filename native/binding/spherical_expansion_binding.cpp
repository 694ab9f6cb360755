#include <memory>

#include "async.hpp"
#include "convert.hpp"
#include "expansion_handle.hpp"
#include "request_convert.hpp"
#include "lodestone/expansions/spherical_expansion.hpp"
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
    Napi::Value compute(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = to_systems(info[0]);
        auto request = to_request(info[1]);
        return result_to_js(env, guarded(env, [&] { return calculator_->compute(systems, request); }));
    }

    Napi::Value compute_async(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = std::make_shared<std::vector<System>>(to_systems(info[0]));
        auto request = std::make_shared<ExpansionRequest>(to_request(info[1]));
        auto calculator = calculator_;
        return PromiseWorker<ExpansionResult>::start(
            env, [calculator, systems, request] { return calculator->compute(*systems, *request); }, result_to_js);
    }

    // backward(systems, request, dL/dvalues) -> {positions, strain}
    Napi::Value backward(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = to_systems(info[0]);
        auto request = to_request(info[1]);
        auto adjoint = info[2].As<Napi::Float64Array>();
        return guarded(env, [&] {
            validate_systems(systems);
            validate_request(systems, request);
            check_adjoint_length(adjoint.ElementLength(), count_samples(systems, request),
                                 calculator_->n_properties(request));
            return backward_to_js(env, calculator_->backward(systems, request, adjoint.Data()));
        });
    }

    std::shared_ptr<const SphericalExpansion> calculator_;
};

}  // namespace

void register_spherical_expansion(Napi::Env env, Napi::Object exports) {
    exports.Set("SphericalExpansion", SphericalExpansionWrap::define(env));
}

}  // namespace lodestone::binding
