// The doctest runner of the C++ tests (lodestone_core_test).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
