// Least-squares statistics for fitting models, and a sparse-kernel model's kernel sums (native/src/models).
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "async.hpp"
#include "convert.hpp"
#include "lodestone/models/normal_equations.hpp"
#include "lodestone/models/ridge_path.hpp"
#include "lodestone/models/sparse_kernel.hpp"
#include "module.hpp"

namespace lodestone::binding {
namespace {

const Napi::Float64Array& expect_f64(const Napi::Value& value, const char* where, Napi::Float64Array& out) {
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
        throw Napi::TypeError::New(value.Env(), std::string(where) + ": expected a Float64Array");
    }
    out = value.As<Napi::Float64Array>();
    return out;
}

class NormalEquationsWrap : public Napi::ObjectWrap<NormalEquationsWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "NormalEquations",
                           {InstanceMethod("add", &NormalEquationsWrap::add),
                            InstanceMethod("merge", &NormalEquationsWrap::merge),
                            InstanceMethod("solve", &NormalEquationsWrap::solve),
                            InstanceMethod("residual", &NormalEquationsWrap::residual),
                            InstanceMethod("release", &NormalEquationsWrap::release),
                            InstanceAccessor("rows", &NormalEquationsWrap::rows, nullptr),
                            StaticMethod("storedBytes", &NormalEquationsWrap::stored_bytes),
                            StaticMethod("solveBytes", &NormalEquationsWrap::solve_bytes)});
    }

    explicit NormalEquationsWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NormalEquationsWrap>(info) {
        if (!info[0].IsNumber() || info[0].As<Napi::Number>().DoubleValue() < 1) {
            throw Napi::TypeError::New(info.Env(), "NormalEquations: expected a positive number of parameters");
        }
        size_t n = static_cast<size_t>(info[0].As<Napi::Number>().DoubleValue());
        equations_ = guarded(info.Env(), [&] { return std::make_unique<NormalEquations>(n); });
    }

    NormalEquations& equations() {
        // The wrapper outlives release(); using it after is a caller's bug, reported as one.
        if (!equations_) throw Napi::Error::New(Env(), "normal equations: already released (release() frees them for good)");
        return *equations_;
    }

private:
    // add(rows: Float64Array (count x n), targets: Float64Array (count), weights?: Float64Array)
    Napi::Value add(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        Napi::Float64Array rows, targets, weights;
        expect_f64(info[0], "rows", rows);
        expect_f64(info[1], "targets", targets);
        const bool weighted = !info[2].IsUndefined() && !info[2].IsNull();
        if (weighted) expect_f64(info[2], "weights", weights);
        NormalEquations& equations = this->equations();
        const size_t n = equations.size(), count = targets.ElementLength();
        if (rows.ElementLength() != count * n) {
            throw Napi::Error::New(env, "rows: expected " + std::to_string(count) + " x " + std::to_string(n) +
                                            " numbers, got " + std::to_string(rows.ElementLength()));
        }
        if (weighted && weights.ElementLength() != count) {
            throw Napi::Error::New(env, "weights: expected one weight per target (" + std::to_string(count) + ")");
        }
        guarded(env, [&] {
            equations.add(rows.Data(), targets.Data(), weighted ? weights.Data() : nullptr, count);
            return 0;
        });
        return env.Undefined();
    }

    Napi::Value merge(const Napi::CallbackInfo& info) {
        if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "merge: expected NormalEquations");
        auto* other = Napi::ObjectWrap<NormalEquationsWrap>::Unwrap(info[0].As<Napi::Object>());
        NormalEquations &equations = this->equations(), &others = other->equations();
        guarded(info.Env(), [&] {
            equations.merge(others);
            return 0;
        });
        return info.Env().Undefined();
    }

    // solve(lambda, regulariser: 'relative' | 'absolute' | Float64Array (n x n or block x block), block or columns?)
    Napi::Value solve(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        const NormalEquations& equations = this->equations();
        if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "regularisation: expected a number");
        const double lambda = info[0].As<Napi::Number>().DoubleValue();
        Regularizer regularizer;
        if (info[1].IsString()) {
            const std::string kind = info[1].As<Napi::String>().Utf8Value();
            if (kind == "absolute") {
                regularizer.kind = Regularizer::Kind::Absolute;
            } else if (kind != "relative") {
                throw Napi::TypeError::New(env, "regulariser: expected 'relative', 'absolute' or a Float64Array");
            }
        } else {
            Napi::Float64Array matrix;
            expect_f64(info[1], "regulariser", matrix);
            regularizer.kind = Regularizer::Kind::Matrix;
            regularizer.matrix.assign(matrix.Data(), matrix.Data() + matrix.ElementLength());
        }
        if (info.Length() < 3 || info[2].IsUndefined()) {
            return to_float64_array(env, guarded(env, [&] { return equations.solve(lambda, regularizer); }));
        }
        // block: { begin, end, fixed?: Float64Array (n) } or { columns: Int32Array, fixed? }
        if (!info[2].IsObject()) throw Napi::TypeError::New(env, "block: expected { begin, end, fixed? } or { columns, fixed? }");
        const Napi::Object block = info[2].As<Napi::Object>();
        std::vector<double> fixed;
        if (!block.Get("fixed").IsUndefined()) {
            Napi::Float64Array values;
            expect_f64(block.Get("fixed"), "block.fixed", values);
            fixed.assign(values.Data(), values.Data() + values.ElementLength());
        }
        if (!block.Get("columns").IsUndefined()) {
            const Napi::Value v = block.Get("columns");
            if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
                throw Napi::TypeError::New(env, "block.columns: expected an Int32Array of parameter indices");
            }
            const Napi::Int32Array indices = v.As<Napi::Int32Array>();
            std::vector<size_t> columns(indices.ElementLength());
            for (size_t k = 0; k < columns.size(); ++k) {
                if (indices[k] < 0) throw Napi::RangeError::New(env, "block.columns[" + std::to_string(k) + "]: expected an index >= 0");
                columns[k] = static_cast<size_t>(indices[k]);
            }
            return to_float64_array(env, guarded(env, [&] { return equations.solve_columns(lambda, regularizer, columns, fixed); }));
        }
        const auto index = [&](const char* name) {
            const Napi::Value v = block.Get(name);
            const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1.0;
            if (!(d >= 0.0) || d != static_cast<double>(static_cast<size_t>(d))) {
                throw Napi::TypeError::New(env, std::string("block.") + name + ": expected an integer >= 0");
            }
            return static_cast<size_t>(d);
        };
        const size_t begin = index("begin"), end = index("end");
        return to_float64_array(env, guarded(env, [&] { return equations.solve_block(lambda, regularizer, begin, end, fixed); }));
    }

    Napi::Value residual(const Napi::CallbackInfo& info) {
        Napi::Float64Array x;
        expect_f64(info[0], "parameters", x);
        const NormalEquations& equations = this->equations();
        if (x.ElementLength() != equations.size()) {
            throw Napi::Error::New(info.Env(), "parameters: expected " + std::to_string(equations.size()) + " numbers");
        }
        std::vector<double> v(x.Data(), x.Data() + x.ElementLength());
        return Napi::Number::New(info.Env(), equations.residual(v));
    }

    // Frees the n x n matrix now rather than whenever the garbage collector
    // runs (it does not see native memory): fits free each fold's
    // complement as soon as its candidates are solved, so the peak stays
    // what the memory plan counts.
    Napi::Value release(const Napi::CallbackInfo& info) {
        equations_.reset();
        return info.Env().Undefined();
    }

    Napi::Value rows(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(equations().rows())); }
    static size_t parameter_count(const Napi::CallbackInfo& info) {
        if (!info[0].IsNumber() || !(info[0].As<Napi::Number>().DoubleValue() >= 1)) {
            throw Napi::TypeError::New(info.Env(), "parameters: expected a number >= 1");
        }
        return static_cast<size_t>(info[0].As<Napi::Number>().DoubleValue());
    }
    static Napi::Value stored_bytes(const Napi::CallbackInfo& info) {
        return Napi::Number::New(info.Env(), static_cast<double>(NormalEquations::stored_bytes(parameter_count(info))));
    }
    static Napi::Value solve_bytes(const Napi::CallbackInfo& info) {
        return Napi::Number::New(info.Env(), static_cast<double>(NormalEquations::solve_bytes(parameter_count(info))));
    }

    std::unique_ptr<NormalEquations> equations_;
};

class RidgePathWrap : public Napi::ObjectWrap<RidgePathWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "RidgePath",
                           {InstanceMethod("solve", &RidgePathWrap::solve)});
    }

    // new RidgePath(rows: Float64Array (count x n), targets: Float64Array (count))
    explicit RidgePathWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RidgePathWrap>(info) {
        Napi::Env env = info.Env();
        Napi::Float64Array rows, targets;
        expect_f64(info[0], "rows", rows);
        expect_f64(info[1], "targets", targets);
        const size_t count = targets.ElementLength();
        if (count == 0 || rows.ElementLength() == 0 || rows.ElementLength() % count != 0) {
            throw Napi::Error::New(env, "rows: expected count x parameters numbers for " + std::to_string(count) +
                                            " targets, got " + std::to_string(rows.ElementLength()));
        }
        path_ = guarded(env, [&] { return std::make_unique<RidgePath>(rows.Data(), targets.Data(), count, rows.ElementLength() / count); });
    }

private:
    Napi::Value solve(const Napi::CallbackInfo& info) {
        if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "regularisation: expected a number");
        const double lambda = info[0].As<Napi::Number>().DoubleValue();
        return to_float64_array(info.Env(), guarded(info.Env(), [&] { return path_->solve(lambda); }));
    }

    std::unique_ptr<RidgePath> path_;
};

class SparseKernelWrap : public Napi::ObjectWrap<SparseKernelWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "SparseKernel",
                           {InstanceMethod("evaluate", &SparseKernelWrap::evaluate),
                            InstanceMethod("evaluateAsync", &SparseKernelWrap::evaluate_async),
                            InstanceMethod("designRows", &SparseKernelWrap::design_rows)});
    }

    // new SparseKernel(points: Float64Array (M x dimension), weights: Float64Array (M),
    //                  counts: Int32Array (per species), dimension: number, zeta: number)
    explicit SparseKernelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SparseKernelWrap>(info) {
        Napi::Env env = info.Env();
        std::vector<double> points = get_float64_vector(info[0], "sparse kernel: points");
        std::vector<double> weights = get_float64_vector(info[1], "sparse kernel: weights");
        const std::vector<int32_t> counts = get_int32_array(info[2], "sparse kernel: counts");
        if (!info[3].IsNumber() || !info[4].IsNumber()) throw Napi::TypeError::New(env, "sparse kernel: expected numbers for dimension and zeta");
        const double dimension = info[3].As<Napi::Number>().DoubleValue(), zeta = info[4].As<Napi::Number>().DoubleValue();
        if (!(dimension >= 1) || dimension != std::floor(dimension)) throw Napi::RangeError::New(env, "sparse kernel: dimension: expected an integer >= 1");
        if (!(zeta >= 1 && zeta <= 64) || zeta != std::floor(zeta)) throw Napi::RangeError::New(env, "sparse kernel: zeta: expected an integer in 1..64");
        std::vector<size_t> sizes;
        for (int32_t c : counts) {
            if (c < 0) throw Napi::RangeError::New(env, "sparse kernel: counts: expected numbers >= 0");
            sizes.push_back(static_cast<size_t>(c));
        }
        kernel_ = guarded(env, [&] {
            return std::make_shared<const SparseKernel>(std::move(points), std::move(weights), sizes, static_cast<size_t>(dimension),
                                                        static_cast<int>(zeta));
        });
    }

private:
    // The features and species of evaluate(features, species), checked.
    std::pair<Napi::Float64Array, Napi::Int32Array> arguments(const Napi::CallbackInfo& info) const {
        Napi::Float64Array x;
        expect_f64(info[0], "sparse kernel: features", x);
        if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
            throw Napi::TypeError::New(info.Env(), "sparse kernel: species: expected an Int32Array");
        }
        auto species = info[1].As<Napi::Int32Array>();
        if (x.ElementLength() != species.ElementLength() * kernel_->dimension()) {
            throw Napi::Error::New(info.Env(), "sparse kernel: features: expected " + std::to_string(species.ElementLength()) + " x " +
                                                   std::to_string(kernel_->dimension()) + " numbers, got " + std::to_string(x.ElementLength()));
        }
        return {x, species};
    }
    static Napi::Value result(Napi::Env env, SparseKernel::Result&& r) {
        Napi::Object out = Napi::Object::New(env);
        out.Set("energies", to_float64_array(env, std::move(r.energies)));
        out.Set("gradient", to_float64_array(env, std::move(r.gradient)));
        return out;
    }

    // evaluate(features: Float64Array (n x dimension), species: Int32Array (n)) -> { energies, gradient }
    Napi::Value evaluate(const Napi::CallbackInfo& info) {
        auto [x, species] = arguments(info);
        return result(info.Env(), guarded(info.Env(), [&] { return kernel_->evaluate(x.Data(), species.Data(), species.ElementLength()); }));
    }

    // The same on the thread pool, on copies of the arguments (the caller may free them meanwhile).
    Napi::Value evaluate_async(const Napi::CallbackInfo& info) {
        auto [xa, sa] = arguments(info);
        auto x = std::make_shared<std::vector<double>>(xa.Data(), xa.Data() + xa.ElementLength());
        auto species = std::make_shared<std::vector<int32_t>>(sa.Data(), sa.Data() + sa.ElementLength());
        std::shared_ptr<const SparseKernel> kernel = kernel_;
        return PromiseWorker<SparseKernel::Result>::start(
            info.Env(), [kernel, x, species] { return kernel->evaluate(x->data(), species->data(), species->size()); },
            [](Napi::Env env, SparseKernel::Result&& r) { return result(env, std::move(r)); });
    }

    // designRows(features, species, blocks: [{ values, samples (rows x [centre, system, atom]), size, offset, scale }],
    //           columns: Int32Array, bias: boolean, parameters: number, forces: boolean) -> { energy, forces? }
    Napi::Value design_rows(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        auto [x, species] = arguments(info);
        const size_t n = species.ElementLength();
        if (!info[2].IsArray()) throw Napi::TypeError::New(env, "sparse kernel: blocks: expected an array");
        auto list = info[2].As<Napi::Array>();
        std::vector<SparseKernel::GradientBlock> blocks;
        for (uint32_t k = 0; k < list.Length(); ++k) {
            const std::string where = "sparse kernel: blocks[" + std::to_string(k) + "]";
            if (!list.Get(k).IsObject()) throw Napi::TypeError::New(env, where + ": expected an object");
            Napi::Object o = list.Get(k).As<Napi::Object>();
            Napi::Float64Array values;
            expect_f64(o.Get("values"), (where + ".values").c_str(), values);
            const Napi::Value samples_value = o.Get("samples");
            if (!samples_value.IsTypedArray() || samples_value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
                throw Napi::TypeError::New(env, where + ".samples: expected an Int32Array");
            }
            auto samples = samples_value.As<Napi::Int32Array>();
            const int size = get_int(o, "size", where), offset = get_int(o, "offset", where);
            const double scale = get_number(o, "scale", where);
            if (size < 0 || offset < 0) throw Napi::RangeError::New(env, where + ": expected size and offset >= 0");
            const size_t rows = samples.ElementLength() / 3;
            if (samples.ElementLength() != 3 * rows || values.ElementLength() != rows * 3 * static_cast<size_t>(size)) {
                throw Napi::Error::New(env, where + ": expected rows x 3 samples and rows x 3 x " + std::to_string(size) + " values");
            }
            blocks.push_back({values.Data(), samples.Data(), rows, static_cast<size_t>(size), static_cast<size_t>(offset), scale});
        }
        const std::vector<int32_t> first = get_int32_array(info[3], "sparse kernel: columns");
        std::vector<size_t> columns;
        for (int32_t c : first) {
            if (c < 0) throw Napi::RangeError::New(env, "sparse kernel: columns: expected numbers >= 0");
            columns.push_back(static_cast<size_t>(c));
        }
        if (!info[5].IsNumber() || !(info[5].As<Napi::Number>().DoubleValue() >= 1)) {
            throw Napi::TypeError::New(env, "sparse kernel: parameters: expected a number >= 1");
        }
        const bool bias = info[4].ToBoolean(), with_forces = info[6].ToBoolean();
        const size_t P = static_cast<size_t>(info[5].As<Napi::Number>().DoubleValue());
        std::vector<double> energy(P, 0.0), forces(with_forces ? 3 * n * P : 0, 0.0);
        guarded(env, [&] {
            kernel_->design_rows(x.Data(), species.Data(), n, blocks, columns, bias, P, energy.data(), with_forces ? forces.data() : nullptr);
            return 0;
        });
        Napi::Object out = Napi::Object::New(env);
        out.Set("energy", to_float64_array(env, std::move(energy)));
        if (with_forces) out.Set("forces", to_float64_array(env, std::move(forces)));
        return out;
    }

    std::shared_ptr<const SparseKernel> kernel_;
};

}  // namespace

void register_models(Napi::Env env, Napi::Object exports) {
    exports.Set("NormalEquations", NormalEquationsWrap::define(env));
    exports.Set("RidgePath", RidgePathWrap::define(env));
    exports.Set("SparseKernel", SparseKernelWrap::define(env));
}

}  // namespace lodestone::binding
