{
  'includes': ['native/sources.gypi'],
  'target_defaults': {
    'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")", 'native/include', 'native/src', '/usr/include/eigen3'],
    'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS'],
    'cflags!': ['-fno-exceptions', '-O2', '-O3'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++1y', '-std=gnu++17'],
    'cflags_cc': ['-std=c++17', '-O3', '-fexceptions', '-fopenmp'],
  },
  'targets': [
    {
      # The AVX2 copy of the dense kernels gets its own flags (math/dense.hpp).
      'target_name': 'lodestone_avx2',
      'type': 'static_library',
      'sources': ['<@(lodestone_avx2_sources)'],
      'cflags': ['-fPIC'],
      'conditions': [['target_arch=="x64"', {'cflags_cc': ['-mavx2', '-mfma']}]],
    },
    {
      'target_name': 'lodestone',
      'dependencies': ['lodestone_avx2'],
      'sources': ['<@(lodestone_core_sources)', '<@(lodestone_binding_sources)'],
      'ldflags': ['-fopenmp', '-Wl,-z,nodelete', '-static-libstdc++', '-static-libgcc'],
    },
  ],
}
