#pragma once
// Hot kernels are compiled twice, for baseline x86-64 and for AVX2 + FMA
// (Haswell and later), and chosen at load time: prebuilds stay portable (no
// -march=native) while modern CPUs get the wide vectors.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define LODESTONE_MULTIVERSION __attribute__((target_clones("arch=haswell", "default")))
#else
#define LODESTONE_MULTIVERSION
#endif
