{
  'includes': ['native/sources.gypi'],
  'targets': [
    {
      'target_name': 'lodestone',
      'sources': ['<@(lodestone_core_sources)', '<@(lodestone_binding_sources)'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")", 'native/include', 'native/src', '/usr/include/eigen3'],
      'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS'],
      'cflags!': ['-fno-exceptions', '-O2', '-O3'],
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++1y', '-std=gnu++17'],
      'cflags_cc': ['-std=c++17', '-O3', '-fexceptions', '-fopenmp'],
      'ldflags': ['-fopenmp', '-Wl,-z,nodelete', '-static-libstdc++', '-static-libgcc'],
    },
  ],
}
