# The one list of C++ sources, read by binding.gyp (as a gyp include) and by
# CMakeLists.txt (which extracts the .cpp paths from this file).
{
  'variables': {
    'lodestone_core_sources': [
      'native/src/error.cpp',
      'native/src/buffer.cpp',
      'native/src/system/system.cpp',
      'native/src/system/neighbors.cpp',
      'native/src/math/spherical_harmonics.cpp',
      'native/src/math/gto_basis.cpp',
      'native/src/math/hermite_spline.cpp',
      'native/src/math/linalg.cpp',
      'native/src/math/kvectors.cpp',
      'native/src/math/gamma.cpp',
      'native/src/longrange/power_law.cpp',
      'native/src/longrange/tuning.cpp',
      'native/src/longrange/ewald.cpp',
      'native/src/expansions/cutoff.cpp',
      'native/src/expansions/expansion.cpp',
      'native/src/expansions/pair_kernels.cpp',
      'native/src/expansions/radial_integral.cpp',
      'native/src/expansions/spherical_expansion.cpp',
      'native/src/invariants/invariants.cpp',
      'native/src/models/normal_equations.cpp',
    ],
    'lodestone_binding_sources': [
      'native/binding/module.cpp',
      'native/binding/convert.cpp',
      'native/binding/spherical_expansion_binding.cpp',
      'native/binding/math_binding.cpp',
      'native/binding/expansion_handle.cpp',
      'native/binding/request_convert.cpp',
      'native/binding/invariants_binding.cpp',
      'native/binding/models_binding.cpp',
      'native/binding/ewald_binding.cpp',
    ],
  },
}
