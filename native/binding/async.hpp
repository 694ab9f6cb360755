#pragma once
// Runs core work on the libuv thread pool and settles a Promise. The work
// closure owns copies of its inputs (and shared ownership of the calculator),
// so nothing the JS side frees can be touched while it runs.
#include <napi.h>
#include <omp.h>

#include <functional>
#include <new>
#include <utility>

namespace lodestone::binding {

template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
public:
    using Work = std::function<Result()>;
    using Convert = std::function<Napi::Value(Napi::Env, Result&&)>;

    static Napi::Promise start(Napi::Env env, Work work, Convert convert) {
        auto* worker = new PromiseWorker(env, std::move(work), std::move(convert));
        Napi::Promise promise = worker->deferred_.Promise();
        worker->Queue();
        return promise;
    }

protected:
    void Execute() override {
        // The OpenMP thread count is per calling thread: carry the caller's
        // (setNumThreads) over to the pool thread, so async == sync bit for bit.
        omp_set_num_threads(threads_);
        try {
            result_ = work_();
        } catch (const std::bad_alloc&) {
            SetError("out of memory: the requested computation is too large");
        } catch (const std::exception& e) {
            SetError(e.what());
        }
    }
    void OnOK() override {
        Napi::Env env = Env();
        try {
            deferred_.Resolve(convert_(env, std::move(result_)));
        } catch (const Napi::Error& e) {
            deferred_.Reject(e.Value());
        }
    }
    void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

private:
    PromiseWorker(Napi::Env env, Work work, Convert convert)
        : Napi::AsyncWorker(env, "lodestone"),
          deferred_(Napi::Promise::Deferred::New(env)),
          work_(std::move(work)),
          convert_(std::move(convert)) {}

    Napi::Promise::Deferred deferred_;
    int threads_ = omp_get_max_threads();
    Work work_;
    Convert convert_;
    Result result_{};
};

}  // namespace lodestone::binding
