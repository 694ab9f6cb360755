#pragma once
// Storage for large outputs (full gradient tensors reach gigabytes).
//
// Two costs dominate such outputs, and both are paid here, once:
// - zero-filling: elements are left uninitialised on resize, so each OpenMP
//   thread zeroes the rows it fills, in parallel and cache-hot;
// - first touch: fresh pages from the kernel cost a fault and a clear each
//   (measured: more than the computation itself). Large blocks are therefore
//   kept in a bounded cache when released and reused by the next call.
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace lodestone {

// Blocks of at least kPooledBytes go through the cache.
constexpr size_t kPooledBytes = size_t(1) << 22;

void* pooled_allocate(size_t bytes);
void pooled_release(void* pointer, size_t bytes) noexcept;
// Returns every cached block to the operating system; returns bytes freed.
size_t release_cached_memory() noexcept;
// Upper bound on cached bytes (default 2 GiB, or LODESTONE_CACHE_MB).
void set_cache_limit(size_t bytes) noexcept;

template <typename T>
struct UninitializedAllocator {
    using value_type = T;

    UninitializedAllocator() noexcept = default;
    template <typename U>
    UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}

    T* allocate(size_t n) {
        const size_t bytes = n * sizeof(T);
        if (bytes < kPooledBytes) return static_cast<T*>(::operator new(bytes));
        return static_cast<T*>(pooled_allocate(bytes));
    }
    void deallocate(T* p, size_t n) noexcept {
        const size_t bytes = n * sizeof(T);
        if (bytes < kPooledBytes) {
            ::operator delete(p);
        } else {
            pooled_release(p, bytes);
        }
    }
    template <typename U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
    template <typename U>
    bool operator==(const UninitializedAllocator<U>&) const noexcept { return true; }
    template <typename U>
    bool operator!=(const UninitializedAllocator<U>&) const noexcept { return false; }
};

using DoubleBuffer = std::vector<double, UninitializedAllocator<double>>;

}  // namespace lodestone
