#pragma once
// Translation between JS values and core types. The TS layer normalises user
// input (plain arrays -> typed arrays, hyper-parameter JSON -> flat options);
// these helpers check the shapes they receive and copy into owned C++ data,
// so native work never reads JS memory after the call returns.
#include <napi.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "lodestone/core/system.hpp"

namespace lodestone::binding {

std::vector<System> to_systems(const Napi::Value& value);
System to_system(const Napi::Value& value, const std::string& where);

double get_number(const Napi::Object& object, const char* key, const std::string& where);
int get_int(const Napi::Object& object, const char* key, const std::string& where);
bool get_bool(const Napi::Object& object, const char* key, const std::string& where);
std::string get_string(const Napi::Object& object, const char* key, const std::string& where);
// Three integers (mesh points along each lattice vector); ranges are the core's to check.
std::array<int64_t, 3> get_int64_triple(const Napi::Object& object, const char* key, const std::string& where);
// A copy of a Float64Array (`where` names it in the error).
std::vector<double> get_float64_vector(const Napi::Value& value, const std::string& where);
std::vector<int32_t> get_int32_array(const Napi::Value& value, const std::string& where);

// Outputs up to this size are copied into memory V8 owns. Node 20 runs the
// finalizers of external buffers only when the event loop turns, so a long
// synchronous loop (an MD run, a fit) holding external results grows without
// bound; V8-owned memory is reclaimed by garbage collection itself, and the
// native buffer goes straight back to the buffer cache.
constexpr size_t kCopyOutputLimit = size_t(256) << 20;

// Moves a vector's contents to a JS typed array: copied below the limit, else
// handed over without copying (the ArrayBuffer frees it; huge outputs are rare
// and worth not duplicating).
template <typename Vector>
Napi::Float64Array to_float64_array(Napi::Env env, Vector&& data) {
    using Owned = std::decay_t<Vector>;
    const size_t length = data.size();
    if (length == 0) return Napi::Float64Array::New(env, 0);
    const size_t bytes = length * sizeof(double);
    if (bytes <= kCopyOutputLimit) {
        Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
        std::memcpy(buffer.Data(), data.data(), bytes);
        Owned released(std::move(data));  // back to the cache now, not at the next GC
        return Napi::Float64Array::New(env, length, buffer, 0);
    }
    auto* owned = new Owned(std::move(data));
    // Tell V8 how much memory the buffer holds so garbage collection returns
    // large outputs (to the buffer cache) promptly.
    Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
    auto buffer = Napi::ArrayBuffer::New(
        env, owned->data(), bytes,
        [](Napi::Env e, void*, Owned* v) {
            Napi::MemoryManagement::AdjustExternalMemory(e, -static_cast<int64_t>(v->size() * sizeof(double)));
            delete v;
        },
        owned);
    return Napi::Float64Array::New(env, length, buffer, 0);
}
Napi::Int32Array to_int32_array(Napi::Env env, std::vector<int32_t>&& data);

// Runs `body`, converting core exceptions into JS errors.
template <typename F>
auto guarded(Napi::Env env, F&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const Napi::Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw Napi::Error::New(env, "out of memory: the requested computation is too large");
    } catch (const std::exception& e) {
        throw Napi::Error::New(env, e.what());
    }
}

}  // namespace lodestone::binding
