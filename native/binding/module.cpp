#include "module.hpp"

namespace lodestone::binding {

Napi::Object init(Napi::Env env, Napi::Object exports) {
    register_runtime(env, exports);
    register_spherical_expansion(env, exports);
    register_lode_expansion(env, exports);
    register_contracted_expansion(env, exports);
    register_invariants(env, exports);
    register_equivariant_invariants(env, exports);
    register_models(env, exports);
    register_ewald(env, exports);
    register_smeared_multipoles(env, exports);
    register_closest_pairs(env, exports);
    return exports;
}

}  // namespace lodestone::binding

static Napi::Object init_lodestone(Napi::Env env, Napi::Object exports) {
    return lodestone::binding::init(env, exports);
}

NODE_API_MODULE(lodestone, init_lodestone)
