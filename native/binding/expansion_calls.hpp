#pragma once
// The JS methods every expansion wrapper (spherical, LODE) shares:
// compute(systems, request), computeAsync(...) and backward(..., dL/dvalues).
#include <napi.h>

#include <memory>

#include "lodestone/features/expansion.hpp"

namespace lodestone::binding {

Napi::Value expansion_compute(const Napi::CallbackInfo& info, const Expansion& expansion);
// The worker holds a reference to the calculator, so it outlives the JS wrapper if need be.
Napi::Value expansion_compute_async(const Napi::CallbackInfo& info, std::shared_ptr<const Expansion> expansion);
Napi::Value expansion_backward(const Napi::CallbackInfo& info, const Expansion& expansion);

}  // namespace lodestone::binding
