// smearedMultipoles(input): the vacuum electrostatics of Gaussian charges
// and point dipoles (native/src/longrange/smeared_multipoles.cpp).
#include <string>

#include "convert.hpp"
#include "lodestone/longrange/smeared_multipoles.hpp"
#include "module.hpp"

namespace lodestone::binding {
namespace {

bool present(const Napi::Object& o, const char* key) {
    return o.Has(key) && !o.Get(key).IsUndefined() && !o.Get(key).IsNull();
}

// smearedMultipoles({positions, charges, dipoles?, sigma, exclusionRadius?,
// exclusionWidth?, groups?}): typed arrays checked for their lengths here,
// the numbers by the core.
Napi::Value smeared_multipoles_js(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "smearedMultipoles: expected an input object");
    Napi::Object o = info[0].As<Napi::Object>();
    const std::vector<double> positions = get_float64_vector(o.Get("positions"), "smearedMultipoles.positions");
    const std::vector<double> charges = get_float64_vector(o.Get("charges"), "smearedMultipoles.charges");
    const size_t n = charges.size();
    auto check_length = [&](size_t length, size_t expected, const char* what) {
        if (length != expected) {
            throw Napi::RangeError::New(env, std::string("smearedMultipoles.") + what + ": expected " + std::to_string(expected) +
                                                 " numbers (one per atom" + (expected == n ? "" : ", times 3") + "), got " +
                                                 std::to_string(length));
        }
    };
    check_length(positions.size(), 3 * n, "positions");
    std::vector<double> dipoles;
    std::vector<int32_t> groups;
    SmearedMultipolesInput input;
    input.atoms = n;
    input.positions = positions.data();
    input.charges = charges.data();
    if (present(o, "dipoles")) {
        dipoles = get_float64_vector(o.Get("dipoles"), "smearedMultipoles.dipoles");
        check_length(dipoles.size(), 3 * n, "dipoles");
        input.dipoles = dipoles.data();
    }
    if (present(o, "groups")) {
        groups = get_int32_array(o.Get("groups"), "smearedMultipoles.groups");
        check_length(groups.size(), n, "groups");
        input.groups = groups.data();
    }
    input.sigma = get_number(o, "sigma", "smearedMultipoles");
    if (present(o, "exclusionRadius")) {
        input.exclusion_radius = get_number(o, "exclusionRadius", "smearedMultipoles");
        input.exclusion_width = get_number(o, "exclusionWidth", "smearedMultipoles");
    }
    SmearedMultipolesResult r = guarded(env, [&] { return smeared_multipoles(input); });
    Napi::Object out = Napi::Object::New(env);
    out.Set("energy", r.energy);
    out.Set("energies", to_float64_array(env, std::move(r.energies)));
    out.Set("potentials", to_float64_array(env, std::move(r.potentials)));
    out.Set("fields", to_float64_array(env, std::move(r.fields)));
    out.Set("forces", to_float64_array(env, std::move(r.forces)));
    return out;
}

}  // namespace

void register_smeared_multipoles(Napi::Env env, Napi::Object exports) {
    exports.Set("smearedMultipoles", Napi::Function::New(env, smeared_multipoles_js, "smearedMultipoles"));
}

}  // namespace lodestone::binding
