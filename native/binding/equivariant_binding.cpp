#include "lodestone/features/invariants/equivariant.hpp"
#include "pair_wrap.hpp"

namespace lodestone::binding {
namespace {

// new EquivariantInvariants(expansionA, expansionB, {lambda, sigma, selection})
struct EquivariantTraits {
    using Core = EquivariantInvariants;
    static constexpr const char* kName = "EquivariantInvariants";

    static EquivariantOptions options(const Napi::Value& value) {
        EquivariantOptions options;
        if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "equivariant options: expected an object");
        Napi::Object o = value.As<Napi::Object>();
        options.lambda = get_int(o, "lambda", "options");
        options.sigma = get_int(o, "sigma", "options");
        Napi::Value selection = o.Get("selection");
        if (!selection.IsNull() && !selection.IsUndefined()) {
            auto flat = get_int32_array(selection, "options.selection");
            if (flat.size() % 6 != 0) {
                throw Napi::TypeError::New(value.Env(), "options.selection: expected 6 integers per entry");
            }
            for (size_t k = 0; k < flat.size(); k += 6) {
                options.selection.push_back({flat[k], flat[k + 1], flat[k + 2], flat[k + 3], flat[k + 4], flat[k + 5]});
            }
        }
        return options;
    }

    // dL/dx holds every component of every property
    static size_t adjoint_width(const Core& core, const ExpansionRequest& request) {
        return core.n_components() * core.n_properties(request);
    }
};

}  // namespace

void register_equivariant_invariants(Napi::Env env, Napi::Object exports) {
    exports.Set("EquivariantInvariants", PairWrap<EquivariantTraits>::define(env));
}

}  // namespace lodestone::binding
