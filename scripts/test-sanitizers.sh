#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs the test suite against it (npm run test:asan).
# ASan must be the first runtime loaded, hence LD_PRELOAD into node itself;
# leak detection is off because node's own allocations at exit are not ours.
set -euo pipefail
cd "$(dirname "$0")/.."
npx cmake-js build --out build-asan \
  --CDLODESTONE_SANITIZE=ON
export LODESTONE_ADDON="$PWD/build-asan/Release/lodestone.node"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
npx vitest run "$@"
