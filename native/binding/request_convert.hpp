#pragma once
// JS <-> core conversion of expansion requests and results, shared by every
// per-centre calculator binding.
#include <napi.h>

#include "lodestone/features/expansion.hpp"

namespace lodestone::binding {

ExpansionRequest to_request(const Napi::Value& value);
Napi::Value result_to_js(Napi::Env env, ExpansionResult&& result);
Napi::Value backward_to_js(Napi::Env env, BackwardResult&& result);

}  // namespace lodestone::binding
