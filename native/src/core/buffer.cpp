#include "lodestone/core/buffer.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

namespace lodestone {
namespace {

struct Cache {
    std::mutex mutex;
    std::multimap<size_t, void*> blocks;  // capacity -> block
    // Capacity of every block handed out: a block reused for a smaller
    // request keeps its real size. Recorded under the request's size instead,
    // it could serve no larger request again while the cache counted it
    // small, and fits whose batches vary in size made the cache hold several
    // times its count (658 MiB idle after a 147 MiB fit of the xtb dimers).
    std::unordered_map<void*, size_t> in_use;
    size_t cached = 0;
    size_t limit = 0;

    Cache() {
        const char* env = std::getenv("LODESTONE_CACHE_MB");
        limit = env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20 : size_t(2) << 30;
    }
};

Cache& cache() {
    static Cache* instance = new Cache();  // never destroyed: releases may come during exit
    return *instance;
}

// Blocks are rounded up so nearby sizes share cached blocks.
size_t capacity_for(size_t bytes) {
    const size_t granule = size_t(1) << 20;
    return (bytes + granule - 1) / granule * granule;
}

}  // namespace

void* pooled_allocate(size_t bytes) {
    const size_t capacity = capacity_for(bytes);
    Cache& c = cache();
    {
        std::lock_guard<std::mutex> lock(c.mutex);
        auto it = c.blocks.lower_bound(capacity);
        // Reuse a block unless it is much larger than needed.
        if (it != c.blocks.end() && it->first <= 2 * capacity) {
            void* p = it->second;
            c.cached -= it->first;
            c.in_use.emplace(p, it->first);
            c.blocks.erase(it);
            return p;
        }
    }
    void* p = std::malloc(capacity);
    if (!p) {
        release_cached_memory();
        p = std::malloc(capacity);
        if (!p) throw std::bad_alloc();
    }
    std::lock_guard<std::mutex> lock(c.mutex);
    try {
        c.in_use.emplace(p, capacity);
    } catch (...) {
        std::free(p);
        throw;
    }
    return p;
}

void pooled_release(void* pointer, size_t bytes) noexcept {
    if (!pointer) return;
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto found = c.in_use.find(pointer);
    const size_t capacity = found != c.in_use.end() ? found->second : capacity_for(bytes);
    if (found != c.in_use.end()) c.in_use.erase(found);
    if (c.cached + capacity <= c.limit) {
        c.blocks.emplace(capacity, pointer);
        c.cached += capacity;
    } else {
        std::free(pointer);
    }
}

size_t release_cached_memory() noexcept {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    size_t freed = c.cached;
    for (auto& [size, p] : c.blocks) std::free(p);
    c.blocks.clear();
    c.cached = 0;
    return freed;
}

void set_cache_limit(size_t bytes) noexcept {
    {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        c.limit = bytes;
        if (c.cached <= bytes) return;
    }
    release_cached_memory();
}

}  // namespace lodestone
