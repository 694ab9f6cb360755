#pragma once
#include <napi.h>

namespace lodestone::binding {

// Each binding file registers its exports here (module.cpp calls them all).
void register_spherical_expansion(Napi::Env env, Napi::Object exports);
void register_lode_expansion(Napi::Env env, Napi::Object exports);
void register_contracted_expansion(Napi::Env env, Napi::Object exports);
void register_runtime(Napi::Env env, Napi::Object exports);
void register_invariants(Napi::Env env, Napi::Object exports);
void register_equivariant_invariants(Napi::Env env, Napi::Object exports);
void register_models(Napi::Env env, Napi::Object exports);
void register_ewald(Napi::Env env, Napi::Object exports);
void register_smeared_multipoles(Napi::Env env, Napi::Object exports);
void register_closest_pairs(Napi::Env env, Napi::Object exports);

}  // namespace lodestone::binding
