#pragma once
// Lets invariants combine any two expansion objects created from JS: each
// expansion wrapper carries its core object under a hidden property.
#include <napi.h>

#include <memory>

#include "lodestone/features/expansion.hpp"

namespace lodestone::binding {

void attach_expansion(Napi::Object wrapper, std::shared_ptr<const Expansion> expansion);
std::shared_ptr<const Expansion> expansion_of(const Napi::Value& value, const char* where);

}  // namespace lodestone::binding
