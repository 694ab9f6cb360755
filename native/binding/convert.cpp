#include "convert.hpp"

#include <cmath>
#include <cstring>

namespace lodestone::binding {

double get_number(const Napi::Object& object, const char* key, const std::string& where) {
    Napi::Value v = object.Get(key);
    if (!v.IsNumber()) throw Napi::TypeError::New(object.Env(), where + "." + key + ": expected a number");
    return v.As<Napi::Number>().DoubleValue();
}

int get_int(const Napi::Object& object, const char* key, const std::string& where) {
    double v = get_number(object, key, where);
    // bounded before the cast (an out-of-range cast is undefined); the core checks the real range
    if (!(std::fabs(v) <= 2147483647.0) || v != std::floor(v)) {
        throw Napi::TypeError::New(object.Env(), where + "." + key + ": expected an integer");
    }
    return static_cast<int>(v);
}

bool get_bool(const Napi::Object& object, const char* key, const std::string& where) {
    Napi::Value v = object.Get(key);
    if (!v.IsBoolean()) throw Napi::TypeError::New(object.Env(), where + "." + key + ": expected a boolean");
    return v.As<Napi::Boolean>().Value();
}

std::string get_string(const Napi::Object& object, const char* key, const std::string& where) {
    Napi::Value v = object.Get(key);
    if (!v.IsString()) throw Napi::TypeError::New(object.Env(), where + "." + key + ": expected a string");
    return v.As<Napi::String>().Utf8Value();
}

std::array<int64_t, 3> get_int64_triple(const Napi::Object& object, const char* key, const std::string& where) {
    const std::string message = where + "." + key + ": expected an array of 3 integers";
    Napi::Value v = object.Get(key);
    if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) throw Napi::TypeError::New(object.Env(), message);
    std::array<int64_t, 3> out{};
    for (uint32_t d = 0; d < 3; d++) {
        Napi::Value x = v.As<Napi::Array>().Get(d);
        const double value = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : NAN;
        if (!(std::fabs(value) <= 1e15) || value != std::floor(value)) throw Napi::TypeError::New(object.Env(), message);
        out[d] = static_cast<int64_t>(value);
    }
    return out;
}

std::vector<double> get_float64_vector(const Napi::Value& value, const std::string& where) {
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
        throw Napi::TypeError::New(value.Env(), where + ": expected a Float64Array");
    }
    auto array = value.As<Napi::Float64Array>();
    return std::vector<double>(array.Data(), array.Data() + array.ElementLength());
}

std::vector<int32_t> get_int32_array(const Napi::Value& value, const std::string& where) {
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
        throw Napi::TypeError::New(value.Env(), where + ": expected an Int32Array");
    }
    auto array = value.As<Napi::Int32Array>();
    return std::vector<int32_t>(array.Data(), array.Data() + array.ElementLength());
}

System to_system(const Napi::Value& value, const std::string& where) {
    Napi::Env env = value.Env();
    if (!value.IsObject()) throw Napi::TypeError::New(env, where + ": expected a system object");
    Napi::Object object = value.As<Napi::Object>();
    System system;
    Napi::Value positions = object.Get("positions");
    if (!positions.IsTypedArray() || positions.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
        throw Napi::TypeError::New(env, where + ".positions: expected a Float64Array");
    }
    auto pos = positions.As<Napi::Float64Array>();
    system.positions.assign(pos.Data(), pos.Data() + pos.ElementLength());
    system.types = get_int32_array(object.Get("types"), where + ".types");
    Napi::Value cell = object.Get("cell");
    if (!cell.IsNull() && !cell.IsUndefined()) {
        if (!cell.IsTypedArray() || cell.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
            cell.As<Napi::TypedArray>().ElementLength() != 9) {
            throw Napi::TypeError::New(env, where + ".cell: expected a Float64Array of 9 numbers or null");
        }
        auto c = cell.As<Napi::Float64Array>();
        system.has_cell = true;
        for (size_t k = 0; k < 9; ++k) system.cell[k] = c[k];
    }
    Napi::Value pbc = object.Get("pbc");
    if (!pbc.IsArray() || pbc.As<Napi::Array>().Length() != 3) {
        throw Napi::TypeError::New(env, where + ".pbc: expected an array of 3 booleans");
    }
    for (uint32_t a = 0; a < 3; ++a) system.pbc[a] = pbc.As<Napi::Array>().Get(a).ToBoolean().Value();
    return system;
}

std::vector<System> to_systems(const Napi::Value& value) {
    if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), "systems: expected an array of systems");
    auto array = value.As<Napi::Array>();
    std::vector<System> systems;
    systems.reserve(array.Length());
    for (uint32_t s = 0; s < array.Length(); ++s) {
        systems.push_back(to_system(array.Get(s), "systems[" + std::to_string(s) + "]"));
    }
    return systems;
}

Napi::Int32Array to_int32_array(Napi::Env env, std::vector<int32_t>&& data) {
    // Always copied: label arrays are small, and external buffers would only
    // be freed when the event loop turns (see to_float64_array).
    const size_t length = data.size();
    Napi::Int32Array out = Napi::Int32Array::New(env, length);
    if (length) std::memcpy(out.Data(), data.data(), length * sizeof(int32_t));
    return out;
}

}  // namespace lodestone::binding
