// new ContractedExpansion(inner expansion, types: Int32Array, channels, matrices: Float64Array)
#include <memory>

#include "convert.hpp"
#include "expansion_calls.hpp"
#include "expansion_handle.hpp"
#include "lodestone/features/soap/contracted_expansion.hpp"
#include "module.hpp"

namespace lodestone::binding {
namespace {

class ContractedExpansionWrap : public Napi::ObjectWrap<ContractedExpansionWrap> {
public:
    static Napi::Function define(Napi::Env env) {
        return DefineClass(env, "ContractedExpansion",
                           {InstanceMethod("compute", &ContractedExpansionWrap::compute),
                            InstanceMethod("computeAsync", &ContractedExpansionWrap::compute_async),
                            InstanceMethod("backward", &ContractedExpansionWrap::backward)});
    }

    explicit ContractedExpansionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ContractedExpansionWrap>(info) {
        Napi::Env env = info.Env();
        auto inner = expansion_of(info[0], "contracted expansion: inner expansion");
        auto types = get_int32_array(info[1], "contracted expansion: types");
        if (!info[2].IsNumber()) throw Napi::TypeError::New(env, "contracted expansion: channels: expected a number");
        const int channels = info[2].As<Napi::Number>().Int32Value();
        if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
            throw Napi::TypeError::New(env, "contracted expansion: matrices: expected a Float64Array");
        }
        auto m = info[3].As<Napi::Float64Array>();
        std::vector<double> matrices(m.Data(), m.Data() + m.ElementLength());
        calculator_ = guarded(env, [&] {
            return std::make_shared<const ContractedExpansion>(inner, std::move(types), channels, std::move(matrices));
        });
        attach_expansion(info.This().As<Napi::Object>(), calculator_);
    }

private:
    Napi::Value compute(const Napi::CallbackInfo& info) { return expansion_compute(info, *calculator_); }
    Napi::Value compute_async(const Napi::CallbackInfo& info) { return expansion_compute_async(info, calculator_); }
    Napi::Value backward(const Napi::CallbackInfo& info) { return expansion_backward(info, *calculator_); }

    std::shared_ptr<const ContractedExpansion> calculator_;
};

}  // namespace

void register_contracted_expansion(Napi::Env env, Napi::Object exports) {
    exports.Set("ContractedExpansion", ContractedExpansionWrap::define(env));
}

}  // namespace lodestone::binding
