#include <memory>
#include <string>
#include <vector>

#include "lodestone/core/error.hpp"
#include "lodestone/features/invariants/invariants.hpp"
#include "pair_wrap.hpp"

namespace lodestone::binding {
namespace {

// new Invariants(expansionA, expansionB, {normalize, selection})
struct InvariantsTraits {
    using Core = Invariants;
    static constexpr const char* kName = "Invariants";

    static InvariantsOptions options(const Napi::Value& value) {
        InvariantsOptions options;
        if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "invariant options: expected an object");
        Napi::Object o = value.As<Napi::Object>();
        options.normalize = get_bool(o, "normalize", "options");
        Napi::Value selection = o.Get("selection");
        if (!selection.IsNull() && !selection.IsUndefined()) {
            auto flat = get_int32_array(selection, "options.selection");
            if (flat.size() % 5 != 0) {
                throw Napi::TypeError::New(value.Env(), "options.selection: expected 5 integers per entry");
            }
            for (size_t k = 0; k < flat.size(); k += 5) {
                options.selection.push_back({flat[k], flat[k + 1], flat[k + 2], flat[k + 3], flat[k + 4]});
            }
        }
        return options;
    }

    static size_t adjoint_width(const Core& core, const ExpansionRequest& request) { return core.n_properties(request); }
};

using InvariantsWrap = PairWrap<InvariantsTraits>;

// The inputs of backwardInvariants, checked. The synchronous call reads
// the JS arrays in place; the async one owns copies (it outlives the call).
struct JointBackward {
    std::vector<std::shared_ptr<const Invariants>> list;
    std::vector<System> systems;
    ExpansionRequest request;
    std::vector<const double*> adjoints;
    std::vector<std::vector<double>> owned;
};

// The summed gradients and, per invariant, dL/dx . x per sample (a linear
// model's energies): the values themselves never reach JS.
struct JointOutput {
    BackwardResult gradients;
    std::vector<std::vector<double>> dots;
};

JointBackward joint_inputs(const Napi::CallbackInfo& info, bool copy) {
    Napi::Env env = info.Env();
    JointBackward in;
    if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0) {
        throw Napi::TypeError::New(env, "backwardInvariants: expected a non-empty array of invariants");
    }
    auto list = info[0].As<Napi::Array>();
    for (uint32_t k = 0; k < list.Length(); ++k) {
        in.list.push_back(InvariantsWrap::core_of(list.Get(k), "backwardInvariants: invariants[" + std::to_string(k) + "]"));
    }
    in.systems = to_systems(info[1]);
    in.request = to_request(info[2]);
    if (!info[3].IsArray() || info[3].As<Napi::Array>().Length() != list.Length()) {
        throw Napi::TypeError::New(env, "backwardInvariants: expected one dL/dx array per invariant (" +
                                            std::to_string(list.Length()) + ")");
    }
    auto adjoints = info[3].As<Napi::Array>();
    guarded(env, [&] {
        validate_systems(in.systems);
        validate_request(in.systems, in.request);
        return 0;
    });
    const size_t samples = count_samples(in.systems, in.request);
    in.owned.reserve(copy ? adjoints.Length() : 0);
    for (uint32_t k = 0; k < adjoints.Length(); ++k) {
        Napi::Value a = adjoints.Get(k);
        const std::string where = "backwardInvariants: dL/dx[" + std::to_string(k) + "]";
        if (!a.IsTypedArray() || a.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
            throw Napi::TypeError::New(env, where + ": expected a Float64Array");
        }
        auto array = a.As<Napi::Float64Array>();
        guarded(env, [&] {
            try {
                check_adjoint_length(array.ElementLength(), samples, in.list[k]->n_properties(in.request));
            } catch (const Error& e) {
                throw Error(where + ": " + e.what());
            }
            return 0;
        });
        if (copy) {
            in.owned.emplace_back(array.Data(), array.Data() + array.ElementLength());
            in.adjoints.push_back(in.owned.back().data());
        } else {
            in.adjoints.push_back(array.Data());
        }
    }
    return in;
}

JointOutput joint_backward(const JointBackward& in) {
    JointOutput out;
    const size_t K = in.list.size();
    out.dots.resize(K);
    std::vector<const Invariants*> list;
    std::vector<double*> dots;
    for (size_t k = 0; k < K; ++k) {
        list.push_back(in.list[k].get());
        out.dots[k].assign(count_samples(in.systems, in.request), 0.0);
        dots.push_back(out.dots[k].data());
    }
    out.gradients = Invariants::backward_joint(list, in.systems, in.request, in.adjoints, dots);
    return out;
}

Napi::Value joint_to_js(Napi::Env env, JointOutput&& out) {
    Napi::Object js = backward_to_js(env, std::move(out.gradients)).As<Napi::Object>();
    Napi::Array arrays = Napi::Array::New(env);
    for (size_t k = 0; k < out.dots.size(); ++k) arrays.Set(static_cast<uint32_t>(k), to_float64_array(env, std::move(out.dots[k])));
    js.Set("dots", arrays);
    return js;
}

// backwardInvariants(invariants[], systems, request, dLdx[]): one backward
// pass through all, gradients summed, with each invariant's dots.
Napi::Value backward_invariants(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const JointBackward in = joint_inputs(info, false);
    JointOutput out = guarded(env, [&] { return joint_backward(in); });
    return joint_to_js(env, std::move(out));
}

Napi::Value backward_invariants_async(const Napi::CallbackInfo& info) {
    auto in = std::make_shared<const JointBackward>(joint_inputs(info, true));
    return PromiseWorker<JointOutput>::start(info.Env(), [in] { return joint_backward(*in); }, joint_to_js);
}

}  // namespace

void register_invariants(Napi::Env env, Napi::Object exports) {
    exports.Set("Invariants", InvariantsWrap::define(env));
    exports.Set("backwardInvariants", Napi::Function::New(env, backward_invariants));
    exports.Set("backwardInvariantsAsync", Napi::Function::New(env, backward_invariants_async));
}

}  // namespace lodestone::binding
