#!/usr/bin/env bash
# Builds the fuzz targets with clang and libFuzzer (ASan + UBSan) in
# build-fuzz and runs each for a bounded time:
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]
# Each run starts from the seeds in tests/fuzz/corpus/<target> and keeps what
# it finds in build-fuzz/corpus/<target>; a crashing input is written to
# build-fuzz/crashes/ and the script fails. Copy an input worth keeping into
# tests/fuzz/corpus/<target>/ so the normal suite replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(units ids model http_response submit_body http_request http_framing)

bash scripts/install-deps.sh
need=()
for p in clang-14 libfuzzer-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" != 0 ] && sudo="sudo"
  echo "installing: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

build=${FNQ_FUZZ_BUILD_DIR:-build-fuzz}
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DFNQ_SANITIZE=address,undefined,fuzzer-no-link -DFNQ_FUZZ=ON >/dev/null
cmake --build "$build" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/crashes"
summary=()
status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  log="$build/fuzz_$t.log"
  echo "fuzzing $t for ${seconds}s" >&2
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -dict="tests/fuzz/dict/$t.dict" -artifact_prefix="$build/crashes/$t-" \
      "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz_$t failed: see $log and $build/crashes/" >&2
    tail -40 "$log" >&2
    status=1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  summary+=("$(printf '%-14s %10s executions  coverage %s' "$t" "$runs" "$cov")")
done
printf '%s\n' "fuzz: ${seconds}s per target" "${summary[@]}"
exit $status
