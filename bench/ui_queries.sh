#!/usr/bin/env bash
# Times every request the dashboard makes, against a SQLite store holding
# N calls (default 1,000,000), through a real fnqd.
#
#   bash bench/ui_queries.sh [FNQD_BIN] [N]
#
# The calls are written straight into the database with sqlite3, then the
# counters of schema/003_dashboard.sql are computed from them (fnqd counts
# the calls it inserts itself, once per batch), spread over the last 50
# minutes: 90% succeeded, 7% failed, 1% timed out, 1% cancelled, 1% waiting
# (run_at in a day, so that nothing runs), over 20 functions (each with
# every state). Each request runs 5 times; the median is shown.
set -euo pipefail
fnqd=${1:-build-asan/fnqd}
n=${2:-1000000}
command -v sqlite3 >/dev/null || { echo "bench: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
state=$dir/state

start_fnqd() {
  rm -f "$state/fnqd.json"
  "$fnqd" --state-dir "$state" --listen 127.0.0.1:0 --auth none --shutdown-grace 1s \
    >>"$dir/fnqd.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do [ -s "$state/fnqd.json" ] && break; sleep 0.1; done
  url=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$state/fnqd.json")
}
stop_fnqd() { kill "$pid"; wait "$pid" || true; }

start_fnqd   # creates and migrates the database
stop_fnqd

now=$(($(date +%s) * 1000))
base=$((now - 50 * 60 * 1000))
step=$(( (50 * 60 * 1000) / n )); [ "$step" -ge 1 ] || step=1
echo "filling $n calls..." >&2
t0=$(date +%s.%N)
sqlite3 "$state/fnq.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
BEGIN;
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < $n - 1),
rows AS (SELECT i, $base + i * $step AS ms, (i / 20) % 100 AS r FROM seq)
INSERT INTO calls (id, function, state, attempt, max_retries, exit_code, error, created_at, run_at,
                   started_at, finished_at, input_size, output_size)
SELECT printf('%08x-%04x-7%03x-%04x-%012x', ms >> 16, ms & 65535, i & 4095,
              32768 + ((i >> 12) & 16383), i),
       'fn' || (i % 20),
       CASE WHEN r < 90 THEN 'succeeded' WHEN r < 97 THEN 'failed' WHEN r < 98 THEN 'timed_out'
            WHEN r < 99 THEN 'cancelled' ELSE 'waiting' END,
       CASE WHEN r < 99 THEN 1 ELSE 0 END, 0,
       CASE WHEN r < 90 THEN 0 WHEN r < 97 THEN 1 + i % 5 ELSE NULL END,
       CASE WHEN r < 90 THEN NULL WHEN r < 97 THEN 'exit status ' || (1 + i % 5)
            WHEN r < 98 THEN 'exec_timeout 30s exceeded' WHEN r < 99 THEN 'cancelled by request'
            ELSE NULL END,
       ms, CASE WHEN r < 99 THEN ms ELSE $now + 86400000 END,
       CASE WHEN r < 98 THEN ms + 1 ELSE NULL END,
       CASE WHEN r < 99 THEN ms + 40 ELSE NULL END, 10, 20
FROM rows;
-- What fnqd's store adds for the calls it inserts (SqliteStore::submit).
DELETE FROM call_counts;
INSERT INTO call_counts (function, state, n)
  SELECT function, state, count(*) FROM calls GROUP BY function, state;
DELETE FROM call_finishes;
INSERT INTO call_finishes (minute, state, n)
  SELECT finished_at / 60000, state, count(*) FROM calls
  WHERE finished_at IS NOT NULL GROUP BY finished_at / 60000, state;
COMMIT;
SQL
fill=$(echo "$(date +%s.%N) - $t0" | bc)
size=$(stat -c %s "$state/fnq.db")
echo "filled in ${fill}s; database $((size / 1048576)) MiB" >&2

# What stats() did before the counters: a scan of every call.
t0=$(date +%s.%N)
sqlite3 "$state/fnq.db" "SELECT function, state, count(*) FROM calls GROUP BY function, state" >/dev/null
scan=$(echo "$(date +%s.%N) - $t0" | bc)

start_fnqd
id_mid=$(sqlite3 "$state/fnq.db" "SELECT id FROM calls ORDER BY id LIMIT 1 OFFSET $((n / 2))")
id_new=$(sqlite3 "$state/fnq.db" "SELECT id FROM calls ORDER BY id DESC LIMIT 1")

time_request() {  # label path
  local times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "$url$2")")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  printf '| %s | `%s` | %.1f |\n' "$1" "$2" "$(echo "$median * 1000" | bc)"
}

echo
echo "$n calls, $((size / 1048576)) MiB database; $(basename "$fnqd") at $fnqd"
echo
echo "| request | path | median ms |"
echo "| --- | --- | ---: |"
time_request "overview numbers" "/v1/stats"
time_request "running calls" "/v1/calls?state=running&limit=20"
time_request "last failures" "/v1/calls?state=failed&limit=10"
time_request "last timeouts" "/v1/calls?state=timed_out&limit=10"
time_request "calls, first page" "/v1/calls?limit=50"
time_request "calls, page in the middle" "/v1/calls?limit=50&before=$id_mid"
time_request "calls by state" "/v1/calls?state=failed&limit=50"
time_request "calls by function" "/v1/calls?function=fn7&limit=50"
time_request "calls by state and function" "/v1/calls?state=failed&function=fn7&limit=50"
time_request "text: 8-char ID prefix" "/v1/calls?text=${id_new:0:8}&limit=50"
time_request "text: error substring (5,000-call window)" "/v1/calls?text=status%204&limit=50"
time_request "text: error, failed only" "/v1/calls?state=failed&text=status%204&limit=50"
time_request "one call" "/v1/calls/$id_mid"
time_request "its dependents" "/v1/calls/$id_mid/dependents"
time_request "functions" "/v1/functions"
time_request "page shell" "/ui/calls"
time_request "script" "/ui/static/app.js"
echo
echo "filling: ${fill}s (counters included); a GROUP BY count over every call (what /v1/stats replaces): ${scan}s"
stop_fnqd
