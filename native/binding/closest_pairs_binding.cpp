// closestPairs(system, cutoff): the closest pair of atoms of every type pair
// within the cutoff (native/src/core/closest_pairs.cpp).
#include "convert.hpp"
#include "lodestone/core/closest_pairs.hpp"
#include "module.hpp"

namespace lodestone::binding {
namespace {

Napi::Value closest_pairs_js(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const System system = to_system(info[0], "system");
    if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "closestPairs: cutoff: expected a number (A)");
    const double cutoff = info[1].As<Napi::Number>().DoubleValue();
    const std::vector<ClosestPair> pairs = guarded(env, [&] { return closest_pairs(system, cutoff); });
    std::vector<int32_t> types, atoms;
    std::vector<double> distances;
    for (const ClosestPair& p : pairs) {
        types.insert(types.end(), {p.type_a, p.type_b});
        atoms.insert(atoms.end(), {p.i, p.j});
        distances.push_back(p.distance);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("types", to_int32_array(env, std::move(types)));
    out.Set("atoms", to_int32_array(env, std::move(atoms)));
    out.Set("distances", to_float64_array(env, std::move(distances)));
    return out;
}

}  // namespace

void register_closest_pairs(Napi::Env env, Napi::Object exports) {
    exports.Set("closestPairs", Napi::Function::New(env, closest_pairs_js, "closestPairs"));
}

}  // namespace lodestone::binding
