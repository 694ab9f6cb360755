#include "expansion_handle.hpp"

#include <string>

namespace lodestone::binding {
namespace {
constexpr const char* kKey = "__lodestoneExpansion";
using Handle = std::shared_ptr<const Expansion>;
}  // namespace

void attach_expansion(Napi::Object wrapper, std::shared_ptr<const Expansion> expansion) {
    auto external = Napi::External<Handle>::New(wrapper.Env(), new Handle(std::move(expansion)),
                                                [](Napi::Env, Handle* h) { delete h; });
    wrapper.DefineProperty(Napi::PropertyDescriptor::Value(kKey, external, napi_default));
}

std::shared_ptr<const Expansion> expansion_of(const Napi::Value& value, const char* where) {
    if (value.IsObject()) {
        Napi::Value handle = value.As<Napi::Object>().Get(kKey);
        if (handle.IsExternal()) return *handle.As<Napi::External<Handle>>().Data();
    }
    throw Napi::TypeError::New(value.Env(), std::string(where) + ": expected a native expansion object");
}

}  // namespace lodestone::binding
