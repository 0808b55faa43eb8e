#!/usr/bin/env bash
# The long versions of the reliability tests (docs/reliability.md):
#   scripts/soak.sh [kills, default 100] [fuzz seconds per target, default 300]
# 1. The crash test kills fnqd with SIGKILL that many times under load and
#    checks that no acknowledged call was lost (its figures are printed as
#    "crash-load: ...").
# 2. The escape tests run again, 10 times over.
# 3. scripts/fuzz.sh runs each fuzz target for the given time (0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-100}
fuzz_seconds=${2:-300}
build=${FNQ_TEST_BUILD_DIR:-build-asan}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DFNQ_SANITIZE=address,undefined -DFNQ_WERROR=ON >/dev/null
cmake --build "$build" --target fnq fnqd fnq_integration_test
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
FNQ_SOAK_ROUNDS=$kills "$build/tests/fnq_integration_test" \
  --gtest_filter='CrashLoadTest.*' 2>&1 | grep -E 'crash-load:|OK|FAILED|Failure|error' 
"$build/tests/fnq_integration_test" --gtest_filter='CrashEscapeTest.*' --gtest_repeat=10 \
  2>&1 | grep -E 'PASSED|FAILED|Failure' | sort | uniq -c
if [ "$fuzz_seconds" -gt 0 ]; then
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
