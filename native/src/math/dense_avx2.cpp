// The dense kernels with AVX2 + FMA: both builds compile this file alone with
// -mavx2 -mfma (on x86-64), and dense.cpp calls it only on CPUs that have both.
//
// Every inline function this file instantiates is compiled for AVX2, and the
// linker keeps one copy of each inline function of a given name: were Eigen's
// names shared with the generic copy, a CPU without AVX2 could run this one.
// Renaming Eigen's namespace here keeps every such function apart
// (test/native/dense-variants.test.ts checks the object's shared symbols).
#if defined(__x86_64__)
#if !defined(__AVX2__) || !defined(__FMA__)
#error "dense_avx2.cpp must be compiled with -mavx2 -mfma"
#endif
#include "math/dense_variants.hpp"

#define Eigen lodestone_eigen_avx2
#define LODESTONE_DENSE_VARIANT avx2
#define LODESTONE_DENSE_TABLE avx2_kernels
#include "math/dense_kernels.inc"
#endif
