#!/usr/bin/env bash
# Builds Kiln with sanitizers in its own folder and runs the test suite
# there (docs/robustness.md).
#
#   scripts/sanitize.sh            AddressSanitizer + UndefinedBehaviorSanitizer,
#                                  the whole suite (units and lit) in build-asan/
#   scripts/sanitize.sh thread     ThreadSanitizer, the runtime and its unit
#                                  tests (the multi-threaded code) in build-tsan/
#
# Only what the tests need is built: no benchmarks, no fuzzers (they carry
# their own sanitizers). Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-address}"
[ $# -gt 0 ] && shift
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
case "$mode" in
  address)
    dir=build-asan
    options=(-DKILN_SANITIZE=address,undefined)
    ;;
  thread)
    # The runtime needs no MLIR: the ThreadSanitizer build stays small.
    dir=build-tsan
    options=(-DKILN_SANITIZE=thread -DKILN_BUILD_COMPILER=OFF)
    ;;
  *)
    echo "usage: scripts/sanitize.sh [address|thread] [ctest arguments]" >&2
    exit 2
    ;;
esac

start=$(date +%s)
cmake -G Ninja -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DKILN_BUILD_BENCH=OFF -DKILN_BUILD_FUZZERS=OFF "${launcher[@]}" \
  "${options[@]}" >/dev/null
# Any report fails the run. allow_user_poisoning=0: LLVM's BumpPtrAllocator
# poisons its slabs when inlined into instrumented Kiln code, but libMLIR.so
# (uninstrumented) allocates from the same slabs without unpoisoning them.
# Set before the build too: it runs the instrumented kiln-compile on the
# examples and the test models.
export ASAN_OPTIONS="detect_leaks=1:allow_user_poisoning=0:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
cmake --build "$dir"
built=$(date +%s)

ctest --test-dir "$dir" --output-on-failure "$@"
echo "sanitize.sh $mode: build $((built - start)) s, tests $(($(date +%s) - built)) s"
