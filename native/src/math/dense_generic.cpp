// The dense kernels for any CPU (the build's baseline instruction set).
#include "math/dense_variants.hpp"

#define LODESTONE_DENSE_VARIANT generic
#define LODESTONE_DENSE_TABLE generic_kernels
#include "math/dense_kernels.inc"
