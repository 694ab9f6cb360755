#pragma once
// Hot kernels are compiled three times, for baseline x86-64 and for the
// x86-64-v3 (AVX2 + FMA) and x86-64-v4 (AVX-512) ISA levels, and chosen at
// load time: prebuilds stay portable (no
// -march=native) while modern CPUs get the wide vectors. The ISA level, not
// "arch=haswell": the latter dispatches on the CPU model, so AMD CPUs with
// AVX2 never got the fast clone.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define LODESTONE_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LODESTONE_MULTIVERSION
#endif

#if defined(__GNUC__)
#include <cstring>

#define LODESTONE_INLINE inline __attribute__((always_inline))

namespace lodestone {
// Four doubles as one value: one AVX register in the x86-64-v3 and v4 clones, two SSE
// registers otherwise. Passed by reference only (by value changes the ABI
// between the clones).
typedef double v4d __attribute__((vector_size(32)));
// Eight: one AVX-512 register in the v4 clone, two AVX ones in the v3 clone.
typedef double v8d __attribute__((vector_size(64)));

LODESTONE_INLINE void load4(v4d& v, const double* p) { std::memcpy(&v, p, sizeof(v)); }
LODESTONE_INLINE void store4(double* p, const v4d& v) { std::memcpy(p, &v, sizeof(v)); }
}  // namespace lodestone
#endif
