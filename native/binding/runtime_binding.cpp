// Process-wide settings of the addon: the OpenMP thread count and the pooled
// buffers (native/include/lodestone/core/buffer.hpp).
#include <omp.h>

#include "lodestone/core/buffer.hpp"
#include "module.hpp"

namespace lodestone::binding {
namespace {

Napi::Value set_num_threads(const Napi::CallbackInfo& info) {
    if (!info[0].IsNumber() || info[0].As<Napi::Number>().Int32Value() < 1) {
        throw Napi::TypeError::New(info.Env(), "setNumThreads: expected a positive integer");
    }
    omp_set_num_threads(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
}

Napi::Value release_memory(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(release_cached_memory()));
}

Napi::Value get_num_threads(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), omp_get_max_threads());
}

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
    exports.Set("setNumThreads", Napi::Function::New(env, set_num_threads));
    exports.Set("getNumThreads", Napi::Function::New(env, get_num_threads));
    exports.Set("releaseCachedMemory", Napi::Function::New(env, release_memory));
}

}  // namespace lodestone::binding
