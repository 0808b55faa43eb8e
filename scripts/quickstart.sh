#!/usr/bin/env bash
# Builds fnq, starts fnqd on its default embedded SQLite database (in a
# throwaway state directory), registers a sample function, submits a call,
# awaits it and prints the result. It prints its steps and the result only:
# the output of apt and of the build goes to build/quickstart.log, shown
# when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
log=$PWD/build/quickstart.log
: >"$log"

step() { echo "==> $*"; }
# Runs a command with its output in the log; on failure shows the log's end.
quietly() {
  if ! "$@" >>"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "quickstart: error: '$*' failed (the last lines of $log are above)" >&2
    exit 1
  fi
}

step "installing the build dependencies (Debian packages)"
quietly env FNQ_WITH_PROMETHEUS=0 FNQ_WITH_POSTGRESQL=0 FNQ_WITH_FORMAT=0 FNQ_WITH_BROWSER=0 bash scripts/install-deps.sh
step "building fnq and fnqd (Release)"
quietly cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFNQ_BUILD_TESTS=OFF
quietly cmake --build build --target fnq fnqd

step "starting fnqd with a throwaway state directory"
export FNQ_STATE_DIR
FNQ_STATE_DIR=$(mktemp -d /tmp/fnq-quickstart.XXXXXX)
./build/fnqd --listen 127.0.0.1:0 2>"$FNQ_STATE_DIR/fnqd.log" &
fnqd_pid=$!
trap 'kill $fnqd_pid 2>/dev/null; wait $fnqd_pid 2>/dev/null; rm -rf "$FNQ_STATE_DIR"' EXIT
for _ in $(seq 100); do [ -s "$FNQ_STATE_DIR/fnqd.json" ] && break; sleep 0.1; done
fnq=./build/fnq
$fnq ping || { cat "$FNQ_STATE_DIR/fnqd.log" >&2; exit 1; }
step "fnq fn add shout -- tr a-z A-Z"
$fnq fn add shout -- tr a-z A-Z >/dev/null
step "fnq submit shout -d 'hello from fnq'"
id=$($fnq submit shout -d 'hello from fnq')
echo "$id"
step "fnq await $id"
$fnq await "$id"
echo
step "fnq status $id"
$fnq status "$id"
