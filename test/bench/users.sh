#!/usr/bin/env bash
# Benchmark: reading the directory with atl_users().
#   1. 100,000 users, no latency: rows per second and backend CPU per row,
#      next to a minimal client fetching the same pages in the same run.
#   2. 100,000 users, 20 ms a page: total time against pages x latency
#      (held to 1.15x).
#   3. 1,000,000 users: growth of the backend's resident memory (held to
#      64 MB).
# Prints one line per figure with its bound; exits non-zero if one fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh

USERS=${BENCH_USERS:-100000}
BIG=${BENCH_BIG_USERS:-1000000}
LATENCY_MS=20
bench_failed=0

bench_setup "$USERS"
open_session
# warm up: the connection, the caches, and the fake's rendering of every page
session_run "SELECT count(*) FROM atl_users(max_rows => 100);" >/dev/null
$PYTHON test/bench/raw_pages.py "$FAKE_URL" "$FAKE_KEY" >/dev/null

echo "== $USERS users, no latency"
t0=$(now); c0=$(cpu_seconds "$BENCH_BACKEND")
rows=$(session_run "SELECT count(*) FROM atl_users();")
t1=$(now); c1=$(cpu_seconds "$BENCH_BACKEND")
read -r pages raw_rows raw_s < <($PYTHON test/bench/raw_pages.py "$FAKE_URL" "$FAKE_KEY")
secs=$(echo "$t1 - $t0" | bc -l)
report "rows returned" "$rows" "= $USERS" "$([ "$rows" = "$USERS" ] && echo 1)"
report "atl_users() rows/s" "$(printf '%.0f' "$(echo "$rows / $secs" | bc -l)")" \
  "(baseline client: $(printf '%.0f' "$(echo "$raw_rows / $raw_s" | bc -l)"))" 1
report "time vs. baseline client (same pages)" "$(printf '%.2fx' "$(echo "$secs / $raw_s" | bc -l)")" \
  "(${secs%???????}s vs ${raw_s}s)" 1
report "backend CPU per row" "$(printf '%.1f us' "$(echo "($c1 - $c0) * 1000000 / $rows" | bc -l)")" "" 1

echo "== $USERS users, $LATENCY_MS ms a page"
$PYTHON test/fakectl.py fault "{\"path\": \"users/search\", \"kind\": \"latency\", \"ms\": $LATENCY_MS}"
t0=$(now)
rows=$(session_run "SELECT count(*) FROM atl_users();")
t1=$(now)
$PYTHON test/fakectl.py clear-faults
secs=$(echo "$t1 - $t0" | bc -l)
floor=$(echo "$pages * $LATENCY_MS / 1000" | bc -l)
ratio=$(echo "$secs / $floor" | bc -l)
report "total / (pages x latency)" "$(printf '%.3fx' "$ratio")" \
  "<= 1.15x ($pages pages, $(printf '%.1f' "$floor") s)" "$(echo "$ratio <= 1.15" | bc -l)"
close_session

echo "== $BIG users: backend memory"
kill "$FAKE_PID" && wait "$FAKE_PID" 2>/dev/null || true
rm -f "$ATLORG_TMP/fake.port"
atlorg_fake_start "$BIG"
psql -X -q -c "ALTER SERVER acme OPTIONS (SET api_base '$FAKE_URL')"
open_session
session_run "SELECT count(*) FROM atl_users(max_rows => 100);" >/dev/null
start_kb=$(rss_kb "$BENCH_BACKEND")
max_kb=$start_kb
t0=$(now)
: >"$ATLORG_TMP/bench.out"
printf 'SELECT count(*) FROM atl_users();\n\\echo big-done\n' >&7
until grep -aq big-done "$ATLORG_TMP/bench.out"; do
  kb=$(rss_kb "$BENCH_BACKEND"); [ "$kb" -gt "$max_kb" ] && max_kb=$kb
  sleep 0.2
done
t1=$(now)
rows=$(grep -av big-done "$ATLORG_TMP/bench.out")
close_session
grow_mb=$(( (max_kb - start_kb) / 1024 ))
report "rows returned" "$rows" "= $BIG" "$([ "$rows" = "$BIG" ] && echo 1)"
report "backend RSS growth" "$grow_mb MB" "< 64 MB (start $((start_kb / 1024)) MB)" \
  "$([ "$grow_mb" -lt 64 ] && echo 1)"
report "time" "$(printf '%.1f s' "$(echo "$t1 - $t0" | bc -l)")" "" 1

exit "$bench_failed"
