// The cache of large output blocks (lodestone/core/buffer.hpp): a block
// keeps its real size through reuse, so it can serve a larger request again
// and the cache's count (and limit) is the memory it really holds.
#include <doctest/doctest.h>

#include <cstddef>

#include "lodestone/core/buffer.hpp"

using namespace lodestone;

TEST_CASE("buffer cache: a block reused for a smaller request keeps its size") {
    release_cached_memory();
    const size_t MiB = size_t(1) << 20;
    void* a = pooled_allocate(8 * MiB);
    pooled_release(a, 8 * MiB);
    // 8 MiB is within twice 5 MiB: the cached block serves the request.
    void* b = pooled_allocate(5 * MiB);
    CHECK(b == a);
    pooled_release(b, 5 * MiB);
    // Still an 8 MiB block: it serves 8 MiB again instead of a fresh one.
    void* c = pooled_allocate(8 * MiB);
    CHECK(c == a);
    pooled_release(c, 8 * MiB);
    CHECK(release_cached_memory() == 8 * MiB);
}

TEST_CASE("buffer cache: the limit counts real sizes") {
    release_cached_memory();
    const size_t MiB = size_t(1) << 20;
    set_cache_limit(10 * MiB);
    void* a = pooled_allocate(8 * MiB);
    void* b = pooled_allocate(6 * MiB);
    pooled_release(a, 8 * MiB);
    // 8 + 6 MiB would pass the 10 MiB limit: the second block is freed.
    pooled_release(b, 6 * MiB);
    CHECK(release_cached_memory() == 8 * MiB);
    set_cache_limit(size_t(2) << 30);
}
