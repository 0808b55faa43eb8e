#!/usr/bin/env bash
# Sets up, checks the sources' layout (.clang-format), builds fnq under
# AddressSanitizer + UndefinedBehaviorSanitizer with warnings as errors, runs
# every unit and integration test, the dashboard's browser test (headless
# Chromium; screenshots in build-asan/ui-screenshots or $FNQ_UI_SCREENSHOTS)
# and replays the fuzz corpora; then runs the
# threaded tests again under ThreadSanitizer, and fuzzes each target briefly
# where clang and libFuzzer are installed; last, builds, installs, upgrades
# and purges the Debian package (as root; tests/package/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The sources' layout first: it takes a second and changes nothing.
bash scripts/format.sh --check
build=${FNQ_TEST_BUILD_DIR:-build-asan}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DFNQ_SANITIZE=address,undefined -DFNQ_WERROR=ON >/dev/null
cmake --build "$build"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

# Then the store, executor, daemon and integration tests again under
# ThreadSanitizer, in a second build (FNQ_TSAN=0 skips it). The CLI and
# common tests run single-threaded code: TSan would add nothing there.
if [ "${FNQ_TSAN:-1}" = 1 ]; then
  tsan=${FNQ_TSAN_BUILD_DIR:-build-tsan}
  cmake -S . -B "$tsan" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DFNQ_SANITIZE=thread -DFNQ_WERROR=ON >/dev/null
  targets=(fnq fnqd fnq_store_test fnq_exec_test fnq_daemon_test fnq_integration_test)
  # The private PostgreSQL server the store and cluster tests start (when libpq is found).
  if grep -q "fnq_test_pg:" "$tsan/build.ninja"; then targets+=(fnq_test_pg); fi
  cmake --build "$tsan" --target "${targets[@]}"
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp}
  # The binaries not built above appear as *_NOT_BUILT tests; skip them.
  # The browser test drives fnqd through Chromium; it ran in the first build.
  ctest --test-dir "$tsan" --output-on-failure -j "$(nproc)" -E '_NOT_BUILT' -LE 'fuzz|browser'
fi

# Then each fuzz target for a bounded time (FNQ_FUZZ_SECONDS per target,
# default 10; 0 skips), where clang and libFuzzer are installed. Fuzzing for
# longer: scripts/fuzz.sh SECONDS, or scripts/soak.sh.
fuzz_seconds=${FNQ_FUZZ_SECONDS:-10}
if [ "$fuzz_seconds" != 0 ] && command -v clang++-14 >/dev/null &&
   dpkg-query -W -f='${Status}' libfuzzer-14-dev 2>/dev/null | grep -q 'install ok installed'; then
  bash scripts/fuzz.sh "$fuzz_seconds"
else
  echo "fuzzing skipped: clang-14 and libfuzzer-14-dev are not installed (the corpora were replayed above)"
fi

# Last, the Debian package: build, lintian, install, the system service as
# the fnq user, upgrade, purge (as root only; FNQ_PACKAGE_TEST=0 skips it).
if [ "${FNQ_PACKAGE_TEST:-1}" = 1 ]; then
  bash tests/package/test.sh
else
  echo "package test skipped: FNQ_PACKAGE_TEST=0"
fi
