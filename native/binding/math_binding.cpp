// Low-level building blocks exposed for tests and scripts: spherical
// harmonics, radial integrals, neighbour lists, and the OpenMP thread count.
#include <omp.h>

#include <cmath>
#include <complex>
#include <optional>
#include <string>
#include <vector>

#include "convert.hpp"
#include "lodestone/core/buffer.hpp"
#include "lodestone/core/error.hpp"
#include "features/soap/radial_integral.hpp"
#include "math/fft.hpp"
#include "math/spherical_harmonics.hpp"
#include "lodestone/core/neighbors.hpp"
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

// sphericalHarmonics(directions: Float64Array (n x 3, unit), maxL, gradients: bool)
Napi::Value spherical_harmonics(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
        throw Napi::TypeError::New(env, "directions: expected a Float64Array");
    }
    auto dirs = info[0].As<Napi::Float64Array>();
    int max_l = info[1].As<Napi::Number>().Int32Value();
    bool with_gradients = info[2].ToBoolean().Value();
    return guarded(env, [&]() -> Napi::Value {
        SphericalHarmonics sh(max_l);
        size_t n = dirs.ElementLength() / 3;
        size_t size = static_cast<size_t>(sh.size());
        std::vector<double> values(n * size), gradients(with_gradients ? n * 3 * size : 0), work;
        for (size_t k = 0; k < n; ++k) {
            sh.compute(&dirs[3 * k], &values[k * size], with_gradients ? &gradients[k * 3 * size] : nullptr, work);
        }
        Napi::Object out = Napi::Object::New(env);
        out.Set("values", to_float64_array(env, std::move(values)));
        out.Set("gradients", to_float64_array(env, std::move(gradients)));
        return out;
    });
}

// gaussianRadialIntegral(distances, {maxRadial, radius, maxAngular, width, cutoff, splineAccuracy})
Napi::Value gaussian_radial_integral(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto r = info[0].As<Napi::Float64Array>();
    Napi::Object o = info[1].As<Napi::Object>();
    return guarded(env, [&]() -> Napi::Value {
        GaussianRadialIntegral ri(get_int(o, "maxRadial", "options"), get_number(o, "radius", "options"),
                                  get_int(o, "maxAngular", "options"), get_number(o, "width", "options"),
                                  get_number(o, "cutoff", "options"), get_number(o, "splineAccuracy", "options"));
        size_t size = static_cast<size_t>((ri.max_angular() + 1) * (ri.max_radial() + 1));
        std::vector<double> values(r.ElementLength() * size), derivatives(r.ElementLength() * size);
        for (size_t k = 0; k < r.ElementLength(); ++k) ri.compute(r[k], &values[k * size], &derivatives[k * size]);
        Napi::Object out = Napi::Object::New(env);
        out.Set("values", to_float64_array(env, std::move(values)));
        out.Set("derivatives", to_float64_array(env, std::move(derivatives)));
        return out;
    });
}

// neighborList(system, cutoff) -> half list {first, second, shifts, vectors, distances}
Napi::Value neighbor_list(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    System system = to_system(info[0], "system");
    double cutoff = info[1].As<Napi::Number>().DoubleValue();
    return guarded(env, [&]() -> Napi::Value {
        system.validate("system");
        auto pairs = half_list(build_neighbor_list(system, cutoff));
        std::vector<int32_t> first, second, shifts;
        std::vector<double> vectors, distances;
        for (const Pair& p : pairs) {
            first.push_back(p.i);
            second.push_back(p.j);
            shifts.insert(shifts.end(), p.shift.begin(), p.shift.end());
            vectors.insert(vectors.end(), p.vector.begin(), p.vector.end());
            distances.push_back(p.distance);
        }
        Napi::Object out = Napi::Object::New(env);
        out.Set("first", to_int32_array(env, std::move(first)));
        out.Set("second", to_int32_array(env, std::move(second)));
        out.Set("shifts", to_int32_array(env, std::move(shifts)));
        out.Set("vectors", to_float64_array(env, std::move(vectors)));
        out.Set("distances", to_float64_array(env, std::move(distances)));
        return out;
    });
}

// FFT grid dimension: an integer (range checked by the core, which throws
// lodestone::Error on sizes < 1 or too large).
int64_t fft_dimension(const Napi::Value& value, const char* name) {
    if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string("fft: ") + name + " must be a number");
    const double d = value.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::floor(d)) {
        throw Napi::TypeError::New(value.Env(), std::string("fft: ") + name + " must be an integer");
    }
    return d > 9.0e15 ? int64_t(9.0e15) : d < -9.0e15 ? int64_t(-9.0e15) : static_cast<int64_t>(d);
}

// Optional band [b0, b1, b2] (Fft3dPlan's band-limited transforms); absent: the whole spectrum.
std::optional<std::array<int64_t, 3>> fft_band(const Napi::Value& value) {
    if (value.IsUndefined()) return std::nullopt;
    if (!value.IsArray() || value.As<Napi::Array>().Length() != 3) {
        throw Napi::TypeError::New(value.Env(), "fft: band must be an array of 3 integers");
    }
    std::array<int64_t, 3> band{};
    for (uint32_t d = 0; d < 3; d++) band[d] = fft_dimension(value.As<Napi::Array>().Get(d), "band");
    return band;
}

Napi::Float64Array fft_input(const Napi::Value& value) {
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
        throw Napi::TypeError::New(value.Env(), "fft: expected a Float64Array");
    }
    return value.As<Napi::Float64Array>();
}

// fft3dRealForward(grid: Float64Array n0*n1*n2, n0, n1, n2) -> interleaved
// re/im of the n0 x n1 x (n2/2+1) half spectrum (for tests; the mesh method
// keeps its plan).
Napi::Value fft3d_real_forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto grid = fft_input(info[0]);
    const int64_t n0 = fft_dimension(info[1], "n0"), n1 = fft_dimension(info[2], "n1"), n2 = fft_dimension(info[3], "n2");
    const auto band = fft_band(info[4]);
    return guarded(env, [&]() -> Napi::Value {
        Fft3dPlan plan(n0, n1, n2);
        if (grid.ElementLength() != plan.real_size()) {
            throw Error("fft3dRealForward: grid has " + std::to_string(grid.ElementLength()) + " values, expected " +
                        std::to_string(plan.real_size()));
        }
        // Synchronous: the transform may read the JS array in place.
        DoubleBuffer out(2 * plan.complex_size());
        auto* spectrum = reinterpret_cast<std::complex<double>*>(out.data());
        if (band) {
            plan.forward(grid.Data(), spectrum, *band);
        } else {
            plan.forward(grid.Data(), spectrum);
        }
        return to_float64_array(env, std::move(out));
    });
}

// fft3dRealInverse(spectrum: Float64Array 2*n0*n1*(n2/2+1), n0, n1, n2) -> real grid, unnormalised.
Napi::Value fft3d_real_inverse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto spectrum = fft_input(info[0]);
    const int64_t n0 = fft_dimension(info[1], "n0"), n1 = fft_dimension(info[2], "n1"), n2 = fft_dimension(info[3], "n2");
    const auto band = fft_band(info[4]);
    return guarded(env, [&]() -> Napi::Value {
        Fft3dPlan plan(n0, n1, n2);
        if (spectrum.ElementLength() != 2 * plan.complex_size()) {
            throw Error("fft3dRealInverse: spectrum has " + std::to_string(spectrum.ElementLength()) +
                        " values, expected " + std::to_string(2 * plan.complex_size()));
        }
        // The inverse overwrites its input: work on a copy.
        DoubleBuffer in(spectrum.Data(), spectrum.Data() + 2 * plan.complex_size());
        DoubleBuffer out(plan.real_size());
        auto* spec = reinterpret_cast<std::complex<double>*>(in.data());
        if (band) {
            plan.inverse(spec, out.data(), *band);
        } else {
            plan.inverse(spec, out.data());
        }
        return to_float64_array(env, std::move(out));
    });
}

Napi::Value good_fft_size_js(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int64_t n = fft_dimension(info[0], "n");
    return guarded(env, [&]() -> Napi::Value { return Napi::Number::New(env, static_cast<double>(good_fft_size(n))); });
}

}  // namespace

void register_math(Napi::Env env, Napi::Object exports) {
    exports.Set("setNumThreads", Napi::Function::New(env, set_num_threads));
    exports.Set("getNumThreads", Napi::Function::New(env, get_num_threads));
    exports.Set("releaseCachedMemory", Napi::Function::New(env, release_memory));
    exports.Set("sphericalHarmonics", Napi::Function::New(env, spherical_harmonics));
    exports.Set("gaussianRadialIntegral", Napi::Function::New(env, gaussian_radial_integral));
    exports.Set("neighborList", Napi::Function::New(env, neighbor_list));
    exports.Set("fft3dRealForward", Napi::Function::New(env, fft3d_real_forward));
    exports.Set("fft3dRealInverse", Napi::Function::New(env, fft3d_real_inverse));
    exports.Set("goodFftSize", Napi::Function::New(env, good_fft_size_js));
}

}  // namespace lodestone::binding
