#!/usr/bin/env bash
# Builds fnq, starts fnqd on its default embedded SQLite database (in a
# throwaway state directory), registers a sample function, submits a call,
# awaits it and prints the result.
set -euo pipefail
cd "$(dirname "$0")/.."
FNQ_WITH_PROMETHEUS=0 FNQ_WITH_POSTGRESQL=0 FNQ_WITH_FORMAT=0 FNQ_WITH_BROWSER=0 bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFNQ_BUILD_TESTS=OFF >/dev/null
cmake --build build --target fnq fnqd
export FNQ_STATE_DIR
FNQ_STATE_DIR=$(mktemp -d /tmp/fnq-quickstart.XXXXXX)
./build/fnqd --listen 127.0.0.1:0 2>"$FNQ_STATE_DIR/fnqd.log" &
fnqd_pid=$!
trap 'kill $fnqd_pid 2>/dev/null; wait $fnqd_pid 2>/dev/null; rm -rf "$FNQ_STATE_DIR"' EXIT
for _ in $(seq 100); do [ -s "$FNQ_STATE_DIR/fnqd.json" ] && break; sleep 0.1; done
fnq=./build/fnq
$fnq ping
$fnq fn add shout -- tr a-z A-Z
id=$($fnq submit shout -d 'hello from fnq')
echo "submitted call $id" >&2
$fnq await "$id"
echo
$fnq status "$id"
