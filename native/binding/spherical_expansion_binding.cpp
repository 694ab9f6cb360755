#include <memory>

#include "async.hpp"
#include "convert.hpp"
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

ExpansionRequest to_request(const Napi::Value& value) {
    if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "options: expected an object");
    Napi::Object o = value.As<Napi::Object>();
    ExpansionRequest request;
    request.positions = get_bool(o, "positions", "options");
    request.strain = get_bool(o, "strain", "options");
    request.cell = get_bool(o, "cell", "options");
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

Napi::Value to_js(Napi::Env env, ExpansionResult&& r) {
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

class SphericalExpansionWrap : public Napi::ObjectWrap<SphericalExpansionWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "SphericalExpansion",
                           {InstanceMethod("compute", &SphericalExpansionWrap::compute),
                            InstanceMethod("computeAsync", &SphericalExpansionWrap::compute_async)});
    }

    explicit SphericalExpansionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SphericalExpansionWrap>(info) {
        calculator_ = guarded(info.Env(), [&] { return std::make_shared<const SphericalExpansion>(to_hypers(info[0])); });
    }

private:
    Napi::Value compute(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = to_systems(info[0]);
        auto request = to_request(info[1]);
        return to_js(env, guarded(env, [&] { return calculator_->compute(systems, request); }));
    }

    Napi::Value compute_async(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto systems = std::make_shared<std::vector<System>>(to_systems(info[0]));
        auto request = std::make_shared<ExpansionRequest>(to_request(info[1]));
        auto calculator = calculator_;
        return PromiseWorker<ExpansionResult>::start(
            env, [calculator, systems, request] { return calculator->compute(*systems, *request); }, to_js);
    }

    std::shared_ptr<const SphericalExpansion> calculator_;
};

}  // namespace

void register_spherical_expansion(Napi::Env env, Napi::Object exports) {
    exports.Set("SphericalExpansion", SphericalExpansionWrap::define(env));
}

}  // namespace lodestone::binding
