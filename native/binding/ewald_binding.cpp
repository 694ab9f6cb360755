// The JS class Ewald: lattice sums of point weights (native/src/longrange).
#include <memory>
#include <string>

#include "async.hpp"
#include "convert.hpp"
#include "lodestone/core/error.hpp"
#include "lodestone/longrange/ewald.hpp"
#include "module.hpp"

namespace lodestone::binding {
namespace {

LongRangeRequest to_request(const Napi::Value& value) {
    LongRangeRequest request;
    if (value.IsUndefined() || value.IsNull()) return request;
    if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "request: expected an object");
    Napi::Object o = value.As<Napi::Object>();
    request.forces = get_bool(o, "forces", "request");
    request.virial = get_bool(o, "virial", "request");
    request.per_atom = get_bool(o, "perAtom", "request");
    return request;
}

Napi::Object parameters_to_js(Napi::Env env, const LongRangeParameters& p) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("method", p.method);
    out.Set("smearing", p.smearing);
    out.Set("cutoff", p.cutoff);
    out.Set("kCutoff", p.k_cutoff);
    if (p.method == "pme") {
        Napi::Array mesh = Napi::Array::New(env, 3);
        for (uint32_t d = 0; d < 3; d++) mesh.Set(d, Napi::Number::New(env, static_cast<double>(p.mesh[d])));
        out.Set("mesh", mesh);
        out.Set("meshOrder", p.mesh_order);
        out.Set("meshSpacing", p.mesh_spacing);
    }
    out.Set("realError", p.real_error);
    out.Set("kspaceError", p.kspace_error);
    out.Set("estimatedError", p.estimated_error);
    out.Set("referenceForce", p.reference_force);
    return out;
}

struct Computed {
    LongRangeResult result;
    LongRangeRequest request;
};

Napi::Value result_to_js(Napi::Env env, Computed&& c) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("energy", c.result.energy);
    if (c.request.forces) out.Set("forces", to_float64_array(env, std::move(c.result.forces)));
    if (c.request.virial) {
        std::vector<double> virial(c.result.virial.begin(), c.result.virial.end());
        out.Set("virial", to_float64_array(env, std::move(virial)));
    }
    if (c.request.per_atom) out.Set("energies", to_float64_array(env, std::move(c.result.energies)));
    out.Set("parameters", parameters_to_js(env, c.result.parameters));
    return out;
}

class EwaldWrap : public Napi::ObjectWrap<EwaldWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "Ewald",
                           {InstanceMethod("compute", &EwaldWrap::compute),
                            InstanceMethod("computeAsync", &EwaldWrap::compute_async),
                            InstanceMethod("parameters", &EwaldWrap::parameters)});
    }

    // new Ewald({exponent, prefactor, accuracy, smearing, cutoff, kCutoff,
    // method, meshOrder, meshSpacing}); 0 = choose
    explicit EwaldWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EwaldWrap>(info) {
        Napi::Env env = info.Env();
        if (!info[0].IsObject()) throw Napi::TypeError::New(env, "Ewald: expected an options object");
        Napi::Object o = info[0].As<Napi::Object>();
        EwaldOptions options;
        options.exponent = get_int(o, "exponent", "options");
        options.prefactor = get_number(o, "prefactor", "options");
        options.tuning.accuracy = get_number(o, "accuracy", "options");
        options.tuning.smearing = get_number(o, "smearing", "options");
        options.tuning.cutoff = get_number(o, "cutoff", "options");
        options.tuning.k_cutoff = get_number(o, "kCutoff", "options");
        options.tuning.mesh_order = get_int(o, "meshOrder", "options");
        options.tuning.mesh_spacing = get_number(o, "meshSpacing", "options");
        const std::string name = get_string(o, "method", "options");
        if (name == "ewald") options.tuning.method = LongRangeMethod::Ewald;
        else if (name == "pme") options.tuning.method = LongRangeMethod::Pme;
        else if (name == "auto") options.tuning.method = LongRangeMethod::Auto;
        else throw Napi::TypeError::New(env, "options.method: expected 'ewald', 'pme' or 'auto', got '" + name + "'");
        ewald_ = guarded(env, [&] { return std::make_shared<const Ewald>(options); });
    }

private:
    // compute(system, weights: Float64Array, {forces, virial, perAtom})
    Napi::Value compute(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        System system = to_system(info[0], "system");
        std::vector<double> weights = get_float64_vector(info[1], "charges");
        LongRangeRequest request = to_request(info[2]);
        Computed c{guarded(env, [&] { return ewald_->compute(system, weights, request); }), request};
        return result_to_js(env, std::move(c));
    }

    Napi::Value compute_async(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        System system = to_system(info[0], "system");
        std::vector<double> weights = get_float64_vector(info[1], "charges");
        LongRangeRequest request = to_request(info[2]);
        std::shared_ptr<const Ewald> ewald = ewald_;
        return PromiseWorker<Computed>::start(
            env,
            [ewald, system = std::move(system), weights = std::move(weights), request]() {
                return Computed{ewald->compute(system, weights, request), request};
            },
            result_to_js);
    }

    Napi::Value parameters(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        System system = to_system(info[0], "system");
        std::vector<double> weights = get_float64_vector(info[1], "charges");
        return parameters_to_js(env, guarded(env, [&] { return ewald_->parameters(system, weights); }));
    }

    std::shared_ptr<const Ewald> ewald_;
};

}  // namespace

void register_ewald(Napi::Env env, Napi::Object exports) {
    exports.Set("Ewald", EwaldWrap::define(env));
    exports.Set("coulombConstant", Napi::Number::New(env, COULOMB_CONSTANT));
}

}  // namespace lodestone::binding
