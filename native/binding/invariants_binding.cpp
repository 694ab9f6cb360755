#include "lodestone/features/invariants/invariants.hpp"
#include "pair_wrap.hpp"

namespace lodestone::binding {
namespace {

// new Invariants(expansionA, expansionB, {normalize, selection})
struct InvariantsTraits {
    using Core = Invariants;
    static constexpr const char* kName = "Invariants";

    static InvariantsOptions options(const Napi::Value& value) {
        InvariantsOptions options;
        if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "invariant options: expected an object");
        Napi::Object o = value.As<Napi::Object>();
        options.normalize = get_bool(o, "normalize", "options");
        Napi::Value selection = o.Get("selection");
        if (!selection.IsNull() && !selection.IsUndefined()) {
            auto flat = get_int32_array(selection, "options.selection");
            if (flat.size() % 5 != 0) {
                throw Napi::TypeError::New(value.Env(), "options.selection: expected 5 integers per entry");
            }
            for (size_t k = 0; k < flat.size(); k += 5) {
                options.selection.push_back({flat[k], flat[k + 1], flat[k + 2], flat[k + 3], flat[k + 4]});
            }
        }
        return options;
    }

    static size_t adjoint_width(const Core& core, const ExpansionRequest& request) { return core.n_properties(request); }
};

}  // namespace

void register_invariants(Napi::Env env, Napi::Object exports) {
    exports.Set("Invariants", PairWrap<InvariantsTraits>::define(env));
}

}  // namespace lodestone::binding
